"""``terraform validate`` on every stack of every example, offline against the provider mirror.

Loading the AWS provider's schema costs a Terraform process about five seconds of CPU, more than
the validation itself. So each example's stacks are validated together: copied as child modules
of one root module (each keeps its own provider blocks; its backend block, which ``-backend=false``
never reads, is left out, as Terraform only takes backends from a root module), and validated by
one ``terraform validate``. Each diagnostic names its file, so it is reported against its stack. A
stack with ``import`` blocks (a restored deployment), which only a root module may hold, is
validated on its own.

Every example's stacks go into one such root, validated once per session (their stack names are
distinct: each example has a deployment name of its own). Besides the schema, a validate starts
one provider process per provider configuration (about half a second of CPU each, one or two per
stack), so that part stays; measured on two cores, the 10 examples take about 33 s of CPU together
instead of about 65 one by one.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES

# One worker validates every example and each test reads its example's reports from there.
pytestmark = [pytest.mark.terraform, pytest.mark.xdist_group("terraform_validate")]


def validate(terraform_cli, directory: Path) -> dict:
    init = terraform_cli(directory, "init", "-backend=false", "-input=false", "-no-color", timeout=300)
    if init.returncode != 0:
        return {"valid": False, "init": str(init)}
    result = terraform_cli(directory, "validate", "-json", "-no-color", timeout=300)
    return json.loads(result.stdout)


def validate_stacks(terraform_cli, stacks: dict[str, Path], workdir: Path) -> dict[str, dict]:
    """``terraform validate``'s report for each stack directory in ``stacks`` (name -> directory)."""
    reports: dict[str, dict] = {}
    together: list[str] = []
    for name, directory in stacks.items():
        config = json.loads((directory / "cdk.tf.json").read_text())
        if "import" in config:
            reports[name] = validate(terraform_cli, directory)
            continue
        config.get("terraform", {}).pop("backend", None)
        (workdir / name).mkdir(parents=True)
        (workdir / name / "cdk.tf.json").write_text(json.dumps(config))
        together.append(name)
    if not together:
        return reports
    root = {"module": {name: {"source": f"./{name}"} for name in together}}
    (workdir / "main.tf.json").write_text(json.dumps(root))
    report = validate(terraform_cli, workdir)
    if "init" in report:
        return {**reports, **{name: report for name in together}}
    diagnostics: dict[str, list[dict]] = {name: [] for name in together}
    for diagnostic in report.get("diagnostics", []):
        filename = diagnostic.get("range", {}).get("filename", "")
        owner = filename.split("/", 1)[0]
        # a diagnostic outside every stack's file (none is expected) counts against all of them
        for name in [owner] if owner in diagnostics else together:
            diagnostics[name].append(diagnostic)
    for name in together:
        errors = [d for d in diagnostics[name] if d["severity"] == "error"]
        reports[name] = {"valid": not errors, "diagnostics": diagnostics[name]}
    return reports


@pytest.fixture(scope="module")
def every_example_validated(examples, terraform_cli, tmp_path_factory) -> dict[str, dict]:
    """``terraform validate``'s report for each stack of every example, from one validation."""
    stacks = {stack: synth.outdir / "stacks" / stack for synth in examples.all().values() for stack in synth.order}
    assert len(stacks) == sum(len(synth.order) for synth in examples.all().values()), "two examples share a stack name"
    return validate_stacks(terraform_cli, stacks, tmp_path_factory.mktemp("validate") / "root")


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_every_stack_is_valid_terraform(examples, every_example_validated, example):
    synth = examples[example]
    assert synth.order, "the example synthesized no stack"
    reports = {stack: report for stack, report in every_example_validated.items() if stack in synth.order}
    assert set(reports) == set(synth.order)
    for stack, report in reports.items():
        assert report["valid"], f"{stack}: {json.dumps(report, indent=2)}"
        warnings = [d for d in report.get("diagnostics", []) if d["severity"] == "warning"]
        assert not warnings, f"{stack}: {json.dumps(warnings, indent=2)}"


def test_an_invalid_stack_is_reported_against_itself(examples, terraform_cli, tmp_path):
    """The combined validation still finds a broken stack and names it, not its neighbours."""
    synth = examples["quickstart-http"]
    broken = tmp_path / "broken"
    stacks = {}
    for stack in synth.order:
        stacks[stack] = broken / stack
        stacks[stack].mkdir(parents=True)
        config = json.loads((synth.outdir / "stacks" / stack / "cdk.tf.json").read_text())
        if stack.endswith("-storage"):
            [db] = config["resource"]["aws_db_instance"].values()
            db["no_such_argument"] = True
        (stacks[stack] / "cdk.tf.json").write_text(json.dumps(config))
    reports = validate_stacks(terraform_cli, stacks, tmp_path / "root")
    invalid = {stack for stack, report in reports.items() if not report["valid"]}
    assert invalid == {"omero-quick-storage"}
    [error] = [d for d in reports["omero-quick-storage"]["diagnostics"] if d["severity"] == "error"]
    assert "no_such_argument" in json.dumps(error)
