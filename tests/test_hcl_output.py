"""SYNTH_HCL_OUTPUT=true: the stacks as HCL (``cdk.tf``) instead of JSON, for reading.

One example is synthesized the way a user does it (``python main.py`` in a subprocess with the
variable set) and compared with its JSON synth. cdktf's App and stacks read the variable
themselves when the process starts; the App is not told again (``App(hcl_output=True)`` without
the variable in the jsii runtime's environment writes JSON into ``cdk.tf``), and the manifest test
below shows the two agree. cdktf 0.21's HCL renderer has gaps that make some
stacks unusable as Terraform; the tests marked ``xfail(strict=True)`` pin each gap down, so they
fail (and are to be turned into plain tests) on the day the gap closes.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness.synth import ROOT, Synthesis

EXAMPLE = "tls-rw-ro"  # every core stack, the state bucket's too, and read-only servers


def _parse(path: Path) -> dict:
    """A ``cdk.tf`` read with python-hcl2, strings without their quotes."""
    import hcl2
    from hcl2 import SerializationOptions

    options = SerializationOptions(strip_string_quotes=True, explicit_blocks=False, with_comments=False)
    return hcl2.loads(path.read_text(), serialization_options=options)


@pytest.fixture(scope="module")
def hcl_out(tmp_path_factory) -> Path:
    """The example synthesized with SYNTH_HCL_OUTPUT=true, as `pipenv run python main.py` does."""
    outdir = tmp_path_factory.mktemp("hcl") / "cdktf.out"
    env = {
        **os.environ,
        "OMERO_CONFIG": str(ROOT / "examples" / f"{EXAMPLE}.hcl"),
        "CDKTF_OUTDIR": str(outdir),
        "SYNTH_HCL_OUTPUT": "true",
    }
    env.pop("AWS_ENDPOINT_URL", None)
    result = subprocess.run(
        [sys.executable, "main.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr
    return outdir


@pytest.fixture(scope="module")
def json_synth(examples) -> Synthesis:
    return examples[EXAMPLE]


def _names(tree: dict, kind: str) -> set[tuple[str, str]]:
    """(type, name) of every resource or data source in a parsed HCL file."""
    return {(type_, name) for entry in tree.get(kind, []) for type_, named in entry.items() for name in named}


def _json_names(stack: dict, kind: str) -> set[tuple[str, str]]:
    return {(type_, name) for type_, named in stack.get(kind, {}).items() for name in named}


def test_writes_hcl_and_the_manifest_agrees(hcl_out, json_synth):
    manifest = json.loads((hcl_out / "manifest.json").read_text())
    assert sorted(manifest["stacks"]) == sorted(json_synth.order)
    for name, stack in manifest["stacks"].items():
        assert stack["synthesizedStackPath"] == f"stacks/{name}/cdk.tf"
        directory = hcl_out / "stacks" / name
        assert (directory / "cdk.tf").is_file() and not (directory / "cdk.tf.json").exists()
        assert not (directory / "cdk.tf").read_text().lstrip().startswith("{"), "JSON in cdk.tf"


@pytest.mark.parametrize("role", [
    "state",
    "network",
    "storage",
    pytest.param("services", marks=pytest.mark.xfail(
        strict=True,
        reason="cdktf 0.21 writes JSON held in strings (container_definitions) into HCL without escaping its quotes",
    )),
])
def test_same_resources_data_and_outputs_as_json(hcl_out, json_synth, role):
    name = f"{json_synth.deployment.name}-{role}"
    tree = _parse(hcl_out / "stacks" / name / "cdk.tf")
    stack = json_synth.stacks[name]
    assert _names(tree, "resource") == _json_names(stack, "resource")
    assert _names(tree, "data") == _json_names(stack, "data")
    outputs = {output for entry in tree.get("output", []) for output in entry}
    assert outputs == set(stack.get("output", {}))


def test_the_backend_carries_over(hcl_out, json_synth):
    """S3 state with Terraform's lock file, from the backend plus an override of the terraform block."""
    name = f"{json_synth.deployment.name}-network"
    tree = _parse(hcl_out / "stacks" / name / "cdk.tf")
    backend = tree["terraform"][0]["backend"][0]["s3"]
    assert backend == json_synth.stacks[name]["terraform"]["backend"]["s3"]


@pytest.mark.xfail(
    strict=True,
    reason="cdktf 0.21 renders only the terraform block from stack overrides: ephemeral blocks are dropped",
)
def test_storage_declares_its_ephemeral_passwords(hcl_out, json_synth):
    name = f"{json_synth.deployment.name}-storage"
    assert json_synth.stacks[name].get("ephemeral"), "the JSON synth has ephemeral passwords"
    tree = _parse(hcl_out / "stacks" / name / "cdk.tf")
    assert tree.get("ephemeral")


@pytest.mark.terraform
@pytest.mark.parametrize("role", ["state", "network"])
def test_terraform_validates_hcl_stacks(hcl_out, json_synth, terraform_cli, role):
    """The stacks the renderer gets right are valid Terraform as HCL too."""
    directory = hcl_out / "stacks" / f"{json_synth.deployment.name}-{role}"
    init = terraform_cli(directory, "init", "-backend=false", "-input=false", "-no-color", timeout=300)
    assert init.returncode == 0, str(init)
    result = terraform_cli(directory, "validate", "-json", "-no-color", timeout=300)
    report = json.loads(result.stdout)
    assert report["valid"], json.dumps(report, indent=2)
