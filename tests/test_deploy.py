"""pipenv run deploy and destroy (tools/deploying.py, tools/progress.py), and the local-state note.

The progress line is read from recordings of real ``terraform apply -json`` runs (tests/fixtures:
the network stack of an existing-VPC deployment applied to the emulator; Terraform's built-in
``terraform_data`` updated and replaced, and failing in a provisioner). End to end, on the
session's emulator: the network stack of an existing-VPC deployment (only its flow logs, the
smallest stack that proves it) is deployed by the command without a terminal (--auto-approve),
then destroyed by it.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import main
from config import load
from tests.conftest import EXAMPLES, ROOT
from tests.harness.apply import aws
from tests.test_emulator import existing_network
from tools.common import ToolError
from tools.deploying import Outcome, _parse, next_steps, plan_summary, refusal, selected, selection_notes, verifies, verify_argv
from tools.deployment import Stack, in_dependency_order, read_stacks
from tools.progress import CLEAR_LINE, Applying, Console

FIXTURES = ROOT / "tests" / "fixtures"


def recorded(name: str) -> list[str]:
    return (FIXTURES / name).read_text().splitlines()


def command(tool: str, *args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    """A command as an operator runs it, without a terminal (stdin is not a TTY)."""
    env = {k: v for k, v in os.environ.items() if k not in ("OMERO_CONFIG", "AWS_ENDPOINT_URL", "CDKTF_OUTDIR")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", f"tools.{tool}", *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# --- the progress line ----------------------------------------------------------------------


def test_progress_of_a_recorded_apply_counts_each_resource_once_complete():
    lines = recorded("terraform-apply-network.jsonl")
    applying = Applying("omero-shared-network", started=100.0)
    applying.feed(lines[0])  # the version message: nothing planned yet
    assert applying.line(now=103.0) == "omero-shared-network starting, 3 s"
    fed = 1
    for line in lines[fed:]:
        applying.feed(line)
        fed += 1
        if '"type":"apply_start"' in line:
            break
    # four resources to create and a data source read during the apply, none done yet
    assert (applying.done, applying.total) == (0, 5)
    for line in lines[fed:]:
        applying.feed(line)
    assert applying.line(now=165.0) == "omero-shared-network 5/5 resources, 1 min 05 s"
    assert applying.summary == "Apply complete! Resources: 4 added, 0 changed, 0 destroyed."
    assert applying.errors == [] and not applying.other


def test_a_replaced_resource_is_done_once_created_again():
    applying = Applying("stack")
    for line in recorded("terraform-apply-replace.jsonl"):
        applying.feed(line)
        if "terraform_data.c: Destruction complete" in line:
            # b's update and c's replacement planned; c is destroyed but not created yet
            assert applying.planned == {"terraform_data.b": 1, "terraform_data.c": 2}
            assert applying.done == 0
    assert (applying.done, applying.total) == (2, 2)


def test_a_failed_apply_says_what_failed():
    applying = Applying("stack")
    for line in recorded("terraform-apply-failed.jsonl") + ["not JSON: a warning on stderr"]:
        applying.feed(line)
    assert (applying.done, applying.total) == (1, 2)
    assert applying.errors[0] == "terraform_data.broken: Creation errored after 0s"
    assert applying.errors[1].startswith("Error: local-exec provisioner error: Error running command 'exit 3': exit status 3")
    assert list(applying.other) == ["not JSON: a warning on stderr"]


def test_on_a_terminal_the_progress_line_is_rewritten_in_place():
    stream = io.StringIO()
    console = Console(stream, tty=True)
    console.status("applying: a 1/4 resources, 3 s")
    console.status("applying: a 2/4 resources, 4 s")
    console.log("b: applied in 10 s")  # a whole line goes above the progress line, which stays
    console.status("")
    assert stream.getvalue() == (
        "applying: a 1/4 resources, 3 s"
        f"{CLEAR_LINE}applying: a 2/4 resources, 4 s"
        f"{CLEAR_LINE}b: applied in 10 s\napplying: a 2/4 resources, 4 s"
        f"{CLEAR_LINE}"
    )


def test_off_a_terminal_a_progress_line_every_n_seconds():
    now = [0.0]
    stream = io.StringIO()
    console = Console(stream, tty=False, every=30, clock=lambda: now[0])
    for second in range(0, 95, 1):
        now[0] = float(second)
        console.status(f"applying: a, {second} s")
    assert stream.getvalue().splitlines() == ["applying: a, 0 s", "applying: a, 30 s", "applying: a, 60 s", "applying: a, 90 s"]


@pytest.mark.parametrize("typed, answer", [("y\n", True), ("yes\n", True), ("\n", False), ("n\n", False), ("Y\n", True)])
def test_the_question_is_answered_on_the_terminal(typed, answer):
    leader, follower = os.openpty()  # a real terminal: the prompt reads a line from it
    with os.fdopen(follower, "r") as terminal:
        os.write(leader, typed.encode())
        stream = io.StringIO()
        assert Console(stream, tty=True).ask("Apply this plan to x?", threading.Event(), terminal) is answer
    os.close(leader)
    assert stream.getvalue() == "Apply this plan to x? [y/N] "


def test_the_plan_and_its_question_are_one_block():
    """Another stack's line waits until the question shown after a plan is answered."""
    leader, follower = os.openpty()
    stream = io.StringIO()
    console = Console(stream, tty=True)
    with os.fdopen(follower, "r") as terminal:
        asked = threading.Thread(
            target=console.ask, args=("Apply this plan to a?", threading.Event(), terminal), kwargs={"before": "plan of a"}
        )
        asked.start()
        while "[y/N]" not in stream.getvalue():
            threading.Event().wait(0.01)
        other = threading.Thread(target=console.log, args=("b: applied in 3 s",))
        other.start()
        other.join(0.3)
        assert other.is_alive()  # held back while the question waits
        os.write(leader, b"y\n")
        asked.join(5)
        other.join(5)
    os.close(leader)
    assert stream.getvalue() == "plan of a\nApply this plan to a? [y/N] b: applied in 3 s\n"


def test_a_question_waiting_is_given_up_on_ctrl_c():
    leader, follower = os.openpty()
    stopping = threading.Event()
    threading.Timer(0.3, stopping.set).start()
    with os.fdopen(follower, "r") as terminal:
        assert Console(io.StringIO(), tty=True).ask("Apply?", stopping, terminal) is None
    os.close(leader)


# --- the plan shown, the stacks chosen, the refusals, the last block ------------------------


def test_the_plan_summary_counts_and_alerts():
    plan = json.loads((FIXTURES / "terraform-plan.json").read_text())
    stack = Stack("omero-x-services", "services", Path("."), [], None, {})  # type: ignore[arg-type]
    assert plan_summary(stack, plan) == ["== omero-x-services: 1 to add, 1 to change, 0 to destroy, 1 to replace"]
    # a new rule open to the world is one of the review's alerts
    rule = {
        "address": "aws_vpc_security_group_ingress_rule.web",
        "mode": "managed",
        "type": "aws_vpc_security_group_ingress_rule",
        "name": "web",
        "change": {
            "actions": ["create"],
            "before": None,
            "after": {"cidr_ipv4": "0.0.0.0/0", "from_port": 80},
            "after_unknown": {},
        },
    }
    lines = plan_summary(stack, {**plan, "resource_changes": plan["resource_changes"] + [rule]})
    assert lines[0] == "== omero-x-services: 2 to add, 1 to change, 0 to destroy, 1 to replace"
    assert lines[1].startswith("   WORLD INGRESS: ") and "aws_vpc_security_group_ingress_rule.web" in lines[1]


def test_stacks_are_chosen_by_role_or_name(examples):
    stacks = read_stacks(examples["quickstart-http"].outdir)
    assert [s.name for s in selected(stacks, "services,omero-quick-network", "omero-quick")] == [
        "omero-quick-network",
        "omero-quick-services",
    ]
    with pytest.raises(ToolError, match=r"no stack netwrk in omero-quick \(its stacks: network, storage, backup, services\)"):
        selected(stacks, "netwrk", "omero-quick")
    chosen = selected(stacks, "storage", "omero-quick")
    assert selection_notes(stacks, chosen, destroy=False) == [
        "note: omero-quick-storage reads omero-quick-network, not in --stacks: it must be applied already"
    ]
    assert selection_notes(stacks, chosen, destroy=True) == [
        "note: omero-quick-backup, omero-quick-services needs omero-quick-storage and is not in --stacks: "
        "if it is deployed, destroy it first"
    ]


def test_what_refuses_destroy_is_kept_with_what_it_needs(examples):
    """The quick start as synthesized: every stack refuses (what OMERO keeps, a new VPC, the load
    balancer's deletion protection); without that protection the services stack goes, the rest stays."""
    from tools.deploying import destroy_skip

    stacks = read_stacks(examples["quickstart-http"].outdir)
    reasons = {s.role: refusal(s) for s in stacks}
    assert "aws_db_instance" in reasons["storage"] and "aws_efs_file_system" in reasons["storage"]
    assert "aws_subnet, aws_vpc" in reasons["network"]
    assert "aws_backup_vault" in reasons["backup"]
    assert reasons["services"] == (
        "its load balancer has deletion protection: set load_balancer.deletion_protection = false and deploy first"
    )
    services = next(s for s in stacks if s.role == "services")
    unprotected = dict(services.json, resource=dict(services.json["resource"]))
    unprotected["resource"]["aws_lb"] = {
        k: {**v, "enable_deletion_protection": False} for k, v in unprotected["resource"]["aws_lb"].items()
    }
    stacks = [dataclasses.replace(s, json=unprotected) if s is services else s for s in stacks]
    refusals = {s.name: why for s in stacks if (why := refusal(s))}
    ran: list[str] = []
    outcomes = in_dependency_order(
        stacks, lambda s: ran.append(s.name) or Outcome(s.name, "destroyed"), workers=2, reverse=True, skip=destroy_skip(refusals)
    )
    assert ran == ["omero-quick-services"]
    by_name = {o.name: o for o in outcomes}
    assert by_name["omero-quick-storage"].summary.startswith("it refuses destroy: prevent_destroy on its ")
    assert by_name["omero-quick-network"].action == "kept"


def test_the_last_block_says_where_to_log_in_and_what_to_run():
    deployment = load(EXAMPLES["quickstart-http"])
    arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:omero-quick/omero/root-password-AbCdEf"
    outputs = {"web_url": "http://omero-quick-web-1.eu-west-1.elb.amazonaws.com", "root_password_secret_arn": arn}
    outcomes = [Outcome("omero-quick-network", "unchanged"), Outcome("omero-quick-services", "applied", outputs=outputs)]
    block = next_steps(deployment, outcomes, config=Path("lab.hcl"))
    assert block[0] == "Deployed omero-quick: omero-quick-network unchanged, omero-quick-services applied."
    assert "  1. OMERO.web: http://omero-quick-web-1.eu-west-1.elb.amazonaws.com" in block[3]
    assert block[5] == (
        f"       aws secretsmanager get-secret-value --region eu-west-1 --secret-id {arn} --query SecretString --output text"
    )
    assert block[6] == "  3. Check that it is up: pipenv run verify --config lab.hcl --wait 900"
    on_emulator = next_steps(deployment, outcomes, config=Path("lab.hcl"), endpoint="http://127.0.0.1:5000")
    assert "aws --endpoint-url http://127.0.0.1:5000 secretsmanager" in on_emulator[5]
    assert on_emulator[6].endswith("verify --config lab.hcl --endpoint http://127.0.0.1:5000 --wait 900")

    failed = [Outcome("omero-quick-network", "applied"), Outcome("omero-quick-storage", "declined", error="not confirmed")]
    assert next_steps(deployment, failed, config=Path("lab.hcl")) == [
        "Not deployed:",
        "  omero-quick-storage: declined: not confirmed",
        "Fix what is named, then run pipenv run deploy --config lab.hcl again (applied stacks show no changes).",
    ]


def test_deploy_ends_with_verify_once_the_services_are_deployed():
    deployment = load(EXAMPLES["quickstart-http"])
    network, services = Outcome("omero-quick-network", "applied"), Outcome("omero-quick-services", "applied")
    options = _parse(["--config", "lab.hcl"], destroy=False)
    assert verifies(options, deployment, [network, services])
    assert verify_argv(options, Path("lab.hcl")) == ["--config", "lab.hcl", "--wait", "900.0"]
    assert not verifies(options, deployment, [network]), "with --stacks short of the services there is nothing to judge"
    failed = Outcome("omero-quick-services", "failed", error="apply failed")
    assert not verifies(options, deployment, [network, failed]), "a failed stack is reported, not verified"
    skipped = _parse(["--verify-wait", "-1"], destroy=False)
    assert not verifies(skipped, deployment, [network, services])
    emulated = _parse(["--endpoint", "http://127.0.0.1:5000", "--verify-wait", "0", "--outdir", "out"], destroy=False)
    assert verify_argv(emulated, Path("lab.hcl")) == [
        "--config",
        "lab.hcl",
        "--wait",
        "0.0",
        "--outdir",
        "out",
        "--endpoint",
        "http://127.0.0.1:5000",
    ]
    assert not hasattr(_parse([], destroy=True), "verify_wait"), "destroy has nothing to verify"


# --- the command ----------------------------------------------------------------------------


def test_without_a_terminal_it_refuses_unless_auto_approve(tmp_path):
    ran = command("deploy", "--config", str(EXAMPLES["quickstart-http"]), "--outdir", str(tmp_path / "out"), cwd=tmp_path)
    assert ran.returncode == 2 and ran.stdout == ""
    assert ran.stderr == (
        "error: no terminal to confirm the plans on: run it in a terminal, or pass --auto-approve to apply them unasked\n"
    )
    assert not (tmp_path / "out").exists()  # refused before anything was synthesized
    bad = command(
        "destroy",
        "--auto-approve",
        "--endpoint",
        "http://10.0.0.1:4566",
        "--config",
        str(EXAMPLES["quickstart-http"]),
        cwd=tmp_path,
        timeout=300,
    )
    assert bad.returncode == 2 and "must be http://127.0.0.1:PORT" in bad.stderr and "Traceback" not in bad.stderr


def test_a_synth_without_a_state_bucket_says_where_the_state_is(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("AWS_ENDPOINT_URL", "CI")}
    env.update(OMERO_CONFIG=str(EXAMPLES["quickstart-http"]), CDKTF_OUTDIR=str(tmp_path / "out"), PYTHONPATH=str(ROOT))
    ran = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--quiet"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stderr.splitlines() == [
        f"note: omero-quick has no state.bucket: each stack's Terraform state is a local file "
        f"terraform.omero-quick-<stack>.tfstate in {tmp_path.resolve()} (git-ignored: keep them safe, or set "
        "state.bucket; docs/deploying.md#where-state-lives)"
    ]
    assert main.local_state_note(load(EXAMPLES["tls-rw-ro"]), tmp_path) is None  # state in S3


@pytest.mark.emulator
@pytest.mark.terraform
def test_deploy_and_destroy_on_the_emulator(emulator, examples, tmp_path):
    """The network stack of an existing-VPC deployment (its flow logs) deployed by the command
    unasked, with its plan, progress and last block; then destroyed by it, the VPC left alone."""
    region = examples["existing-vpc"].deployment.region
    ids = existing_network(emulator, region)
    config = tmp_path / "shared.hcl"
    text = EXAMPLES["existing-vpc"].read_text()
    for old, new in (
        ('"vpc-0a1b2c3d4e5f60718"', json.dumps(ids["vpc_id"])),
        ('["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"]', json.dumps(ids["public_subnet_ids"])),
        ('["subnet-0a1b2c3d4e5f60011", "subnet-0a1b2c3d4e5f60012"]', json.dumps(ids["private_subnet_ids"])),
    ):
        assert old in text
        text = text.replace(old, new)
    config.write_text(text)
    arguments = (
        "--config",
        str(config),
        "--outdir",
        str(tmp_path / "out"),
        "--endpoint",
        emulator.endpoint,
        "--stacks",
        "network",
    )
    deployed = command("deploy", *arguments, "--auto-approve", "--progress-every", "1", cwd=tmp_path, timeout=900)
    assert deployed.returncode == 0, deployed.stdout[-4000:] + deployed.stderr[-2000:]
    out = deployed.stdout
    assert "Terraform will perform the following actions:" in out  # terraform show of the saved plan
    assert "\n== omero-shared-network: 4 to add, 0 to change, 0 to destroy, 0 to replace\n" in out
    assert re.search(r"^applying: omero-shared-network (starting|\d/5 resources), \d+ s$", out, re.M), out
    assert re.search(
        r"^omero-shared-network: applied in .*: Apply complete! Resources: 4 added, 0 changed, 0 destroyed\.$", out, re.M
    )
    assert "deploy the other stacks too: pipenv run deploy --config" in out
    state_dir = (tmp_path / "out" / "local-state").resolve()
    assert [line for line in deployed.stderr.splitlines() if line.startswith("note: ")] == [
        main.local_state_note(load(config), state_dir)
    ]
    ec2 = aws(emulator, "ec2", region)
    flows = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [ids["vpc_id"]]}])["FlowLogs"]
    assert len(flows) == 1 and flows[0]["TrafficType"] == "REJECT"

    destroyed = command("destroy", *arguments, "--auto-approve", cwd=tmp_path, timeout=900)
    assert destroyed.returncode == 0, destroyed.stdout[-4000:] + destroyed.stderr[-2000:]
    assert "note: omero-shared-storage, omero-shared-services needs omero-shared-network" in destroyed.stdout
    assert "\n== omero-shared-network: 0 to add, 0 to change, 4 to destroy, 0 to replace\n" in destroyed.stdout
    assert "  omero-shared-network: destroyed in " in destroyed.stdout
    assert not ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [ids["vpc_id"]]}])["FlowLogs"]
    assert ec2.describe_vpcs(VpcIds=[ids["vpc_id"]])["Vpcs"]  # only read, never destroyed
