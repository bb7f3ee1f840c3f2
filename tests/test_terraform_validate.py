"""``terraform validate`` on every stack of every example, offline against the provider mirror."""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import EXAMPLES

pytestmark = pytest.mark.terraform


@pytest.fixture(scope="session")
def validated(examples, terraform_cli):
    """(example, stack) -> terraform validate -json result, all stacks run two at a time."""
    jobs = [(name, stack, synth.outdir / "stacks" / stack) for name, synth in examples.all().items() for stack in synth.order]

    def validate(job):
        name, stack, directory = job
        init = terraform_cli(directory, "init", "-backend=false", "-input=false", "-no-color", timeout=300)
        if init.returncode != 0:
            return (name, stack), {"valid": False, "init": str(init)}
        result = terraform_cli(directory, "validate", "-json", "-no-color", timeout=300)
        report = json.loads(result.stdout)
        return (name, stack), report

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(validate, jobs))


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_every_stack_is_valid_terraform(validated, examples, example):
    synth = examples[example]
    assert synth.order, "the example synthesized no stack"
    for stack in synth.order:
        report = validated[(example, stack)]
        assert report["valid"], f"{stack}: {json.dumps(report, indent=2)}"
        warnings = [d for d in report.get("diagnostics", []) if d["severity"] == "warning"]
        assert not warnings, f"{stack}: {json.dumps(warnings, indent=2)}"
