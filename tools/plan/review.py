"""A plan review: every stack of a deployment synthesized, planned with ``terraform plan
-lock=false`` against its own backend (up to one plan per core at once) and read as
:mod:`tools.plan.report` reads a plan; then the exit status and the reports in every format.

The command is :mod:`tools.plan.__main__` (``pipenv run plan``); a rehearsed review
(:mod:`tools.plan.rehearsal`) plans the same way against a local emulator.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import main
from config import ConfigError
from tools.change_cost import cost_after_line, cost_line
from tools.common import ToolError, last_error
from tools.deployment import Stack, read_stacks, terraform_runner
from tools.plan.report import StackPlan, analyze, refused_addresses, refused_alert, render_json, render_markdown, render_text
from tools.revisions import deployment_at

COMMAND_TIMEOUT = 600.0
PLAN_FILE = "review.tfplan"


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
    keep_json: bool = False,
) -> tuple[StackPlan, dict | None]:
    """Init and plan one stack (``destroy``: plan its destruction); its review and the plan's JSON
    (None when there is no plan, or when nothing changes and ``keep_json`` is false: an empty plan
    is not read back, which would start the provider once more for its schema)."""
    started = time.monotonic()
    result = StackPlan(stack.name)
    plan_json = None
    try:
        init = runner(stack.directory, "init", "-input=false", "-no-color", timeout=timeout)
        if init.returncode != 0:
            result.error = f"terraform init: {last_error(init.stderr or init.stdout)}"
            return result, None
        planned = runner(
            stack.directory,
            "plan",
            "-input=false",
            "-no-color",
            "-lock=false",
            "-detailed-exitcode",
            f"-out={PLAN_FILE}",
            *(("-destroy",) if destroy else ()),
            timeout=timeout,
        )
        # -detailed-exitcode: "0 - Succeeded, diff is empty (no changes)", "1 - Errored", "2 -
        # Succeeded, there is a diff" (terraform plan -help, Terraform 1.11).
        if planned.returncode not in (0, 2):
            _failed_plan(result, stack, runner, planned.stderr + planned.stdout, timeout)
            return result, None
        if planned.returncode == 0 and not keep_json:
            return result, None
        shown = runner(stack.directory, "show", "-json", "-no-color", PLAN_FILE, timeout=timeout)
        if shown.returncode != 0:
            result.error = f"terraform show: {last_error(shown.stderr)}"
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
        result.error = f"terraform plan: {last_error(output)}"
        return
    shown = runner(stack.directory, "show", "-json", "-no-color", timeout=timeout)
    state = json.loads(shown.stdout) if shown.returncode == 0 and shown.stdout.strip() else {}
    result.refused = True
    result.alerts = [refused_alert(stack.name, address, state, stack.json) for address in refused]


def applicable_plans(plans: Sequence[StackPlan]) -> dict[str, str]:
    """The stacks whose reviewed plan can be applied as it is -> its file in the stack's directory:
    changed, planned without error, and against its upstream stacks as they will be (none had
    changes pending, or a rehearsal applied those before planning it again): a provisional plan read
    an upstream's outputs as they were before its changes."""
    return {
        p.name: PLAN_FILE for p in plans if p.changed and not (p.error or p.refused) and set(p.provisional) <= set(p.emulated)
    }


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
        planned = list(
            pool.map(
                lambda stack: plan_stack(stack, runner, timeout, emulator_gaps=emulator_gaps, keep_json=out is not None), stacks
            )
        )
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
    from the cost model (tools.cost_model); only after when there is no base."""

    try:
        after = deployment_at(None, str(path))
        if base is None:
            return cost_after_line(after) if after is not None else ""
        return cost_line(deployment_at(base, str(path)), after)
    except (ConfigError, ToolError, ValueError) as problem:
        return f"monthly estimate unavailable: {str(problem).splitlines()[0] if str(problem) else type(problem).__name__}"
