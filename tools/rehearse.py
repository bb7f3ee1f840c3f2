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
import json
import os
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from config import config_path
from emulator import with_hosted_zone
from tools.common import Parser, ToolError
from tools.deployment import load_deployment
from tools.on_emulator import (
    COMMAND_TIMEOUT,
    StackResult,
    apply_stacks,
    attach,
    check_tools,
    emulator_terraform,
    operator_setup,
    result_line,
    start_uninterrupted,
    synthesize_for_emulator,
)


def rehearse(
    deployment, outdir: Path, work: Path, timeout: float, log=print, jobs: int | None = None, server=None
) -> list[StackResult]:
    """Start the emulator (or use ``server``, an ``emulator.attach``-ed one, left running), apply
    every stack, stop the emulator it started; the results in order."""
    attached = server is not None
    server = server or start_uninterrupted(work)
    try:
        log(f"emulator: moto on {server.endpoint} " + ("(already running)" if attached else f"(log {server.log})"))
        if deployment.load_balancer.tls:
            deployment = with_hosted_zone(server, deployment)
            log(
                f"hosted zone for {deployment.load_balancer.domain_name}: {deployment.load_balancer.hosted_zone_id} (created in the emulator)"
            )
        tf = emulator_terraform(server, deployment.region, work)
        operator_setup(server.endpoint, deployment)
        stacks = synthesize_for_emulator(deployment, outdir, server.endpoint, keep_state=attached)
        log(f"synthesized {len(stacks)} stacks into {outdir}")
        return apply_stacks(tf, stacks, timeout, workers=jobs, log=log)
    finally:
        if attached:
            log(f"emulator left running on {server.endpoint}")
        else:
            server.stop()
            log("emulator stopped")


def report(results: Sequence[StackResult]) -> str:
    """The summary: per stack, then outputs (cdktf's cross-stack plumbing left out), then a verdict."""
    lines = ["", "stacks:"] + [f"  {result_line(r)}" for r in results]
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
    parser = Parser(prog="pipenv run rehearse", description=__doc__.split("\n\n")[0])
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


def _stop_on_sigterm() -> None:
    """SIGTERM ends the run like Ctrl-C does, so the emulator is stopped on the way out."""

    def handler(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def main(argv: Sequence[str] | None = None) -> int:
    options = _parse(argv)
    path = options.config or config_path(os.environ)
    try:
        deployment = load_deployment(path)
        check_tools()
        server = attach(options.endpoint) if options.endpoint else None
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
