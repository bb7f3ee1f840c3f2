"""checkov in a virtualenv of its own (``.tools/checkov``), built from tools/checkov-requirements.txt.

checkov pins its dependencies tightly (``packaging<24``, an old boto3), so it does not share the
project's environment. ``$OMERO_CHECKOV`` may name a checkov executable to use instead.

Building it takes minutes, so it starts in the background: ``.ci/run`` starts
``python3 -m tests.harness.checkov`` beside ``pipenv sync``, and a test session whose selection
runs checkov starts it as the session starts (``start_in_background``) when it is not there yet;
the checkov test then waits on the same lock for it.

Most of the build's CPU went to pip compiling every installed module to bytecode (botocore alone
is thousands of files) and to the venv's own copy of pip: the environment is made without pip,
the interpreter running this installs into it (``pip --python``, pip 22.3 and later), and nothing is
compiled at install. checkov runs with bytecode writing allowed (``environment()``), so its first
run compiles only what it imports and later runs read it: measured on two cores, building and a
first scan take about 40 s of CPU instead of 75.
"""

from __future__ import annotations

import fcntl
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ROOT / "tools" / "checkov-requirements.txt"
VENV = ROOT / ".tools" / "checkov"
CHECKOV_ENV = "OMERO_CHECKOV"


def pinned_version() -> str:
    for line in REQUIREMENTS.read_text().splitlines():
        if line.startswith("checkov=="):
            return line.split("==", 1)[1].strip()
    raise RuntimeError(f"{REQUIREMENTS} pins no checkov version")


def _version(executable: Path) -> str | None:
    try:
        result = subprocess.run([str(executable), "--version"], capture_output=True, text=True, timeout=120, env=environment())
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def environment() -> dict[str, str]:
    """This environment, but checkov may write its bytecode (into .tools/checkov: git-ignored),
    even where ``PYTHONDONTWRITEBYTECODE`` is set: the environment is installed without it."""
    return {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def _install_steps() -> list[list[str]]:
    """The commands that build the environment: without pip of its own when this interpreter has
    pip to install into it, else with the venv's pip; either way without compiling bytecode."""
    python = str(VENV / "bin" / "python")
    install = ["install", "--quiet", "--disable-pip-version-check", "--no-compile", "-r", str(REQUIREMENTS)]
    if importlib.util.find_spec("pip") is not None:
        return [
            [sys.executable, "-m", "venv", "--clear", "--without-pip", str(VENV)],
            [sys.executable, "-m", "pip", "--python", python, *install],
        ]
    return [[sys.executable, "-m", "venv", "--clear", str(VENV)], [python, "-m", "pip", *install]]


def ensure() -> Path:
    """The checkov executable, installing the pinned one into .tools/checkov if needed.

    Raises RuntimeError with the reason when it cannot be had.
    """
    override = os.environ.get(CHECKOV_ENV)
    if override:
        return Path(override)
    VENV.parent.mkdir(parents=True, exist_ok=True)
    # Test workers running in parallel build the environment once, one at a time.
    with open(VENV.parent / "checkov.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _ensure_locked()


def start_in_background(session_dir: Path) -> None:
    """Start building the environment in a process of its own, unless it is there or a worker of
    this session has started it already (an ``ensure()`` later waits for it, on the lock)."""
    if os.environ.get(CHECKOV_ENV) or (VENV / "bin" / "checkov").exists():
        return
    session_dir.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(session_dir / "checkov-started", os.O_CREAT | os.O_EXCL))
    except FileExistsError:
        return
    with open(session_dir / "checkov-install.log", "w") as log:
        subprocess.Popen(
            [sys.executable, "-m", "tests.harness.checkov"],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )


def _ensure_locked() -> Path:
    executable = VENV / "bin" / "checkov"
    if executable.exists() and _version(executable) == pinned_version():
        return executable
    for step in _install_steps():
        try:
            result = subprocess.run(step, capture_output=True, text=True, timeout=900)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"installing checkov timed out: {' '.join(step)}") from None
        if result.returncode != 0:
            raise RuntimeError(f"installing checkov failed: {' '.join(step)}\n{result.stderr[-2000:]}")
    if _version(executable) != pinned_version():
        raise RuntimeError(f"{executable} does not report checkov {pinned_version()}")
    return executable


if __name__ == "__main__":
    try:
        print(ensure())
    except RuntimeError as error:
        print(error, file=sys.stderr)
        sys.exit(1)
