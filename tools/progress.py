"""What ``pipenv run deploy``, ``destroy`` and ``verify`` show while they work: whole lines, one live
progress line, and y/N questions on the terminal.

The progress of an apply is read from Terraform's machine-readable UI (``terraform apply -json``,
one JSON message per line; Terraform's "Machine-readable UI" documentation): each
``planned_change`` names a resource and its action (a ``replace`` is two operations, a delete and
a create), each ``apply_complete`` ends one operation, ``apply_errored`` and error ``diagnostic``
messages say what failed, and ``change_summary`` is Terraform's own last line. A resource is done
once all of its operations are.
"""

from __future__ import annotations

import json
import select
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from typing import IO

# Operations an action of a planned_change takes; others (noop, move, forget) report no completion.
OPERATIONS = {"create": 1, "update": 1, "delete": 1, "read": 1, "replace": 2}
CLEAR_LINE = "\r\033[K"  # back to the start of the line, erase it (ECMA-48 CR and EL)


def elapsed(seconds: float) -> str:
    """ "42 s", "3 min 05 s"."""
    whole = int(seconds)
    return f"{whole} s" if whole < 60 else f"{whole // 60} min {whole % 60:02d} s"


class Applying:
    """One apply of one stack, as its ``terraform apply -json`` output tells it."""

    def __init__(self, name: str, started: float | None = None):
        self.name = name
        self.started = time.monotonic() if started is None else started
        self.planned: dict[str, int] = {}  # resource address -> operations it takes
        self.completed: Counter[str] = Counter()
        self.errors: list[str] = []
        self.summary = ""  # Terraform's change_summary: "Apply complete! Resources: 3 added, ..."
        self.other: deque[str] = deque(maxlen=40)  # lines that are not Terraform's JSON messages

    def feed(self, line: str) -> None:
        """Read one line of ``terraform apply -json`` output."""
        try:
            message = json.loads(line)
        except ValueError:
            if line.strip():
                self.other.append(line.rstrip())
            return
        if not isinstance(message, dict):
            return
        kind = message.get("type")
        if kind == "planned_change":
            change = message.get("change") or {}
            address = (change.get("resource") or {}).get("addr", "")
            self.planned[address] = OPERATIONS.get(change.get("action", ""), 0)
        elif kind == "apply_complete":
            self.completed[((message.get("hook") or {}).get("resource") or {}).get("addr", "")] += 1
        elif kind == "apply_errored":
            self.errors.append(message.get("@message", "").strip())
        elif kind == "diagnostic" and message.get("@level") == "error":
            diagnostic = message.get("diagnostic") or {}
            text = f"Error: {diagnostic.get('summary', '')}"
            detail = " ".join(str(diagnostic.get("detail", "")).split())
            self.errors.append(f"{text}: {detail}" if detail else text)
        elif kind == "change_summary":
            self.summary = message.get("@message", "")

    @property
    def total(self) -> int:
        return sum(1 for operations in self.planned.values() if operations)

    @property
    def done(self) -> int:
        return sum(1 for address, operations in self.planned.items() if operations and self.completed[address] >= operations)

    def line(self, now: float | None = None) -> str:
        now = time.monotonic() if now is None else now
        if not self.planned:  # Terraform has not listed the plan's changes yet
            return f"{self.name} starting, {elapsed(now - self.started)}"
        return f"{self.name} {self.done}/{self.total} resources, {elapsed(now - self.started)}"


class Console:
    """Lines for the operator on ``stream``, from any thread: ``log`` a whole line, ``status`` the
    live progress line (on a terminal rewritten in place; elsewhere printed once every ``every``
    seconds, so that a CI log shows it is alive without filling up), ``ask`` a y/N question."""

    def __init__(self, stream: IO[str] | None = None, *, tty: bool | None = None, every: float = 30.0, clock=time.monotonic):
        self.stream = stream or sys.stdout
        self.tty = self.stream.isatty() if tty is None else tty
        self.every = every
        self.clock = clock
        self._lock = threading.RLock()
        self._shown = ""  # the progress line on screen (terminal only)
        self._printed_at: float | None = None  # off a terminal: when the last progress line was printed

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()

    def _clear(self) -> None:
        if self._shown:
            self._write(CLEAR_LINE)

    def log(self, text: str) -> None:
        with self._lock:
            self._clear()
            self._write(text + "\n")
            if self._shown:
                self._write(self._shown)

    def status(self, text: str) -> None:
        """The progress line is now ``text`` ("" takes it away)."""
        with self._lock:
            if self.tty:
                self._clear()
                self._shown = text
                self._write(text)
            elif text and (self._printed_at is None or self.clock() - self._printed_at >= self.every):
                self._write(text + "\n")
                self._printed_at = self.clock()

    def ask(self, question: str, stopping: threading.Event, answers: IO[str] | None = None, *, before: str = "") -> bool | None:
        """``question`` [y/N] on the terminal, right after the lines ``before`` (what it is about):
        True for y or yes, False for anything else, None when ``stopping`` is set first (Ctrl-C
        while the question waits). Other threads' lines wait until it is answered."""
        answers = answers or sys.stdin
        with self._lock:
            self._clear()
            self._write(f"{before}\n" if before else "")
            self._write(f"{question} [y/N] ")
            try:
                while not stopping.is_set():
                    ready, _, _ = select.select([answers], [], [], 0.2)
                    if ready:
                        return answers.readline().strip().lower() in ("y", "yes")
                self._write("\n")
                return None
            finally:
                if self._shown:
                    self._write(self._shown)


class Ticker:
    """Calls ``console.status(render())`` every ``interval`` seconds in a thread of its own, until
    stopped (a ``with`` block); the progress line is taken away at the end."""

    def __init__(self, console: Console, render: Callable[[], str], interval: float = 1.0):
        self.console, self.render, self.interval = console, render, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.console.status(self.render())

    def __enter__(self) -> Ticker:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.console.status("")


def stream_json(command: list[str], *, cwd, env: dict[str, str], applying: Applying, timeout: float) -> int:
    """Run a ``terraform ... -json`` command, feeding each output line to ``applying``; its exit
    status. Past ``timeout`` seconds Terraform gets SIGINT (it stops gracefully: it waits for the
    operations in flight and writes the state), and is killed 120 s later if it has not ended."""
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def overrun() -> None:
        applying.errors.append(f"Error: terraform {command[1]} did not finish within {timeout:.0f} s: interrupted")
        process.send_signal(signal.SIGINT)

    timers = [threading.Timer(timeout, overrun), threading.Timer(timeout + 120, process.kill)]
    for timer in timers:
        timer.daemon = True
        timer.start()
    try:
        assert process.stdout is not None
        for line in process.stdout:
            applying.feed(line)
        return process.wait()
    finally:
        for timer in timers:
            timer.cancel()
