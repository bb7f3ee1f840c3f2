"""The file gateway's bucket under AWS Backup: in the plan's selection, with AWS's S3 backup and
restore policies on the backup role; adopted again by a deployment restored from it."""

from __future__ import annotations

import textwrap

import pytest

from config import ConfigError, loads
from tests.harness.synth import one, synthesize

GATEWAY = 'cluster { launch_type = "ec2" }\nfile_gateway {\n  enabled = true\n  activation_cidrs = ["10.0.0.0/16"]\n%s}\n'
S3_POLICIES = {
    "arn:${data.aws_partition.partition.partition}:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup",
    "arn:${data.aws_partition.partition.partition}:iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore",
}


def deployment(extra: str = "", gateway: str = "", name: str = "omero-sb"):
    return loads(f'name = "{name}"\nregion = "eu-west-1"\n' + GATEWAY % gateway + textwrap.dedent(extra))


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        loads(text, "test.hcl")
    return caught.value.lines


def selection_and_policies(synth) -> tuple[list[str], set[str]]:
    selection = one(synth.resources("backup", "aws_backup_selection"))
    policies = {a["policy_arn"] for a in synth.resources("backup", "aws_iam_role_policy_attachment").values()}
    return selection["resources"], policies


def test_full_example_backs_up_the_share_bucket_with_the_s3_policies(examples):
    resources, policies = selection_and_policies(examples["full"])
    # EFS, the database, the share's bucket, and the zarr add-on's (tests/test_addon_zarr.py)
    assert len(resources) == 4 and "-omero-file-system" not in resources[2]
    assert resources[2] == (
        "arn:${data.aws_partition.partition.partition}:s3:::"
        "omero-full-omero-share-${data.aws_caller_identity.account.account_id}-eu-central-1"
    )
    assert S3_POLICIES <= policies and len(policies) == 4
    # the same name as the bucket the file-gateway stack creates
    bucket = one(examples["full"].resources("file-gateway", "aws_s3_bucket"))
    assert bucket["bucket"].split("-share-")[0] == "omero-full-omero" and bucket["bucket"].endswith("-eu-central-1")
    versioning = one(examples["full"].resources("file-gateway", "aws_s3_bucket_versioning"))
    assert versioning["versioning_configuration"]["status"] == "Enabled"  # AWS Backup for S3 needs it


def test_repository_example_backs_up_the_bucket_holding_omero(examples):
    resources, policies = selection_and_policies(examples["s3-file-gateway-http"])
    assert resources[-1].startswith("arn:${data.aws_partition.partition.partition}:s3:::omero-s3fg-omero-share-")
    assert S3_POLICIES <= policies


def test_an_existing_bucket_is_selected_by_its_name(tmp_path):
    synth = synthesize(deployment(gateway='  bucket_name = "lab-images"\n'), tmp_path / "out")
    resources, policies = selection_and_policies(synth)
    assert resources[-1] == "arn:${data.aws_partition.partition.partition}:s3:::lab-images" and S3_POLICIES <= policies


def test_without_the_share_in_backup_only_efs_and_the_database(tmp_path):
    synth = synthesize(deployment(gateway="  backup = false\n"), tmp_path / "out")
    resources, policies = selection_and_policies(synth)
    assert len(resources) == 2 and not any(":s3:::" in r for r in resources)
    assert not policies & S3_POLICIES


def test_a_restored_bucket_is_adopted_by_the_file_gateway_stack(tmp_path):
    bucket = "omero-sb-omero-share-123456789012-eu-west-1"
    synth = synthesize(deployment(f'restore_from {{ share_bucket = "{bucket}" }}\n'), tmp_path / "out")
    [(address, created)] = synth.resources("file-gateway", "aws_s3_bucket").items()
    assert synth.stack("file-gateway")["import"] == [{"to": f"aws_s3_bucket.{address}", "id": bucket}]
    assert created["lifecycle"] == {"prevent_destroy": True}


BAD = [
    (GATEWAY % '  backup_waiver = "why"\n', "file_gateway.backup_waiver", "only with backup = false"),
    (
        'restore_from { share_bucket = "omero-sb-omero-share-123456789012-eu-west-1" }\n',
        "restore_from.share_bucket",
        "only with file_gateway.enabled",
    ),
    (
        GATEWAY % '  bucket_name = "lab-images"\n'
        + 'restore_from { share_bucket = "omero-sb-omero-share-123456789012-eu-west-1" }\n',
        "restore_from.share_bucket",
        "without file_gateway.bucket_name",
    ),
    (
        GATEWAY % "" + 'restore_from { share_bucket = "other-omero-share-123456789012-eu-west-1" }\n',
        "restore_from.share_bucket",
        "omero-sb-omero-share-<account>-eu-west-1",
    ),
    (
        GATEWAY % "" + 'restore_from { share_bucket = "omero-sb-omero-share-123456789012-us-east-1" }\n',
        "restore_from.share_bucket",
        "omero-sb-omero-share-<account>-eu-west-1",
    ),
    (
        GATEWAY % "" + 'restore_from { share_bucket = "omero-sb-omero-share-12345-eu-west-1" }\n',
        "restore_from.share_bucket",
        "omero-sb-omero-share-<account>-eu-west-1",
    ),
    (GATEWAY % "" + 'restore_from { share_bucket = "Not_A_Bucket" }\n', "restore_from.share_bucket", "an S3 bucket name"),
]


@pytest.mark.parametrize("text, key, fragment", BAD, ids=[f"{i:02d}" for i in range(len(BAD))])
def test_bad_input_names_the_key(text, key, fragment):
    found = problems('name = "omero-sb"\nregion = "eu-west-1"\n' + text)
    assert len(found) == 1 and found[0].startswith(key) and fragment in found[0], found
