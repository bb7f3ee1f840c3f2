"""tools/diagram.py: the graph of parts and arrows read from real synths, and the README block."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tools.deployment import read_stacks
from tools.diagram import END, START, Graph, build_graph, current_block, mermaid, readme_block, reduce_edges

ROOT = Path(__file__).resolve().parents[1]


def graph_of(examples, name: str) -> Graph:
    return build_graph(read_stacks(examples[name].outdir))


def arrow(graph: Graph, source: tuple[str, str], target: tuple[str, str]) -> bool:
    def part_id(role: str, key: str) -> str:
        part = graph.part(f"{graph.stacks[0].rsplit('-', 1)[0]}-{role}", key)
        assert part is not None, (role, key)
        return part.id

    return (part_id(*source), part_id(*target)) in graph.edges


def test_production_has_read_only_servers_and_a_certificate(examples):
    graph = graph_of(examples, "tls-rw-ro")
    services = graph.keys("omero-prod-services")
    assert {"read_write", "read_only", "web", "alb", "certificate", "dns", "cluster"} <= services
    assert graph.part("omero-prod-services", "read_only").label == "read-only OMERO.server ×2"
    assert graph.part("omero-prod-services", "web").label == "OMERO.web ×3..9"
    assert graph.part("omero-prod-services", "alb").label == "ALB HTTPS"
    assert graph.part("omero-prod-storage", "rds").label == "RDS PostgreSQL 16 db.m7g.large Multi-AZ"
    assert graph.part("omero-prod-network", "nat").label == "NAT gateways ×3"
    assert graph.part("omero-prod-state", "bucket").label == "state bucket"
    # arrows across stacks come from terraform_remote_state and the producing stack's outputs
    for server in ("read_write", "read_only"):
        assert arrow(graph, ("services", server), ("storage", "efs"))
        # to the database directly, or through the snapshot it starts after (kept in the storage stack)
        assert arrow(graph, ("services", server), ("storage", "rds")) or (
            arrow(graph, ("services", server), ("storage", "upgrade_snapshot"))
            and arrow(graph, ("storage", "upgrade_snapshot"), ("storage", "rds"))
        )
        assert arrow(graph, ("services", server), ("storage", "secrets"))
    assert arrow(graph, ("storage", "efs"), ("network", "private_subnets"))
    assert arrow(graph, ("services", "alb"), ("services", "certificate"))
    assert arrow(graph, ("services", "web"), ("services", "alb"))
    # an arrow implied by a longer path is left out: the servers reach the subnets through EFS
    assert not arrow(graph, ("services", "read_write"), ("network", "private_subnets"))


def test_quickstart_has_neither_read_only_servers_nor_a_certificate(examples):
    graph = graph_of(examples, "quickstart-http")
    services = graph.keys("omero-quick-services")
    assert "read_only" not in services and "certificate" not in services and "dns" not in services
    assert graph.part("omero-quick-services", "alb").label == "ALB HTTP"
    assert graph.part("omero-quick-network", "nat").label == "NAT gateway"
    assert graph.stacks == ["omero-quick-network", "omero-quick-storage", "omero-quick-backup", "omero-quick-services"]


def test_helpers_are_counted_without_arrows(examples):
    graph = graph_of(examples, "tls-rw-ro")
    groups = graph.part("omero-prod-services", "security_groups")
    assert groups.label == "security groups ×4" and not groups.linked
    ends = {end for edge in graph.edges for end in edge}
    assert groups.id not in ends
    assert graph.part("omero-prod-services", "iam_roles").id not in ends


def test_mermaid_has_one_subgraph_per_stack(examples):
    text = mermaid(graph_of(examples, "tls-rw-ro"))
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    assert [line for line in lines if line.startswith("  subgraph")] == [
        f'  subgraph {role}["omero-prod-{role}"]' for role in ("state", "network", "storage", "backup", "services")
    ]
    assert lines.count("  end") == 5
    assert '    services_read_only["read-only OMERO.server ×2"]' in lines
    assert "  services_read_write --> storage_efs" in lines


def test_addon_parts(examples):
    graph = graph_of(examples, "full")
    name = examples["full"].deployment.name
    expected = {
        "datasync": "datasync",
        "uploader": "uploader",
        "monitoring": "alarms",
        "appstream": "appstream",
        "file-gateway": "file_gateway",
        "dropbox": "scheduled_import",
    }
    for role, key in expected.items():
        if f"{name}-{role}" in graph.stacks:
            assert key in graph.keys(f"{name}-{role}"), role


def test_reduction_keeps_reachability_even_in_cycles():
    assert reduce_edges({("a", "b"), ("b", "c"), ("a", "c")}) == {("a", "b"), ("b", "c")}
    cycle = {("a", "b"), ("b", "a"), ("a", "c"), ("b", "c")}
    reduced = reduce_edges(cycle)
    assert len(reduced) == 3 and ("a", "b") in reduced and ("b", "a") in reduced


def test_readme_block_replacement():
    text = f"intro\n{START}\nold\n{END}\nrest\n"
    replaced = readme_block(text, "flowchart LR\n  a --> b")
    assert replaced == f"intro\n{START}\n```mermaid\nflowchart LR\n  a --> b\n```\n{END}\nrest\n"
    assert current_block(replaced) == "flowchart LR\n  a --> b"
    assert readme_block(replaced, "flowchart LR\n  a --> b") == replaced
    assert current_block("no markers") is None


def test_docs_diagram_is_current(examples):
    text = (ROOT / "docs" / "architecture-and-cost.md").read_text(encoding="utf-8")
    block = current_block(text)
    assert block is not None, f"docs/architecture-and-cost.md has no {START} / {END} markers"
    assert block == mermaid(graph_of(examples, "tls-rw-ro")), (
        "the architecture diagram is stale: pipenv run diagram --config examples/tls-rw-ro.hcl --write-docs"
    )


def run(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("OMERO_CONFIG", "AWS_ENDPOINT_URL")}
    return subprocess.run(
        [sys.executable, "-m", "tools.diagram", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_write_docs_command(examples, tmp_path):
    readme = tmp_path / "page.md"
    readme.write_text(f"# title\n\n{START}\n{END}\n")
    ran = run("--outdir", str(examples["tls-rw-ro"].outdir), "--write-docs", "--page", str(readme))
    assert ran.returncode == 0, ran.stderr
    assert current_block(readme.read_text()) == mermaid(graph_of(examples, "tls-rw-ro"))

    readme.write_text("# no markers\n")
    ran = run("--outdir", str(examples["tls-rw-ro"].outdir), "--write-docs", "--page", str(readme))
    assert ran.returncode == 2 and ran.stderr.startswith("error: no <!-- architecture:start -->"), ran.stderr
    assert readme.read_text() == "# no markers\n"


@pytest.mark.parametrize(
    "args, message",
    [
        (("--config", "no-such.hcl"), "error: no-such.hcl: file not found"),
        (("--outdir", "no-such-dir"), "error: no-such-dir: no such directory"),
    ],
)
def test_bad_input_is_one_line_and_status_2(args, message):
    ran = run(*args)
    assert ran.returncode == 2 and ran.stderr.startswith(message) and ran.stderr.count("\n") == 1, ran.stderr
