"""A rehearsed plan plans a stack again once the stacks it reads are applied on the emulator
(tools.plan.rehearsal.plan_after_upstream): the order of applies and plans, and what the report says.
The applies and plans themselves are terraform's, exercised end to end by the rehearsed-plan
emulator tests; here they are recorded calls, to check the scheduling alone."""

from __future__ import annotations

from types import SimpleNamespace

from tools.plan.rehearsal import plan_after_upstream
from tools.plan.report import ResourceChange, StackPlan, render_text
from tools.plan.review import PLAN_FILE, applicable_plans

NAMES = ("lab-network", "lab-storage", "lab-backup", "lab-services")
NEEDS = {
    "lab-network": [],
    "lab-storage": ["lab-network"],
    "lab-backup": ["lab-storage"],
    "lab-services": ["lab-network", "lab-storage"],
}


def first_plans_of_a_new_deployment() -> list[StackPlan]:
    """As review() leaves them: the network planned, every later stack waiting for its upstream."""
    network = StackPlan("lab-network", resources=[ResourceChange("aws_vpc.vpc", "add")])
    waiting = [
        StackPlan(name, error="terraform plan: Error: Unable to find remote state", provisional=NEEDS[name], waiting=True)
        for name in NAMES[1:]
    ]
    return [network, *waiting]


def test_a_new_deployment_shows_every_stack():
    stacks = [SimpleNamespace(name=name, dependencies=NEEDS[name]) for name in NAMES]
    calls: list[str] = []

    def apply(stack, latest):
        # each upstream is applied with its latest plan: the network's first, storage's made again
        calls.append(f"apply {stack.name} ({'again' if latest.emulated else 'first'} plan)")
        return SimpleNamespace(ok=True, error="")

    def plan(stack):
        calls.append(f"plan {stack.name}")
        return StackPlan(stack.name, resources=[ResourceChange(f"aws_thing.{stack.name}", "add")])

    plans = plan_after_upstream(first_plans_of_a_new_deployment(), stacks, apply=apply, plan=plan, log=lambda line: None)
    # each upstream applied once, before the first stack that reads it is planned again
    assert calls == [
        "apply lab-network (first plan)",
        "plan lab-storage",
        "apply lab-storage (again plan)",
        "plan lab-backup",
        "plan lab-services",
    ]
    # both latest plans read nothing still pending: a rehearsal applies them as they were made
    assert applicable_plans(plans) == {name: PLAN_FILE for name in NAMES}
    assert [(p.name, p.waiting, p.emulated) for p in plans] == [
        ("lab-network", False, []),
        ("lab-storage", False, ["lab-network"]),
        ("lab-backup", False, ["lab-storage"]),
        ("lab-services", False, ["lab-network", "lab-storage"]),
    ]
    text = render_text(plans, "Plan")
    assert (
        "== lab-services: 1 to add, 0 to change, 0 to destroy, 0 to replace (planned after applying lab-network, lab-storage on the emulator: the values it reads from them are the emulator's)"
        in text
    )
    assert "planned once" not in text


def test_a_failed_upstream_apply_keeps_the_first_plan():
    stacks = [SimpleNamespace(name=name, dependencies=NEEDS[name]) for name in NAMES]
    said: list[str] = []
    plans = plan_after_upstream(
        first_plans_of_a_new_deployment(),
        stacks,
        apply=lambda stack, latest: SimpleNamespace(ok=False, error="terraform apply: Error: boom"),
        plan=lambda stack: StackPlan(stack.name),
        log=said.append,
    )
    assert [p.waiting for p in plans] == [False, True, True, True]
    assert any("kept its first plan (lab-network: terraform apply: Error: boom" in line for line in said)


def test_only_plans_made_against_upstreams_as_they_will_be_are_applied_as_reviewed():
    """A step of a running deployment (tests/test_life_on_emulator.py) applies a changed stack's
    reviewed plan only where no stack it reads changes too; the others are planned anew at apply."""
    change = [ResourceChange("aws_thing.a", "change")]
    plans = [
        StackPlan("lab-network"),  # no change: nothing to apply
        StackPlan("lab-storage", resources=change),  # changed, upstream unchanged
        StackPlan("lab-backup", resources=change, provisional=["lab-storage"]),  # read storage's old outputs
        StackPlan(
            "lab-services", error="terraform plan: Error: Unsupported attribute", provisional=["lab-storage"], waiting=True
        ),
        StackPlan("lab-dropbox", resources=change, refused=True),  # Terraform refused it: no plan file
    ]
    assert applicable_plans(plans) == {"lab-storage": PLAN_FILE}
