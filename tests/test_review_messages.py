"""What a synth in emulator mode and a rehearsal say while they run and when they end."""

from __future__ import annotations

import threading
from pathlib import Path
from types import SimpleNamespace

import main
from tests.harness.synth import ROOT
from tools import deployment, rehearse


def test_a_synth_in_emulator_mode_says_so(tmp_path, capsys):
    environ = {
        "OMERO_CONFIG": str(ROOT / "examples" / "quickstart-http.hcl"),
        "CDKTF_OUTDIR": str(tmp_path / "cdktf.out"),
        "AWS_ENDPOINT_URL": "http://127.0.0.1:4566",
        "CI": "true",
    }
    assert main.main(environ, []) == 0
    lines = [line for line in capsys.readouterr().err.splitlines() if "emulator mode" in line]
    assert lines == [main.emulator_note("http://127.0.0.1:4566")]
    assert "http://127.0.0.1:4566" in lines[0] and "not AWS" in lines[0]


def test_a_long_apply_prints_progress_lines(monkeypatch):
    """A stack that runs for longer than the progress interval is named while it runs."""
    monkeypatch.setattr(deployment, "PROGRESS_SECONDS", 0.05)
    release = threading.Event()
    # the scheduler reads a stack's name and dependencies only
    stacks = [SimpleNamespace(name="omero-quick-network", dependencies=[])]
    said: list[str] = []
    threading.Timer(0.3, release.set).start()
    results = deployment.in_dependency_order(
        stacks,
        lambda stack: release.wait(5) and stack.name,
        workers=1,
        progress=lambda names, seconds: said.append(f"{names} {seconds:.1f}"),
    )
    assert results == ["omero-quick-network"]
    assert len(said) >= 3 and all(line.startswith("['omero-quick-network'] ") for line in said), said


def test_a_rehearsal_ends_with_the_next_step():
    ok = rehearse.next_step(Path("deployments/lab.hcl"), True)
    assert ok.startswith("Next: ") and "plan --rehearse" in ok and "pipenv run deploy --config deployments/lab.hcl" in ok
    assert "rehearse --config deployments/lab.hcl" in rehearse.next_step(Path("deployments/lab.hcl"), False)
