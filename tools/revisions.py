"""Git revisions of this repository, synthesized: a revision's tree exported with ``git archive``
into a directory (the repository is untouched), its ``main.py`` run there with this checkout's
Python, and a deployment file as it is at a revision.

``pipenv run diff --git`` compares two revisions' syntheses; ``pipenv run plan --rehearse`` applies
the base revision's on an emulator and takes the cost before a change from the base's file.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from config import load
from tools.common import ToolError
from tools.synthesized import load_tree

ROOT = Path(__file__).resolve().parents[1]
SYNTH_TIMEOUT_SECONDS = 600


def _git(*args: str, binary: bool = False) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=not binary, timeout=120, check=False)
    except FileNotFoundError:
        raise ToolError("git is not installed") from None


def resolve_revision(revision: str) -> str:
    """The commit id of ``revision``; a ToolError when git does not know it."""
    result = _git("rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    if result.returncode != 0 or not result.stdout.strip():
        raise ToolError(f"{revision}: not a revision of {ROOT}")
    return result.stdout.strip()


def export_revision(commit: str, directory: Path) -> Path:
    """The tree of ``commit`` written to ``directory`` (git archive; the repository is untouched)."""
    archive = _git("archive", "--format=tar", commit, binary=True)
    if archive.returncode != 0:
        raise ToolError(f"{commit}: git archive failed: {archive.stderr.decode(errors='replace').strip()}")
    directory.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(directory, filter="data")
    return directory


def synthesize_checkout(
    source: Path, outdir: Path, config: Path | None, label: str, extra_env: dict[str, str] | None = None
) -> dict[str, dict]:
    """Run ``main.py`` of ``source`` with this checkout's Python; return the stacks (none if no config).

    ``extra_env`` is added to the environment (``AWS_ENDPOINT_URL`` for an emulator)."""
    env = {k: v for k, v in os.environ.items() if k not in ("OMERO_CONFIG", "CDKTF_OUTDIR", "SYNTH_HCL_OUTPUT")}
    env.update(extra_env or {})
    env["CDKTF_OUTDIR"] = str(outdir)
    if config is not None:
        if not config.is_file():
            return {}  # the deployment file does not exist in this revision: no stacks
        env["OMERO_CONFIG"] = str(config)
    try:
        result = subprocess.run(
            [sys.executable, "main.py"],
            cwd=source,
            env=env,
            capture_output=True,
            text=True,
            timeout=SYNTH_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ToolError(f"{label}: synth took longer than {SYNTH_TIMEOUT_SECONDS} s") from None
    if result.returncode != 0:
        last = next((line for line in reversed(result.stderr.splitlines()) if line.strip()), "no message")
        raise ToolError(f"{label}: synth failed (exit {result.returncode}): {last.strip()}")
    return load_tree(outdir)


def deployment_at(revision: str | None, path: str) -> Any:
    """The deployment file ``path`` as it is at ``revision`` (None: on disk), loaded; None if absent."""
    if revision is None:
        return load(Path(path)) if Path(path).is_file() else None
    relative = Path(path).resolve().relative_to(ROOT)
    shown = _git("show", f"{resolve_revision(revision)}:{relative.as_posix()}")
    if shown.returncode != 0:
        return None
    with tempfile.TemporaryDirectory(prefix="synth-diff-config-") as work:
        copy = Path(work) / relative.name
        copy.write_text(shown.stdout)
        return load(copy)
