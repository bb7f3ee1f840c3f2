"""What a reviewer reads of a change: the synthesized diff and the plan report, on real synths."""

from __future__ import annotations

import pytest

from tests.harness.synth import Synthesis, synthesize
from tools import synth_diff


@pytest.fixture(scope="module")
def quickstart(examples) -> Synthesis:
    return examples["quickstart-http"]


def test_local_state_elsewhere_is_no_change(quickstart, tmp_path):
    """The same deployment synthesized with its local state in another directory: no change
    (``terraform_remote_state``'s ``config.path`` is relative to where the synth ran)."""
    elsewhere = synthesize(quickstart.deployment, tmp_path / "a" / "b" / "cdktf.out", local_state_dir=tmp_path / "state")
    diff = synth_diff.diff_trees(synth_diff.load_tree(quickstart.outdir), synth_diff.load_tree(elsewhere.outdir))
    assert [(s.name, s.status) for s in diff.stacks if s.status != "unchanged"] == []
    assert not diff.changed
