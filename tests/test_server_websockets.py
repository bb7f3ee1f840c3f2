"""OMERO clients over wss through the HTTPS load balancer (load_balancer.websockets), from the JSON."""

from __future__ import annotations

import pytest

from config import ConfigError, loads
from modules.omero_config import config_variable
from modules.server_websockets import HEALTH_PORT, PATH, WSS_PORT
from tests.test_services import container, environment, services

TLS = ["tls-rw", "tls-rw-ro", "tls-rw-nlb"]


def wss_group(synth) -> tuple[str, dict]:
    [(key, group)] = [(k, g) for k, g in synth.resources("services", "aws_lb_target_group").items() if g["port"] == WSS_PORT]
    return key, group


@pytest.mark.parametrize("example", TLS)
def test_https_listener_forwards_omero_ws_to_the_read_write_server(examples, example):
    synth = examples[example]
    key, group = wss_group(synth)
    assert group["protocol"] == "HTTPS" and group["target_type"] == "ip"
    # Ice answers no plain HTTP on 4066: the health check asks the task's responder instead
    check = group["health_check"]
    assert (check["protocol"], check["port"], check["matcher"]) == ("HTTP", str(HEALTH_PORT), "200")
    # the websocket path's rule (the read-only OMERO.web pool, where there is one, has a host rule)
    [(rule_key, rule)] = [
        (k, r) for k, r in synth.resources("services", "aws_lb_listener_rule").items() if k.startswith("server_websockets_")
    ]
    assert rule["condition"][0]["path_pattern"]["values"] == [PATH, f"{PATH}/*"]
    assert rule["action"] == [{"target_group_arn": f"${{aws_lb_target_group.{key}.arn}}", "type": "forward"}]
    assert "aws_lb_listener.web_load_balancer_https_" in rule["listener_arn"]
    server = services(synth)["omero-server"]
    attached = [lb for lb in server["load_balancer"] if lb["container_port"] == WSS_PORT]
    assert attached == [
        {"container_name": "omero-server", "container_port": WSS_PORT, "target_group_arn": f"${{aws_lb_target_group.{key}.arn}}"}
    ]
    assert f"aws_lb_listener_rule.{rule_key}" in server["depends_on"]
    assert server["health_check_grace_period_seconds"] == 1800  # a schema upgrade is waited out
    domain = synth.deployment.load_balancer.domain_name
    assert synth.stack("services")["output"]["server_websocket_url"]["value"] == f"wss://{domain}{PATH}"


@pytest.mark.parametrize("example", TLS)
def test_only_the_read_write_server_listens_for_wss(examples, example):
    synth = examples[example]
    server = container(synth, "-omero-server")
    assert environment(server)[config_variable("omero.client.icetransports")] == "ssl,wss"
    ports = {p["containerPort"] for p in server["portMappings"]}
    assert {WSS_PORT, HEALTH_PORT} <= ports
    assert f" {WSS_PORT} {HEALTH_PORT} & " in server["command"][0]  # the health responder starts first
    for index in range(1, synth.deployment.server.read_only_count + 1):
        read_only = container(synth, f"-omero-server-ro-{index}")
        assert config_variable("omero.client.icetransports") not in environment(read_only)
        assert WSS_PORT not in {p["containerPort"] for p in read_only["portMappings"]}


@pytest.mark.parametrize("example", TLS)
def test_only_the_load_balancer_reaches_the_wss_ports(examples, example):
    synth = examples[example]
    groups = {g["name"]: f"${{aws_security_group.{k}.id}}" for k, g in synth.resources("services", "aws_security_group").items()}
    alb, server = (groups[n] for n in sorted(groups) if n.endswith(("-omero-alb", "-omero-server")))
    ingress = [
        r
        for r in synth.resources("services", "aws_vpc_security_group_ingress_rule").values()
        if r["security_group_id"] == server and r["from_port"] in (WSS_PORT, HEALTH_PORT)
    ]
    assert sorted((r["from_port"], r["referenced_security_group_id"]) for r in ingress) == [(WSS_PORT, alb), (HEALTH_PORT, alb)]
    assert not any(r.get("cidr_ipv4") for r in ingress)


def test_no_websockets_over_plain_http(examples):
    synth = examples["quickstart-http"]
    assert not synth.resources("services", "aws_lb_listener_rule")
    assert all(g["port"] != WSS_PORT for g in synth.resources("services", "aws_lb_target_group").values())
    assert config_variable("omero.client.icetransports") not in environment(container(synth, "-omero-server"))


def test_websockets_need_https_and_own_the_transport_setting():
    with pytest.raises(ConfigError) as caught:
        loads('name = "ws"\nload_balancer { websockets = true }\n', "ws.hcl")
    assert any(line.startswith("load_balancer.websockets") and "only with domain_name" in line for line in caught.value.lines)
    tls = 'name = "ws"\nload_balancer {\n domain_name = "omero.example.org"\n hosted_zone_id = "Z0123456789ABCDEFGHIJ"\n}\n'
    with pytest.raises(ConfigError) as caught:
        loads(tls + 'server { properties = { "omero.client.icetransports" = "ssl,tcp" } }\n', "ws.hcl")
    assert any("which load_balancer.websockets manages" in line for line in caught.value.lines)
    mine = loads(
        tls.replace("}\n", " websockets = false\n}\n", 1)
        + 'server { properties = { "omero.client.icetransports" = "ssl,tcp" } }\n'
    )
    assert not mine.load_balancer.wss and mine.server.properties == {"omero.client.icetransports": "ssl,tcp"}
