"""The OMERO.web tier: its secret properties, gunicorn, autoscaling, the read-only pool and the
websocket path, read from synthesized JSON; and one bad-input test for each of their rules."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

from config import ConfigError, loads
from config.read_only_web import PUBLIC_URL_FILTER
from config.secrets import secret_arn, secret_reference
from modules.omero_config import config_variable
from tests.harness.synth import synthesize
from tests.test_services import container, environment, services

ROOT = Path(__file__).resolve().parents[1]
SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:omero/webpublic-Ab12Cd"

# A deployment that sets every web-tier key this file tests away from its default.
WEB_TIER = f"""
name   = "omero-web"
region = "us-east-1"
server {{
  read_only_count = 1
}}
load_balancer {{
  domain_name          = "omero.example.org"
  hosted_zone_id       = "Z0123456789ABCDEFGHIJ"
  idle_timeout_seconds = 120
  websocket_allowed_cidrs = ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "10.10.0.0/16"]
}}
web {{
  read_only_pool {{
    enabled   = true
    host_name = "images.example.org"
    min_tasks = 1
    max_tasks = 3
  }}
  workers                  = 2
  threads                  = 1
  target_requests_per_task = 500
  properties               = {{ "omero.web.wsgi_args" = "--log-level=DEBUG" }}
  secret_properties = {{
    "omero.web.public.password" = "{SECRET}:password::"
    "omero.web.sharing.twitter" = "{SECRET}"
  }}
}}
"""


@pytest.fixture(scope="module")
def web_tier(tmp_path_factory):
    return synthesize(loads(WEB_TIER, "web-tier.hcl"), tmp_path_factory.mktemp("web-tier") / "cdktf.out")


def problems(text: str) -> list[str]:
    text = 'name = "omero-test"\n' + textwrap.dedent(text)
    with pytest.raises(ConfigError) as caught:
        loads(text, "test.hcl")
    return caught.value.lines


def assert_one_problem(text: str, key: str, fragment: str) -> None:
    """``text`` is refused with exactly one line, which names ``key`` and says ``fragment``."""
    [line] = problems(text)
    assert line.startswith((f"{key}:", f"{key} =")), line
    assert fragment in line, line


# --- web.secret_properties ---------------------------------------------------------------------


def test_secret_references_name_the_secret_for_iam():
    assert secret_reference(SECRET) is None
    assert secret_reference(f"{SECRET}:password::") is None
    assert secret_reference(f"{SECRET}:password:AWSPREVIOUS:") is None
    assert secret_arn(f"{SECRET}:password::") == SECRET
    assert secret_arn(SECRET) == SECRET
    for bad in (
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:omero/ldap",  # a partial ARN (no suffix)
        f"{SECRET}:password",  # the stage and version separators are part of the form
        "omero/web-public",
        "arn:aws:ssm:us-east-1:123456789012:parameter/omero",
        f"{SECRET}\n",
    ):
        assert secret_reference(bad), bad


def test_secret_properties_reach_only_the_web_container_through_ecs_secrets(web_tier):
    web = container(web_tier, "-omero-web")
    secrets = {s["name"]: s["valueFrom"] for s in web["secrets"]}
    assert secrets[config_variable("omero.web.public.password")] == f"{SECRET}:password::"
    assert secrets[config_variable("omero.web.sharing.twitter")] == SECRET
    # managed secrets first, the deployment's after them
    assert list(secrets)[:2] == [config_variable("omero.web.secret_key"), config_variable("omero.web.caches")]
    assert SECRET not in str(environment(web))
    # the execution role reads the secret itself (IAM names no JSON key), once
    [statement] = [s for s in execution_statements(web_tier, "web_roles") if s["actions"] == ["secretsmanager:GetSecretValue"]]
    assert statement["resources"].count(SECRET) == 1 and f"{SECRET}:password::" not in statement["resources"]
    server = container(web_tier, "-omero-server")
    assert SECRET not in str(server)
    assert SECRET not in str(execution_statements(web_tier, "server_roles"))


@pytest.mark.parametrize(
    ("text", "key", "fragment"),
    [
        (
            f'web {{ secret_properties = {{ "omero.web.secret_key" = "{SECRET}" }} }}',
            "web.secret_properties",
            "set by this project",
        ),
        (
            f'web {{ secret_properties = {{ "omero.db.pass" = "{SECRET}" }} }}',
            "web.secret_properties",
            "starting with 'omero.web.'",
        ),
        (
            'web { secret_properties = { "omero.web.public.password" = "hunter2" } }',
            "web.secret_properties",
            "complete Secrets Manager secret ARN",
        ),
        (
            f'web {{ secret_properties = {{ "omero.web.public.password" = "{SECRET[:-7]}" }} }}',
            "web.secret_properties",
            "complete Secrets Manager secret ARN",
        ),
        (
            f'web {{\n secret_properties = {{ "omero.web.public.user" = "{SECRET}" }}\n properties = {{ "omero.web.public.user" = "x" }} }}',
            "web.secret_properties",
            "which properties sets too",
        ),
        (
            f'web {{ secret_properties = {{ "omero.web.caches" = "{SECRET}" }} }}',
            "web.secret_properties",
            "which session_store manages",
        ),
    ],
)
def test_bad_web_secret_properties(text, key, fragment):
    assert_one_problem(text, key, fragment)


# --- gunicorn and autoscaling (web.workers, web.threads, web.target_requests_per_task) ------------


def test_sync_workers_may_run_as_long_as_the_load_balancer_allows(web_tier):
    env = environment(container(web_tier, "-omero-web"))
    assert env[config_variable("omero.web.wsgi_workers")] == "2"
    assert env[config_variable("omero.web.wsgi_threads")] == "1"
    # one request per sync worker, killed after the timeout: the load balancer's idle timeout
    assert env[config_variable("omero.web.wsgi_timeout")] == "120"
    # the deployment's own gunicorn arguments come after the keep-alive, so they win a repeat
    assert env[config_variable("omero.web.wsgi_args")] == "--keep-alive 125 --log-level=DEBUG"


def test_request_target_comes_from_the_deployment(web_tier):
    policies = {p["name"]: p for p in web_tier.resources("services", "aws_appautoscaling_policy").values()}
    requests = policies["omero-web-omero-web-requests"]["target_tracking_scaling_policy_configuration"]
    assert requests["target_value"] == 500
    assert requests["scale_out_cooldown"] == 60 and requests["scale_in_cooldown"] == 300


@pytest.mark.parametrize(
    ("text", "key", "fragment"),
    [
        ("web { workers = 0 }", "web.workers", "from 1 to 64"),
        ("web { workers = 65 }", "web.workers", "from 1 to 64"),
        ("web { threads = 0 }", "web.threads", "from 1 to 64"),
        ("web { target_requests_per_task = 5 }", "web.target_requests_per_task", "from 10 to 100000"),
        ('web { properties = { "omero.web.wsgi_threads" = "4" } }', "web.properties", "set web.threads instead"),
        (
            f'web {{ secret_properties = {{ "omero.web.wsgi_workers" = "{SECRET}" }} }}',
            "web.secret_properties",
            "set web.workers",
        ),
    ],
)
def test_bad_gunicorn_and_scaling_keys(text, key, fragment):
    assert_one_problem(text, key, fragment)


# --- the read-only pool (web.read_only_pool) -----------------------------------------------------

PUBLIC_PASSWORD = "arn:aws:secretsmanager:us-east-1:123456789012:secret:omero-prod/web-public-Cd34Ef"


def by_name(synth, resource_type: str, attribute: str = "name") -> dict[str, dict]:
    return {r[attribute]: r for r in synth.resources("services", resource_type).values()}


def execution_statements(synth, role: str) -> list[dict]:
    """The execution policy of one task's roles (``role`` is the construct id, e.g. "web_roles")."""
    documents = synth.data("services", "aws_iam_policy_document")
    return [s for key, doc in documents.items() if key.startswith(f"{role}_execution_document") for s in doc["statement"]]


def test_read_only_pool_is_its_own_service_on_its_own_host(examples):
    synth = examples["tls-rw-ro"]
    pool = services(synth)["omero-web-ro"]
    assert pool["desired_count"] == 2 and pool["launch_type"] == "FARGATE"
    assert pool["network_configuration"]["assign_public_ip"] is False
    [registration] = pool["load_balancer"]
    assert registration["target_group_arn"].startswith("${aws_lb_target_group.read_only_web_route_target_group_")
    assert any("aws_lb_listener_rule.read_only_web_route_rule_" in d for d in pool["depends_on"])
    group = by_name(synth, "aws_lb_target_group")["omero-prod-omero-view"]
    assert (group["port"], group["target_type"], group["health_check"]["path"]) == (4080, "ip", "/api/")
    # the HTTPS listener sends view.<domain> to the pool's target group, everything else as before
    [rule] = [r for r in synth.resources("services", "aws_lb_listener_rule").values() if "host_header" in r["condition"][0]]
    assert rule["condition"][0]["host_header"]["values"] == ["view.omero.example.org"]
    assert rule["listener_arn"].startswith("${aws_lb_listener.web_load_balancer_https_")
    assert rule["action"][0]["target_group_arn"] == registration["target_group_arn"]
    # its own certificate beside the main one (SNI), validated in the zone, and an alias record
    certificates = by_name(synth, "aws_acm_certificate", "domain_name")
    assert set(certificates) == {"omero.example.org", "view.omero.example.org"}
    [attached] = synth.resources("services", "aws_lb_listener_certificate").values()
    assert attached["listener_arn"] == rule["listener_arn"]
    assert attached["certificate_arn"].startswith("${aws_acm_certificate_validation.read_only_web_route_certificate_validation")
    aliases = {r["name"]: r for r in synth.resources("services", "aws_route53_record").values() if "alias" in r}
    assert set(aliases) == {"omero.example.org", "view.omero.example.org"}
    assert aliases["view.omero.example.org"]["zone_id"] == "Z0123456789ABCDEFGHIJ"
    outputs = synth.stack("services")["output"]
    assert outputs["read_only_web_url"]["value"] == "https://view.omero.example.org"
    assert outputs["read_only_web_service_name"]["value"].startswith("${aws_ecs_service.read_only_web_service_")


def test_read_only_pool_offers_the_read_only_servers_to_visitors_as_the_public_user(examples):
    synth = examples["tls-rw-ro"]
    pool = container(synth, "-omero-web-ro")
    env = environment(pool)
    assert [name for _, _, name in json.loads(env[config_variable("omero.web.server_list")])] == [
        "omero-read-only-1",
        "omero-read-only-2",
    ]
    assert json.loads(env[config_variable("omero.web.csrf_trusted_origins")]) == ["https://view.omero.example.org"]
    assert env[config_variable("omero.web.public.enabled")] == "true"
    assert env[config_variable("omero.web.public.user")] == "public"
    assert env[config_variable("omero.web.public.server_id")] == "1"  # the first read-only server
    assert env[config_variable("omero.web.public.get_only")] == "true"
    assert env[config_variable("omero.web.public.url_filter")] == PUBLIC_URL_FILTER
    # the password through ECS secrets, readable by the pool's execution role alone
    secrets = {s["name"]: s["valueFrom"] for s in pool["secrets"]}
    assert secrets[config_variable("omero.web.public.password")] == f"{PUBLIC_PASSWORD}:password::"
    assert PUBLIC_PASSWORD not in json.dumps(env)
    [reads] = [s for s in execution_statements(synth, "read_only_web_roles") if s["actions"] == ["secretsmanager:GetSecretValue"]]
    assert PUBLIC_PASSWORD in reads["resources"]
    assert PUBLIC_PASSWORD not in json.dumps(execution_statements(synth, "web_roles"))
    # the main OMERO.web stays as it was: no public user, its own origin, the same gunicorn
    main = environment(container(synth, "-omero-web"))
    assert not [name for name in main if "public" in name]
    assert main[config_variable("omero.web.wsgi_threads")] == env[config_variable("omero.web.wsgi_threads")]
    # both scale on their own target group's requests
    labels = {
        p["name"]: p["target_tracking_scaling_policy_configuration"]["predefined_metric_specification"].get("resource_label", "")
        for p in synth.resources("services", "aws_appautoscaling_policy").values()
    }
    assert "read_only_web_route_target_group_" in labels["omero-prod-omero-web-ro-requests"]
    assert "web_load_balancer_target_group_" in labels["omero-prod-omero-web-requests"]


@pytest.mark.parametrize(
    ("path", "public"),
    [
        ("/webclient/", True),
        ("/webclient/?show=project-27936", True),
        ("/iviewer/", True),
        ("/webgateway/render_image_region/1/0/0/", True),
        ("/webadmin/myphoto/", True),
        ("/webgateway/archived_files/download/1/", False),  # original files
        ("/webgateway/download_as/", False),
        ("/webclient/script_ui/1/", False),  # scripts
        ("/webclient/ome_tiff/1/", False),
        ("/webclient/figure_script/Split_View/", False),
        ("/webadmin/", False),
        ("/figure/", False),
    ],
)
def test_public_url_filter_lets_visitors_browse_and_view_but_not_download(path, public):
    # OMERO.web asks PUBLIC_URL_FILTER.search(request.path) (omero-web omeroweb/decorators.py)
    assert (re.compile(PUBLIC_URL_FILTER).search(path) is not None) is public


def test_read_only_pool_on_a_host_name_of_its_own_without_the_public_user(web_tier):
    pool = services(web_tier)["omero-web-ro"]
    assert pool["desired_count"] == 1
    target = by_name(web_tier, "aws_appautoscaling_target", "max_capacity")
    assert 3 in target
    [rule] = [r for r in web_tier.resources("services", "aws_lb_listener_rule").values() if "host_header" in r["condition"][0]]
    assert rule["condition"][0]["host_header"]["values"] == ["images.example.org"]
    env = environment(container(web_tier, "-omero-web-ro"))
    assert not [name for name in env if "public" in name]
    # web.secret_properties reach both pools
    secrets = {s["name"] for s in container(web_tier, "-omero-web-ro")["secrets"]}
    assert config_variable("omero.web.sharing.twitter") in secrets
    # the main OMERO.web offers the read-write server alone
    main = environment(container(web_tier, "-omero-web"))
    assert len(json.loads(main[config_variable("omero.web.server_list")])) == 1
    assert web_tier.stack("services")["output"]["read_only_web_url"]["value"] == "https://images.example.org"


def test_without_the_pool_the_login_page_offers_every_server(tmp_path_factory):
    text = WEB_TIER.replace("enabled   = true\n    host_name", "enabled   = false\n    # host_name")
    text = re.sub(r"read_only_pool \{.*?\n  \}", "", text, flags=re.S)
    synth = synthesize(loads(text, "no-pool.hcl"), tmp_path_factory.mktemp("no-pool") / "cdktf.out")
    servers = json.loads(environment(container(synth, "-omero-web"))[config_variable("omero.web.server_list")])
    assert [name for _, _, name in servers] == ["omero", "omero-read-only-1"]
    assert "omero-web-ro" not in services(synth)
    assert not synth.resources("services", "aws_lb_listener_certificate")
    assert "read_only_web_url" not in synth.stack("services")["output"]


POOL = 'load_balancer {\n domain_name = "omero.example.org"\n hosted_zone_id = "Z0123456789ABCDEFGHIJ" }\n'
ONE_READ_ONLY = "server { read_only_count = 1 }\n"


@pytest.mark.parametrize(
    ("text", "key", "fragment"),
    [
        (POOL + "web { read_only_pool { enabled = true } }", "web.read_only_pool.enabled", "only with server.read_only_count"),
        (
            ONE_READ_ONLY + "web { read_only_pool { enabled = true } }",
            "web.read_only_pool.enabled",
            "only with load_balancer.domain_name",
        ),
        (
            POOL + ONE_READ_ONLY + 'web { read_only_pool {\n enabled = true\n host_name = "omero.example.org" } }',
            "web.read_only_pool.host_name",
            "other than load_balancer.domain_name",
        ),
        (
            'load_balancer {\n domain_name = "'
            + "a" * 58
            + '.org"\n hosted_zone_id = "Z0123456789ABCDEFGHIJ" }\n'
            + ONE_READ_ONLY
            + "web { read_only_pool { enabled = true } }",
            "web.read_only_pool.host_name",
            "too long for a certificate",
        ),
        ('web { read_only_pool { host_name = "view.example.org" } }', "web.read_only_pool.host_name", "only with enabled = true"),
        ('web { read_only_pool { host_name = "view_example" } }', "web.read_only_pool.host_name", ""),
        (
            POOL + ONE_READ_ONLY + "web { read_only_pool {\n enabled = true\n min_tasks = 3\n max_tasks = 2 } }",
            "web.read_only_pool.max_tasks",
            "at least min_tasks (3)",
        ),
        ("web { read_only_pool { min_tasks = 0 } }", "web.read_only_pool.min_tasks", "from 1 to 50"),
        (
            POOL + ONE_READ_ONLY + "web { read_only_pool {\n enabled = true\n public { enabled = true } } }",
            "web.read_only_pool.public.user",
            "required with enabled = true",
        ),
        (
            POOL + ONE_READ_ONLY + 'web { read_only_pool {\n enabled = true\n public {\n enabled = true\n user = "public" } } }',
            "web.read_only_pool.public.password_secret_arn",
            "required with enabled = true",
        ),
        ('web { read_only_pool { public { user = "public" } } }', "web.read_only_pool.public.user", "only with enabled = true"),
        ('web { read_only_pool { public { user = "the public" } } }', "web.read_only_pool.public.user", "no spaces"),
        (
            'web { read_only_pool { public { password_secret_arn = "hunter2" } } }',
            "web.read_only_pool.public.password_secret_arn",
            "Secrets Manager",
        ),
        (
            'web { read_only_pool { public { url_filter = "^/(webclient" } } }',
            "web.read_only_pool.public.url_filter",
            "a Python regular expression",
        ),
    ],
)
def test_bad_read_only_pool(text, key, fragment):
    lines = problems(text)
    matching = [line for line in lines if line.startswith((f"{key}:", f"{key} ="))]
    assert matching, lines
    assert any(fragment in line for line in matching), matching


# --- who may open /omero-ws (load_balancer.websocket_allowed_cidrs) ------------------------------


def websocket_rules(synth) -> dict[int, dict]:
    rules = synth.resources("services", "aws_lb_listener_rule").values()
    return {r["priority"]: r for r in rules if "path_pattern" in r["condition"][0]}


def test_websockets_are_open_to_whom_the_load_balancer_admits_by_default(examples):
    [rule] = websocket_rules(examples["tls-rw"]).values()
    assert [list(c) for c in rule["condition"]] == [["path_pattern"]]  # the security group decides
    assert rule["action"][0]["type"] == "forward"


def test_websockets_only_from_the_networks_named(web_tier):
    rules = websocket_rules(web_tier)
    assert sorted(rules) == [10, 11, 12]
    allowed = []
    for priority in (10, 11):
        path, source = rules[priority]["condition"]
        assert path["path_pattern"]["values"] == ["/omero-ws", "/omero-ws/*"]
        # at most 5 condition values a rule: 2 paths and 3 networks
        assert len(source["source_ip"]["values"]) <= 3
        allowed += source["source_ip"]["values"]
        assert rules[priority]["action"][0]["target_group_arn"].startswith("${aws_lb_target_group.server_websockets_")
    assert allowed == ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "10.10.0.0/16"]
    [path] = rules[12]["condition"]  # everyone else is refused
    refusal = rules[12]["action"][0]
    assert refusal["type"] == "fixed-response" and refusal["fixed_response"]["status_code"] == "403"
    # the read-only pool's host rule comes after them
    host_rules = [
        r for r in web_tier.resources("services", "aws_lb_listener_rule").values() if "host_header" in r["condition"][0]
    ]
    assert [r["priority"] for r in host_rules] == [100]


@pytest.mark.parametrize(
    ("text", "key", "fragment"),
    [
        (
            POOL.replace(" }", '\n allowed_cidrs = ["10.0.0.0/8"]\n websocket_allowed_cidrs = ["192.0.2.0/24"] }'),
            "load_balancer.websocket_allowed_cidrs",
            "inside allowed_cidrs",
        ),
        (
            'load_balancer { websocket_allowed_cidrs = ["192.0.2.0/24"] }',
            "load_balancer.websocket_allowed_cidrs",
            "only with domain_name",
        ),
        (
            POOL.replace(" }", '\n websockets = false\n websocket_allowed_cidrs = ["192.0.2.0/24"] }'),
            "load_balancer.websocket_allowed_cidrs",
            "websockets = true",
        ),
        (
            POOL.replace(" }", "\n websocket_allowed_cidrs = [] }"),
            "load_balancer.websocket_allowed_cidrs",
            "at least one network",
        ),
        (
            POOL.replace(" }", "\n websocket_allowed_cidrs = [" + ", ".join(f'"10.0.{i}.0/24"' for i in range(31)) + "] }"),
            "load_balancer.websocket_allowed_cidrs",
            "at most 30 networks",
        ),
        (
            POOL.replace(" }", '\n websocket_allowed_cidrs = ["10.0.0.1/8"] }'),
            "load_balancer.websocket_allowed_cidrs",
            "host bits",
        ),
    ],
)
def test_bad_websocket_networks(text, key, fragment):
    assert_one_problem(text, key, fragment)


def test_the_read_only_pool_is_in_the_cost_estimate():
    from config import load
    from tools.cost_model import estimate, load_prices

    prices, _ = load_prices("us-east-1")
    production = load(ROOT / "examples" / "tls-rw-ro.hcl")
    items = {item.name: item for item in estimate(production, prices)}
    vcpu = items["read-only OMERO.web: 2..4 x 2 vCPU"]  # web.cpu, between the pool's min and max tasks
    assert vcpu.cost == pytest.approx((2 * 2 * 730 * prices["fargate_vcpu_hour"], 4 * 2 * 730 * prices["fargate_vcpu_hour"]))
    assert "read-only OMERO.web: 2..4 x 4 GB" in items


def test_the_read_only_pool_takes_addresses_in_the_private_subnets():
    from config.network_plan import private_demand

    without = dict(private_demand(loads('name = "omero-test"\n' + POOL + ONE_READ_ONLY, "t.hcl")))
    pool = "web { read_only_pool {\n enabled = true\n max_tasks = 5 } }"
    with_pool = dict(private_demand(loads('name = "omero-test"\n' + POOL + ONE_READ_ONLY + pool, "t.hcl")))
    # it deploys like OMERO.web (maximumPercent 200): twice its max_tasks, all in one zone of two
    assert with_pool["tasks"] == without["tasks"] + 2 * 5
