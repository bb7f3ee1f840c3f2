"""The OMERO.web tier: its secret properties, gunicorn, autoscaling, the read-only pool and the
websocket path, read from synthesized JSON; and one bad-input test for each of their rules."""

from __future__ import annotations

import textwrap

import pytest

from config import ConfigError, loads
from config.secrets import secret_arn, secret_reference
from modules.omero_config import config_variable
from tests.harness.synth import synthesize
from tests.test_services import container, environment, policy_statements

SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:omero/webpublic-Ab12Cd"

# A deployment that sets every web-tier key this file tests away from its default.
WEB_TIER = f"""
name   = "omero-web"
region = "us-east-1"
load_balancer {{
  idle_timeout_seconds = 120
}}
web {{
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
    [statement] = [
        s
        for s in policy_statements(web_tier, "web_roles_execution_document")
        if s["actions"] == ["secretsmanager:GetSecretValue"]
    ]
    assert statement["resources"].count(SECRET) == 1 and f"{SECRET}:password::" not in statement["resources"]
    server = container(web_tier, "-omero-server")
    assert SECRET not in str(server)
    for role in ("server_roles_execution_document",):
        assert SECRET not in str(policy_statements(web_tier, role))


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
