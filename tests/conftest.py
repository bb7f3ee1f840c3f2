"""Session fixtures: each example is synthesized once per test session and shared."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import emulator as emulator_harness
import main  # noqa: F401  (sets the jsii warning switches before cdktf loads)
from emulator import with_hosted_zone
from tests.harness.apply import Applied, apply_all, disposable
from tests.harness.synth import Synthesis, example_paths, synthesize
from tools import terraform

ROOT = Path(__file__).resolve().parents[1]
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


@pytest.fixture(scope="session")
def emulator(tmp_path_factory):
    reason = terraform.why_unavailable()
    if reason:
        pytest.skip(reason)
    server = emulator_harness.start(tmp_path_factory.mktemp("moto"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def tf(emulator, terraform_cli):
    """Terraform with the emulator's fake credentials and nothing else from this environment."""
    return terraform.Terraform(Path(terraform_cli.env["TF_CLI_CONFIG_FILE"]), emulator.env("us-east-1"))


@dataclasses.dataclass
class AddonsOnEmulator:
    """examples/full.hcl synthesized for the emulator, every stack applied (add-ons included)."""

    synth: Synthesis
    core: Applied  # outputs and state of every stack, as applied by the fixture

    def stack_name(self, role: str) -> str:
        return f"{self.synth.deployment.name}-{role}"

    def applied(self, name: str) -> Applied:
        """What the fixture's apply gave for the stack ``name`` (applied with an empty second plan)."""
        return Applied({name: self.core.outputs[name]}, {name: self.core.state[name]})


def through_emulator(tf, emulator):
    """Terraform whose plain-HTTP requests to addresses other than loopback go to the emulator as
    a proxy: the S3 File Gateway's activation key, fetched from the appliance's private IP, is
    answered there (see emulator/patches/storage_gateway.py)."""
    return tf.with_env(HTTP_PROXY=emulator.endpoint)


@pytest.fixture(scope="session")
def addons_on_emulator(emulator, tf, examples, tmp_path_factory) -> AddonsOnEmulator:
    """examples/full.hcl applied once per session, every stack, for the add-on tests: each stack as
    soon as the stacks it needs are there (the add-ons side by side), each with an empty second plan.

    Tests using it read their stack's outputs and state (``addons_on_emulator.applied(name)``) and
    carry ``pytest.mark.xdist_group("addons")`` so that they share one emulator and one deployment;
    the last of them (tests/test_nothing_lost.py) destroys it.
    """
    deployment = disposable(with_hosted_zone(emulator, examples["full"].deployment))
    directory = tmp_path_factory.mktemp("addons")
    synth = synthesize(deployment, directory / "cdktf.out", emulator_endpoint=emulator.endpoint)
    return AddonsOnEmulator(synth, apply_all(through_emulator(tf, emulator), synth))
