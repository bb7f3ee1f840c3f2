"""Loading the provider bindings one submodule at a time changes nothing in the output."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

FULL_IMPORT_SYNTH = """
import sys
from pathlib import Path
import main  # first: it quiets jsii's Node.js warnings
import cdktf_cdktf_provider_aws  # the package __init__: every submodule, the slow way
assert len([m for m in sys.modules if m.startswith("cdktf_cdktf_provider_aws.")]) > 2000
from config import load
outdir = Path(sys.argv[1])
main.synthesize(load(sys.argv[2]), outdir=outdir, local_state_dir=outdir.parent)
"""


def test_per_submodule_loading_gives_byte_identical_output(examples, tmp_path):
    lazy = examples["tls-rw-ro"]
    outdir = tmp_path / "cdktf.out"
    result = subprocess.run(
        [sys.executable, "-c", FULL_IMPORT_SYNTH, str(outdir), str(ROOT / "examples" / "tls-rw-ro.hcl")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    produced = sorted(p.relative_to(outdir) for p in outdir.rglob("*") if p.is_file())
    expected = sorted(p.relative_to(lazy.outdir) for p in lazy.outdir.rglob("*") if p.is_file())
    assert produced == expected
    for relative in expected:
        assert (outdir / relative).read_bytes() == (lazy.outdir / relative).read_bytes(), relative


def test_synth_loads_only_the_submodules_it_uses():
    code = (
        "import sys, main; from config import load; from pathlib import Path; import tempfile\n"
        "out = Path(tempfile.mkdtemp()) / 'cdktf.out'\n"
        "main.synthesize(load('examples/tls-rw-ro.hcl'), outdir=out, local_state_dir=out.parent)\n"
        "print(len([m for m in sys.modules if m.startswith('cdktf_cdktf_provider_aws.')]))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert int(result.stdout.strip().splitlines()[-1]) < 160  # of about 2,100
