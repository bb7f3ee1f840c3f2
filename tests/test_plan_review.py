"""Plan review (tools/plan/, pipenv run plan): the real terraform plan of each stack, read for a reviewer.

The reviews of three versions of the quick start against its applied state (exit 0, 1 and 3) are
in tests/test_quickstart_on_emulator.py, beside the other tests that read that one apply.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.harness.synth import ROOT
from tools.plan.report import MARKDOWN_LIMIT, ResourceChange, StackPlan, analyze, attribute_changes, render_markdown, render_text
from tools.plan.review import applicable_plans, exit_code, review, write_reports

REGION = "eu-west-1"


def test_bad_config_exits_2_with_the_loaders_message(tmp_path):
    bad = tmp_path / "bad.hcl"
    bad.write_text('name = "x"\nweb { min_tasks = 1 }\n')
    run = subprocess.run(
        [sys.executable, "-m", "tools.plan", "--config", str(bad)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 2, run.stderr
    assert "web.min_tasks" in run.stderr and "Traceback" not in run.stderr


def test_sensitive_and_write_only_values_never_show():
    change = {
        "before": {"auth_token": "tok-before-123456", "node_type": "cache.t4g.micro", "secret_string_wo": None},
        "after": {"auth_token": "tok-after-6543210", "node_type": "cache.t4g.small", "secret_string_wo": None},
        "before_sensitive": {"auth_token": True},
        "after_sensitive": {"auth_token": True},
        "after_unknown": {},
    }
    lines = attribute_changes(change)
    assert lines == ["auth_token: (redacted) → (redacted)", 'node_type: "cache.t4g.micro" → "cache.t4g.small"']


def test_a_plan_that_only_adds_outputs_is_a_change_the_next_stacks_wait_for():
    """A stack whose plan adds outputs and nothing else (cdktf's cross-stack references are
    outputs: a stack after it reads them) is changed: exit status 1, pending for the stacks after
    it, and its status says so."""
    plan = {
        "resource_changes": [{"address": "aws_vpc.vpc", "mode": "managed", "type": "aws_vpc", "change": {"actions": ["no-op"]}}],
        "output_changes": {
            "cross-stack-output-aws_vpcnetwork_vpc_4E8F0223cidr_block": {"actions": ["create"]},
            "vpc_id": {"actions": ["no-op"]},
        },
    }
    network = analyze("lab-network", plan, {})
    assert network.outputs == ["cross-stack-output-aws_vpcnetwork_vpc_4E8F0223cidr_block"]
    assert network.changed and not network.resources and exit_code([network]) == 1
    assert applicable_plans([network]) == {"lab-network": "review.tfplan"}
    text = render_text([network], "Plan")
    assert "== lab-network: no resource changes; 1 outputs to add, change or remove (stacks after it may read them)" in text
    assert analyze("lab-network", {**plan, "output_changes": {}}, {}).changed is False


def test_markdown_stays_under_the_comment_limit():
    many = [ResourceChange(f"aws_s3_object.o{i}", "change", [f"body: {'x' * 90!r} → {'y' * 90!r}"] * 20) for i in range(200)]
    stacks = [StackPlan(f"omero-big-s{n}", resources=list(many)) for n in range(5)]
    text = render_markdown(stacks, "big")
    assert len(text) <= MARKDOWN_LIMIT
    assert "left out to fit a comment" in text and "report.md" in text


def reviewed(applied, emulator, tmp_path, deployment=None, *, keep_plans: bool = False):
    """The review of ``deployment`` (default: the applied one) against what is applied, and its
    reports in every format (``keep_plans``: each stack's plan and its JSON too, as ``--out`` keeps)."""
    base, state_dir = applied
    deployment = deployment or base
    environ = {**emulator.env(REGION), "PATH": __import__("os").environ["PATH"], "HOME": str(tmp_path)}
    out = tmp_path / "out" if keep_plans else None
    plans = review(deployment, workdir=tmp_path, environ=environ, local_state_dir=state_dir, out=out)
    code = exit_code(plans)
    write_reports(plans, f"Plan of {deployment.name}", code, tmp_path / "out")
    reports = {kind: (tmp_path / "out" / f"report.{kind}").read_text() for kind in ("txt", "md", "json")}
    return plans, code, reports


def _plan(after: dict, unknown: dict | None = None, actions=("update",)) -> dict:
    return {
        "resource_changes": [
            {
                "address": "aws_ecs_service.web",
                "mode": "managed",
                "type": "aws_ecs_service",
                "change": {"actions": list(actions), "after": after, "after_unknown": unknown or {}},
            }
        ]
    }


def test_a_fresh_plan_that_makes_the_reviewed_changes_may_be_applied():
    from tools.plan.compare import differences

    assert differences(_plan({"desired_count": 2}), _plan({"desired_count": 2})) == []
    # what the reviewer saw as known after apply may be known now (an upstream stack was applied)
    assert differences(_plan({"tags_all": None}, {"tags_all": True}), _plan({"tags_all": {"Name": "web"}})) == []


def test_a_fresh_plan_that_does_anything_else_is_refused():
    from tools.plan.compare import differences, main

    assert differences(_plan({"desired_count": 2}), _plan({"desired_count": 3})) == [
        "aws_ecs_service.web: other values than reviewed for desired_count"
    ]
    assert differences(_plan({"desired_count": 2}), _plan({"desired_count": 2}, actions=("delete", "create"))) == [
        "aws_ecs_service.web: reviewed update, now delete/create"
    ]
    assert differences({"resource_changes": []}, _plan({})) == [
        "aws_ecs_service.web: planned now (update), not in the reviewed plan"
    ]
    assert main(["/nonexistent/reviewed.json", "/nonexistent/fresh.json"]) == 2


@pytest.mark.emulator
@pytest.mark.terraform
def test_rehearsed_plan_of_a_file_new_since_the_base_is_all_adds(tmp_path):
    """--rehearse --base HEAD for a deployment file HEAD does not have: nothing is applied first,
    and every stack of the working tree's file is planned as new, on an emulator of its own."""
    import os

    from tools.plan.rehearsal import rehearsed_review

    config = ROOT / f".plan-review-new-{os.getpid()}.hcl"  # inside the repository, never committed
    config.write_text('name = "omero-new"\nregion = "eu-west-1"\n')
    lines: list[str] = []
    try:
        plans = rehearsed_review(config, "HEAD", tmp_path, timeout=600, out=None, log=lines.append)
    finally:
        config.unlink()
    assert any("does not exist at HEAD" in line for line in lines)
    assert [p.name for p in plans] == [f"omero-new-{s}" for s in ("network", "storage", "backup", "services")]
    # The first stack is planned whole; the others read the outputs of stacks still to be created,
    # so each is planned again once those are applied on the emulator: every stack shows its adds.
    assert plans[0].resources and all(r.action == "add" for p in plans for r in p.resources)
    assert all(p.resources and not p.waiting for p in plans), [(p.name, p.error) for p in plans]
    assert all(p.emulated for p in plans[1:]) and any("applying omero-new-network" in line for line in lines)
    assert exit_code(plans) == 1
