"""Read ``terraform show -json`` of a stack's plan into what a reviewer needs, and render it.

Per stack: how many resources are added, changed in place, destroyed and replaced; each changed
resource with its changed attribute paths and before/after values; and the alerts a review must
not miss, taken from the plan itself:

- STATEFUL: a delete or replace of something OMERO keeps (EFS file systems and access points, the
  database and its snapshots, Secrets Manager secrets, backup vaults, the state bucket and every
  bucket its stack protects with ``prevent_destroy``), naming the attributes that force the
  replacement (the plan's ``replace_paths``). A plan Terraform refuses because of
  ``prevent_destroy`` is the same alert (see :func:`refused_alert`).
- OMERO RESTART: the read-write OMERO.server's task definition is replaced: ECS stops the only
  read-write server before the new one starts (expected downtime, and whether the schema upgrades).
- WORLD INGRESS: a security group rule that lets in 0.0.0.0/0 or ::/0, new or changed; INGRESS:
  one that lets in any other CIDR.
- IAM: Allow actions a policy gains.
- OMERO IMAGE: a container image of OMERO.server, OMERO.web or the import task changes.

Values Terraform marks sensitive, write-only arguments, attributes named like secrets and values
that look like keys are never shown: they read "(redacted)".
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from tools.readable_change import added_details, is_long_text, readable, restart_message, service_restart_message, text_diff
from tools.synthesized import REDACTED, STATEFUL_TYPES, flatten, show

# What OMERO keeps, by resource type (the synthesized diff's list, plus the upgrade snapshots).
KEPT_TYPES = frozenset(STATEFUL_TYPES) | {"aws_db_snapshot"}
OMERO_CONTAINERS = ("omero-server", "omero-web", "omero-import")
WORLD = ("0.0.0.0/0", "::/0")
UNKNOWN = "(known after apply)"
_ACTIONS = {
    ("create",): "add",
    ("update",): "change",
    ("delete",): "destroy",
    ("delete", "create"): "replace",
    ("create", "delete"): "replace",
}


@dataclass(frozen=True)
class PlanAlert:
    level: str  # one of LEVELS
    stack: str
    message: str


@dataclass
class ResourceChange:
    address: str
    action: str  # add, change, destroy, replace
    changes: list[str] = field(default_factory=list)  # "path: before → after"
    replace_paths: list[str] = field(default_factory=list)


@dataclass
class StackPlan:
    name: str
    resources: list[ResourceChange] = field(default_factory=list)
    alerts: list[PlanAlert] = field(default_factory=list)
    error: str = ""  # the plan failed (and was not a refusal, which is an alert)
    refused: bool = False  # Terraform refused the plan (prevent_destroy)
    provisional: list[str] = field(default_factory=list)  # upstream stacks with pending changes
    # Not plannable yet: it reads outputs of upstream stacks that are still to be applied (a new
    # deployment's stacks after the first); ``error`` says what Terraform said.
    waiting: bool = False
    # Planned again once these upstream stacks were applied on a rehearsal's emulator: what it
    # reads from them are the emulator's values.
    emulated: list[str] = field(default_factory=list)
    seconds: float = 0.0
    # Outputs the plan adds, changes or removes: a stack after it may read them (cdktf's
    # cross-stack references are outputs), so it counts as changed even with no resource to change.
    outputs: list[str] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for r in self.resources if r.action == action)

    @property
    def changed(self) -> bool:
        return bool(self.resources or self.outputs) or self.refused

    def counts(self) -> str:
        return ", ".join(f"{self.count(a)} to {a}" for a in ("add", "change", "destroy", "replace"))


# ---------------------------------------------------------------------------------------------
# Reading a plan
# ---------------------------------------------------------------------------------------------


def marked_paths(structure: Any) -> set[str]:
    """Paths that a ``*_sensitive`` or ``after_unknown`` structure marks true (a whole attribute or a leaf)."""
    if structure is True:
        return {""}
    return {path for path, (value, _) in flatten(structure).items() if value is True}


def covered(path: str, marked: set[str]) -> bool:
    return any(m == "" or path == m or path.startswith(m + ".") or path.startswith(m + "[") for m in marked)


def attribute_changes(change: dict) -> list[str]:
    """Changed leaves of one resource change, as "path: before → after", secrets redacted.

    An attribute known only after apply is one line, however many leaves it had before. Containers,
    their variables and port mappings are compared by name, empty values (null, "", []) are no
    value, and a changed script or policy is a unified diff (:mod:`tools.readable_change`)."""
    before = flatten(readable(change.get("before") or {}))
    after = flatten(readable(change.get("after") or {}))
    sensitive = marked_paths(change.get("before_sensitive")) | marked_paths(change.get("after_sensitive"))
    unknown = {p for p in marked_paths(change.get("after_unknown")) if p}
    lines = []

    def shown(leaf: tuple[Any, bool] | None, secret: bool) -> str:
        return "(none)" if leaf is None else REDACTED if secret else show(leaf[0])

    for path in sorted(set(before) | set(after) | unknown):
        if covered(path, unknown) and path not in unknown:
            continue  # under an attribute that is reported whole, as known after apply
        old, new = before.get(path), after.get(path)
        secret = covered(path, sensitive) or bool(old and old[1]) or bool(new and new[1])
        if path in unknown:
            had = old is not None or any(covered(p, {path}) for p in before)
            lines.append(f"{path}: {shown(old, secret) if old else '(set)' if had else '(none)'} → {UNKNOWN}")
        elif old != new and old and new and not secret and is_long_text(old[0], new[0]):
            lines += [f"{path}:"] + [f"    {line}" for line in text_diff(old[0], new[0])]
        elif old != new:
            lines.append(f"{path}: {shown(old, secret)} → {shown(new, secret)}")
    return lines


def resource_changes(plan: dict) -> list[tuple[dict, ResourceChange]]:
    """The managed resources the plan changes, with what changes."""
    found = []
    for entry in plan.get("resource_changes") or []:
        if entry.get("mode") != "managed":
            continue
        action = _ACTIONS.get(tuple(entry["change"].get("actions") or ()))
        if action is None:  # no-op, read, forget
            continue
        change = entry["change"]
        found.append(
            (
                entry,
                ResourceChange(
                    entry["address"],
                    action,
                    attribute_changes(change)
                    if action in ("change", "replace")
                    else added_details(entry.get("type", ""), change.get("after"))
                    if action == "add"
                    else [],
                    [".".join(str(p) for p in path) for path in change.get("replace_paths") or []],
                ),
            )
        )
    return found


def is_kept(entry: dict, stack: str, stack_json: dict) -> bool:
    """Whether a resource holds what OMERO keeps: its type, and for buckets its protection."""
    if entry["type"] not in KEPT_TYPES:
        return False
    if entry["type"] != "aws_s3_bucket":
        return True
    body = ((stack_json.get("resource") or {}).get(entry["type"]) or {}).get(entry.get("name", ""), {})
    lifecycle = body.get("lifecycle") if isinstance(body, dict) else None
    return stack.endswith("-state") or (isinstance(lifecycle, dict) and lifecycle.get("prevent_destroy") is True)


def analyze(stack: str, plan: dict, stack_json: dict) -> StackPlan:
    """A stack's plan (``terraform show -json``) read for review; ``stack_json`` is its synthesized JSON."""
    result = StackPlan(stack)
    for entry, change in resource_changes(plan):
        result.resources.append(change)
        result.alerts += _alerts(stack, entry, change, stack_json)
    result.outputs = sorted(
        name for name, change in (plan.get("output_changes") or {}).items() if change.get("actions") != ["no-op"]
    )
    return result


def _alerts(stack: str, entry: dict, change: ResourceChange, stack_json: dict) -> list[PlanAlert]:
    alerts = []
    if change.action in ("destroy", "replace") and is_kept(entry, stack, stack_json):
        forced = f", forced by {', '.join(change.replace_paths)}" if change.replace_paths else ""
        verb = "replaced (destroyed and created anew)" if change.action == "replace" else "destroyed"
        lost = (
            "the snapshot of the previous upgrade goes once the new one is taken: copy it first to keep it"
            if entry["type"] == "aws_db_snapshot"
            else "what it holds is lost"
        )
        alerts.append(PlanAlert("STATEFUL", stack, f"{change.address} would be {verb}{forced}: {lost}"))
    before, after = entry["change"].get("before") or {}, entry["change"].get("after") or {}
    if change.action in ("add", "change", "replace"):
        alerts += _ingress_alerts(stack, entry["type"], change.address, before, after)
        alerts += _iam_alerts(stack, entry["type"], change.address, before, after, entry["change"].get("after_unknown") or {})
        alerts += _image_alerts(stack, entry["type"], change.address, before, after)
    if change.action in ("change", "replace") and entry["type"] == "aws_ecs_task_definition":
        message = restart_message(change.address, before, after)
        alerts += [PlanAlert("OMERO RESTART", stack, message)] if message else []
    if entry["type"] == "aws_ecs_service":
        message = service_restart_message(change.address, change.action, before)
        alerts += [PlanAlert("OMERO RESTART", stack, message)] if message else []
    return alerts


def ingress_cidrs(type_: str, values: dict) -> set[str]:
    """The CIDRs a security group rule (or a group's inline ingress) lets in."""
    if type_ == "aws_vpc_security_group_ingress_rule":
        return {str(values[k]) for k in ("cidr_ipv4", "cidr_ipv6") if values.get(k)}
    if type_ == "aws_security_group_rule" and values.get("type") == "ingress":
        return set(values.get("cidr_blocks") or []) | set(values.get("ipv6_cidr_blocks") or [])
    if type_ == "aws_security_group":
        return {
            c
            for rule in values.get("ingress") or []
            for c in (rule.get("cidr_blocks") or []) + (rule.get("ipv6_cidr_blocks") or [])
        }
    return set()


def _ingress_alerts(stack: str, type_: str, address: str, before: dict, after: dict) -> list[PlanAlert]:
    """WORLD INGRESS for the world's CIDRs a rule newly lets in, INGRESS for any other CIDR."""
    opened = ingress_cidrs(type_, after) - ingress_cidrs(type_, before)
    ports = f"{after.get('from_port')}-{after.get('to_port')}" if "from_port" in after else "its ports"
    world, other = sorted(opened & set(WORLD)), sorted(opened - set(WORLD))
    return [
        PlanAlert(level, stack, f"{address} lets {', '.join(cidrs)} in on {ports}")
        for level, cidrs in (("WORLD INGRESS", world), ("INGRESS", other))
        if cidrs
    ]


_POLICY_TYPES = {"aws_iam_role_policy": "policy", "aws_iam_policy": "policy"}


def allowed_actions(document: Any) -> set[str]:
    """The actions a policy document's Allow statements grant."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return set()
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    actions: set[str] = set()
    for statement in statements if isinstance(statements, list) else [statements]:
        if isinstance(statement, dict) and statement.get("Effect") == "Allow":
            listed = statement.get("Action") or []
            actions |= {listed} if isinstance(listed, str) else set(listed)
    return actions


def _iam_alerts(stack: str, type_: str, address: str, before: dict, after: dict, unknown: dict) -> list[PlanAlert]:
    if type_ == "aws_iam_role_policy_attachment" and after.get("policy_arn") != before.get("policy_arn"):
        return [PlanAlert("IAM", stack, f"{address} attaches {after.get('policy_arn') or UNKNOWN}")]
    attribute = _POLICY_TYPES.get(type_)
    if attribute is None:
        return []
    if unknown.get(attribute) is True:
        return [PlanAlert("IAM", stack, f"{address}: the policy is {UNKNOWN} (it names resources this plan creates)")]
    gained = sorted(allowed_actions(after.get(attribute)) - allowed_actions(before.get(attribute)))
    if not gained:
        return []
    return [PlanAlert("IAM", stack, f"{address} allows {len(gained)} more action(s): {', '.join(gained)}")]


def container_images(definitions: Any) -> dict[str, str]:
    if isinstance(definitions, str):
        try:
            definitions = json.loads(definitions)
        except ValueError:
            return {}
    return {
        str(c["name"]): str(c.get("image") or "")
        for c in definitions or []
        if isinstance(c, dict) and c.get("name") in OMERO_CONTAINERS
    }


def _image_alerts(stack: str, type_: str, address: str, before: dict, after: dict) -> list[PlanAlert]:
    if type_ != "aws_ecs_task_definition":
        return []
    old, new = container_images(before.get("container_definitions")), container_images(after.get("container_definitions"))
    return [
        PlanAlert(
            "OMERO IMAGE",
            stack,
            f"{address}: {name} {old[name]} → {image}"
            + (" (the read-write server upgrades the database schema as it starts)" if name == "omero-server" else ""),
        )
        for name, image in sorted(new.items())
        if name in old and old[name] != image
    ]


# ---------------------------------------------------------------------------------------------
# A plan Terraform refused: prevent_destroy
# ---------------------------------------------------------------------------------------------

_REFUSED = re.compile(r"Resource (\S+) has lifecycle\.prevent_destroy set")


def refused_addresses(error_text: str) -> list[str]:
    """The resources whose ``prevent_destroy`` made Terraform refuse the plan."""
    return sorted(set(_REFUSED.findall(re.sub(r"[│╷╵]\s*", " ", error_text).replace("\n", " "))))


def refused_alert(stack: str, address: str, state: dict, stack_json: dict) -> PlanAlert:
    """The STATEFUL alert for a refused plan, naming the forcing arguments whose values change.

    ``state`` is ``terraform show -json`` of the stack's state; the new values are the literal
    ones in the synthesized configuration (a reference is known only at apply).
    """
    type_, _, name = address.partition(".")
    current = next(
        (
            r.get("values") or {}
            for r in (state.get("values") or {}).get("root_module", {}).get("resources", [])
            if r.get("address") == address
        ),
        {},
    )
    config = ((stack_json.get("resource") or {}).get(type_) or {}).get(name, {})
    changed = []
    for argument in sorted(STATEFUL_TYPES.get(type_, ())):
        new = config.get(argument) if isinstance(config, dict) else None
        if new is None or (isinstance(new, str) and "${" in new):
            continue
        if new != current.get(argument):
            changed.append(f"{argument}: {show(current.get(argument))} → {show(new)}")
    why = "; ".join(changed) if changed else "an argument that forces replacement changes (its new value is known only at apply)"
    return PlanAlert("STATEFUL", stack, f"{address} would be replaced ({why}); prevent_destroy makes Terraform refuse the plan")


# ---------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------

LEVELS = ("STATEFUL", "OMERO RESTART", "WORLD INGRESS", "INGRESS", "IAM", "OMERO IMAGE")
_CALLOUT = {
    "STATEFUL": "CAUTION",
    "OMERO RESTART": "WARNING",
    "WORLD INGRESS": "WARNING",
    "INGRESS": "NOTE",
    "IAM": "NOTE",
    "OMERO IMAGE": "IMPORTANT",
}
# GitHub refuses a comment over 65,536 characters; stay under it with room for a heading.
MARKDOWN_LIMIT = 60_000


def all_alerts(stacks: Iterable[StackPlan]) -> list[PlanAlert]:
    alerts = [a for s in stacks for a in s.alerts]
    return sorted(alerts, key=lambda a: LEVELS.index(a.level))


def _status(stack: StackPlan) -> str:
    if stack.waiting:
        return f"planned once {', '.join(stack.provisional)} are applied: it reads their outputs ({stack.error})"
    if stack.error:
        return f"ERROR: {stack.error}"
    if stack.refused:
        return "refused by Terraform (prevent_destroy)"
    note = (
        f" (planned after applying {', '.join(stack.emulated)} on the emulator: the values it reads from them are the emulator's)"
        if stack.emulated
        else f" (provisional: planned against the current outputs of {', '.join(stack.provisional)}, which have pending changes)"
        if stack.provisional
        else ""
    )
    if stack.outputs and not stack.resources:
        return (
            f"no resource changes; {len(stack.outputs)} outputs to add, change or remove (stacks after it may read them)" + note
        )
    return (stack.counts() if stack.resources else "no changes") + note


def render_text(stacks: list[StackPlan], title: str, cost: str = "") -> str:
    """The report as text; ``cost``: the monthly estimate line (tools.change_cost)."""
    lines = [title, ""] + ([f"COST: {cost}", ""] if cost else [])
    lines += [f"{a.level:<14} {a.stack}: {a.message}" for a in all_alerts(stacks)]
    if any(s.alerts for s in stacks):
        lines.append("")
    for stack in stacks:
        lines.append(f"== {stack.name}: {_status(stack)} [{stack.seconds:.0f} s]")
        for resource in stack.resources:
            lines.append(f"  {resource.action:<8} {resource.address}")
            lines += [f"        {line}" for line in resource.changes]
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(stacks: list[StackPlan], title: str, cost: str = "", *, limit: int = MARKDOWN_LIMIT) -> str:
    """A pull-request comment: alerts, a table of stacks, a collapsible section per changed stack.

    Sections that do not fit under ``limit`` characters are left out with a note: the whole
    report is in the artifact.
    """
    head = [f"### {title}", ""] + ([f"**Cost:** {_md(cost)}", ""] if cost else [])
    alerts = all_alerts(stacks)
    for level in LEVELS:
        found = [a for a in alerts if a.level == level]
        if found:
            head += [f"> [!{_CALLOUT[level]}]", f"> **{level}**"] + [f"> - `{a.stack}`: {_md(a.message)}" for a in found] + [""]
    head += ["| stack | plan |", "|---|---|"] + [f"| `{s.name}` | {_md(_status(s))} |" for s in stacks]
    sections, left_out = [], []
    used = sum(len(line) + 1 for line in head)
    for stack in (s for s in stacks if s.resources):
        body = ["", "<details>", f"<summary><code>{stack.name}</code>: {_md(stack.counts())}</summary>", "", "~~~"]
        for resource in stack.resources:
            body.append(f"{resource.action} {resource.address}")
            body += [f"    {line}".replace("~~~", "~ ~ ~") for line in resource.changes]
        body += ["~~~", "", "</details>"]
        size = sum(len(line) + 1 for line in body)
        if used + size > limit - 200:
            left_out.append(stack.name)
            continue
        sections += body
        used += size
    if left_out:
        sections += ["", f"Details of {', '.join(left_out)} are left out to fit a comment: see report.md in the artifact."]
    return "\n".join(head + sections) + "\n"


def render_json(stacks: list[StackPlan], title: str, exit_code: int, cost: str = "") -> str:
    report = {"title": title, "exit_code": exit_code, "cost": cost, "stacks": [asdict(s) for s in stacks]}
    return json.dumps(report, indent=2) + "\n"
