"""Deploy a deployment with one command: every stack in dependency order, each plan shown and
confirmed, and the saved plan applied exactly as it was shown.

    pipenv run deploy  [--config FILE] [--auto-approve] [--jobs N] [--stacks ROLE,...] [--endpoint URL]
    pipenv run destroy [--config FILE] [--auto-approve] [--jobs N] [--stacks ROLE,...] [--endpoint URL]

The deployment (``--config``, else ``$OMERO_CONFIG``, else the default) is synthesized into
``--outdir`` (default ``$CDKTF_OUTDIR`` or ``cdktf.out``) as ``pipenv run synth`` does, local state
where the command runs. Then each stack, as soon as the stacks it needs are applied and at most
``--jobs`` at once (the scheduler of ``pipenv run rehearse``, ``tools.deployment.in_dependency_order``):
``terraform init`` with the stack's backend as synthesized, ``terraform plan -out``, the plan shown
(``terraform show``, and a summary with the review's alerts, ``tools.plan.report``), a y/N question
on the terminal, ``terraform apply`` of that saved plan, with a live progress line (resources done
of planned, from ``terraform apply -json``; elapsed time). A stack whose plan has no changes is not
asked about; a stack declined or failed stops the stacks that need it. The last block says what to
do next: the OMERO.web URL, the first login, ``pipenv run verify``; once the services stack is
deployed, deploy runs that too (``python -m tools.verify``, waiting ``--verify-wait`` seconds) and
ends with its exit status.
With an add-on whose servers fetch pinned artifacts from the deployment's artifacts bucket (zarr),
deploy stages them (``pipenv run artifacts stage``: downloaded, or taken from ``--artifacts-from
DIR``, each checked against its sha256) right before the services stack; a file that is not the
pinned one fails the services stack before its plan.

``destroy`` goes the other way: each stack once the stacks that need it are destroyed, with
``plan -destroy``. A stack that refuses destroy is kept and said so, before anything runs: what
OMERO keeps has ``prevent_destroy`` (storage, backup, the state bucket, a new VPC's network), and
a load balancer with deletion protection cannot go; the stacks such a stack needs are kept too.

Without a terminal the questions cannot be asked: the command refuses to start unless
``--auto-approve``. On real AWS Terraform uses this environment's credentials and its usual
provider installation (the registry, or your CLI configuration). ``--endpoint
http://127.0.0.1:PORT`` deploys to a local AWS API emulator instead (``python -m emulator.server``;
loopback only), as ``rehearse --endpoint`` does: synthesized in emulator mode, state in
``<outdir>/local-state``, the emulator's fake credentials, the provider from the local filesystem
mirror. Exit status: 0 when every stack is applied (or destroyed, or kept because it refuses), 1
when one failed or was declined, 2 for bad input or a missing tool, 130 when interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from config import config_path
from config.artifacts import staged_artifacts
from emulator import FAKE_CREDENTIALS, with_hosted_zone
from main import local_state_note, synthesize
from tools import terraform
from tools.artifact_staging import InputError, StageError, stage
from tools.common import Parser, ToolError, last_error
from tools.deployment import Stack, applied_state, in_dependency_order, load_deployment, read_stacks
from tools.on_emulator import attach, check_tools, emulator_terraform, operator_setup, synthesize_for_emulator
from tools.plan.report import analyze
from tools.progress import Applying, Console, Ticker, elapsed, stream_json
from tools.terraform import Bounded

COMMAND_TIMEOUT = 3600.0  # seconds per terraform command: a Multi-AZ database takes its time
PLAN_FILE = "deploy.tfplan"
STATEFUL_DOC = "docs/deploying.md#really-deleting-a-deployment"


@dataclass
class Outcome:
    """What happened to one stack."""

    name: str
    action: str  # applied, unchanged, declined, failed, skipped, destroyed, kept
    seconds: float = 0.0
    summary: str = ""  # Terraform's change summary, or why it was kept
    outputs: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.action in ("applied", "unchanged", "destroyed")


@dataclass
class Run:
    """One deploy or destroy: how to run terraform and where to talk to the operator."""

    tf: Bounded
    console: Console
    timeout: float
    auto_approve: bool
    destroy: bool = False
    stopping: threading.Event = field(default_factory=threading.Event)
    applying: dict[str, Applying] = field(default_factory=dict)  # stacks applying now
    # Run before a stack is planned: an error (the stack fails with it) or None (see staging_step).
    before: Callable[[Stack], str | None] | None = None

    def progress(self) -> str:
        now = time.monotonic()
        busy = list(self.applying.copy().values())  # a copy: other threads add and remove
        return ("destroying: " if self.destroy else "applying: ") + " · ".join(a.line(now) for a in busy) if busy else ""


# --- one stack ------------------------------------------------------------------------------


def plan_stack(run: Run, stack: Stack) -> tuple[str, str, dict] | Outcome:
    """init and ``plan -out``: the plan's text and JSON, "changes" or "none"; or the failure."""
    init = run.tf(stack.directory, "init", "-input=false", "-no-color", timeout=run.timeout)
    if init.returncode != 0:
        return failed(stack, "terraform init", init)
    args = ["plan", "-input=false", "-no-color", "-detailed-exitcode", f"-out={PLAN_FILE}"]
    planned = run.tf(stack.directory, *args, *(["-destroy"] if run.destroy else []), timeout=run.timeout)
    if planned.returncode not in (0, 2):
        return failed(stack, "terraform plan", planned)
    if planned.returncode == 0:
        return "none", "", {}
    text = run.tf(stack.directory, "show", "-no-color", PLAN_FILE, timeout=run.timeout)
    shown = run.tf(stack.directory, "show", "-json", PLAN_FILE, timeout=run.timeout)
    if text.returncode != 0 or shown.returncode != 0:
        return failed(stack, "terraform show", text if text.returncode else shown)
    return "changes", text.stdout, json.loads(shown.stdout)


def failed(stack: Stack, what: str, result) -> Outcome:
    return Outcome(
        stack.name, "failed", error=f"{what}: {last_error(result.stderr or result.stdout)}", detail=result.stderr[-3000:]
    )


def plan_summary(stack: Stack, plan: dict) -> list[str]:
    """The plan in a few lines: counts, then the review's alerts (what OMERO keeps, world ingress,
    IAM, OMERO images), as ``pipenv run plan`` reports them."""
    review = analyze(stack.name, plan, stack.json)
    lines = [f"== {stack.name}: {review.counts() if review.resources else 'no resource changes'}"]
    lines += [f"   {alert.level}: {alert.message}" for alert in review.alerts]
    return lines


def approved(run: Run, stack: Stack, text: str, plan: dict) -> bool | None:
    """Show the plan; the operator's answer (True with --auto-approve, None when interrupted). The
    plan and its question come as one block, never split by another stack's lines."""
    shown = text.rstrip() + "\n" + "\n".join(plan_summary(stack, plan))
    if run.auto_approve:
        run.console.log(shown)
        return True
    question = f"Destroy {stack.name} as planned?" if run.destroy else f"Apply this plan to {stack.name}?"
    return run.console.ask(question, run.stopping, before=shown)


def apply_plan(run: Run, stack: Stack) -> tuple[int, Applying]:
    """``terraform apply -json`` of the saved plan, the progress line following it."""
    applying = Applying(stack.name)
    run.applying[stack.name] = applying
    try:
        command = ["terraform", "apply", "-json", "-input=false", PLAN_FILE]
        code = stream_json(command, cwd=stack.directory, env=run.tf.tf.env, applying=applying, timeout=run.timeout)
    finally:
        run.applying.pop(stack.name, None)
    return code, applying


def run_stack(run: Run, stack: Stack) -> Outcome:
    """Plan, show, confirm, apply and read the outputs of one stack (or plan and apply its destruction)."""
    started = time.monotonic()
    if run.stopping.is_set():
        return Outcome(stack.name, "skipped", error="interrupted before it started")
    error = run.before(stack) if run.before and not run.destroy else None
    if error:
        run.console.log(f"{stack.name}: failed: {error}")
        return Outcome(stack.name, "failed", error=error)
    planned = plan_stack(run, stack)
    if isinstance(planned, Outcome):
        outcome = planned
    elif planned[0] == "none":
        outcome = Outcome(stack.name, "unchanged", summary="nothing to destroy" if run.destroy else "no changes")
    else:
        answer = approved(run, stack, planned[1], planned[2])
        if not answer:
            outcome = Outcome(stack.name, "declined" if answer is False else "skipped", error="not confirmed")
        else:
            code, applying = apply_plan(run, stack)
            outcome = Outcome(stack.name, "failed", summary=applying.summary)
            if code == 0:
                outcome.action = "destroyed" if run.destroy else "applied"
            else:
                outcome.error = "; ".join(applying.errors[:3]) or f"terraform apply exited {code}"
                outcome.detail = "\n".join(applying.other)
    if outcome.action in ("applied", "unchanged") and not run.destroy:
        outcome.outputs = applied_state(run.tf, stack.directory, run.timeout)[1]
    outcome.seconds = time.monotonic() - started
    run.console.log(outcome_line(outcome))
    return outcome


def outcome_line(outcome: Outcome) -> str:
    text = f"{outcome.name}: {outcome.action}"
    if outcome.action in ("applied", "destroyed", "unchanged"):
        text += f" in {elapsed(outcome.seconds)}"
    if outcome.summary:
        text += f": {outcome.summary}"
    return text + (f": {outcome.error}" if outcome.error else "")


# --- which stacks refuse destroy ------------------------------------------------------------


def refusal(stack: Stack) -> str | None:
    """Why ``terraform destroy`` of this stack cannot succeed, from its synthesized JSON, or None:
    resources with ``prevent_destroy`` (Terraform refuses the plan), or a load balancer with
    deletion protection (the ELB API refuses DeleteLoadBalancer, "Deletion protection" in Elastic
    Load Balancing's user guide)."""
    resources = stack.json.get("resource") or {}
    protected = sorted(
        kind
        for kind, bodies in resources.items()
        if any(((body or {}).get("lifecycle") or {}).get("prevent_destroy") is True for body in bodies.values())
    )
    if protected:
        return f"prevent_destroy on its {', '.join(protected)}, so that nothing OMERO keeps goes by accident"
    balancers = [name for name, body in (resources.get("aws_lb") or {}).items() if (body or {}).get("enable_deletion_protection")]
    if balancers:
        return "its load balancer has deletion protection: set load_balancer.deletion_protection = false and deploy first"
    return None


def destroy_skip(refusals: dict[str, str]) -> Callable:
    """For ``in_dependency_order(reverse=True)``: a stack that refuses is kept, and so is a stack
    that a kept (or failed) stack needs."""

    def skip(stack: Stack, needing: list[Outcome]) -> Outcome | None:
        if stack.name in refusals:
            return Outcome(stack.name, "kept", summary=f"it refuses destroy: {refusals[stack.name]}")
        kept = [o.name for o in needing if not o.ok]
        if kept:
            return Outcome(stack.name, "kept", summary=f"{', '.join(kept)} needs it and is still there")
        return None

    return skip


def deploy_skip(stack: Stack, upstream: list[Outcome]) -> Outcome | None:
    bad = [o.name for o in upstream if not o.ok]
    return Outcome(stack.name, "skipped", error=f"{', '.join(bad)} was not applied") if bad else None


# --- the last block -------------------------------------------------------------------------


def next_steps(deployment, outcomes: Sequence[Outcome], *, config: Path, endpoint: str | None = None) -> list[str]:
    """What to do after a deploy: the URL, the first login, verify; or what stopped it."""
    region = deployment.region
    flags = f" --config {config}" + (f" --endpoint {endpoint}" if endpoint else "")
    aws = "aws" + (f" --endpoint-url {endpoint}" if endpoint else "")
    not_ok = [o for o in outcomes if not o.ok]
    if not_ok:
        lines = ["Not deployed:"] + [f"  {outcome_line(o)}" for o in not_ok]
        return lines + [f"Fix what is named, then run pipenv run deploy{flags} again (applied stacks show no changes)."]
    services = next((o for o in outcomes if o.name == f"{deployment.name}-services"), None)
    lines = [f"Deployed {deployment.name}: {', '.join(f'{o.name} {o.action}' for o in outcomes)}.", "", "Next:"]
    if services is None or "web_url" not in services.outputs:
        return lines + [f"  deploy the other stacks too: pipenv run deploy{flags} (without --stacks)"]
    out = services.outputs
    lines += [f"  1. OMERO.web: {out['web_url']} (it answers once the tasks are running, minutes after a first deploy)"]
    if out.get("server_websocket_url"):
        lines += [f"     OMERO clients: omero login -s {out['server_websocket_url']}"]
    lines += [
        "  2. First login: user root, with OMERO's initial root password (then change it in OMERO):",
        f"       {aws} secretsmanager get-secret-value --region {region} --secret-id {out['root_password_secret_arn']} "
        "--query SecretString --output text",
        f"  3. Check that it is up: pipenv run verify{flags} --wait 900",
    ]
    return lines


def destroy_report(outcomes: Sequence[Outcome]) -> list[str]:
    lines = ["", "Destroy:"] + [f"  {outcome_line(o)}" for o in outcomes]
    if any(o.action == "kept" for o in outcomes):
        lines += [f"What OMERO keeps is still there. To delete it for real, step by step: {STATEFUL_DOC}"]
    return lines


# --- setting up -----------------------------------------------------------------------------


def selected(stacks: list[Stack], names: str | None, deployment_name: str) -> list[Stack]:
    """The stacks ``--stacks`` names (roles or full names, comma-separated), in deploy order."""
    if not names:
        return stacks
    wanted = {n.strip() for n in names.split(",") if n.strip()}
    known = {s.name: s for s in stacks}
    unknown = sorted(n for n in wanted if n not in known and f"{deployment_name}-{n}" not in known)
    if unknown:
        roles = ", ".join(s.name.removeprefix(f"{deployment_name}-") for s in stacks)
        raise ToolError(f"--stacks: no stack {', '.join(unknown)} in {deployment_name} (its stacks: {roles})")
    return [s for s in stacks if s.name in wanted or s.name.removeprefix(f"{deployment_name}-") in wanted]


def selection_notes(all_stacks: list[Stack], chosen: list[Stack], destroy: bool) -> list[str]:
    """What ``--stacks`` leaves out that matters: for a deploy the stacks a chosen one reads (they
    must be applied already), for a destroy the stacks that read a chosen one (if they are
    deployed, their remote state loses it: destroy them first)."""
    names = {s.name for s in chosen}
    notes = []
    for stack in chosen:
        if destroy:
            others = [s.name for s in all_stacks if stack.name in s.dependencies and s.name not in names]
            if others:
                notes.append(
                    f"note: {', '.join(others)} needs {stack.name} and is not in --stacks: if it is deployed, destroy it first"
                )
        else:
            others = [d for d in stack.dependencies if d not in names]
            if others:
                notes.append(f"note: {stack.name} reads {', '.join(others)}, not in --stacks: it must be applied already")
    return notes


def aws_runner(environ: dict[str, str]) -> Bounded:
    """Terraform for a real account: this environment whole (credentials, profile, instance or
    SSO roles) and the operator's own provider installation (the registry, or $TF_CLI_CONFIG_FILE)."""
    cli_config = environ.get("TF_CLI_CONFIG_FILE", "")
    runner = terraform.Terraform(Path(cli_config), environ)
    if not cli_config:
        runner.env.pop("TF_CLI_CONFIG_FILE")  # Terraform's default: ~/.terraformrc, if there is one
    if "AWS_EC2_METADATA_DISABLED" not in environ:
        runner.env.pop("AWS_EC2_METADATA_DISABLED")  # an instance role may be the credentials
    return Bounded(runner)


def emulator_setup(endpoint: str, deployment, outdir: Path, work: Path) -> tuple[Bounded, list[Stack], Any]:
    """As ``rehearse --endpoint`` does: the emulator at ``endpoint`` (loopback only), the zone and the
    Docker Hub secret an operator makes first, the synth in emulator mode with local state in
    ``outdir/local-state`` (kept across runs), and terraform offline with the emulator's credentials."""
    server = attach(endpoint)
    check_tools()
    if deployment.load_balancer.tls:
        deployment = with_hosted_zone(server, deployment)
    operator_setup(server.endpoint, deployment)
    stacks = synthesize_for_emulator(deployment, outdir, server.endpoint, keep_state=True)
    return emulator_terraform(server, deployment.region, work), stacks, deployment


def aws_setup(deployment, outdir: Path, environ: dict[str, str]) -> tuple[Bounded, list[Stack]]:
    """As ``pipenv run synth`` does: state files where the command runs; terraform as configured here."""
    if environ.get("AWS_ENDPOINT_URL"):
        raise ToolError("AWS_ENDPOINT_URL is set: deploy to an emulator with --endpoint, or unset it to deploy to AWS")
    if shutil.which("terraform") is None:
        raise ToolError("terraform is not on PATH (Terraform 1.11 or later: https://developer.hashicorp.com/terraform/install)")
    synthesize(deployment, outdir=outdir, local_state_dir=Path.cwd())
    return aws_runner(environ), read_stacks(outdir)


def _parse(argv: Sequence[str] | None, destroy: bool) -> argparse.Namespace:
    prog = "destroy" if destroy else "deploy"
    parser = Parser(prog=f"pipenv run {prog}", description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, help="deployment file (default: $OMERO_CONFIG, else config/default.hcl)")
    parser.add_argument(
        "--outdir", type=Path, help="synthesize here (default: $CDKTF_OUTDIR, else cdktf.out); it is replaced whole"
    )
    parser.add_argument("--auto-approve", action="store_true", help="apply every plan without asking (needed without a terminal)")
    parser.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="stacks at once, each once the stacks it needs are done (default %(default)s)",
    )
    parser.add_argument("--stacks", metavar="ROLE,...", help="only these stacks (roles such as network,storage or full names)")
    parser.add_argument(
        "--timeout", type=float, default=COMMAND_TIMEOUT, help="seconds per terraform command (default %(default)s)"
    )
    parser.add_argument(
        "--progress-every",
        type=float,
        default=30.0,
        help="seconds between progress lines when not on a terminal (default %(default)s)",
    )
    parser.add_argument("--endpoint", metavar="URL", help="a local AWS API emulator instead of AWS: http://127.0.0.1:PORT")
    if not destroy:
        parser.add_argument(
            "--artifacts-from",
            type=Path,
            metavar="DIR",
            help="stage the pinned artifacts (the zarr add-on's JARs) from this directory instead of downloading them",
        )
        parser.add_argument(
            "--verify-wait",
            type=float,
            default=900.0,
            help="once every stack is deployed, pipenv run verify waits this many seconds for OMERO to be up "
            "(default %(default)s; a negative number skips it)",
        )
    return parser.parse_args(argv)


def verify_argv(options: argparse.Namespace, path: Path) -> list[str]:
    """``pipenv run verify``'s arguments for what was just deployed."""
    argv = ["--config", str(path), "--wait", str(max(0.0, options.verify_wait))]
    argv += ["--outdir", str(options.outdir)] if options.outdir else []
    return argv + (["--endpoint", options.endpoint] if options.endpoint else [])


def verifies(options: argparse.Namespace, deployment, outcomes: Sequence[Outcome]) -> bool:
    """Whether deploy ends with verify: every stack it ran went through, the services stack among
    them (with --stacks short of it there is nothing to judge yet), and it was not switched off."""
    services = f"{deployment.name}-services"
    return options.verify_wait >= 0 and all(o.ok for o in outcomes) and any(o.name == services for o in outcomes)


def _prepare(options: argparse.Namespace, path: Path, work: Path, destroy: bool, console: Console):
    """Everything before the first terraform command: the checks, the synth and the runner."""
    if not (options.auto_approve or sys.stdin.isatty()):
        raise ToolError("no terminal to confirm the plans on: run it in a terminal, or pass --auto-approve to apply them unasked")
    deployment = load_deployment(path)
    outdir = (options.outdir or Path(os.environ.get("CDKTF_OUTDIR") or "cdktf.out")).resolve()
    if outdir.exists() and not (outdir / "manifest.json").exists():
        raise ToolError(f"{outdir}: exists and is not a synthesized directory; pick a new or a cdktf.out directory")
    if options.endpoint:
        tf, stacks, deployment = emulator_setup(options.endpoint, deployment, outdir, work)
        state_dir = outdir / "local-state"
    else:
        tf, stacks = aws_setup(deployment, outdir, dict(os.environ))
        state_dir = Path.cwd()
    console.log(f"synthesized {deployment.name} ({path}) into {outdir}: {', '.join(s.name for s in stacks)}")
    note = local_state_note(deployment, state_dir)
    if note:
        print(note, file=sys.stderr, flush=True)
    chosen = selected(stacks, options.stacks, deployment.name)
    for line in selection_notes(stacks, chosen, destroy):
        console.log(line)
    return deployment, tf, chosen


def staging_step(deployment, options: argparse.Namespace, console: Console) -> Callable[[Stack], str | None] | None:
    """With an add-on whose servers fetch staged artifacts (zarr): ``pipenv run artifacts stage``
    right before the services stack, so that its tasks find every pinned file at their first
    start (on an emulator, with its fake credentials)."""
    if not staged_artifacts(deployment):
        return None
    services = f"{deployment.name}-services"
    keys = None
    if options.endpoint:
        keys = {name.lower(): FAKE_CREDENTIALS[name] for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}

    def stage_before_services(stack: Stack) -> str | None:
        if stack.name != services:
            return None
        console.log(f"{services}: staging the pinned artifacts first (pipenv run artifacts stage)")
        try:
            stage(deployment, source_dir=options.artifacts_from, endpoint=options.endpoint, keys=keys, log=console.log)
        except (StageError, InputError) as error:
            return f"pipenv run artifacts stage: {error}"
        return None

    return stage_before_services


def _interrupt_sets(stopping: threading.Event) -> None:
    """Ctrl-C and SIGTERM: no stack starts any more and a question waiting is given up. Terraform,
    in the same process group, gets Ctrl-C itself and stops gracefully, writing its state."""

    def handler(signum, frame):
        stopping.set()
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def main(argv: Sequence[str] | None = None, *, destroy: bool = False) -> int:
    options = _parse(argv, destroy)
    path = options.config or config_path(os.environ)
    console = Console(every=options.progress_every)
    with tempfile.TemporaryDirectory(prefix="omero-deploy-") as tmp:
        try:
            deployment, tf, stacks = _prepare(options, path, Path(tmp), destroy, console)
        except ToolError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        run = Run(tf, console, options.timeout, options.auto_approve, destroy)
        run.before = None if destroy else staging_step(deployment, options, console)
        _interrupt_sets(run.stopping)
        started = time.monotonic()
        try:
            with Ticker(console, run.progress):
                if destroy:
                    refusals = {s.name: why for s in stacks if (why := refusal(s))}
                    skip = destroy_skip(refusals)
                    outcomes = in_dependency_order(
                        stacks, lambda s: run_stack(run, s), workers=options.jobs, reverse=True, skip=skip
                    )
                else:
                    outcomes = in_dependency_order(stacks, lambda s: run_stack(run, s), workers=options.jobs, skip=deploy_skip)
        except KeyboardInterrupt:
            print("interrupted: no further stack was started; Terraform stopped gracefully where it was", file=sys.stderr)
            return 130
    lines = (
        destroy_report(outcomes) if destroy else ["", *next_steps(deployment, outcomes, config=path, endpoint=options.endpoint)]
    )
    console.log("\n".join(lines) + f"\nwall time: {elapsed(time.monotonic() - started)}")
    code = 0 if all(o.ok or o.action == "kept" for o in outcomes) else 1
    if not destroy and verifies(options, deployment, outcomes):
        code = run_verify(console, verify_argv(options, path))
    return code


def run_verify(console: Console, argv: list[str]) -> int:
    """``pipenv run verify`` with ``argv``, a command of its own run as one; its exit status
    (130 when interrupted)."""
    console.log(f"pipenv run verify {' '.join(argv)}")
    try:
        return subprocess.run([sys.executable, "-m", "tools.verify", *argv], check=False).returncode
    except KeyboardInterrupt:
        print("interrupted while verifying: what was deployed stays deployed", file=sys.stderr)
        return 130
