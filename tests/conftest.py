"""Session fixtures: each example is synthesized once per test session and shared."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import main  # noqa: E402,F401  (sets the jsii warning switches before cdktf loads)
from tests.harness import terraform  # noqa: E402
from tests.harness.synth import Synthesis, example_paths, synthesize  # noqa: E402

EXAMPLES = {path.stem: path for path in example_paths()}


@pytest.fixture(scope="session")
def synth_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("synth")


@pytest.fixture(scope="session")
def examples(synth_root) -> dict[str, Synthesis]:
    """Every example, synthesized once (lazily, on first use) for the whole session."""
    cache: dict[str, Synthesis] = {}

    class Lazy(dict):
        def __missing__(self, name: str) -> Synthesis:
            if name not in EXAMPLES:
                raise KeyError(f"no example named {name!r}")
            cache[name] = synthesize(EXAMPLES[name], synth_root / name / "cdktf.out")
            self[name] = cache[name]
            return cache[name]

        def all(self) -> dict[str, Synthesis]:
            return {name: self[name] for name in EXAMPLES}

    return Lazy()


@pytest.fixture(scope="session")
def terraform_cli(tmp_path_factory):
    """A Terraform runner using only the local provider mirror, or a skip with the reason."""
    reason = terraform.why_unavailable()
    if reason:
        pytest.skip(reason)
    directory = tmp_path_factory.mktemp("terraform-cli")
    return terraform.Terraform(terraform.write_cli_config(directory))
