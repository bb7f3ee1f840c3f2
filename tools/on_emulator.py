"""Stacks applied on the local AWS API emulator (the patched moto server, ``emulator/``): Terraform
run offline against it, each stack applied and planned again, what an operator makes by hand
first made there too.

``pipenv run rehearse`` applies a whole deployment with it, ``pipenv run plan --rehearse`` the base
revision of a change, ``deploy --endpoint`` and the tests' harness (tests/harness/apply.py) use the
same pieces. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import signal
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import emulator as emulators
import main
from emulator.drift import EMULATOR_DRIFT, unexpected_changes
from tools import terraform
from tools.common import ToolError, counted
from tools.deployment import Stack, applied_state, in_dependency_order, read_stacks
from tools.terraform import Bounded

COMMAND_TIMEOUT = 600.0  # seconds per terraform command: the provider's waiters are slow on moto


@dataclass
class StackResult:
    """What happened to one stack in the rehearsal."""

    name: str
    action: str  # "applied", "failed", "skipped"
    seconds: float = 0.0
    addresses: list[str] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    replan: str = ""  # "empty", "emulator gaps only: ...", "NOT empty: ..."
    error: str = ""
    detail: str = ""  # the end of the failing command's output

    @property
    def ok(self) -> bool:
        return self.action == "applied" and not self.replan.startswith("NOT")


def check_tools() -> None:
    """Terraform, the provider mirror and moto must all be here; else a ToolError saying what to do."""
    reason = terraform.why_unavailable()
    if reason:
        raise ToolError(reason)
    if importlib.util.find_spec("moto") is None or importlib.util.find_spec("boto3") is None:
        raise ToolError("moto (the AWS API emulator) is not installed here: run pipenv sync --dev")


def _error_line(result) -> str:
    for line in (result.stderr or result.stdout).splitlines():
        line = line.strip(" │╷╵")
        if line.startswith("Error:"):
            return line
    return f"terraform {' '.join(result.args[:1])} exited {result.returncode}"


def replan_verdict(tf, directory: Path, timeout: float) -> str:
    """Plan again: "empty", "emulator gaps only: ..." or "NOT empty: ..."."""
    plan = tf(directory, "plan", "-detailed-exitcode", "-input=false", "-no-color", "-out=replan.tfplan", timeout=timeout)
    if plan.returncode == 0:
        return "empty"
    if plan.returncode != 2:
        return f"NOT empty: the plan failed: {_error_line(plan)}"
    shown = tf(directory, "show", "-json", "replan.tfplan", timeout=timeout)
    changes = json.loads(shown.stdout).get("resource_changes", [])
    unexpected = unexpected_changes({"resource_changes": changes})
    if unexpected:
        return "NOT empty: " + "; ".join(unexpected)
    gaps = sorted(
        {
            f"{c['type']}.{attribute}"
            for c in changes
            if c["change"]["actions"] == ["update"]
            for attribute in EMULATOR_DRIFT.get(c["type"], ())
            if (c["change"]["before"] or {}).get(attribute) != (c["change"]["after"] or {}).get(attribute)
        }
    )
    return "emulator gaps only: " + ", ".join(gaps)


def apply_stack(tf, stack: Stack, timeout: float, *, plan_file: str | None = None) -> StackResult:
    """init, apply (``plan_file``: that saved plan, in the stack's directory, as reviewed), a second
    plan, then the applied addresses and outputs, each command bounded by ``timeout``.

    Applying a saved plan neither refreshes nor plans again; Terraform refuses it ("Saved plan is
    stale") if the stack's state changed since it was made (Terraform CLI documentation, command:
    apply, "Saved Plan mode")."""
    started = time.monotonic()
    result = StackResult(stack.name, "failed")
    apply = ("apply", "-auto-approve", "-input=false", "-no-color", *((plan_file,) if plan_file else ()))
    for args in (("init", "-input=false", "-no-color"), apply):
        ran = tf(stack.directory, *args, timeout=timeout)
        if ran.returncode != 0:
            result.error = f"terraform {args[0]}: {_error_line(ran)}"
            result.detail = f"{ran.stdout[-3000:]}\n{ran.stderr[-3000:]}"
            result.seconds = time.monotonic() - started
            return result
    result.action = "applied"
    result.seconds = time.monotonic() - started
    result.replan = replan_verdict(tf, stack.directory, timeout)
    result.addresses, result.outputs = applied_state(tf, stack.directory, timeout)
    return result


def apply_stacks(
    tf,
    stacks: Sequence[Stack],
    timeout: float,
    *,
    workers: int | None = None,
    log=print,
    plan_files: Mapping[str, str] | None = None,
) -> list[StackResult]:
    """Apply ``stacks`` (in deploy order), each as soon as the stacks it needs are applied, at most
    ``workers`` at a time (default: the machine's cores); a stack whose upstream failed is skipped.
    A stack ``plan_files`` names applies that saved plan. The results come back in deploy order."""

    def skipped(stack: Stack, upstream: list[StackResult]) -> StackResult | None:
        if all(result.ok for result in upstream):
            return None
        return StackResult(stack.name, "skipped", error="a stack it needs was not applied")

    def applied(stack: Stack) -> StackResult:
        result = apply_stack(tf, stack, timeout, plan_file=(plan_files or {}).get(stack.name))
        log(result_line(result))
        return result

    def progress(running: list[str], seconds: float) -> None:
        log(f"... applying {', '.join(running)}: {seconds:.0f} s so far")

    return in_dependency_order(stacks, applied, workers=workers, skip=skipped, progress=progress)


def operator_setup(endpoint: str, deployment) -> None:
    """What an operator makes once per account and region before a first apply, made in the
    emulator at ``endpoint``: the Docker Hub secret that ``images.docker_hub_secret_arn`` names (its
    name is the ARN's without the six characters AWS appends), which ECR's pull-through cache rule
    must find (CreatePullThroughCacheRule: SecretNotFoundException otherwise)."""
    import boto3

    arn = deployment.images.docker_hub_secret_arn
    if not arn:
        return
    client = boto3.client(
        "secretsmanager",
        region_name=arn.split(":")[3],
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    name = re.sub(r"-[A-Za-z0-9]{6}$", "", arn.split(":secret:", 1)[1])
    try:
        client.create_secret(Name=name, SecretString=json.dumps({"username": "omero-ci", "accessToken": "dckr_pat_emulator"}))
    except client.exceptions.ResourceExistsException:
        pass


def synthesize_for_emulator(deployment, outdir: Path, endpoint: str, *, keep_state: bool = False) -> list[Stack]:
    """Synthesize into ``outdir`` (replaced whole), local-backend state in ``outdir/local-state``.
    ``keep_state``: a rehearsal into an emulator that is still running keeps the state an earlier
    one left there, which describes what that emulator holds; a new emulator starts with none."""
    state_dir = outdir / "local-state"
    kept = outdir.with_name(f".{outdir.name}.local-state-{os.getpid()}")
    if keep_state and state_dir.is_dir():
        state_dir.rename(kept)
    try:
        main.synthesize(deployment, outdir=outdir, local_state_dir=state_dir, emulator_endpoint=endpoint)
    finally:
        if kept.is_dir():
            shutil.rmtree(state_dir, ignore_errors=True)
            kept.rename(state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    return read_stacks(outdir)


def emulator_terraform(server, region: str, work: Path) -> Bounded:
    """Terraform for the emulator ``server``: offline provider installation (CLI config in ``work``),
    the emulator's fake credentials and endpoint, and ``HTTP_PROXY`` on the emulator, which answers
    for the S3 File Gateway appliance; nothing else from the caller's environment but PATH and HOME."""
    env = {**server.env(region), "HTTP_PROXY": server.endpoint}
    return Bounded(terraform.Terraform(terraform.write_cli_config(work), env))


def start_uninterrupted(work: Path):
    """Start the emulator with Ctrl-C and SIGTERM held until it is running (at most its start
    timeout), so that an interrupt never leaves a server behind that nothing will stop."""
    held: list[int] = []
    previous = {sig: signal.signal(sig, lambda signum, frame: held.append(signum)) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server = emulators.start(work)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if held:
        server.stop()
        raise KeyboardInterrupt
    return server


def result_line(result: StackResult) -> str:
    if result.action == "applied":
        return f"{result.name}: applied in {result.seconds:.0f} s, {counted(result.addresses)}; second plan: {result.replan}"
    return f"{result.name}: {result.action}: {result.error}"


def attach(endpoint: str):
    """The emulator running at ``endpoint``, or a ToolError saying why it cannot be used."""
    try:
        return emulators.attach(endpoint)
    except ValueError as error:
        raise ToolError(f"--endpoint {error}") from None
