"""Architecture diagram of a deployment as a Mermaid flowchart, from its synthesized Terraform JSON.

    pipenv run diagram [--config FILE | --outdir cdktf.out]      # print the Mermaid text
    pipenv run diagram --config examples/tls-rw-ro.hcl --write-docs

One subgraph per stack, one node per OMERO-level part (VPC and subnets, EFS, RDS, secrets, the ECS
cluster, the read-write and read-only OMERO.servers, OMERO.web, the load balancers, the
certificate, the add-ons) rather than per resource: the resources that make up a part (a task
definition, a listener, a mount target) are folded into it, and helpers many parts share
(security groups, IAM roles, log groups) are counted in one node per stack ("security groups x5")
without arrows. An arrow ``A --> B`` says that A refers to B: within a stack through a
``${aws_x.y.attr}`` reference, across stacks through the ``terraform_remote_state`` data source
and the producing stack's output. References through folded or unnamed resources are followed
to the next part, and an arrow implied by a longer path is left out, so the picture stays small.

``--write-docs`` replaces the block between ``<!-- architecture:start -->`` and
``<!-- architecture:end -->`` in docs/architecture-and-cost.md (``--page`` for another file) with the diagram.
Without ``--outdir`` the deployment is synthesized (~3 s) into a temporary directory.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from config import config_path
from tools.common import Parser, ToolError
from tools.deployment import Stack, load_deployment, read_stacks, role_of, synthesize_to

ROOT = Path(__file__).resolve().parents[1]

START, END = "<!-- architecture:start -->", "<!-- architecture:end -->"
REFERENCE = re.compile(r"(?<![\w.-])(data\.)?(aws_[a-z0-9_]+)\.([A-Za-z0-9_]+)")
REMOTE = re.compile(r"data\.terraform_remote_state\.([\w-]+)\.outputs\.([\w-]+)")
REMOTE_PREFIX = "cross-stack-reference-input-"
MAX_WALK = 10_000  # resources visited per reference walk, at most


@dataclass(frozen=True)
class Rule:
    """Resources of ``types`` whose name starts with ``prefix`` (in a stack of ``role``) form the part ``key``."""

    types: tuple[str, ...]
    key: str
    label: Callable[[list[dict[str, Any]]], str]  # from the bodies of the part's resources
    prefix: str = ""
    linked: bool = True  # False: counted, drawn without arrows, walked through
    role: str = ""  # only in the stack of this role (any stack when empty)


def _count(nouns: str) -> Callable[[list[dict[str, Any]]], str]:
    """ "subnets ×3", or "subnet" for one."""
    return lambda bodies: f"{nouns} ×{len(bodies)}" if len(bodies) != 1 else nouns.removesuffix("s")


def _first(bodies: list[dict[str, Any]], attribute: str, default: Any = None) -> Any:
    return next((b[attribute] for b in bodies if attribute in b), default)


def _database(bodies: list[dict[str, Any]]) -> str:
    instance = next((b for b in bodies if "instance_class" in b), {})
    version = instance.get("engine_version", "")
    return f"RDS PostgreSQL {version} {instance.get('instance_class', '')}".strip() + (
        " Multi-AZ" if instance.get("multi_az") else ""
    )


def _servers(noun: str) -> Callable[[list[dict[str, Any]]], str]:
    def label(bodies: list[dict[str, Any]]) -> str:
        # one part for all the services of a kind (each read-only server is its own service)
        count = sum(b.get("desired_count", 1) for b in bodies if "task_definition" in b) or 1
        return f"{noun} ×{count}" if count != 1 else noun

    return label


def _web_label(noun: str) -> Callable[[list[dict[str, Any]]], str]:
    def label(bodies: list[dict[str, Any]]) -> str:
        low, high = _first(bodies, "min_capacity"), _first(bodies, "max_capacity")
        return f"{noun} ×{low}..{high}" if low is not None else noun

    return label


_web = _web_label("OMERO.web")


def _session_store(bodies: list[dict[str, Any]]) -> str:
    group = next((b for b in bodies if "num_cache_clusters" in b), {})
    nodes = group.get("num_cache_clusters", 1)
    return "session store, Valkey" + (f" ×{nodes}" if nodes != 1 else "")


def _alb(bodies: list[dict[str, Any]]) -> str:
    protocols = {b.get("protocol") for b in bodies if "default_action" in b}
    return "ALB HTTPS" if "HTTPS" in protocols else "ALB HTTP"


def _nlb(bodies: list[dict[str, Any]]) -> str:
    ports = sorted({str(b["port"]) for b in bodies if "default_action" in b and "port" in b})
    return "NLB " + ", ".join(ports) if ports else "NLB"


def _certificate(bodies: list[dict[str, Any]]) -> str:
    domain = _first(bodies, "domain_name")
    return f"ACM certificate {domain}" if domain else "ACM certificate"


def _hosts(bodies: list[dict[str, Any]]) -> str:
    kind = _first(bodies, "instance_type")
    return f"EC2 container instances {kind}" if kind else "EC2 container instances"


def _fixed(text: str) -> Callable[[list[dict[str, Any]]], str]:
    return lambda bodies: text


# First match wins; resources matching no rule are folded away (walked through, not drawn).
RULES: tuple[Rule, ...] = (
    Rule(("aws_vpc",), "vpc", lambda b: f"VPC {_first(b, 'cidr_block', '')}".strip()),
    Rule(("aws_subnet",), "public_subnets", _count("public subnets"), prefix="network_public"),
    Rule(("aws_subnet",), "private_subnets", _count("private subnets"), prefix="network_private"),
    Rule(("aws_internet_gateway",), "igw", _fixed("internet gateway")),
    Rule(("aws_nat_gateway",), "nat", _count("NAT gateways")),
    Rule(("aws_vpc_endpoint",), "interface_endpoints", _count("interface endpoints"), prefix="interface_endpoints"),
    Rule(("aws_vpc_endpoint",), "s3_endpoint", _fixed("S3 gateway endpoint")),
    Rule(("aws_flow_log",), "flow_logs", _fixed("VPC flow logs")),
    Rule(
        (
            "aws_efs_file_system",
            "aws_efs_access_point",
            "aws_efs_mount_target",
            "aws_efs_file_system_policy",
            "aws_efs_backup_policy",
        ),
        "efs",
        _fixed("EFS /OMERO"),
    ),
    Rule(("aws_db_instance", "aws_db_parameter_group", "aws_db_subnet_group"), "rds", _database),
    Rule(("aws_secretsmanager_secret",), "secrets", _count("secrets")),
    Rule(("aws_backup_vault", "aws_kms_key", "aws_kms_alias"), "copy_vault", _fixed("copy vault"), prefix="backup_copy"),
    Rule(
        ("aws_backup_vault", "aws_backup_vault_lock_configuration", "aws_kms_key", "aws_kms_alias"),
        "vault",
        _fixed("backup vault"),
        prefix="backup_",
    ),
    Rule(("aws_backup_plan", "aws_backup_selection"), "backup_plan", _fixed("backup plan, daily + monthly")),
    Rule(("aws_db_snapshot",), "upgrade_snapshot", _fixed("DB snapshot before upgrade")),
    Rule(
        ("aws_cloudwatch_event_rule", "aws_cloudwatch_event_target"),
        "backup_alerts",
        _fixed("failed-backup alerts"),
        prefix="backup_alerts",
    ),
    # add-ons first: their names would otherwise match the core prefixes below
    Rule(
        (
            "aws_storagegateway_gateway",
            "aws_storagegateway_cache",
            "aws_storagegateway_nfs_file_share",
            "aws_instance",
            "aws_ebs_volume",
            "aws_volume_attachment",
        ),
        "file_gateway",
        _fixed("S3 File Gateway"),
        prefix="file_gateway",
    ),
    Rule(("aws_s3_bucket",), "share_bucket", _fixed("share bucket"), prefix="file_gateway"),
    Rule(("aws_datasync_task", "aws_datasync_location_s3", "aws_datasync_location_efs"), "datasync", _fixed("DataSync task")),
    Rule(("aws_instance", "aws_iam_instance_profile"), "uploader", _fixed("uploader host"), prefix="uploader"),
    Rule(
        ("aws_ecs_task_definition", "aws_scheduler_schedule"),
        "scheduled_import",
        _fixed("scheduled import"),
        prefix="scheduled_import",
    ),
    Rule(
        ("aws_appstream_fleet", "aws_appstream_stack", "aws_appstream_fleet_stack_association"),
        "appstream",
        _fixed("AppStream fleet and stack"),
    ),
    Rule(
        ("aws_appstream_user", "aws_appstream_user_stack_association"), "appstream_users", _count("AppStream users"), linked=False
    ),
    Rule(("aws_cloudwatch_metric_alarm",), "alarms", _count("alarms")),
    Rule(("aws_cloudwatch_dashboard",), "dashboard", _fixed("dashboard")),
    Rule(
        ("aws_sns_topic", "aws_sns_topic_policy", "aws_sns_topic_subscription", "aws_kms_key", "aws_kms_alias"),
        "alarm_topic",
        _fixed("alarm topic"),
        prefix="alarm_topic",
    ),
    # the OMERO services
    Rule(("aws_lb", "aws_lb_listener", "aws_lb_target_group"), "nlb", _nlb, prefix="server_load_balancer"),
    Rule(("aws_lb", "aws_lb_listener", "aws_lb_target_group"), "alb", _alb, prefix="web_load_balancer"),
    Rule(("aws_acm_certificate", "aws_acm_certificate_validation"), "certificate", _certificate),
    Rule(("aws_route53_record",), "dns", _count("Route 53 records")),
    Rule(("aws_s3_bucket",), "access_logs", _fixed("access-log bucket"), prefix="web_load_balancer"),
    Rule(("aws_ecs_cluster", "aws_service_discovery_private_dns_namespace"), "cluster", _fixed("ECS cluster")),
    Rule(
        (
            "aws_autoscaling_group",
            "aws_launch_template",
            "aws_ecs_capacity_provider",
            "aws_ecs_cluster_capacity_providers",
            "aws_iam_instance_profile",
        ),
        "hosts",
        _hosts,
        prefix="container_instances",
    ),
    Rule(
        ("aws_ecs_service", "aws_ecs_task_definition", "aws_service_discovery_service"),
        "read_only",
        _servers("read-only OMERO.server"),
        prefix="read_only_server",
    ),
    Rule(
        ("aws_ecs_service", "aws_ecs_task_definition", "aws_appautoscaling_target", "aws_appautoscaling_policy"),
        "read_only_web",
        _web_label("read-only OMERO.web"),
        prefix="read_only_web",
    ),
    Rule(
        ("aws_ecs_service", "aws_ecs_task_definition", "aws_service_discovery_service"),
        "read_write",
        _servers("read-write OMERO.server"),
        prefix="server_",
    ),
    Rule(
        ("aws_ecs_service", "aws_ecs_task_definition", "aws_appautoscaling_target", "aws_appautoscaling_policy"),
        "web",
        _web,
        prefix="web_",
    ),
    Rule(("aws_elasticache_replication_group", "aws_elasticache_subnet_group"), "session_store", _session_store),
    Rule(("aws_s3_bucket",), "bucket", _fixed("state bucket"), role="state"),
    Rule(("aws_s3_bucket",), "source_bucket", _fixed("source bucket"), role="datasync"),
    Rule(("aws_s3_bucket",), "buckets", _count("S3 buckets")),
    # helpers shared by many parts: counted, no arrows
    Rule(("aws_security_group",), "security_groups", _count("security groups"), linked=False),
    Rule(("aws_iam_role",), "iam_roles", _count("IAM roles"), linked=False),
    Rule(("aws_cloudwatch_log_group",), "log_groups", _count("log groups"), linked=False),
)


@dataclass
class Part:
    """One drawn node: a part of one stack, made of one or more resources."""

    stack: str
    key: str
    linked: bool
    label: str = ""
    members: list[str] = field(default_factory=list)  # resource addresses

    @property
    def id(self) -> str:
        return _mermaid_id(f"{role_of(self.stack)}_{self.key}")


@dataclass
class Graph:
    """Parts grouped by stack (in deploy order) and arrows between parts."""

    stacks: list[str]
    parts: dict[str, Part]  # by id
    edges: set[tuple[str, str]]

    def part(self, stack: str, key: str) -> Part | None:
        return next((p for p in self.parts.values() if p.stack == stack and p.key == key), None)

    def keys(self, stack: str) -> set[str]:
        return {p.key for p in self.parts.values() if p.stack == stack}


def _rule_for(role: str, resource_type: str, name: str) -> Rule | None:
    return next(
        (r for r in RULES if resource_type in r.types and name.startswith(r.prefix) and r.role in ("", role)),
        None,
    )


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _addresses(stack: Stack) -> dict[str, Any]:
    """Every resource and data source of a stack by address, mapped to its body."""
    found: dict[str, Any] = {}
    for kind, prefix in (("resource", ""), ("data", "data.")):
        for resource_type, named in stack.json.get(kind, {}).items():
            for name, body in named.items():
                found[f"{prefix}{resource_type}.{name}"] = body
    return found


def _references(stack: Stack, body: Any, addresses: dict[str, Any], by_name: dict[str, Stack]) -> Iterator[tuple[str, str]]:
    """(stack name, address) of everything ``body`` refers to, cross-stack outputs resolved."""
    for text in _strings(body):
        for data, resource_type, name in REFERENCE.findall(text):
            address = f"{data}{resource_type}.{name}"
            if address in addresses:
                yield stack.name, address
        for remote, output in REMOTE.findall(text):
            producer = by_name.get(remote.removeprefix(REMOTE_PREFIX))
            if producer is None:
                continue
            value = producer.json.get("output", {}).get(output, {}).get("value")
            yield from _references(producer, value, _addresses(producer), by_name)


def build_graph(stacks: Sequence[Stack]) -> Graph:
    """Parts and arrows of a synthesized deployment (``stacks`` in deploy order)."""
    by_name = {s.name: s for s in stacks}
    addresses = {s.name: _addresses(s) for s in stacks}
    parts: dict[str, Part] = {}
    part_of: dict[tuple[str, str], Part] = {}
    bodies: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for stack in stacks:
        for address, body in addresses[stack.name].items():
            if address.startswith("data."):
                continue
            resource_type, name = address.split(".", 1)
            rule = _rule_for(stack.role, resource_type, name)
            if rule is None:
                continue
            part = Part(stack.name, rule.key, rule.linked)
            part = parts.setdefault(part.id, part)
            part.members.append(address)
            part_of[(stack.name, address)] = part
            bodies[part.id].append(body)
    for part in parts.values():
        rule = next(r for r in RULES if r.key == part.key)
        part.label = rule.label(bodies[part.id])

    edges: set[tuple[str, str]] = set()
    for source in parts.values():
        if not source.linked:
            continue
        # walk the references from the part's resources through unnamed ones to the next parts
        pending = [(source.stack, address) for address in source.members]
        seen: set[tuple[str, str]] = set(pending)
        for _ in range(MAX_WALK):
            if not pending:
                break
            stack_name, address = pending.pop()
            body = addresses[stack_name][address]
            for target in _references(by_name[stack_name], body, addresses[stack_name], by_name):
                if target in seen:
                    continue
                seen.add(target)
                reached = part_of.get(target)
                if reached is not None and reached.linked and reached.id != source.id:
                    edges.add((source.id, reached.id))
                else:
                    pending.append(target)
    return Graph([s.name for s in stacks], parts, reduce_edges(edges))


def _reaches(edges: set[tuple[str, str]], start: str, goal: str) -> bool:
    successors: dict[str, list[str]] = defaultdict(list)
    for a, b in edges:
        successors[a].append(b)
    pending, seen = [start], {start}
    while pending:
        node = pending.pop()
        for nxt in successors[node]:
            if nxt == goal:
                return True
            if nxt not in seen:
                seen.add(nxt)
                pending.append(nxt)
    return False


def reduce_edges(edges: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """Drop each arrow whose target stays reachable without it (one at a time, so reachability
    is kept even where arrows form cycles)."""
    kept = set(edges)
    for edge in sorted(kept):
        rest = kept - {edge}
        if _reaches(rest, *edge):
            kept = rest
    return kept


def _mermaid_id(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


def _quote(text: str) -> str:
    return '"' + text.replace('"', "#quot;") + '"'


def mermaid(graph: Graph) -> str:
    """The graph as a Mermaid flowchart: a subgraph per stack, arrows after."""
    lines = ["flowchart LR"]
    for stack in graph.stacks:
        members = sorted(
            (p for p in graph.parts.values() if p.stack == stack), key=lambda p: (not p.linked, _order(p.key), p.key)
        )
        if not members:
            continue
        lines.append(f"  subgraph {_mermaid_id(role_of(stack))}[{_quote(stack)}]")
        lines += [f"    {part.id}[{_quote(part.label)}]" for part in members]
        lines.append("  end")
    for source, target in sorted(graph.edges):
        lines.append(f"  {source} --> {target}")
    return "\n".join(lines)


def _order(key: str) -> int:
    keys = [r.key for r in RULES]
    return keys.index(key) if key in keys else len(keys)


def readme_block(text: str, diagram: str) -> str:
    """``text`` with the marked block replaced by ``diagram`` in a mermaid code fence."""
    start, end = text.find(START), text.find(END)
    if start < 0 or end < start:
        raise ToolError(f"no {START} ... {END} markers in the page: add them where the diagram belongs")
    return text[: start + len(START)] + "\n```mermaid\n" + diagram + "\n```\n" + text[end:]


def current_block(text: str) -> str | None:
    """The diagram now between the page's markers, or None without markers."""
    start, end = text.find(START), text.find(END)
    if start < 0 or end < start:
        return None
    block = text[start + len(START) : end].strip()
    return block.removeprefix("```mermaid").removesuffix("```").strip()


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = Parser(prog="pipenv run diagram", description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, help="deployment file (default: $OMERO_CONFIG, else config/default.hcl)")
    parser.add_argument("--outdir", type=Path, help="read this synthesized directory instead of synthesizing")
    parser.add_argument("--write-docs", action="store_true", help="replace the marked block of the docs page with the diagram")
    parser.add_argument(
        "--page", type=Path, default=ROOT / "docs" / "architecture-and-cost.md", help="page to write (default %(default)s)"
    )
    return parser.parse_args(argv)


def diagram_for(config: Path | None = None, outdir: Path | None = None) -> str:
    """The Mermaid text for a synthesized directory, or for a config synthesized on the spot."""
    if outdir is not None:
        return mermaid(build_graph(read_stacks(outdir)))

    deployment = load_deployment(config or config_path(os.environ))
    with tempfile.TemporaryDirectory(prefix="omero-diagram-") as tmp:
        # paths and endpoints do not show in the diagram: synthesize as plain as possible
        synthesize_to(deployment, Path(tmp) / "cdktf.out", environ={})
        return mermaid(build_graph(read_stacks(Path(tmp) / "cdktf.out")))


def main(argv: Sequence[str] | None = None) -> int:
    options = _parse(argv)
    try:
        if options.config is not None and options.outdir is not None:
            raise ToolError("--config and --outdir: give one of them")
        diagram = diagram_for(options.config, options.outdir)
        if options.write_docs:
            try:
                text = options.page.read_text(encoding="utf-8")
            except OSError as error:
                raise ToolError(f"{options.page}: cannot be read ({error.strerror})") from None
            options.page.write_text(readme_block(text, diagram), encoding="utf-8")
            print(f"wrote the diagram into {options.page}")
            return 0
    except ToolError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(diagram)
    return 0


if __name__ == "__main__":
    sys.exit(main())
