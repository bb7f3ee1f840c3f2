"""Session fixtures: each example is synthesized once per test session and shared."""

from __future__ import annotations

import dataclasses
import fcntl
import json
import os
from pathlib import Path

import pytest
from _pytest.mark.expression import Expression

import emulator as emulator_harness
import main  # noqa: F401  (sets the jsii warning switches before cdktf loads)
from config import load
from emulator import with_hosted_zone
from tests.harness import checkov
from tests.harness.apply import Applied, disposable, through_emulator  # noqa: F401  (tests import it from here)
from tests.harness.shared import FULL, AppliedExample, SharedError, SharedSession, Waiting
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


# --- examples/full.hcl applied once per session, shared by every worker ---------------------------
# The keeper (tests/harness/keeper.py) applies it into an emulator of its own, started by the first
# worker whose selected tests use it; the tests that read it run on any worker and wait for the stacks
# they read; the one that destroys it (``addons_to_destroy``) runs last and waits for the others.
SHARED, DESTROYER = "addons_on_emulator", "addons_to_destroy"
SESSION = pytest.StashKey[SharedSession]()
USERS = pytest.StashKey[list[str]]()  # node ids of the selected tests that use it, but the destroying one
CONTROLLER_PID = "omero_controller_pid"  # in each worker's workerinput


def session_of(config: pytest.Config) -> SharedSession:
    """The session's shared directory (the controller's base temporary directory: each worker's is
    inside it) and the controller's process id."""
    if SESSION not in config.stash:
        base = config._tmp_path_factory.getbasetemp()  # type: ignore[attr-defined]  # as the tmp_path_factory fixture
        workerinput = getattr(config, "workerinput", None)
        if workerinput is None:
            config.stash[SESSION] = SharedSession(base / "shared", os.getpid())
        else:
            config.stash[SESSION] = SharedSession(base.parent / "shared", workerinput.get(CONTROLLER_PID, os.getppid()))
    return config.stash[SESSION]


EMULATOR_WORKERS, CORES = 4, os.cpu_count() or 2


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """pytest.ini's ``-n auto``: four workers when emulator tests may be selected (much of their
    time is the provider's waiters, which the other workers fill), the machine's cores when ``-m``
    leaves them out. The tests left then use the CPU all the time, and more workers than cores each
    pay a start (collection, a jsii runtime) and slow each other: measured on two cores, the
    ``-m "not emulator"`` run spent about 120 s less CPU with two workers than with four.
    ``PYTEST_XDIST_AUTO_NUM_WORKERS`` still decides when it is set (pytest-xdist reads it)."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    if config.option.markexpr:
        expression = Expression.compile(config.option.markexpr)
        # an emulator test alone, and one with every other mark too: neither selected, none is
        if not expression.evaluate(lambda mark: mark == "emulator") and not expression.evaluate(lambda mark: True):
            return CORES
    return EMULATOR_WORKERS


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    """In the controller, as pytest-xdist starts each worker: the keeper lives as long as this process."""
    node.workerinput[CONTROLLER_PID] = os.getpid()
    session_of(node.config)


def pytest_unconfigure(config):
    """In the controller (or the only process, -n 0): the keeper stops the shared emulator."""
    if not hasattr(config, "workerinput") and SESSION in config.stash:
        config.stash[SESSION].stop()


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session):
    """As soon as a worker starts testing, what takes minutes and needs nobody (the first worker
    starts it, the others find it started): the keeper, if a selected test uses the shared
    deployment; checkov's environment, if the checkov tests are selected and it is not built."""
    config = session.config
    if config.option.collectonly:
        return
    if any("checkov_report" in item.fixturenames for item in session.items):
        checkov.start_in_background(session_of(config).root)
    if terraform.why_unavailable() is None and any(SHARED in item.fixturenames for item in session.items):
        session_of(config).start_keeper([FULL])


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Each test of the shared deployment leaves its mark when it ends, however it ended."""
    yield
    if item.nodeid in item.config.stash.get(USERS, ()):
        session_of(item.config).mark_finished(item.nodeid)


@pytest.hookimpl(optionalhook=True)
def pytest_handlecrashitem(crashitem, report, sched):
    """A test whose worker crashed leaves its mark too (in the controller), so that the destroying
    test does not wait for it."""
    session_of(sched.config).mark_finished(crashitem)


@dataclasses.dataclass
class AddonsOnEmulator:
    """examples/full.hcl synthesized for the session's shared emulator, every stack applied (add-ons
    included) by the keeper; ``core`` waits for each stack when it is read."""

    synth: Synthesis
    shared: AppliedExample
    emulator: emulator_harness.Emulator  # the shared one (not the worker's ``emulator`` fixture)
    tf: terraform.Terraform  # terraform with that emulator's fake credentials

    @property
    def core(self) -> Applied:
        """Outputs and state of every stack, as the keeper's apply gave them (each waited for)."""
        return Applied(Waiting(self.shared, "outputs"), Waiting(self.shared, "addresses"))  # type: ignore[arg-type]

    def stack_name(self, role: str) -> str:
        return f"{self.synth.deployment.name}-{role}"

    def applied(self, name: str) -> Applied:
        """What the keeper's apply gave for the stack ``name`` (applied with an empty second plan)."""
        return Applied({name: self.core.outputs[name]}, {name: self.core.state[name]})

    def all_applied(self) -> None:
        """Wait until every stack is applied with an empty second plan (or fail with what was not):
        the tests that change the deployment start from the whole of it."""
        self.shared.all_applied()


@pytest.fixture(scope="session")
def addons_on_emulator(request, terraform_cli) -> AddonsOnEmulator:
    """examples/full.hcl, every stack applied once per session by the keeper into its emulator.

    Tests using it read their stack's outputs and state (``addons_on_emulator.applied(name)``, which
    waits for that stack) and talk to ``addons_on_emulator.emulator`` with ``addons_on_emulator.tf``.
    Those that change the deployment call ``all_applied()`` first; what they change must leave the
    others' assertions true while they run (each says why it does). tests/test_nothing_lost.py
    destroys it last (``addons_to_destroy``).
    """
    session = session_of(request.config)
    session.start_keeper([FULL])  # started already, unless this test was not known to need it
    shared = AppliedExample(session, FULL.stem)
    try:
        server = emulator_harness.attach(session.endpoint())
        order = shared.order()
    except SharedError as error:
        pytest.fail(str(error), pytrace=False)
    deployment = disposable(with_hosted_zone(server, load(FULL)))  # the zone the keeper made
    tf = terraform.Terraform(Path(terraform_cli.env["TF_CLI_CONFIG_FILE"]), server.env("us-east-1"))
    return AddonsOnEmulator(synthesized(deployment, shared.outdir, order), shared, server, tf)


@pytest.fixture
def addons_to_destroy(addons_on_emulator, request) -> AddonsOnEmulator:
    """The shared deployment, once every stack is applied and every other selected test using it
    has ended (bounded: tests/harness/shared.py SHARED_WAIT). It is the last test handed out, so no
    test of the deployment can be queued behind it on its worker."""
    others = [nodeid for nodeid in request.config.stash.get(USERS, []) if nodeid != request.node.nodeid]
    try:
        addons_on_emulator.all_applied()
        session_of(request.config).wait_until_finished(others)
    except SharedError as error:
        pytest.fail(str(error), pytrace=False)
    return addons_on_emulator


def _rank(item) -> int:
    """The order in which pytest-xdist hands tests out (pytest.ini: --no-loadscope-reorder; an
    xdist_group goes as one unit, where its first test is). The emulator's chains first (an
    xdist_group of emulator tests: one worker, one after the other), then its other deployments
    (each takes minutes, much of it the provider's waiters, so the workers start them first and
    fill the waits with short tests), then the tests of the shared deployment (by then its apply,
    started with the session, is well under way), then the rest, its xdist groups first (each a
    long unit on one worker: checkov, terraform validate, the HCL output's validates), so that no
    worker is left with one at the end; the destroying test last of all."""
    if DESTROYER in item.fixturenames:
        return 5
    if item.get_closest_marker("emulator") is None:
        return 3 if item.get_closest_marker("xdist_group") else 4
    if SHARED in item.fixturenames:
        return 2
    return 0 if item.get_closest_marker("xdist_group") else 1


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """After deselection (trylast): the order above, and which selected tests use the shared deployment."""
    items.sort(key=_rank)
    config.stash[USERS] = [item.nodeid for item in items if SHARED in item.fixturenames and DESTROYER not in item.fixturenames]
    for item in items:
        if DESTROYER in item.fixturenames and item.get_closest_marker("xdist_group"):
            raise pytest.UsageError(
                f"{item.nodeid}: the destroying test must not be in an xdist_group (it must be handed out last)"
            )
