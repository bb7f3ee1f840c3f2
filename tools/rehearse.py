"""Rehearse a deployment on a local AWS API emulator: apply every stack, re-plan, report.

    pipenv run rehearse [--config FILE] [--outdir DIR] [--timeout 600] [--endpoint URL]

Starts the patched moto server (``emulator.server``) on 127.0.0.1 at a free port (or, with
``--endpoint http://127.0.0.1:PORT``, uses one already running there and leaves it running, so
that what was applied can be inspected and planned against afterwards), synthesizes the
deployment for it (``AWS_ENDPOINT_URL`` set; into a temporary directory, or ``--outdir``), creates the Route 53 hosted zone the config names when it has TLS (the emulator
starts empty; the zone id in the deployment is replaced by the new one), then applies the stacks
one by one in dependency order. After each apply a second ``terraform plan`` must be empty, except
for the attributes moto does not store (``EMULATOR_DRIFT`` in emulator/drift.py), and the
stack's ``state list`` and outputs are read. Every stack the deployment has is applied, add-ons
included: Terraform runs with ``HTTP_PROXY`` set to the emulator, which answers an S3 File Gateway's
activation-key request to the appliance's private IP as the appliance does (loopback is never
proxied, so the AWS calls go straight to the emulator). An emulator it started is stopped at the
end, on errors and on Ctrl-C.

Only 127.0.0.1 is contacted: fake credentials, every endpoint and the HTTP proxy on the emulator,
``AWS_EC2_METADATA_DISABLED=true``, ``CHECKPOINT_DISABLE=1``, and Terraform takes the AWS provider
from the local filesystem mirror and nothing else from the caller's environment but PATH and HOME.
Local-backend state files go to ``<outdir>/local-state``, never next to a real deployment's.
Exit status: 0 when every stack applied with a clean second plan, 1 when one did not, 2 for bad
input or a missing tool (terraform, the provider mirror, or moto: ``pipenv sync --dev``).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.inspect_deployment import Stack, ToolError, counted, load_deployment, read_stacks

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
    from tools import terraform

    reason = terraform.why_unavailable()
    if reason:
        raise ToolError(reason)
    if importlib.util.find_spec("moto") is None or importlib.util.find_spec("boto3") is None:
        raise ToolError("moto (the AWS API emulator) is not installed here: run pipenv sync --dev")


class Bounded:
    """A terraform runner whose commands that overrun their time bound fail instead of raising."""

    def __init__(self, tf):
        self.tf = tf

    def __call__(self, directory: Path, *args: str, timeout: float):
        from tools.terraform import Result

        try:
            return self.tf(directory, *args, timeout=timeout)
        except subprocess.TimeoutExpired:
            return Result(tuple(args), 124, "", f"Error: terraform {args[0]} did not finish within {timeout:.0f} s")


def _error_line(result) -> str:
    for line in (result.stderr or result.stdout).splitlines():
        line = line.strip(" │╷╵")
        if line.startswith("Error:"):
            return line
    return f"terraform {' '.join(result.args[:1])} exited {result.returncode}"


def replan_verdict(tf, directory: Path, timeout: float) -> str:
    """Plan again: "empty", "emulator gaps only: ..." or "NOT empty: ..."."""
    from emulator.drift import EMULATOR_DRIFT, unexpected_changes

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


def apply_stack(tf, stack: Stack, timeout: float) -> StackResult:
    """init, apply, a second plan, then state list and outputs, each bounded by ``timeout``."""
    started = time.monotonic()
    result = StackResult(stack.name, "failed")
    for args in (("init", "-input=false", "-no-color"), ("apply", "-auto-approve", "-input=false", "-no-color")):
        ran = tf(stack.directory, *args, timeout=timeout)
        if ran.returncode != 0:
            result.error = f"terraform {args[0]}: {_error_line(ran)}"
            result.detail = f"{ran.stdout[-3000:]}\n{ran.stderr[-3000:]}"
            result.seconds = time.monotonic() - started
            return result
    result.action = "applied"
    result.seconds = time.monotonic() - started
    result.replan = replan_verdict(tf, stack.directory, timeout)
    result.addresses, result.outputs = read_state(tf, stack.directory, timeout)
    return result


def read_state(tf, directory: Path, timeout: float = COMMAND_TIMEOUT) -> tuple[list[str], dict[str, Any]]:
    """An applied stack's ``state list`` and output values (empty where terraform cannot read them);
    neither command starts the provider."""
    listed = tf(directory, "state", "list", timeout=timeout)
    outputs = tf(directory, "output", "-json", timeout=timeout)
    values = json.loads(outputs.stdout or "{}") if outputs.returncode == 0 else {}
    return (listed.stdout.split() if listed.returncode == 0 else []), {k: v.get("value") for k, v in values.items()}


def apply_stacks(tf, stacks: Sequence[Stack], timeout: float, *, workers: int | None = None, log=print) -> list[StackResult]:
    """Apply ``stacks`` (in deploy order), each as soon as the stacks it needs are applied, at most
    ``workers`` at a time (default: the machine's cores); a stack whose upstream failed is skipped.
    The results come back in deploy order."""

    def skipped(stack: Stack, upstream: list[StackResult]) -> StackResult | None:
        if all(result.ok for result in upstream):
            return None
        return StackResult(stack.name, "skipped", error="a stack it needs was not applied")

    def applied(stack: Stack) -> StackResult:
        result = apply_stack(tf, stack, timeout)
        log(_line(result))
        return result

    def progress(running: list[str], seconds: float) -> None:
        log(f"... applying {', '.join(running)}: {seconds:.0f} s so far")

    return in_dependency_order(stacks, applied, workers=workers, skip=skipped, progress=progress)


# While stacks run, a progress line at least this often (an apply is silent for minutes otherwise).
PROGRESS_SECONDS = 15.0


def in_dependency_order(
    stacks: Sequence[Stack], run, *, workers: int | None = None, reverse: bool = False, skip=None, progress=None
) -> list:
    """``run(stack)`` for each of ``stacks`` (given in deploy order), each once the stacks it needs
    have run (``reverse``, as for a destroy: once the stacks that need it have run), at most
    ``workers`` at a time (default: the machine's cores). ``skip(stack, results of those stacks)``
    may return a result to use instead of running it. ``progress(names running, seconds since the
    start)`` is called every ``PROGRESS_SECONDS`` while nothing finishes. The results come back in
    ``stacks``' order."""
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    names = {stack.name for stack in stacks}
    before = {stack.name: [d for d in stack.dependencies if d in names] for stack in stacks}
    if reverse:
        before = {name: [other for other, needs in before.items() if name in needs] for name in before}
    ordered = list(reversed(stacks)) if reverse else list(stacks)  # so that a skip reaches what follows it at once
    results: dict[str, Any] = {}
    running: dict = {}
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        for _ in range(2 * len(stacks) + 1):  # bounded: every round starts or finishes a stack
            for stack in ordered:
                if stack.name in results or stack.name in running.values() or not all(d in results for d in before[stack.name]):
                    continue
                instead = skip(stack, [results[d] for d in before[stack.name]]) if skip else None
                if instead is not None:
                    results[stack.name] = instead
                else:
                    running[pool.submit(run, stack)] = stack.name
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED, timeout=PROGRESS_SECONDS if progress else None)
            while not done:  # a progress line per quiet interval (progress is set, or done is not empty)
                progress(sorted(running.values()), time.monotonic() - started)
                done, _ = wait(running, return_when=FIRST_COMPLETED, timeout=PROGRESS_SECONDS)
            for future in done:
                results[running.pop(future)] = future.result()
    return [results[stack.name] for stack in stacks if stack.name in results]


def operator_setup(endpoint: str, deployment) -> None:
    """What an operator makes once per account and region before a first apply, made in the
    emulator at ``endpoint``: the Docker Hub secret that ``images.docker_hub_secret_arn`` names (its
    name is the ARN's without the six characters AWS appends), which ECR's pull-through cache rule
    must find (CreatePullThroughCacheRule: SecretNotFoundException otherwise)."""
    import re

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


def _synth(deployment, outdir: Path, endpoint: str, *, keep_state: bool = False) -> list[Stack]:
    """Synthesize into ``outdir`` (replaced whole), local-backend state in ``outdir/local-state``.
    ``keep_state``: a rehearsal into an emulator that is still running keeps the state an earlier
    one left there, which describes what that emulator holds; a new emulator starts with none."""
    import shutil

    import main

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


def terraform_runner(server, region: str, work: Path) -> Bounded:
    """Terraform for the emulator ``server``: offline provider installation (CLI config in ``work``),
    the emulator's fake credentials and endpoint, and ``HTTP_PROXY`` on the emulator, which answers
    for the S3 File Gateway appliance; nothing else from the caller's environment but PATH and HOME."""
    from tools import terraform

    env = {**server.env(region), "HTTP_PROXY": server.endpoint}
    return Bounded(terraform.Terraform(terraform.write_cli_config(work), env))


def rehearse(
    deployment, outdir: Path, work: Path, timeout: float, log=print, jobs: int | None = None, server=None
) -> list[StackResult]:
    """Start the emulator (or use ``server``, an ``emulator.attach``-ed one, left running), apply
    every stack, stop the emulator it started; the results in order."""
    import emulator as emulators
    from emulator import with_hosted_zone

    attached = server is not None
    server = server or _start_uninterrupted(emulators, work)
    try:
        log(f"emulator: moto on {server.endpoint} " + ("(already running)" if attached else f"(log {server.log})"))
        if deployment.load_balancer.tls:
            deployment = with_hosted_zone(server, deployment)
            log(
                f"hosted zone for {deployment.load_balancer.domain_name}: {deployment.load_balancer.hosted_zone_id} (created in the emulator)"
            )
        tf = terraform_runner(server, deployment.region, work)
        operator_setup(server.endpoint, deployment)
        stacks = _synth(deployment, outdir, server.endpoint, keep_state=attached)
        log(f"synthesized {len(stacks)} stacks into {outdir}")
        return apply_stacks(tf, stacks, timeout, workers=jobs, log=log)
    finally:
        if attached:
            log(f"emulator left running on {server.endpoint}")
        else:
            server.stop()
            log("emulator stopped")


def _start_uninterrupted(emulators, work: Path):
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


def _line(result: StackResult) -> str:
    if result.action == "applied":
        return f"{result.name}: applied in {result.seconds:.0f} s, {counted(result.addresses)}; second plan: {result.replan}"
    return f"{result.name}: {result.action}: {result.error}"


def report(results: Sequence[StackResult]) -> str:
    """The summary: per stack, then outputs (cdktf's cross-stack plumbing left out), then a verdict."""
    lines = ["", "stacks:"] + [f"  {_line(r)}" for r in results]
    lines += ["", "outputs:"]
    for result in results:
        shown = {k: v for k, v in result.outputs.items() if not k.startswith("cross-stack-output-")}
        if shown:
            lines.append(f"  {result.name}:")
            lines += [f"    {key} = {json.dumps(value)}" for key, value in sorted(shown.items())]
    good = all(r.ok for r in results)
    applied = sum(r.action == "applied" for r in results)
    lines += ["", f"result: {'ok' if good else 'FAILED'}: {applied} stacks applied, {sum(not r.ok for r in results)} not ok"]
    return "\n".join(lines)


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="rehearse", description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, help="deployment file (default: $OMERO_CONFIG, else config/default.hcl)")
    parser.add_argument("--outdir", type=Path, help="synthesize here (default: a temporary directory, removed afterwards)")
    parser.add_argument(
        "--timeout", type=float, default=COMMAND_TIMEOUT, help="seconds per terraform command (default %(default)s)"
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="stacks applied at once, each once the stacks it needs are applied (default: the cores, %(default)s)",
    )
    parser.add_argument(
        "--endpoint",
        metavar="URL",
        help="an emulator already running (python -m emulator.server -H 127.0.0.1 -p PORT): http://127.0.0.1:PORT; "
        "it is used and left running",
    )
    return parser.parse_args(argv)


def _attach(endpoint: str):
    """The emulator running at ``endpoint``, or a ToolError saying why it cannot be used."""
    import emulator

    try:
        return emulator.attach(endpoint)
    except ValueError as error:
        raise ToolError(f"--endpoint {error}") from None


def _stop_on_sigterm() -> None:
    """SIGTERM ends the run like Ctrl-C does, so the emulator is stopped on the way out."""

    def handler(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def main(argv: Sequence[str] | None = None) -> int:
    options = _parse(argv)
    from config import config_path

    path = options.config or config_path(os.environ)
    try:
        deployment = load_deployment(path)
        check_tools()
        server = _attach(options.endpoint) if options.endpoint else None
        if options.outdir is not None and options.outdir.exists() and not (options.outdir / "manifest.json").exists():
            raise ToolError(f"{options.outdir}: exists and is not a synthesized directory; pick a new or a cdktf.out directory")
    except ToolError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    _stop_on_sigterm()
    print(f"rehearsal of {deployment.name} ({path}) on a local AWS API emulator", flush=True)
    with tempfile.TemporaryDirectory(prefix="omero-rehearse-") as tmp:
        outdir = (options.outdir or Path(tmp) / "cdktf.out").resolve()
        started = time.monotonic()
        try:
            results = rehearse(
                deployment,
                outdir,
                Path(tmp),
                options.timeout,
                log=lambda text: print(text, flush=True),
                jobs=max(1, options.jobs),
                server=server,
            )
        except KeyboardInterrupt:
            left = f"left running on {server.endpoint}" if server else "stopped"
            print(f"interrupted; the emulator is {left}", file=sys.stderr)
            return 130
        except ToolError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
    print(report(results))
    print(
        f"wall time: {time.monotonic() - started:.0f} s (independent stacks applied side by side, up to {max(1, options.jobs)} at once)"
    )
    print(next_step(path, all(r.ok for r in results)))
    return 0 if all(r.ok for r in results) else 1


def next_step(path: Path, good: bool) -> str:
    """The last line: what to do after a rehearsal (the outputs above are the emulator's, not AWS's)."""
    if not good:
        return f"Next: fix the stack named above, then run `pipenv run rehearse --config {path}` again"
    return (
        f"Next: review a change with `pipenv run plan --rehearse --base origin/main --config {path}`, then deploy to "
        f"AWS with `pipenv run deploy --config {path}` (the outputs above are the emulator's; docs/deploying.md)"
    )


if __name__ == "__main__":
    sys.exit(main())
