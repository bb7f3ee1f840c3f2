"""Compare two synthesized deployments stack by stack, for reviewing a change before it is planned.

    pipenv run diff OLD_OUTDIR NEW_OUTDIR [--format text|markdown] [--title TEXT]
    pipenv run diff --git BASE [HEAD] [--config FILE] [--config-from-revision] [--format ...]

The first form compares two ``cdktf.out`` directories (each holding ``stacks/<stack>/cdk.tf.json``).
The second synthesizes two revisions of this repository (HEAD omitted: the working tree) with the
same deployment file and this checkout's Python, each from a ``git archive`` export in a temporary
directory that is removed afterwards; ``--config-from-revision`` takes the deployment file from each
revision instead, so a change to the file itself shows too.

Per stack it prints stacks added and removed; resources, data sources, outputs, providers and
backend settings added, removed and changed, by Terraform address; and for changed ones each
changed attribute with before -> after (nested JSON, including JSON held in strings such as
container definitions and policies, flattened to dotted paths; long values shortened). Secrets
never print: attributes named like passwords, secrets, tokens, private keys or write-only
arguments (``*_wo``), and values that look like keys or tokens, show as "(redacted)".

At the top it warns about what a review must not miss: any change to what OMERO keeps (EFS file
systems and access points, RDS instances, the state bucket or any bucket with prevent_destroy,
Secrets Manager secrets) as STATEFUL, and as REPLACEMENT RISK where the changed attribute makes
Terraform destroy and recreate it or the resource disappears; and an OMERO upgrade when the
read-write OMERO.server image changes. Works offline: nothing here talks to AWS.

Exit status, as diff(1): 0 no changes, 1 changes, 2 bad input (one line on stderr).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from config import ConfigError
from tools.change_cost import cost_line
from tools.common import Parser, ToolError
from tools.readable_change import added_details, is_long_text, readable, restart_message, text_diff
from tools.revisions import ROOT, deployment_at, export_revision, resolve_revision, synthesize_checkout
from tools.synthesized import ABSENT, HIDDEN, STATEFUL_TYPES, flatten, json_in_string, load_tree, show

# ---------------------------------------------------------------------------------------------
# The blocks of a stack
# ---------------------------------------------------------------------------------------------

# The order blocks are listed in, and how each kind is named in messages.
KINDS = ("resource", "data", "ephemeral", "output", "variable", "local", "provider", "terraform", "other")
KIND_TITLES = {
    "resource": "resources",
    "data": "data sources",
    "ephemeral": "ephemeral resources",
    "output": "outputs",
    "variable": "variables",
    "local": "locals",
    "provider": "providers",
    "terraform": "terraform settings",
    "other": "other blocks",
}


@dataclass(frozen=True)
class Block:
    """One addressable piece of a stack: a resource, a data source, an output, a provider..."""

    kind: str
    address: str  # Terraform address: "aws_efs_file_system.efs_file_system_D9A5D3EE", "output.efs_id"
    type: str  # resource or data source type; "" for the other kinds
    body: Any


def blocks_of(stack: dict) -> dict[str, Block]:
    """The blocks of one stack's JSON by address, with cdktf's own metadata left out."""
    found: dict[str, Block] = {}

    def add(kind: str, address: str, body: Any, type_: str = "") -> None:
        found[address] = Block(kind, address, type_, _without_metadata(body))

    for key, value in stack.items():
        if key == "//":
            continue
        if key in ("resource", "data", "ephemeral") and isinstance(value, dict):
            prefix = "" if key == "resource" else f"{key}."
            for type_, named in value.items():
                for name, body in (named or {}).items():
                    if type_ == "terraform_remote_state":
                        body = _local_remote_state(body)
                    add(key, f"{prefix}{type_}.{name}", body, type_)
        elif key in ("output", "variable", "locals") and isinstance(value, dict):
            kind = {"locals": "local", "variable": "variable", "output": "output"}[key]
            prefix = {"local": "local", "variable": "var", "output": "output"}[kind]
            for name, body in value.items():
                add(kind, f"{prefix}.{name}", body)
        elif key == "provider" and isinstance(value, dict):
            for name, configs in value.items():
                for config in configs if isinstance(configs, list) else [configs]:
                    alias = config.get("alias") if isinstance(config, dict) else None
                    add("provider", f"provider.{name}" + (f".{alias}" if alias else ""), config)
        elif key == "terraform" and isinstance(value, dict):
            for setting, body in value.items():
                if setting == "backend" and isinstance(body, dict):
                    for backend_type, backend in body.items():
                        add("terraform", f"terraform.backend.{backend_type}", _local_backend(backend_type, backend))
                else:
                    add("terraform", f"terraform.{setting}", body)
        else:
            add("other", key, value)
    return found


def _without_metadata(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_metadata(v) for k, v in value.items() if k != "//"}
    if isinstance(value, list):
        return [_without_metadata(v) for v in value]
    return value


def _local_backend(backend_type: str, backend: Any) -> Any:
    """A local backend's path depends on where the synth ran; only the state file's name counts."""
    if backend_type == "local" and isinstance(backend, dict) and isinstance(backend.get("path"), str):
        return {**backend, "path": os.path.basename(backend["path"])}
    return backend


def _local_remote_state(body: Any) -> Any:
    """A local ``terraform_remote_state`` reads a path relative to the output directory, which
    depends on where the synth ran: as for the backend, only the state file's name counts."""
    if not isinstance(body, dict) or body.get("backend") != "local" or not isinstance(body.get("config"), dict):
        return body
    config = body["config"]
    if not isinstance(config.get("path"), str):
        return body
    return {**body, "config": {**config, "path": os.path.basename(config["path"])}}


# ---------------------------------------------------------------------------------------------
# The diff
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One changed leaf of a block."""

    path: str
    before: Any  # ABSENT when the leaf is new
    after: Any  # ABSENT when the leaf is gone

    def line(self) -> str:
        return f"{self.path}: {show(self.before)} → {show(self.after)}"

    def lines(self) -> list[str]:
        """The change as a reviewer reads it: a script or a policy as a unified diff, else one line."""
        if is_long_text(self.before, self.after):
            return [f"{self.path}:"] + [f"    {line}" for line in text_diff(self.before, self.after)]
        return [self.line()]

    @property
    def attribute(self) -> str:
        """The top-level attribute the leaf belongs to (``posix_user`` for ``posix_user[0].uid``)."""
        return re.split(r"[.\[]", self.path, maxsplit=1)[0]


@dataclass(frozen=True)
class BlockDiff:
    kind: str
    address: str
    type: str
    status: str  # "added", "removed" or "changed"
    changes: tuple[Change, ...] = ()
    details: tuple[str, ...] = ()  # what matters of an added block (a rule's CIDR, a policy's actions)


@dataclass(frozen=True)
class Alert:
    """Something a reviewer must see first."""

    level: str  # "REPLACEMENT RISK", "STATEFUL", "OMERO RESTART" or "OMERO UPGRADE"
    stack: str
    message: str


@dataclass
class StackDiff:
    name: str
    status: str  # "added", "removed", "changed" or "unchanged"
    blocks: list[BlockDiff] = field(default_factory=list)

    def count(self, kind: str, status: str) -> int:
        return sum(1 for b in self.blocks if b.kind == kind and b.status == status)

    def summary(self, kind: str) -> str:
        added, changed, removed = (self.count(kind, s) for s in ("added", "changed", "removed"))
        return f"+{added} ~{changed} -{removed}"


@dataclass
class TreeDiff:
    stacks: list[StackDiff]
    alerts: list[Alert]
    cost: str = ""  # the monthly estimate before → after (tools.change_cost), when the deployments are known

    @property
    def changed(self) -> bool:
        return any(s.status != "unchanged" for s in self.stacks)


def diff_trees(old: dict[str, dict], new: dict[str, dict]) -> TreeDiff:
    """Compare two synthesized trees (stack name -> stack JSON)."""
    stacks: list[StackDiff] = []
    alerts: list[Alert] = []
    for name in sorted(set(old) | set(new)):
        before = blocks_of(old[name]) if name in old else {}
        after = blocks_of(new[name]) if name in new else {}
        blocks = diff_blocks(before, after)
        status = "added" if name not in old else "removed" if name not in new else "changed" if blocks else "unchanged"
        stacks.append(StackDiff(name, status, blocks))
        alerts += stateful_alerts(name, blocks, before, after)
        alerts += upgrade_alerts(name, old.get(name, {}), new.get(name, {}), snapshots=upgrade_snapshots(new))
        alerts += restart_alerts(name, blocks, before, after)
    order = {"REPLACEMENT RISK": 0, "STATEFUL": 1, "OMERO RESTART": 2, "OMERO UPGRADE": 3}
    alerts.sort(key=lambda w: order[w.level])
    return TreeDiff(stacks, alerts)


def diff_blocks(before: dict[str, Block], after: dict[str, Block]) -> list[BlockDiff]:
    result: list[BlockDiff] = []
    for address in set(before) | set(after):
        old, new = before.get(address), after.get(address)
        if old is None:
            assert new is not None
            result.append(BlockDiff(new.kind, address, new.type, "added", details=tuple(added_details(new.type, new.body))))
        elif new is None:
            result.append(BlockDiff(old.kind, address, old.type, "removed"))
        else:
            changes = diff_values(old.body, new.body)
            if changes:
                result.append(BlockDiff(new.kind, address, new.type, "changed", tuple(changes)))
    status_order = {"removed": 0, "changed": 1, "added": 2}
    result.sort(key=lambda b: (KINDS.index(b.kind), status_order[b.status], b.address))
    return result


def diff_values(before: Any, after: Any) -> list[Change]:
    """Changed leaves between two block bodies, by path; secrets compared but kept out."""
    old, new = flatten(readable(before)), flatten(readable(after))
    changes = []
    for path in sorted(set(old) | set(new), key=_path_key):
        a, b = old.get(path), new.get(path)
        if a is not None and b is not None and a[0] == b[0] and type(a[0]) is type(b[0]):
            continue
        hidden = (a is not None and a[1]) or (b is not None and b[1])
        changes.append(Change(path, _shown(a, hidden), _shown(b, hidden)))
    return changes


def _shown(leaf: tuple[Any, bool] | None, hidden: bool) -> Any:
    if leaf is None:
        return ABSENT
    return HIDDEN if hidden else leaf[0]


def _path_key(path: str) -> list[Any]:
    """Sort ``x[2]`` before ``x[10]``."""
    return [int(p) if p.isdigit() else p for p in re.split(r"\[(\d+)\]", path)]


# ---------------------------------------------------------------------------------------------
# What must not be missed: stateful resources and OMERO upgrades
# ---------------------------------------------------------------------------------------------

# Switches that keep a stateful resource from being destroyed; turning one off is flagged.
_PROTECTIONS = ("lifecycle.prevent_destroy", "deletion_protection")


def _is_stateful(stack: str, block: Block | None) -> bool:
    if block is None or block.kind != "resource" or block.type not in STATEFUL_TYPES:
        return False
    if block.type != "aws_s3_bucket":
        return True
    # Buckets: the state bucket, and any bucket its stack protects from destroy.
    lifecycle = block.body.get("lifecycle") if isinstance(block.body, dict) else None
    protected = isinstance(lifecycle, dict) and lifecycle.get("prevent_destroy") is True
    return stack.endswith("-state") or protected


def stateful_alerts(stack: str, blocks: list[BlockDiff], before: dict[str, Block], after: dict[str, Block]) -> list[Alert]:
    alerts: list[Alert] = []
    for diff in blocks:
        if diff.kind != "resource":
            continue
        if not (_is_stateful(stack, before.get(diff.address)) or _is_stateful(stack, after.get(diff.address))):
            continue
        if diff.status == "removed":
            moved = [b.address for b in blocks if b.status == "added" and b.type == diff.type]
            hint = (
                f" (a new {diff.type} appears as {', '.join(moved)}: without a moved block that is a replacement)"
                if moved
                else ""
            )
            previous = before.get(diff.address)
            lifecycle = previous.body.get("lifecycle") if previous and isinstance(previous.body, dict) else None
            guard = (
                " (prevent_destroy makes the plan fail instead)"
                if isinstance(lifecycle, dict) and lifecycle.get("prevent_destroy")
                else ""
            )
            alerts.append(
                Alert(
                    "REPLACEMENT RISK",
                    stack,
                    f"{diff.address} removed: Terraform destroys it and what it holds{guard}{hint}",
                )
            )
        elif diff.status == "changed":
            # An attribute Terraform is told to ignore never replaces anything (a database's
            # snapshot_identifier after a restore, say).
            after_block = after.get(diff.address)
            lifecycle = after_block.body.get("lifecycle") if after_block and isinstance(after_block.body, dict) else None
            ignored = set(lifecycle.get("ignore_changes") or ()) if isinstance(lifecycle, dict) else set()
            forcing = STATEFUL_TYPES[diff.type] - ignored
            risky = [c for c in diff.changes if c.attribute in forcing]
            for change in risky:
                alerts.append(
                    Alert(
                        "REPLACEMENT RISK",
                        stack,
                        f"{diff.address}: {change.line()} forces replacement (destroy and recreate)",
                    )
                )
            for change in diff.changes:
                if change.path in _PROTECTIONS and change.before is True and change.after is not True:
                    alerts.append(
                        Alert(
                            "REPLACEMENT RISK",
                            stack,
                            f"{diff.address}: {change.path} turned off: nothing stops a destroy any more",
                        )
                    )
            others = [c for c in diff.changes if c.attribute not in forcing]
            if others:
                listed = ", ".join(sorted({c.attribute for c in others}))
                alerts.append(Alert("STATEFUL", stack, f"{diff.address} changes in place: {listed}"))
        elif diff.status == "added":
            alerts.append(Alert("STATEFUL", stack, f"{diff.address} added"))
    return alerts


def restart_alerts(stack: str, blocks: list[BlockDiff], before: dict[str, Block], after: dict[str, Block]) -> list[Alert]:
    """OMERO RESTART when the read-write server's task definition changes (a new revision that
    its service deploys): the only read-write server stops before the new one starts."""
    alerts = []
    for diff in blocks:
        if diff.status != "changed" or diff.type != "aws_ecs_task_definition":
            continue
        message = restart_message(diff.address, before[diff.address].body, after[diff.address].body)
        if message:
            alerts.append(Alert("OMERO RESTART", stack, message))
    return alerts


def server_image(stack: dict) -> str | None:
    """The image of the read-write OMERO.server in a stack's task definitions, if it has one.

    That is the task definition with a container named "omero-server" whose family is not a
    read-only server's (those end in "-ro").
    """
    definitions = (stack.get("resource") or {}).get("aws_ecs_task_definition") or {}
    for name in sorted(definitions):
        body = definitions[name]
        if str(body.get("family", "")).endswith("-ro"):
            continue
        containers = body.get("container_definitions")
        if isinstance(containers, str):
            containers = json_in_string(containers)
        for container in containers or []:
            if isinstance(container, dict) and container.get("name") == "omero-server":
                return container.get("image")
    return None


def split_image(image: str) -> tuple[str, str]:
    """``repo:tag`` -> (repo, tag); ``repo@sha256:...`` -> (repo, digest); untagged -> (repo, "")."""
    if "@" in image:
        repository, digest = image.split("@", 1)
        return repository, digest
    colon = image.rfind(":")
    if colon > image.rfind("/"):
        return image[:colon], image[colon + 1 :]
    return image, ""


def upgrade_snapshots(tree: dict[str, dict]) -> list[str]:
    """The pre-upgrade snapshots a synthesized tree takes (the storage stack holds them)."""
    return [
        str(body.get("db_snapshot_identifier"))
        for name in sorted(tree)
        for body in ((tree[name].get("resource") or {}).get("aws_db_snapshot") or {}).values()
        if isinstance(body, dict)
    ]


def upgrade_alerts(stack: str, old: dict, new: dict, *, snapshots: list[str]) -> list[Alert]:
    """An OMERO UPGRADE alert when the read-write server's image changes between ``old`` and ``new``.

    ``snapshots``: the snapshots the new tree takes before the image starts (``upgrade_snapshots``).
    """
    before, after = server_image(old), server_image(new)
    if not before or not after or before == after:
        return []
    repository, new_tag = split_image(after)
    old_repository, old_tag = split_image(before)
    shown_old = old_tag if old_repository == repository else before
    if snapshots:
        first = (
            f"The plan snapshots the database first ({', '.join(snapshots)}, in the storage stack: apply it before the "
            "services) and starts the new image after it"
        )
    else:
        first = "No snapshot is planned (server.snapshot_before_upgrade = false): snapshot the database first (aws rds create-db-snapshot)"
    return [
        Alert(
            "OMERO UPGRADE",
            stack,
            f"{repository}: {shown_old or before} → {new_tag or after}. {first}; the read-write server is a "
            "singleton, so ECS stops the old server before the new one starts and upgrades the schema.",
        )
    ]


# ---------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------

_MARK = {"added": "+", "removed": "-", "changed": "~"}


def _block_lines(stack: StackDiff, *, diff_syntax: bool = False) -> Iterator[str]:
    """One line per block (``+ address``), changed attributes indented under it.

    With ``diff_syntax`` the marks start each line and kinds are hunk headers, so that a
    ``diff`` code block in a pull-request comment colours additions and removals.
    """
    indent = "" if diff_syntax else "  "
    for kind in KINDS:
        blocks = [b for b in stack.blocks if b.kind == kind]
        if not blocks:
            continue
        yield f"@@ {KIND_TITLES[kind]} @@" if diff_syntax else f"  {KIND_TITLES[kind]}:"
        for block in blocks:
            mark = "!" if diff_syntax and block.status == "changed" else _MARK[block.status]
            yield f"{indent}{mark} {block.address}"
            for detail in block.details:
                yield f"{indent}      {detail}"
            for change in block.changes:
                for line in change.lines():
                    yield f"{indent}      {line}"


def _totals(diff: TreeDiff) -> str:
    changed = [s for s in diff.stacks if s.status != "unchanged"]
    resources = {s: sum(st.count("resource", s) for st in diff.stacks) for s in ("added", "changed", "removed")}
    return (
        f"{len(diff.stacks)} stacks, {len(changed)} with changes; resources "
        f"+{resources['added']} ~{resources['changed']} -{resources['removed']}"
    )


def render_text(diff: TreeDiff, title: str = "") -> str:
    lines: list[str] = [title] if title else []
    if not diff.changed:
        lines.append(f"no changes ({len(diff.stacks)} stacks compared)")
        return "\n".join(lines) + "\n"
    lines.append(_totals(diff))
    if diff.cost:
        lines.append(f"COST: {diff.cost}")
    if diff.alerts:
        lines.append("")
        width = max(len(w.level) for w in diff.alerts)
        lines += [f"{w.level:<{width}}  {w.stack}: {w.message}" for w in diff.alerts]
    for stack in diff.stacks:
        lines.append("")
        if stack.status == "unchanged":
            lines.append(f"== {stack.name}: no changes")
            continue
        label = {"added": "stack added", "removed": "stack removed", "changed": "changed"}[stack.status]
        lines.append(f"== {stack.name}: {label} (resources {stack.summary('resource')})")
        lines += _block_lines(stack)
    return "\n".join(lines) + "\n"


_CALLOUT = {"REPLACEMENT RISK": "CAUTION", "STATEFUL": "WARNING", "OMERO RESTART": "WARNING", "OMERO UPGRADE": "IMPORTANT"}


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(diff: TreeDiff, title: str = "") -> str:
    """A pull-request comment: alerts, a summary table, and a collapsible section per stack."""
    lines: list[str] = [f"### {title}" if title else "### Synthesized diff", ""]
    if not diff.changed:
        lines.append(f"No changes ({len(diff.stacks)} stacks compared).")
        return "\n".join(lines) + "\n"
    lines += [_totals(diff) + ".", ""]
    if diff.cost:
        lines += [f"**Cost:** {diff.cost}", ""]
    for level in _CALLOUT:
        found = [w for w in diff.alerts if w.level == level]
        if found:
            lines += [f"> [!{_CALLOUT[level]}]", f"> **{level}**"]
            lines += [f"> - `{w.stack}`: {_md_cell(w.message)}" for w in found]
            lines.append("")
    lines += [
        "| stack | status | resources | data sources | outputs |",
        "|---|---|---|---|---|",
    ]
    for stack in diff.stacks:
        lines.append(
            f"| `{stack.name}` | {stack.status} | {stack.summary('resource')} | {stack.summary('data')} "
            f"| {stack.summary('output')} |"
        )
    for stack in diff.stacks:
        if stack.status == "unchanged":
            continue
        lines += [
            "",
            "<details>",
            f"<summary><code>{stack.name}</code>: {stack.status}, resources {stack.summary('resource')}</summary>",
            "",
            "~~~diff",
        ]
        lines += [line.replace("~~~", "~ ~ ~") for line in _block_lines(stack, diff_syntax=True)]
        lines += ["~~~", "", "</details>"]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# Synthesizing git revisions
# ---------------------------------------------------------------------------------------------


def synthesize_revisions(
    base: str, head: str | None, config: str | None, config_from_revision: bool
) -> tuple[dict[str, dict], dict[str, dict]]:
    """Synthesize ``base`` and ``head`` (None: the working tree) into a temporary directory."""
    if config_from_revision and not config:
        raise ToolError("--config-from-revision needs --config (a path inside the repository)")
    config = config or os.environ.get("OMERO_CONFIG") or None
    shared = Path(config).resolve() if config else None
    if shared is not None and not config_from_revision and not shared.is_file():
        raise ToolError(f"{config}: no such deployment file")
    relative = None
    if config_from_revision:
        try:
            relative = Path(str(config)).resolve().relative_to(ROOT)
        except ValueError:
            raise ToolError(f"{config}: not inside {ROOT}; --config-from-revision reads it from each revision") from None
    commits = [resolve_revision(base)] + ([resolve_revision(head)] if head else [])
    work = Path(tempfile.mkdtemp(prefix="synth-diff-"))
    try:
        trees = []
        for index, commit in enumerate(commits):
            source = export_revision(commit, work / f"{index}-{commit[:12]}")
            file = source / relative if relative is not None else shared
            trees.append(synthesize_checkout(source, source / "cdktf.out", file, f"revision {commit[:12]}"))
        if head is None:
            file = ROOT / relative if relative is not None else shared
            trees.append(synthesize_checkout(ROOT, work / "worktree" / "cdktf.out", file, "working tree"))
        if not trees[0] and not trees[1]:
            raise ToolError(f"{config}: in neither revision")
        return trees[0], trees[1]
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = Parser(
        prog="pipenv run diff",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="exit status: 0 no changes, 1 changes, 2 bad input",
    )
    parser.add_argument("old", nargs="?", help="old cdktf.out directory (with --git: the base revision)")
    parser.add_argument(
        "new", nargs="?", help="new cdktf.out directory (with --git: the head revision; default the working tree)"
    )
    parser.add_argument("--git", action="store_true", help="OLD and NEW are git revisions of this repository, synthesized here")
    parser.add_argument("--config", help="deployment file for --git (default $OMERO_CONFIG, else each revision's default)")
    parser.add_argument("--config-from-revision", action="store_true", help="with --git: read --config from each revision's tree")
    parser.add_argument(
        "--format", choices=("text", "markdown"), default="text", help="text (default) or markdown (a PR comment)"
    )
    parser.add_argument("--title", default="", help="heading printed above the diff (e.g. the deployment file)")
    parser.add_argument("--old-config", help="the old deployment file, to print the monthly cost before and after")
    parser.add_argument("--new-config", help="the new deployment file (default: --old-config)")
    options = parser.parse_args(argv)
    if options.old is None or (options.new is None and not options.git):
        parser.error("give two cdktf.out directories, or --git BASE [HEAD]")
    return options


def _cost(options: argparse.Namespace) -> str:
    """The monthly cost line for the deployment files compared, or "" when none is known."""
    try:
        if options.git and options.config:
            if not options.config_from_revision:
                deployment = deployment_at(None, options.config)
                return cost_line(deployment, deployment)
            return cost_line(deployment_at(options.old, options.config), deployment_at(options.new, options.config))
        if options.old_config:
            return cost_line(
                deployment_at(None, options.old_config), deployment_at(None, options.new_config or options.old_config)
            )
    except (ConfigError, ToolError, ValueError) as problem:
        return f"monthly estimate unavailable: {str(problem).splitlines()[0] if str(problem) else type(problem).__name__}"
    return ""


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    try:
        if options.git:
            old, new = synthesize_revisions(options.old, options.new, options.config, options.config_from_revision)
        else:
            old, new = load_tree(Path(options.old)), load_tree(Path(options.new))
    except ToolError as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    diff = diff_trees(old, new)
    diff.cost = _cost(options)
    render = render_markdown if options.format == "markdown" else render_text
    sys.stdout.write(render(diff, options.title))
    return 1 if diff.changed else 0


if __name__ == "__main__":
    sys.exit(main())
