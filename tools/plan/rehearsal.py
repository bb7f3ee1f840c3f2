"""A rehearsed plan: the base revision applied on a local AWS API emulator, the working tree
planned against it. No AWS account is needed, so a pull request from a fork gets a real plan too.

    pipenv run plan --rehearse --base origin/main [--config examples/tls-rw.hcl] [--format markdown]

1. The emulator (moto with this project's patches) starts on 127.0.0.1 at a free port.
2. The deployment file as it is at ``--base`` is synthesized with that revision's code (a ``git
   archive`` export) for the emulator, and every stack is applied there as ``pipenv run rehearse``
   does, independent stacks side by side. A file that does not exist at the base is a new
   deployment: nothing is applied and every stack of the working tree is an add.
3. The working tree's synthesis of the file is planned against that state (local state files are
   the base's; remote state is in the emulator's S3), and read as :mod:`tools.plan.review` reads
   any plan. A file deleted in the working tree is planned for destruction (``plan -destroy`` of
   the base's stacks, last stack first), with the same stateful alerts.
4. A stack that reads a stack with pending changes (for a new deployment: every stack after the
   first) is planned again once those stacks of the working tree are applied on the emulator, in
   deploy order, so the first pull request of a new deployment shows every stack; its report says
   that the values it reads from them are the emulator's.

With TLS, the Route 53 zone the file names is made in the emulator (it starts empty) and both
syntheses are pointed at it. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from emulator import with_hosted_zone
from emulator.drift import EMULATOR_DRIFT
from tools.common import ToolError
from tools.deployment import load_if_there, read_stacks, terraform_runner
from tools.on_emulator import apply_stack, apply_stacks, check_tools, emulator_terraform, operator_setup, start_uninterrupted
from tools.plan.report import StackPlan
from tools.plan.review import applicable_plans, plan_stack, review
from tools.revisions import ROOT, export_revision, resolve_revision, synthesize_checkout

Log = Callable[[str], None]


def _relative(config: Path) -> Path:
    try:
        return config.resolve().relative_to(ROOT)
    except ValueError:
        raise ToolError(f"{config}: not inside {ROOT}; a rehearsed plan reads the file as it is at the base revision") from None


def _point_at_zone(outdir: Path, old_zone: str | None, new_zone: str) -> None:
    """Replace the configured hosted zone id by the emulator's in every synthesized stack."""
    if not old_zone:
        return
    for path in outdir.glob("stacks/*/cdk.tf.json"):
        path.write_text(path.read_text().replace(old_zone, new_zone))


def _synthesize_base(source: Path, relative: Path, label: str, endpoint: str, zone: tuple[str | None, str] | None) -> Path:
    """The base revision's synthesis (its own code, in ``source``) for the emulator."""
    outdir = source / "cdktf.out"
    synthesize_checkout(source, outdir, source / relative, label, {"AWS_ENDPOINT_URL": endpoint})
    if zone:
        _point_at_zone(outdir, *zone)
    return outdir


def rehearsed_review(
    config: Path, base: str, work: Path, *, timeout: float, out: Path | None, log: Log, jobs: int | None = None
) -> list[StackPlan]:
    """Apply ``config`` as of ``base`` on a fresh emulator, then plan the working tree's against it
    (``jobs``: stacks applied, then planned, at once; default: the cores)."""
    commit = resolve_revision(base)
    relative = _relative(config)
    head = load_if_there(config)
    source = export_revision(commit, work / "base")
    # The base's file read with this tree's code: for its region and zone only (its stacks come
    # from its own code).
    base_deployment = load_if_there(source / relative)
    if head is None and base_deployment is None:
        raise ToolError(f"{relative}: in neither {base} nor the working tree")
    shown = head or base_deployment
    check_tools()
    server = start_uninterrupted(work)
    try:
        log(f"emulator: moto on {server.endpoint}")
        zone = None
        if shown.load_balancer.tls:  # the emulator starts empty: make the zone the file names
            pointed = with_hosted_zone(server, shown)
            zone = (shown.load_balancer.hosted_zone_id, pointed.load_balancer.hosted_zone_id)
            head = pointed if head is not None else None
        environ = {
            **server.env(shown.region),
            "HTTP_PROXY": server.endpoint,
            "PATH": os.environ.get("PATH", ""),
            "HOME": os.environ.get("HOME", str(work)),
        }
        operator_setup(server.endpoint, shown)
        base_out = None
        if base_deployment is None:
            log(f"{relative} does not exist at {base}: a new deployment, nothing to apply first")
        else:
            base_out = _synthesize_base(source, relative, f"revision {commit[:12]}", server.endpoint, zone)
            _apply_base(server, base_out, work, timeout, log, jobs)
        if head is None:
            log(f"{relative} is deleted in the working tree: planning the destruction of every stack")
            runner = emulator_terraform(server, shown.region, work)
            assert base_out is not None  # the file exists at the base when it is gone from the tree (checked above)
            return [plan_stack(stack, runner, timeout, destroy=True)[0] for stack in reversed(read_stacks(base_out))]
        state_dir = source if base_out is not None else work / "new-state"
        # What the emulator does not store re-plans forever there; it is no change of the deployment.
        plans = review(
            head,
            workdir=work / "head",
            environ=environ,
            local_state_dir=state_dir,
            out=out,
            timeout=timeout,
            emulator_gaps=EMULATOR_DRIFT,
            jobs=jobs,
        )
        # Each stack whose upstream has pending changes, planned again once they are applied here
        # (an upstream applies its own latest plan where that read nothing still pending).
        tf = terraform_runner(work / "head", environ)
        return plan_after_upstream(
            plans,
            read_stacks(work / "head" / "cdktf.out"),
            apply=lambda stack, latest: apply_stack(tf, stack, timeout, plan_file=applicable_plans([latest]).get(stack.name)),
            plan=lambda stack: plan_stack(stack, tf, timeout, emulator_gaps=EMULATOR_DRIFT)[0],
            log=log,
        )
    finally:
        server.stop()
        log("emulator stopped")


def plan_after_upstream(plans: list[StackPlan], stacks: list, *, apply, plan, log: Log) -> list[StackPlan]:
    """Plan again, in deploy order, every stack that was planned while stacks it reads had pending
    changes (provisional, or waiting for a new deployment's upstream), once those stacks are applied
    on the emulator (``apply(stack, plan)`` -> a result with ``ok`` and ``error``, ``plan`` being that
    stack's latest StackPlan; ``plan(stack)`` -> its StackPlan). So a new deployment's first plan
    shows every stack; the values a stack reads from the applied ones are the emulator's, as its
    status says. A failed apply keeps the first plan."""
    by_name = {stack.name: stack for stack in stacks}
    applied: set[str] = set()
    result = []
    latest: dict[str, StackPlan] = {}
    for first in plans:
        upstream = [name for name in first.provisional if name in by_name]
        if not upstream:
            result.append(first)
            latest[first.name] = first
            continue
        failed = None
        for name in (n for n in upstream if n not in applied):
            log(f"applying {name} of the working tree on the emulator, to plan {first.name} against it")
            outcome = apply(by_name[name], latest[name])
            if not outcome.ok:
                failed = f"{name}: {outcome.error}"
                break
            applied.add(name)
        if failed:
            log(f"{first.name}: kept its first plan ({failed} did not apply on the emulator)")
            result.append(first)
            latest[first.name] = first
            continue
        again = plan(by_name[first.name])
        again.provisional, again.emulated = list(first.provisional), list(upstream)
        result.append(again)
        latest[first.name] = again
    return result


def _apply_base(server, base_out: Path, work: Path, timeout: float, log: Log, jobs: int | None) -> None:
    stacks = read_stacks(base_out)
    region_of = next(iter(stacks)).json["provider"]["aws"][0].get("region", "us-east-1")
    tf = emulator_terraform(server, region_of, work)
    results = apply_stacks(tf, stacks, timeout, workers=jobs, log=lambda line: log(f"base: {line}"))
    failed = [r for r in results if not r.ok]
    if failed:
        raise ToolError(
            f"the base revision did not apply on the emulator: {failed[0].name}: {failed[0].error or failed[0].replan}"
        )
