"""Session fixtures: each example is synthesized once per test session and shared."""

from __future__ import annotations

import dataclasses
import fcntl
import json
from pathlib import Path

import pytest

import emulator as emulator_harness
import main  # noqa: F401  (sets the jsii warning switches before cdktf loads)
from config import load
from emulator import with_hosted_zone
from tests.harness.apply import ADDON_WORKERS, Applied, apply_all, disposable
from tests.harness.synth import Synthesis, example_paths, synthesize, synthesized
from tools import terraform

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = {path.stem: path for path in example_paths()}


@pytest.fixture(scope="session")
def synth_root(tmp_path_factory, worker_id) -> Path:
    """One directory for the whole session, shared by every test worker (xdist gives each worker a
    base directory of its own inside the session's)."""
    base = tmp_path_factory.getbasetemp()
    root = (base if worker_id == "master" else base.parent) / "synth"
    root.mkdir(exist_ok=True)
    return root


@pytest.fixture(scope="session")
def examples(synth_root) -> dict[str, Synthesis]:
    """Every example, synthesized once per session (lazily, by the first worker that needs it; the
    other workers wait for it and read what it wrote). Tests read these directories, never write them."""
    cache: dict[str, Synthesis] = {}

    class Lazy(dict):
        def __missing__(self, name: str) -> Synthesis:
            if name not in EXAMPLES:
                raise KeyError(f"no example named {name!r}")
            cache[name] = self[name] = synthesized_once(EXAMPLES[name], synth_root / name)
            return cache[name]

        def all(self) -> dict[str, Synthesis]:
            return {name: self[name] for name in EXAMPLES}

    return Lazy()


def synthesized_once(config: Path, directory: Path) -> Synthesis:
    """``config`` synthesized into ``directory/cdktf.out`` by whichever worker gets there first
    (a lock per example; ``order.json`` is written last, so its presence means the synth finished)."""
    directory.mkdir(exist_ok=True)
    done = directory / "order.json"
    with open(directory / "synth.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also on an error
        if done.exists():
            return synthesized(load(config), directory / "cdktf.out", json.loads(done.read_text()))
        synthesis = synthesize(config, directory / "cdktf.out")
        done.write_text(json.dumps(synthesis.order))
        return synthesis


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
    soon as the stacks it needs are there (the add-ons four at a time), each with an empty second plan.

    Tests using it read their stack's outputs and state (``addons_on_emulator.applied(name)``) and
    carry ``pytest.mark.xdist_group("addons")`` so that they share one emulator and one deployment;
    the last of them (tests/test_nothing_lost.py) destroys it.
    """
    deployment = disposable(with_hosted_zone(emulator, examples["full"].deployment))
    directory = tmp_path_factory.mktemp("addons")
    synth = synthesize(deployment, directory / "cdktf.out", emulator_endpoint=emulator.endpoint)
    return AddonsOnEmulator(synth, apply_all(through_emulator(tf, emulator), synth, workers=ADDON_WORKERS))


def pytest_collection_modifyitems(config, items):
    """The emulator's tests first, in their files' order: each takes minutes, much of it waiting on
    the provider's waiters, so the test workers start them first and fill the waits with the short
    tests, rather than start a long one last. (pytest-xdist hands out an xdist_group as one unit,
    the larger groups first, and then the other tests in this order.)"""
    items.sort(key=lambda item: item.get_closest_marker("emulator") is None)
