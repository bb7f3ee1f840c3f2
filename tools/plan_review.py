"""Review what ``terraform plan`` would do to a deployment, stack by stack, before anyone applies it.

    pipenv run plan [--config FILE] [--format text|markdown|json] [--out DIR] [--timeout 600]

Synthesizes the deployment (``--config``, else ``$OMERO_CONFIG``, else the default; a bad file is
refused with the loader's messages and exit status 2, as ``main.py`` does), then runs
``terraform init`` and ``terraform plan -lock=false -out`` in every stack, in deploy order, against
the stack's own backend and provider: a real account with this environment's AWS credentials, or
an AWS API emulator when ``AWS_ENDPOINT_URL`` is set. Each plan is read from ``terraform show
-json`` (:mod:`tools.plan_report`). Plans take no state lock: a read-only role can review.

The report lists, per stack, what is added, changed in place, destroyed and replaced, with each
changed attribute's before and after (secrets redacted), and first the alerts from the plans
themselves: what OMERO keeps being destroyed or replaced (STATEFUL, also when Terraform refuses the
plan because of ``prevent_destroy``), new ingress from the world, new IAM actions, OMERO image
changes. A stack planned while a stack it depends on has pending changes says its plan is
provisional: it was planned against the upstream stack's current outputs.

``--out DIR`` keeps each stack's binary plan and its JSON beside ``report.txt``, ``report.md``
(kept under GitHub's comment limit) and ``report.json``.

Exit status: 0 no changes, 1 changes, 3 at least one stateful delete or replace (refused or not),
2 errors (bad input, a missing tool, a plan that failed).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from tools.inspect_deployment import Stack, ToolError, _last_error, load_deployment, read_stacks, terraform_runner
from tools.plan_report import (
    StackPlan,
    analyze,
    refused_addresses,
    refused_alert,
    render_json,
    render_markdown,
    render_text,
)

COMMAND_TIMEOUT = 600.0
PLAN_FILE = "review.tfplan"
FORMATS = ("text", "markdown", "json")


def without_emulator_gaps(plan: dict, gaps: dict[str, set[str]]) -> dict:
    """The plan without the in-place updates that only re-apply attributes an emulator does not
    store (a rehearsal's second plan shows them forever; they are no change of the deployment)."""

    def gap_only(entry: dict) -> bool:
        change = entry["change"]
        if change.get("actions") != ["update"]:
            return False
        before, after = change.get("before") or {}, change.get("after") or {}
        changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
        return bool(changed) and changed <= gaps.get(entry["type"], set())

    return {**plan, "resource_changes": [e for e in plan.get("resource_changes") or [] if not gap_only(e)]}


def plan_stack(
    stack: Stack,
    runner,
    timeout: float = COMMAND_TIMEOUT,
    *,
    destroy: bool = False,
    emulator_gaps: dict[str, set[str]] | None = None,
) -> tuple[StackPlan, dict | None]:
    """Init and plan one stack (``destroy``: plan its destruction); its review and the plan's JSON
    (None when there is no plan)."""
    started = time.monotonic()
    result = StackPlan(stack.name)
    plan_json = None
    try:
        init = runner(stack.directory, "init", "-input=false", "-no-color", timeout=timeout)
        if init.returncode != 0:
            result.error = f"terraform init: {_last_error(init.stderr or init.stdout)}"
            return result, None
        planned = runner(
            stack.directory,
            "plan",
            "-input=false",
            "-no-color",
            "-lock=false",
            f"-out={PLAN_FILE}",
            *(("-destroy",) if destroy else ()),
            timeout=timeout,
        )
        if planned.returncode != 0:
            _failed_plan(result, stack, runner, planned.stderr + planned.stdout, timeout)
            return result, None
        shown = runner(stack.directory, "show", "-json", "-no-color", PLAN_FILE, timeout=timeout)
        if shown.returncode != 0:
            result.error = f"terraform show: {_last_error(shown.stderr)}"
            return result, None
        plan_json = json.loads(shown.stdout)
        result = analyze(stack.name, without_emulator_gaps(plan_json, emulator_gaps) if emulator_gaps else plan_json, stack.json)
    except subprocess.TimeoutExpired as expired:
        result.error = f"terraform {expired.cmd[1] if len(expired.cmd) > 1 else ''} took longer than {timeout:.0f} s"
    finally:
        result.seconds = time.monotonic() - started
    return result, plan_json


def _failed_plan(result: StackPlan, stack: Stack, runner, output: str, timeout: float) -> None:
    """A refused plan (prevent_destroy) becomes STATEFUL alerts; any other failure an error."""
    refused = refused_addresses(output)
    if not refused:
        result.error = f"terraform plan: {_last_error(output)}"
        return
    shown = runner(stack.directory, "show", "-json", "-no-color", timeout=timeout)
    state = json.loads(shown.stdout) if shown.returncode == 0 and shown.stdout.strip() else {}
    result.refused = True
    result.alerts = [refused_alert(stack.name, address, state, stack.json) for address in refused]


def exit_code(stacks: Sequence[StackPlan]) -> int:
    if any(s.error and not s.waiting for s in stacks):
        return 2
    if any(a.level == "STATEFUL" and ("replaced" in a.message or "destroyed" in a.message) for s in stacks for a in s.alerts):
        return 3
    return 1 if any(s.changed or s.waiting for s in stacks) else 0


def review(
    deployment,
    *,
    workdir: Path,
    environ: dict[str, str],
    local_state_dir: Path | None = None,
    out: Path | None = None,
    timeout: float = COMMAND_TIMEOUT,
    emulator_gaps: dict[str, set[str]] | None = None,
    jobs: int | None = None,
) -> list[StackPlan]:
    """Synthesize ``deployment`` into ``workdir`` and plan every stack, up to ``jobs`` at once
    (default: the cores; each plan reads only what is applied, so none waits for another), then
    review them in deploy order.

    ``local_state_dir`` is where stacks without a state bucket keep their state (as ``main.py``
    run there would: default, the current directory).
    """
    import os
    from concurrent.futures import ThreadPoolExecutor

    import main  # the provider bindings load inside synthesize, after the config was validated

    outdir = workdir / "cdktf.out"
    main.synthesize(
        deployment,
        outdir=outdir,
        local_state_dir=(local_state_dir or Path.cwd()).resolve(),
        emulator_endpoint=environ.get("AWS_ENDPOINT_URL") or None,
    )
    runner = terraform_runner(workdir, environ)
    plans: list[StackPlan] = []
    pending: set[str] = set()
    stacks = read_stacks(outdir)
    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
        planned = list(pool.map(lambda stack: plan_stack(stack, runner, timeout, emulator_gaps=emulator_gaps), stacks))
    for stack, (plan, plan_json) in zip(stacks, planned, strict=True):
        plan.provisional = [d for d in stack.dependencies if d in pending]
        # A stack whose upstream is still to be created cannot read its outputs: it waits.
        plan.waiting = bool(plan.error and plan.provisional and not plan.refused)
        if plan.changed or plan.error:
            pending.add(stack.name)
        plans.append(plan)
        if out is not None and plan_json is not None:
            out.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(stack.directory / PLAN_FILE, out / f"{stack.name}.tfplan")
            (out / f"{stack.name}.plan.json").write_text(json.dumps(plan_json))
    return plans


def write_reports(plans: list[StackPlan], title: str, code: int, out: Path, cost: str = "") -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.txt").write_text(render_text(plans, title, cost))
    (out / "report.md").write_text(render_markdown(plans, title, cost))
    (out / "report.json").write_text(render_json(plans, title, code, cost))


def cost_of_change(path: Path, base: str | None) -> str:
    """The monthly estimate before (the file as it is at ``base``) and after (as it is on disk),
    from tools.cost's model; only after when there is no base."""
    from config import ConfigError
    from tools.change_cost import cost_after_line, cost_line
    from tools.synth_diff import BadInput, deployment_at

    try:
        after = deployment_at(None, str(path))
        if base is None:
            return cost_after_line(after) if after is not None else ""
        return cost_line(deployment_at(base, str(path)), after)
    except (ConfigError, BadInput, ValueError) as problem:
        return f"monthly estimate unavailable: {str(problem).splitlines()[0] if str(problem) else type(problem).__name__}"


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="plan", description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, help="deployment file (default: $OMERO_CONFIG, else config/default.hcl)")
    parser.add_argument("--format", choices=FORMATS, default="text", help="report on standard output (default text)")
    parser.add_argument("--out", type=Path, help="keep the plans and the report in every format here")
    parser.add_argument("--timeout", type=float, default=COMMAND_TIMEOUT, help="seconds per terraform command")
    parser.add_argument(
        "--rehearse",
        action="store_true",
        help="no AWS account: apply --base on a local emulator, plan the working tree against it",
    )
    parser.add_argument("--base", help="with --rehearse: the git revision applied first (e.g. origin/main)")
    parser.add_argument(
        "--cost-base",
        help="the git revision whose deployment file is the cost before (default: --base; none: the cost after only)",
    )
    parser.add_argument(
        "--jobs", type=int, help="stacks planned at once, and with --rehearse applied at once (default: the cores)"
    )
    options = parser.parse_args(argv)
    if options.rehearse != (options.base is not None):
        print("error: --rehearse and --base go together", file=sys.stderr)
        raise SystemExit(2)
    return options


def main(argv: Sequence[str] | None = None, environ: dict[str, str] | None = None) -> int:
    import os

    from config import config_path

    options = _parse(argv)
    environ = dict(os.environ if environ is None else environ)
    path = options.config or config_path(environ)
    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="omero-plan-") as tmp:
            if options.rehearse:
                from tools.plan_rehearsal import rehearsed_review

                plans = rehearsed_review(
                    path,
                    options.base,
                    Path(tmp),
                    timeout=options.timeout,
                    out=options.out,
                    log=lambda line: print(line, file=sys.stderr, flush=True),
                    jobs=options.jobs,
                )
                where = f"{options.base} rehearsed on a local AWS API emulator"
            else:
                deployment = load_deployment(path)
                plans = review(
                    deployment, workdir=Path(tmp), environ=environ, out=options.out, timeout=options.timeout, jobs=options.jobs
                )
                where = "an AWS API emulator" if environ.get("AWS_ENDPOINT_URL") else "AWS"
    except ToolError as error:
        for line in str(error).split("; "):
            print(f"error: {line}", file=sys.stderr)
        return 2
    code = exit_code(plans)
    title = f"Plan of {path} against {where}: {len(plans)} stacks, {time.monotonic() - started:.0f} s"
    cost = cost_of_change(path, options.cost_base or options.base)
    if options.out:
        write_reports(plans, title, code, options.out, cost)
    render = {"text": render_text, "markdown": render_markdown}.get(options.format)
    sys.stdout.write(render(plans, title, cost) if render else render_json(plans, title, code, cost))
    return code


if __name__ == "__main__":
    sys.exit(main())
