"""One emulator and one applied examples/full.hcl for every test worker of a session.

The first worker whose tests need the shared deployment starts the keeper (``tests/harness/keeper.py``),
a process of its own that starts the emulator, synthesizes examples/full.hcl for it and applies its
stacks in dependency order, writing each stack's result as JSON into the session's shared directory
as soon as it has one. Every worker reads from there: a test waits (bounded) for the stacks it
reads, and fails with the keeper's own message when one failed. The keeper stops the emulator when
the session's controller asks for it (``stop``) or is gone, whatever the way it ended.

The destroying test runs after every other selected test of the deployment: each of them leaves a
mark in ``finished/`` when it ends, however it ended, and the destroying test waits for the marks of
the tests selected in this session (the same list in every worker: they collect the same items).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FULL = ROOT / "examples" / "full.hcl"
KEEPER_START = 120.0  # seconds for the keeper to bring the emulator up
SHARED_WAIT = 3600.0  # seconds a test waits for a stack of the shared apply, or the others for the last one
STOP_WAIT = 30.0  # seconds the controller gives the keeper to stop the emulator at the session's end
POLL = 1.0


class SharedError(Exception):
    """What the keeper recorded as failed (the emulator, the synth or a stack), or a wait that ran out."""


def write_json(path: Path, value: object) -> None:
    """Written whole or not at all: readers poll for the file and never see half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(value))
    os.replace(partial, path)


def alive(pid: int) -> bool:
    """The process exists and has not exited (a zombie waiting for its parent has)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@dataclass(frozen=True)
class SharedSession:
    """The session's shared directory and the controller's process id (the keeper lives as long as it)."""

    root: Path  # <basetemp of the session>/shared
    controller: int

    @property
    def keeper_file(self) -> Path:
        return self.root / "keeper.json"  # {"pid": ...}, written by the worker that starts it

    @property
    def emulator_file(self) -> Path:
        return self.root / "emulator.json"  # {"endpoint": ...}, written by the keeper

    @property
    def failed_file(self) -> Path:
        return self.root / "failed.txt"  # the keeper could not start the emulator: why

    def start_keeper(self, examples: Iterable[Path]) -> None:
        """Start the keeper unless a worker already did (a lock: one starts it, the others find it)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / "keeper.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            if self.keeper_file.exists():
                return
            log = open(self.root / "keeper.log", "w")
            process = subprocess.Popen(
                [sys.executable, "-m", "tests.harness.keeper", str(self.root), str(self.controller), *map(str, examples)],
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: the keeper ends it whole (terraform included)
            )
            write_json(self.keeper_file, {"pid": process.pid})

    def keeper_pid(self) -> int | None:
        return json.loads(self.keeper_file.read_text())["pid"] if self.keeper_file.exists() else None

    def wait_for(self, path: Path, what: str, timeout: float = SHARED_WAIT) -> dict:
        """The JSON at ``path``, once the keeper has written it; a SharedError if the keeper failed,
        stopped without writing it, or took longer than ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            if path.exists():
                return json.loads(path.read_text())
            if self.failed_file.exists():
                raise SharedError(self.failed_file.read_text())
            pid = self.keeper_pid()
            if pid is None:
                raise SharedError(f"{what}: no keeper was started for this session ({self.root})")
            if not alive(pid):
                raise SharedError(f"{what}: the keeper (pid {pid}) ended without it; its log:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise SharedError(f"{what}: not there after {timeout:.0f} s; the keeper's log:\n{self.log_tail()}")
            time.sleep(POLL)

    def log_tail(self, characters: int = 3000) -> str:
        log = self.root / "keeper.log"
        return log.read_text(errors="replace")[-characters:] if log.exists() else "(no log)"

    def endpoint(self) -> str:
        return self.wait_for(self.emulator_file, "the shared emulator", KEEPER_START)["endpoint"]

    def stop(self) -> None:
        """At the session's end (in the controller): ask the keeper to stop, wait for it (bounded),
        then end its process group if it is still there."""
        pid = self.keeper_pid()
        if pid is None:
            return
        (self.root / "stop").touch()
        deadline = time.monotonic() + STOP_WAIT
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)  # the keeper's own group (start_new_session)

    # --- the tests' marks, for the destroying test ------------------------------------------

    def finished(self, nodeid: str) -> Path:
        return self.root / "finished" / hashlib.sha256(nodeid.encode()).hexdigest()[:24]

    def mark_finished(self, nodeid: str) -> None:
        write_json(self.finished(nodeid), nodeid)

    def wait_until_finished(self, nodeids: list[str], timeout: float = SHARED_WAIT) -> None:
        """Until every test in ``nodeids`` has left its mark; a SharedError naming the others after ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            waiting = [nodeid for nodeid in nodeids if not self.finished(nodeid).exists()]
            if not waiting:
                return
            if time.monotonic() > deadline:
                raise SharedError(f"still running after {timeout:.0f} s: " + ", ".join(waiting))
            time.sleep(POLL)


class AppliedExample:
    """One example as the keeper applies it: its directory in the shared session and each stack's result."""

    def __init__(self, session: SharedSession, name: str):
        self.session, self.name = session, name
        self.directory = session.root / name

    @property
    def outdir(self) -> Path:
        return self.directory / "cdktf.out"

    def order(self) -> list[str]:
        """Its stacks in deploy order, once the keeper has synthesized it."""
        return self.session.wait_for(self.directory / "order.json", f"{self.name}: the synth")["order"]

    def result(self, stack: str) -> dict:
        """What ``tools.on_emulator.apply_stack`` gave for ``stack`` (as a dict), once the keeper has it;
        a SharedError with the keeper's message if it was not applied with an empty second plan."""
        if stack not in self.order():
            raise KeyError(stack)
        result = self.session.wait_for(self.directory / "stacks" / f"{stack}.json", f"{self.name}: {stack}")
        if not result["ok"]:
            raise SharedError(failure(result))
        return result

    def all_applied(self) -> None:
        """Every stack applied with an empty second plan (waiting for the last); a SharedError with
        every failure otherwise."""
        self.session.wait_for(self.directory / "done.json", f"{self.name}: the whole apply")
        results = [json.loads((self.directory / "stacks" / f"{stack}.json").read_text()) for stack in self.order()]
        failed = [failure(result) for result in results if not result["ok"]]
        if failed:
            raise SharedError("\n".join(failed))


def failure(result: dict) -> str:
    """The line ``tests.harness.apply.apply_all`` gives for a stack that failed."""
    return f"{result['name']}: {result['action']} {result['error'] or result['replan']}\n{result['detail']}"


class Waiting(Mapping):
    """Stack name -> one field of its result (``outputs`` or ``addresses``), each waited for when read."""

    def __init__(self, applied: AppliedExample, field: str):
        self.applied, self.field = applied, field

    def __getitem__(self, stack: str):
        return self.applied.result(stack)[self.field]

    def __iter__(self) -> Iterator[str]:
        return iter(self.applied.order())

    def __len__(self) -> int:
        return len(self.applied.order())
