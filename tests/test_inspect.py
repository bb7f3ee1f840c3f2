"""tools/inspect_deployment.py: stacks, order and backends from a real synth; --state through terraform."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.catalog import ON_SERVICES_ROLES
from tests.harness.synth import synthesize
from tools.common import ToolError
from tools.deployment import applied_state, deploy_order, read_stacks, role_of

ROOT = Path(__file__).resolve().parents[1]


def inspect(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    environment.pop("OMERO_CONFIG", None)
    environment.pop("AWS_ENDPOINT_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "tools.inspect_deployment", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_remote_state_listing(tmp_path):
    ran = inspect("--config", str(ROOT / "examples/tls-rw-ro.hcl"), "--json", cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    report = json.loads(ran.stdout)
    names = ["omero-prod-state", "omero-prod-network", "omero-prod-storage", "omero-prod-backup", "omero-prod-services"]
    assert report["deploy_order"] == names
    assert report["destroy_order"] == names[::-1]
    stacks = report["stacks"]
    # the bootstrap stack keeps its state in a local file where the synth runs
    assert stacks["omero-prod-state"]["backend"] == {
        "kind": "local",
        "path": str(tmp_path.resolve() / "terraform.omero-prod-state.tfstate"),
    }
    for role in ("network", "storage", "backup", "services"):
        assert stacks[f"omero-prod-{role}"]["backend"] == {
            "kind": "s3",
            "bucket": "omero-prod-terraform-state-example",
            "key": f"omero/omero-prod/{role}.tfstate",
            "region": "us-east-1",
            "lock_file": True,
        }
    assert stacks["omero-prod-services"]["dependencies"] == ["omero-prod-state", "omero-prod-network", "omero-prod-storage"]
    assert stacks["omero-prod-state"]["dependencies"] == []


def test_local_state_listing_text(tmp_path):
    ran = inspect("--config", str(ROOT / "examples/quickstart-http.hcl"), cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    lines = ran.stdout.splitlines()
    assert lines[0] == "deployment omero-quick (" + str(ROOT / "examples/quickstart-http.hcl") + "), region eu-west-1: 4 stacks"
    # the full path of each local state file: where the synth ran
    state_dir = tmp_path.resolve()
    assert f"  1. omero-quick-network   local file {state_dir}/terraform.omero-quick-network.tfstate" in lines
    assert f"  4. omero-quick-services  local file {state_dir}/terraform.omero-quick-services.tfstate" in lines
    assert "needs: omero-quick-network, omero-quick-storage" in ran.stdout
    assert lines[-1] == "destroy order: omero-quick-services, omero-quick-backup, omero-quick-storage, omero-quick-network"
    assert "s3://" not in ran.stdout


def test_addon_stacks_follow_the_services(tmp_path):
    synth = synthesize(ROOT / "examples/full.hcl", tmp_path / "cdktf.out")
    stacks = read_stacks(tmp_path / "cdktf.out")
    names = [s.name for s in stacks]
    assert sorted(names) == sorted(synth.order)
    assert names[0] == "omero-full-state"
    services = names.index("omero-full-services")
    for stack in stacks:
        if stack.role in ON_SERVICES_ROLES:
            assert names.index(stack.name) > services, names
        for dependency in stack.dependencies:
            assert names.index(dependency) < names.index(stack.name)


def test_order_is_topological_and_cycles_are_refused():
    assert deploy_order({"d-services": ["d-storage"], "d-storage": ["d-network"], "d-network": []}) == [
        "d-network",
        "d-storage",
        "d-services",
    ]
    assert role_of("omero-prod-file-gateway") == "file-gateway"
    with pytest.raises(ToolError, match="cycle"):
        deploy_order({"a": ["b"], "b": ["a"]})


@pytest.mark.parametrize(
    "args, message",
    [
        (("--config", "no-such.hcl"), "error: no-such.hcl: file not found"),
        (("--outdir", "no-such-dir"), "error: no-such-dir: no such directory"),
        (("--state", "--outdir", "no-such-dir"), "error: no-such-dir: no such directory"),
    ],
)
def test_bad_input_is_one_line_and_status_2(tmp_path, args, message):
    ran = inspect(*args, cwd=tmp_path)
    assert ran.returncode == 2
    assert ran.stderr.startswith(message) and ran.stderr.count("\n") == 1, ran.stderr
    assert "Traceback" not in ran.stderr


def test_outdir_of_another_deployment_is_refused(tmp_path):
    synthesize(ROOT / "examples/quickstart-http.hcl", tmp_path / "cdktf.out")
    ran = inspect("--outdir", str(tmp_path / "cdktf.out"), "--config", str(ROOT / "examples/tls-rw-ro.hcl"))
    assert ran.returncode == 2 and "holds stacks of another deployment" in ran.stderr, ran.stderr


@pytest.mark.terraform
def test_state_of_stacks_never_applied(tmp_path, terraform_cli):
    """terraform init (local backend) and output/state list on stacks without state yet."""
    synthesize(ROOT / "examples/quickstart-http.hcl", tmp_path / "cdktf.out")
    ran = inspect(
        "--state",
        "--outdir",
        str(tmp_path / "cdktf.out"),
        cwd=tmp_path,
        env={"TF_CLI_CONFIG_FILE": terraform_cli.env["TF_CLI_CONFIG_FILE"]},
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    for role in ("network", "storage", "backup", "services"):
        assert f"omero-quick-{role}: no state yet (not applied)" in ran.stdout
    assert (tmp_path / "cdktf.out/stacks/omero-quick-network/.terraform").is_dir()  # init ran there


APPLIED_SHAPES = """
locals {
  zones = ["a", "b"]
}
resource "terraform_data" "single" {
  input = "one"
}
resource "terraform_data" "counted" {
  count = 2
  input = count.index
}
resource "terraform_data" "keyed" {
  for_each = toset(["server", "web ro", "café"])
  input    = each.key
}
data "terraform_remote_state" "upstream" {
  backend = "local"
  config  = { path = "upstream.tfstate" }
}
module "inner" {
  source = "./inner"
}
output "zones" {
  value = local.zones
}
"""


@pytest.mark.terraform
def test_state_addresses_are_those_state_list_prints(tmp_path, terraform_cli):
    """What a stack's state pull is read as (tools.deployment.state_addresses) equals terraform's own
    ``state list``, order included, for every kind of address: a module, a data source, count and
    for_each instances; and the outputs are ``output -json``'s values. Only Terraform's built-in
    provider is used."""
    (tmp_path / "inner").mkdir()
    (tmp_path / "inner/main.tf").write_text('resource "terraform_data" "nested" {\n  count = 1\n}\n')
    (tmp_path / "main.tf").write_text(APPLIED_SHAPES)
    (tmp_path / "upstream.tfstate").write_text(
        json.dumps({"version": 4, "serial": 1, "lineage": "u", "outputs": {}, "resources": []})
    )
    for args in (("init", "-input=false", "-no-color"), ("apply", "-auto-approve", "-input=false", "-no-color")):
        ran = terraform_cli(tmp_path, *args, timeout=120)
        assert ran.returncode == 0, ran
    listed = terraform_cli(tmp_path, "state", "list", timeout=60).stdout.splitlines()
    addresses, outputs = applied_state(terraform_cli, tmp_path, timeout=60)
    assert addresses == listed
    assert 'terraform_data.keyed["web ro"]' in addresses and 'terraform_data.keyed["café"]' in addresses
    assert "module.inner.terraform_data.nested[0]" in addresses
    assert "data.terraform_remote_state.upstream" in addresses
    assert outputs == {"zones": ["a", "b"]}
