"""OMERO.server's way out (server.egress) and its secret properties (server.secret_properties):
the configuration rules, and what the services stack synthesizes from them."""

from __future__ import annotations

import json
import textwrap

import pytest

from config import ConfigError, loads
from config.checks import secret_named
from tests.test_services import container, environment, policy_statements

LDAP_SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:omero-prod/ldap-bind-Ab12Cd"


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        loads('name = "omero-test"\n' + textwrap.dedent(text), "test.hcl")
    return caught.value.lines


BAD = [
    # server.egress: a network in CIDR form or a prefix list, a port, tcp or udp
    ('server { egress = [{ cidr = "10.20.0.10/24", port = 636 }] }', "server.egress[0].cidr", "no host bits"),
    ('server { egress = [{ cidr = "ldap.example.org", port = 636 }] }', "server.egress[0].cidr", "CIDR notation"),
    ('server { egress = [{ cidr = "10.20.0.0/24", port = 0 }] }', "server.egress[0].port", "from 1 to 65535"),
    ('server { egress = [{ cidr = "10.20.0.0/24", port = 65536 }] }', "server.egress[0].port", "from 1 to 65535"),
    ('server { egress = [{ cidr = "10.20.0.0/24" }] }', "server.egress[0].port", "missing; this key is required"),
    ("server { egress = [{ port = 25 }] }", "server.egress[0].cidr", "exactly one of cidr and prefix_list_id"),
    (
        'server { egress = [{ cidr = "10.0.0.0/8", prefix_list_id = "pl-0123456789abcdef0", port = 25 }] }',
        "server.egress[0].cidr",
        "exactly one of cidr and prefix_list_id",
    ),
    ('server { egress = [{ prefix_list_id = "pl-xyz", port = 25 }] }', "server.egress[0].prefix_list_id", "prefix list id"),
    ('server { egress = [{ cidr = "10.0.0.0/8", port = 25, protocol = "icmp" }] }', "server.egress[0].protocol", '"tcp", "udp"'),
    ('server { egress = [{ cidr = "10.0.0.0/8", port = 25, ports = 26 }] }', "server.egress[0].ports", "unknown key"),
    ('server { egress = "10.0.0.0/8" }', "server.egress", "a list of blocks"),
    (
        'server { egress = [{ cidr = "10.0.0.0/8", port = 25 }, { cidr = "10.0.0.0/8", port = 25 }] }',
        "server.egress",
        "each destination, port and protocol once",
    ),
    # a secret never in plain properties, on the server or on the web
    ('server { properties = { "omero.ldap.password" = "x" } }', "server.properties", "use secret_properties"),
    ('server { properties = { "omero.mail.password" = "x" } }', "server.properties", "use secret_properties"),
    ('server { properties = { "omero.security.keyStorePassword" = "x" } }', "server.properties", "use secret_properties"),
    ('web { properties = { "omero.web.public.password" = "x" } }', "web.properties", "use secret_properties"),
    ('web { properties = { "omero.web.sentry_api_key" = "x" } }', "web.properties", "use secret_properties"),
    # secret properties: complete secret ARNs, not managed, not also plain
    ('server { secret_properties = { "omero.ldap.password" = "hunter2" } }', "server.secret_properties", "secret ARN"),
    (
        'server { secret_properties = { "omero.ldap.password" = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ldap" } }',
        "server.secret_properties",
        "complete Secrets Manager secret ARN",
    ),
    (
        f'server {{ secret_properties = {{ "omero.db.pass" = "{LDAP_SECRET}" }} }}',
        "server.secret_properties",
        "set by this project",
    ),
    (
        f'server {{ secret_properties = {{ "ldap.password" = "{LDAP_SECRET}" }} }}',
        "server.secret_properties",
        "OMERO property names",
    ),
    (
        f'server {{\n properties = {{ "omero.ldap.urls" = "ldaps://x" }}\n secret_properties = {{ "omero.ldap.urls" = "{LDAP_SECRET}" }} }}',
        "server.secret_properties",
        "which properties sets too",
    ),
]


@pytest.mark.parametrize("text, key, fragment", BAD, ids=[f"{i:02d}-{b[1]}" for i, b in enumerate(BAD)])
def test_bad_input_names_the_key(text, key, fragment):
    lines = problems(text)
    matching = [line for line in lines if line.startswith((f"{key}:", f"{key} ="))]
    assert matching, f"no message names {key}: {lines}"
    assert any(fragment in line for line in matching), f"{fragment!r} not in {matching}"


def test_a_refused_secret_is_not_repeated_back():
    [line] = problems('server { properties = { "omero.ldap.password" = "correct horse battery staple" } }')
    assert "correct horse" not in line and "omero.ldap.password" in line


@pytest.mark.parametrize(
    "name",
    [
        "omero.ldap.password",
        "omero.web.public.password",
        "omero.mail.password",
        "omero.db.pass",
        "omero.glacier2.IceSSL.Password",
        "omero.security.keyStorePassword",
        "omero.security.trustStorePassword",
        "omero.web.secret_key",
        "omero.web.x.api_key",
        "omero.web.x.apikey",
        "omero.web.x.access_token",
        "omero.web.x.client_secret",
        "omero.web.x.credentials",
    ],
)
def test_names_that_hold_secrets(name):
    assert secret_named(name)


@pytest.mark.parametrize(
    "name",
    [
        "omero.ldap.keystore",  # a path
        "omero.security.keyStore",  # a path
        "omero.security.password_provider",  # which provider checks passwords
        "omero.security.password_required",  # a switch
        "omero.certificates.key",  # the TLS key's file name (omero-certificates)
        "omero.ldap.username",
        "omero.ldap.urls",
        "omero.sessions.timeout",
        "omero.x.bypass",
    ],
)
def test_names_that_are_plain_settings(name):
    assert not secret_named(name)
    deployment = loads(f'name = "omero-test"\nserver {{ properties = {{ "{name}" = "x" }} }}')
    assert deployment.server.properties == {name: "x"}


def test_egress_as_a_list_or_as_repeated_blocks():
    as_list = loads(
        'name = "omero-test"\nserver { egress = [{ cidr = "10.50.0.0/28", port = 636 }, '
        '{ prefix_list_id = "pl-0123456789abcdef0", port = 587 }] }'
    )
    as_blocks = loads(
        'name = "omero-test"\nserver {\n egress {\n cidr = "10.50.0.0/28"\n port = 636\n }\n'
        ' egress {\n prefix_list_id = "pl-0123456789abcdef0"\n port = 587\n }\n}'
    )
    assert as_list.server.egress == as_blocks.server.egress
    assert [(e.destination, e.port, e.protocol) for e in as_list.server.egress] == [
        ("10.50.0.0/28", 636, "tcp"),
        ("pl-0123456789abcdef0", 587, "tcp"),
    ]


def test_egress_rules_on_the_server_group(examples):
    """Every server (read-write and read-only share one group) may reach the directory on 636, and
    no other group may; deployments without egress get no extra rule."""
    synth = examples["tls-rw-ro"]
    rules = synth.resources("services", "aws_vpc_security_group_egress_rule")
    [ldap] = [r for r in rules.values() if r.get("cidr_ipv4") == "10.50.0.0/28"]
    assert (ldap["ip_protocol"], ldap["from_port"], ldap["to_port"]) == ("tcp", 636, 636)
    assert "security_groups_omero_server_" in ldap["security_group_id"]
    services = synth.resources("services", "aws_ecs_service")
    groups = {json.dumps(s["network_configuration"]["security_groups"]) for s in services.values() if "server" in s["name"]}
    assert len(groups) == 1 and "omero_server" in groups.pop()  # read-write and read-only alike
    plain = examples["tls-rw"].resources("services", "aws_vpc_security_group_egress_rule")
    assert not [r for r in plain.values() if "server_to_tcp" in json.dumps(r)]


@pytest.mark.parametrize("family", ["-omero-server", "-omero-server-ro-1", "-omero-server-ro-2"])
def test_secret_properties_reach_every_server_through_ecs_secrets(examples, family):
    server = container(examples["tls-rw-ro"], family)
    secrets = {s["name"]: s["valueFrom"] for s in server["secrets"]}
    assert secrets["CONFIG_omero_ldap_password"] == LDAP_SECRET + ":password::"  # the JSON key, as ECS takes it
    assert not [n for n in environment(server) if "ldap_password" in n]
    assert environment(server)["CONFIG_omero_ldap_urls"] == "ldaps://ldap.example.org:636"


def test_execution_roles_read_the_secret_itself(examples):
    """IAM names the secret, not its JSON key: the servers' execution roles may read it, OMERO.web's not."""
    synth = examples["tls-rw-ro"]
    for role in ("server_roles", "read_only_server_1_roles", "read_only_server_2_roles"):
        statements = policy_statements(synth, f"{role}_execution_document")
        [secrets] = [s for s in statements if s["actions"] == ["secretsmanager:GetSecretValue"]]
        assert LDAP_SECRET in secrets["resources"], role
        assert not [r for r in secrets["resources"] if r.startswith(LDAP_SECRET + ":")]
    web = policy_statements(synth, "web_roles_execution_document")
    assert LDAP_SECRET not in json.dumps(web)


def ports(definition: dict) -> set[int]:
    return {p["containerPort"] for p in definition["portMappings"]}


def test_only_ports_something_listens_on_are_published(examples):
    """OMERO's default transports are ssl and tcp (4064, 4063); with wss through the HTTPS load
    balancer they are ssl and wss, and 4063, where nothing listens, is not published."""
    plain = container(examples["quickstart-http"], "-omero-server")
    assert ports(plain) == {4063, 4064} and "CONFIG_omero_client_icetransports" not in environment(plain)
    wss = container(examples["tls-rw"], "-omero-server")
    assert environment(wss)["CONFIG_omero_client_icetransports"] == "ssl,wss"
    assert ports(wss) == {4064, 4066, 4067}  # 4067: the wss health responder
    read_only = container(examples["tls-rw-ro"], "-omero-server-ro-1")
    assert ports(read_only) == {4063, 4064}  # no wss there: OMERO's default transports


def test_plain_port_with_websockets_keeps_tcp(tmp_path):
    """The NLB's 4063 next to wss: Glacier2 listens on ssl, tcp and wss, so the 4063 target group's
    health check finds a listener."""
    from config import load
    from tests.harness.synth import EXAMPLES, synthesize

    nlb = "enabled       = true"
    text = (EXAMPLES / "tls-rw-nlb.hcl").read_text().replace(nlb, f"{nlb}\n  plain_port    = true")
    (tmp_path / "deployment.hcl").write_text(text)
    deployment = load(tmp_path / "deployment.hcl")
    assert deployment.server_load_balancer.plain_port and deployment.load_balancer.wss
    synth = synthesize(deployment, tmp_path / "cdktf.out")
    server = container(synth, "-omero-server")
    assert environment(server)["CONFIG_omero_client_icetransports"] == "ssl,tcp,wss"
    assert ports(server) == {4063, 4064, 4066, 4067}
    [service] = [s for s in synth.resources("services", "aws_ecs_service").values() if s["name"] == "omero-server"]
    assert sorted(b["container_port"] for b in service["load_balancer"]) == [4063, 4064, 4066]


@pytest.mark.parametrize(
    "text, fragment",
    [
        ('server { properties = { "omero.client.icetransports" = "tcp" } }', "with ssl among them"),
        ('server { properties = { "omero.client.icetransports" = "ssl,udp" } }', "with ssl among them"),
        (
            'server { properties = { "omero.client.icetransports" = "ssl,ws" } }\n'
            'server_load_balancer {\n enabled = true\n allowed_cidrs = ["192.0.2.0/24"]\n plain_port = true }',
            "nothing listens on 4063",
        ),
        ('server { properties = { "omero.ports.ssl" = "14064" } }', "set by this project"),
    ],
)
def test_transports_keep_what_the_load_balancers_reach(text, fragment):
    lines = [line for line in problems(text) if line.startswith(("server.properties:", "server.properties ="))]
    assert any(fragment in line for line in lines), lines


def test_transports_a_deployment_may_choose():
    deployment = loads(
        'name = "omero-test"\nserver { properties = { "omero.client.icetransports" = "ssl,tcp,ws" } }\n'
        'server_load_balancer {\n enabled = true\n allowed_cidrs = ["192.0.2.0/24"]\n plain_port = true }'
    )
    assert deployment.server.properties["omero.client.icetransports"] == "ssl,tcp,ws"
