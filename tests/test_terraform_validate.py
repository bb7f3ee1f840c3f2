"""``terraform validate`` on every stack of every example, offline against the provider mirror."""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import EXAMPLES

pytestmark = pytest.mark.terraform


def validate(terraform_cli, directory) -> dict:
    init = terraform_cli(directory, "init", "-backend=false", "-input=false", "-no-color", timeout=300)
    if init.returncode != 0:
        return {"valid": False, "init": str(init)}
    result = terraform_cli(directory, "validate", "-json", "-no-color", timeout=300)
    return json.loads(result.stdout)


# One test per example, so that each example's stacks are validated once, by whichever worker
# takes the test (a session fixture over every example would run again in every worker).
@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_every_stack_is_valid_terraform(examples, terraform_cli, example):
    synth = examples[example]
    assert synth.order, "the example synthesized no stack"
    with ThreadPoolExecutor(max_workers=2) as pool:
        directories = [synth.outdir / "stacks" / stack for stack in synth.order]
        reports = dict(zip(synth.order, pool.map(lambda directory: validate(terraform_cli, directory), directories)))
    for stack, report in reports.items():
        assert report["valid"], f"{stack}: {json.dumps(report, indent=2)}"
        warnings = [d for d in report.get("diagnostics", []) if d["severity"] == "warning"]
        assert not warnings, f"{stack}: {json.dumps(warnings, indent=2)}"
