"""Where state lives: local files by default, S3 with a bootstrap bucket stack when configured."""

from __future__ import annotations

import json

import pytest

from config import loads
from stacks.base import EMULATED_SERVICES
from tests.harness.synth import synthesize


def test_local_backend_by_default(examples):
    synth = examples["quickstart-http"]
    assert synth.order == ["omero-quick-network", "omero-quick-storage", "omero-quick-backup", "omero-quick-services"]
    backend = synth.stack("network")["terraform"]["backend"]
    # relative to the stack's working directory: the project root for the default cdktf.out
    assert backend == {"local": {"path": "../../../terraform.omero-quick-network.tfstate"}}


def test_remote_state_in_s3_with_native_locking(examples):
    synth = examples["tls-rw-ro"]
    assert synth.order == [
        "omero-prod-state",
        "omero-prod-network",
        "omero-prod-storage",
        "omero-prod-backup",
        "omero-prod-services",
    ]
    backend = synth.stack("network")["terraform"]["backend"]
    assert backend == {
        "s3": {
            "bucket": "omero-prod-terraform-state-example",
            "key": "omero/omero-prod/network.tfstate",
            "region": "us-east-1",
            "use_lockfile": True,
        }
    }


def test_bootstrap_stack_keeps_its_own_state_locally(examples):
    synth = examples["tls-rw-ro"]
    backend = synth.stack("state")["terraform"]["backend"]
    assert backend == {"local": {"path": "../../../terraform.omero-prod-state.tfstate"}}


def test_network_waits_for_the_state_bucket(examples):
    manifest = json.loads((examples["tls-rw-ro"].outdir / "manifest.json").read_text())
    assert manifest["stacks"]["omero-prod-network"]["dependencies"] == ["omero-prod-state"]
    assert set(manifest["stacks"]["omero-prod-storage"]["dependencies"]) == {"omero-prod-state", "omero-prod-network"}


def test_state_bucket_is_protected(examples):
    synth = examples["tls-rw-ro"]
    [bucket] = synth.resources("state", "aws_s3_bucket").values()
    assert bucket["bucket"] == "omero-prod-terraform-state-example"
    assert bucket["lifecycle"] == {"prevent_destroy": True}
    assert bucket["force_destroy"] is False
    [versioning] = synth.resources("state", "aws_s3_bucket_versioning").values()
    assert versioning["versioning_configuration"] == {"status": "Enabled"}
    [encryption] = synth.resources("state", "aws_s3_bucket_server_side_encryption_configuration").values()
    default = encryption["rule"][0]["apply_server_side_encryption_by_default"]
    assert default["sse_algorithm"] == "aws:kms"
    [block] = synth.resources("state", "aws_s3_bucket_public_access_block").values()
    assert all(
        block[flag] is True
        for flag in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    )
    [ownership] = synth.resources("state", "aws_s3_bucket_ownership_controls").values()
    assert ownership["rule"]["object_ownership"] == "BucketOwnerEnforced"
    [lifecycle] = synth.resources("state", "aws_s3_bucket_lifecycle_configuration").values()
    [rule] = lifecycle["rule"]
    assert rule["noncurrent_version_expiration"] == [{"noncurrent_days": 180}]
    assert rule["abort_incomplete_multipart_upload"] == [{"days_after_initiation": 7}]


def test_state_bucket_refuses_plain_http_and_old_tls(examples):
    synth = examples["tls-rw-ro"]
    [document] = synth.data("state", "aws_iam_policy_document").values()
    statements = {s["sid"]: s for s in document["statement"]}
    insecure = statements["DenyInsecureTransport"]
    assert insecure["effect"] == "Deny" and insecure["actions"] == ["s3:*"]
    assert insecure["condition"] == [{"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}]
    assert len(insecure["resources"]) == 2  # the bucket and its objects
    old_tls = statements["DenyOutdatedTLS"]
    assert old_tls["condition"] == [{"test": "NumericLessThan", "variable": "s3:TlsVersion", "values": ["1.2"]}]
    [policy] = synth.resources("state", "aws_s3_bucket_policy").values()
    assert "data.aws_iam_policy_document" in policy["policy"]


def test_customer_kms_key_for_state(tmp_path):
    key = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    synth = synthesize(
        loads(f'name = "kms"\nregion = "eu-west-1"\nstate {{\n bucket = "kms-state-bucket"\n kms_key_arn = "{key}"\n}}'),
        tmp_path / "out",
    )
    backend = synth.stack("network")["terraform"]["backend"]["s3"]
    assert backend["kms_key_id"] == key and backend["encrypt"] is True
    [encryption] = synth.resources("state", "aws_s3_bucket_server_side_encryption_configuration").values()
    assert encryption["rule"][0]["apply_server_side_encryption_by_default"]["kms_master_key_id"] == key


def test_existing_bucket_skips_the_bootstrap_stack(tmp_path):
    synth = synthesize(loads('name = "shared"\nstate {\n bucket = "team-state"\n create_bucket = false\n}'), tmp_path / "out")
    assert synth.order == ["shared-network", "shared-storage", "shared-backup", "shared-services"]
    assert synth.stack("network")["terraform"]["backend"]["s3"]["bucket"] == "team-state"


@pytest.fixture(scope="module")
def emulated(tmp_path_factory, examples):
    return synthesize(
        examples["tls-rw-ro"].deployment, tmp_path_factory.mktemp("emu") / "cdktf.out", emulator_endpoint="http://127.0.0.1:4566"
    )


def test_emulator_mode_points_every_service_at_the_emulator(emulated):
    for name in emulated.order:
        [provider] = emulated.stacks[name]["provider"]["aws"]
        [endpoints] = provider["endpoints"]
        assert endpoints == {service: "http://127.0.0.1:4566" for service in EMULATED_SERVICES}
        assert provider["s3_use_path_style"] is True
        assert provider["skip_credentials_validation"] is True
        # the account id comes from the emulator's STS, as it would from AWS
        assert "skip_requesting_account_id" not in provider
        assert provider["skip_region_validation"] is True
        assert provider["skip_metadata_api_check"] == "true"


def test_emulator_mode_backend(emulated):
    s3 = emulated.stack("network")["terraform"]["backend"]["s3"]
    assert s3["endpoints"] == {"s3": "http://127.0.0.1:4566", "sts": "http://127.0.0.1:4566", "iam": "http://127.0.0.1:4566"}
    assert s3["use_path_style"] is True
    assert s3["skip_credentials_validation"] and s3["skip_requesting_account_id"] and s3["skip_metadata_api_check"]
    assert s3["use_lockfile"] is True


def test_real_mode_names_no_endpoint(examples):
    for synth in examples.all().values():
        for name, stack in synth.stacks.items():
            text = json.dumps(stack)
            # No endpoint override in a provider or the backend (VPC endpoints are resources, not these).
            blocks = [*stack["provider"]["aws"], *stack["terraform"].get("backend", {}).values()]
            assert not [block for block in blocks if "endpoints" in block], name
            assert "127.0.0.1" not in text and "skip_credentials_validation" not in text, name
