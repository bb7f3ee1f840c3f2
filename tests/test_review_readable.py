"""What a reviewer reads of a change: the synthesized diff and the plan report, on real synths."""

from __future__ import annotations

import json
import re

import pytest

from tests.harness.defaults import SERVER_UPGRADE
from tests.harness.synth import ROOT, Synthesis, synthesize
from tools import synth_diff
from tools.change_cost import cost_line
from tools.synthesized import load_tree


@pytest.fixture(scope="module")
def quickstart(examples) -> Synthesis:
    return examples["quickstart-http"]


def test_local_state_elsewhere_is_no_change(quickstart, tmp_path):
    """The same deployment synthesized with its local state in another directory: no change
    (``terraform_remote_state``'s ``config.path`` is relative to where the synth ran)."""
    elsewhere = synthesize(quickstart.deployment, tmp_path / "a" / "b" / "cdktf.out", local_state_dir=tmp_path / "state")
    diff = synth_diff.diff_trees(load_tree(quickstart.outdir), load_tree(elsewhere.outdir))
    assert [(s.name, s.status) for s in diff.stacks if s.status != "unchanged"] == []
    assert not diff.changed


# The quick start with a domain: HTTPS on the load balancer, secure cookies for OMERO.web, and
# OMERO.server reached over WebSockets (a new start step and port).
DOMAIN = """
load_balancer {
  domain_name    = "omero.example.org"
  hosted_zone_id = "Z0123456789ABCDEFGHIJ"
}
"""


@pytest.fixture(scope="module")
def with_domain(quickstart, tmp_path_factory) -> Synthesis:
    directory = tmp_path_factory.mktemp("with-domain")
    config = directory / "domain.hcl"
    config.write_text((ROOT / "examples" / "quickstart-http.hcl").read_text() + DOMAIN)
    return synthesize(config, directory / "cdktf.out")


def _domain_diff(quickstart: Synthesis, with_domain: Synthesis) -> synth_diff.TreeDiff:
    diff = synth_diff.diff_trees(load_tree(quickstart.outdir), load_tree(with_domain.outdir))
    diff.cost = cost_line(quickstart.deployment, with_domain.deployment)
    return diff


def test_adding_a_domain_reads_as_a_reviewer_needs(quickstart, with_domain):
    """Named variable changes, the start script's diff, the restart alert, the cost; no noise."""
    text = synth_diff.render_text(_domain_diff(quickstart, with_domain))
    lines = text.splitlines()
    # Variables by name: one added variable is one line, none renamed.
    assert '        container_definitions.omero-server.environment.CONFIG_omero_client_icetransports: (none) → "ssl,wss"' in lines
    assert (
        '        container_definitions.omero-web.environment.CONFIG_omero_web_session__cookie__secure: (none) → "true"' in lines
    )
    assert not any("environment[" in line or ".name: " in line for line in lines), text
    # Port mappings by container port, one line each: the WebSockets port and its health port.
    assert '        container_definitions.omero-server.portMappings.4066: (none) → "hostPort=4066 protocol=tcp"' in lines
    # The start script as a unified diff: the WebSockets health responder is added.
    script = lines.index("        container_definitions.omero-server.command[0]:")
    assert lines[script + 1].lstrip().startswith("@@ ")
    assert "            +class Health(http.server.BaseHTTPRequestHandler):" in lines
    assert not any("chars)" in line for line in lines), text  # no shortened long value
    # The restart alert, with the downtime and no schema upgrade (same image).
    [restart] = [line for line in lines if line.startswith("OMERO RESTART")]
    assert "aws_ecs_task_definition.server_task_" in restart and "stops the only read-write OMERO.server" in restart
    assert "up to 120 s" in restart and "no schema upgrade" in restart
    # The cost before and after.
    [cost] = [line for line in lines if line.startswith("COST: ")]
    money = r"\$[\d,]+(\.\.\$[\d,]+)?"
    assert re.match(rf"COST: monthly estimate {money} → {money} \((no change|[-+]{money}[^;]* a month);", cost), cost
    # Added rules and listeners say what they let in and where they send it.
    ingress = lines.index("  + aws_vpc_security_group_ingress_rule.security_groups_alb_443_0_in_5F91E5E6")
    assert lines[ingress + 1] == "        ingress: tcp port 443 from 0.0.0.0/0"
    https = lines.index("  + aws_lb_listener.web_load_balancer_https_4E3D7187")
    assert lines[https + 1] == "        HTTPS port 443"
    # No empty-value noise.
    assert not re.search(r'(: ""|: \[\]|: null|: \{\}) → |→ (""|\[\]|null|\{\})$', text, re.MULTILINE), text


def test_a_new_image_is_a_restart_with_a_schema_upgrade(quickstart):
    """The alert says whether the schema upgrades: it does when the server's image changes."""
    old = load_tree(quickstart.outdir)
    new = json.loads(json.dumps(old))
    services = next(stack for name, stack in new.items() if name.endswith("-services"))
    for body in services["resource"]["aws_ecs_task_definition"].values():
        containers = json.loads(body["container_definitions"])
        for container in containers:
            if container["name"] == "omero-server":
                container["image"] = SERVER_UPGRADE
        body["container_definitions"] = json.dumps(containers)
    [restart] = [a for a in synth_diff.diff_trees(old, new).alerts if a.level == "OMERO RESTART"]
    assert f"{SERVER_UPGRADE}), so the new server upgrades the database schema as it starts" in restart.message


def _plan_entry(address: str, actions: list[str], before: dict | None, after: dict | None) -> dict:
    """One resource change as ``terraform show -json`` writes it."""
    type_, _, name = address.partition(".")
    return {
        "address": address,
        "mode": "managed",
        "type": type_,
        "name": name,
        "change": {"actions": actions, "before": before, "after": after, "after_unknown": {}, "replace_paths": []},
    }


def test_the_plan_report_reads_the_same(quickstart, with_domain):
    """The plan path (terraform show -json) renders the same details: a plan whose before and after
    are the two synths' task definitions (Terraform replaces a task definition on any change), the
    new HTTPS ingress from the world and a rule from one facility network."""
    from tools.plan.report import analyze, render_markdown, render_text

    def body(synthesis: Synthesis, address: str) -> dict:
        type_, _, name = address.partition(".")
        found = synthesis.stack("services")["resource"][type_][name]
        return {k: v for k, v in found.items() if k != "//"}

    server = "aws_ecs_task_definition.server_task_93E23BD0"
    web = "aws_ecs_task_definition.web_task_ACDD21F9"
    https = "aws_vpc_security_group_ingress_rule.security_groups_alb_443_0_in_5F91E5E6"
    plan = {
        "resource_changes": [
            _plan_entry(server, ["delete", "create"], body(quickstart, server), body(with_domain, server)),
            _plan_entry(web, ["delete", "create"], body(quickstart, web), body(with_domain, web)),
            _plan_entry(https, ["create"], None, body(with_domain, https)),
            _plan_entry(
                "aws_vpc_security_group_ingress_rule.facility",
                ["create"],
                None,
                {"cidr_ipv4": "192.0.2.0/24", "from_port": 443, "to_port": 443, "ip_protocol": "tcp"},
            ),
        ]
    }
    stack = analyze("omero-quick-services", plan, with_domain.stack("services"))
    cost = cost_line(quickstart.deployment, with_domain.deployment)
    text = render_text([stack], "Plan of the quick start with a domain", cost)
    lines = text.splitlines()
    assert f"COST: {cost}" in lines
    assert {a.level for a in stack.alerts} == {"OMERO RESTART", "WORLD INGRESS", "INGRESS"}, stack.alerts
    [ingress] = [a.message for a in stack.alerts if a.level == "INGRESS"]
    assert ingress == "aws_vpc_security_group_ingress_rule.facility lets 192.0.2.0/24 in on 443-443"
    assert '        container_definitions.omero-server.environment.CONFIG_omero_client_icetransports: (none) → "ssl,wss"' in lines
    assert "        container_definitions.omero-server.command[0]:" in lines
    assert "            +class Health(http.server.BaseHTTPRequestHandler):" in lines
    assert "        ingress: tcp port 443 from 0.0.0.0/0" in lines
    assert not any("environment[" in line or "chars)" in line for line in lines), text
    assert not re.search(r'(: ""|: \[\]|: null) → |→ (""|\[\]|null)$', text, re.MULTILINE), text
    markdown = render_markdown([stack], "Plan", cost)
    assert f"**Cost:** {cost}" in markdown and "> **OMERO RESTART**" in markdown


def test_plan_gives_the_cost_before_and_after():
    """``plan`` prices the file as it is at the base revision and on disk; with no base, after only."""
    from tools.plan.review import cost_of_change

    example = ROOT / "examples" / "quickstart-http.hcl"
    assert re.match(r"monthly estimate \$[\d,]+\.\.\$[\d,]+ → \$[\d,]+\.\.\$[\d,]+ \(no change;", cost_of_change(example, "HEAD"))
    assert cost_of_change(example, None).startswith("monthly estimate $")
    assert "once applied" in cost_of_change(example, None)


def test_a_changed_policy_is_a_unified_diff():
    """An IAM policy held in a string is compared as indented JSON, a line per action."""
    from tools.plan.report import attribute_changes

    def policy(*actions: str) -> str:
        return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}]})

    change = {
        "before": {"policy": policy("s3:GetObject"), "name": "read"},
        "after": {"policy": policy("s3:GetObject", "s3:PutObject"), "name": "read"},
        "after_unknown": {},
    }
    lines = attribute_changes(change)
    assert lines[0] == "policy:"
    assert lines[1].startswith("    @@ ") and '    +        "s3:PutObject"' in lines, lines


def test_replacing_the_servers_service_is_a_restart(quickstart):
    """A plan that replaces the read-write server's ECS service stops OMERO; the web's does not."""
    from tools.plan.report import analyze

    services = quickstart.stack("services")["resource"]["aws_ecs_service"]
    plan = {
        "resource_changes": [
            _plan_entry(f"aws_ecs_service.{name}", ["delete", "create"], {k: v for k, v in body.items() if k != "//"}, None)
            for name, body in services.items()
        ]
    }
    alerts = analyze("omero-quick-services", plan, quickstart.stack("services")).alerts
    assert [a.message.split(" ")[0] for a in alerts if a.level == "OMERO RESTART"] == ["aws_ecs_service.server_service_2F405F39"]
    assert "stopping OMERO" in alerts[0].message
