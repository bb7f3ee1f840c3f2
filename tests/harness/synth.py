"""Synthesize deployments in-process (one jsii runtime for the whole test session)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from config import Deployment, load

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def example_paths() -> list[Path]:
    return sorted(EXAMPLES.glob("*.hcl"))


@dataclass
class Synthesis:
    """One synthesized deployment: its output directory and each stack's parsed JSON."""

    deployment: Deployment
    outdir: Path
    order: list[str]  # stack names in deployment order
    stacks: dict[str, dict] = field(default_factory=dict)

    def stack(self, role: str) -> dict:
        return self.stacks[f"{self.deployment.name}-{role}"]

    def stack_dir(self, role: str) -> Path:
        return self.outdir / "stacks" / f"{self.deployment.name}-{role}"

    def resources(self, role: str, resource_type: str) -> dict[str, dict]:
        return self.stack(role).get("resource", {}).get(resource_type, {})

    def data(self, role: str, data_type: str) -> dict[str, dict]:
        return self.stack(role).get("data", {}).get(data_type, {})


def synthesize(
    config: Path | Deployment, outdir: Path, *, emulator_endpoint: str | None = None, local_state_dir: Path | None = None
) -> Synthesis:
    """Synthesize into ``outdir``; local-backend state beside it (or in ``local_state_dir``)."""
    import main  # the project's entry point; imports cdktf lazily

    deployment = config if isinstance(config, Deployment) else load(config)
    state_dir = local_state_dir or outdir.parent
    order = main.synthesize(deployment, outdir=outdir, local_state_dir=state_dir, emulator_endpoint=emulator_endpoint)
    return synthesized(deployment, outdir, order)


def synthesized(deployment: Deployment, outdir: Path, order: list[str]) -> Synthesis:
    """What is in ``outdir`` already: the stacks ``order`` names, synthesized from ``deployment``."""
    result = Synthesis(deployment, outdir, order)
    for name in order:
        result.stacks[name] = json.loads((outdir / "stacks" / name / "cdk.tf.json").read_text())
    return result


def one(resources: dict[str, dict]) -> dict:
    """The single resource of a type (fails if there are none or several)."""
    assert len(resources) == 1, list(resources)
    return next(iter(resources.values()))
