"""The lint, format and type gate: ruff (lint and format) and mypy over the product, with the
settings in pyproject.toml. Each failure prints what the tool printed; fix it, or run
``pipenv run ruff format`` / ``pipenv run ruff check --fix`` for what they can fix themselves."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.xdist_group("lint")


def run(module: str, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed here (it is a dev package: pipenv sync --dev)")
    return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def test_ruff_finds_nothing():
    result = run("ruff", "check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


def test_code_is_formatted_as_ruff_formats_it():
    result = run("ruff", "format", "--check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


def test_mypy_finds_nothing(tmp_path_factory):
    # The files to check are in pyproject.toml; a cache of its own, so runs never share one.
    cache = tmp_path_factory.mktemp("mypy-cache")
    result = run("mypy", "--cache-dir", str(cache))
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
