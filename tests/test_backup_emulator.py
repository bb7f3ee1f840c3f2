"""AWS Backup on the emulator: the resources the backup stack is made of, applied by Terraform.

A small hand-written configuration (not the synthesized stack) with what the backup stack uses: a
vault with its own KMS key, a copy vault in a second region, a plan whose rules copy, tier and tag
their recovery points, a selection naming an EFS file system, an RDS instance and an S3 bucket
(with AWS's S3 policies on the backup role), vault notifications, a vault access policy and a vault
lock. Apply, a second plan with no changes, the
API's view of each resource, destroy. It proves the emulator patches in
emulator/patches/backup.py, so that a failure of the backup stack's own emulator test is the
stack's and not the emulator's.
"""

from __future__ import annotations

import json

import pytest

from emulator.drift import unexpected_changes
from tests.harness.apply import APPLY_TIMEOUT, aws

pytestmark = [pytest.mark.emulator, pytest.mark.terraform]

REGION, COPY_REGION = "eu-central-1", "eu-west-1"
NAME = "omero-bk"
SERVICES = ("backup", "efs", "iam", "kms", "rds", "s3", "sns", "sts")


def provider(endpoint: str, region: str, alias: str | None = None) -> dict:
    block = {
        "region": region,
        "endpoints": [{service: endpoint for service in SERVICES}],
        "skip_credentials_validation": True,
        "skip_metadata_api_check": "true",
        "skip_region_validation": True,
    }
    return {**block, "alias": alias} if alias else block


def configuration(endpoint: str) -> dict:
    rule = {
        "target_vault_name": "${aws_backup_vault.main.name}",
        "start_window": 60,
        "completion_window": 600,
        "recovery_point_tags": {"deployment": NAME, "copied": "yes"},
    }
    return {
        "terraform": {"required_providers": {"aws": {"source": "hashicorp/aws", "version": "5.100.0"}}},
        "provider": {"aws": [provider(endpoint, REGION), provider(endpoint, COPY_REGION, "copy")]},
        "data": {"aws_caller_identity": {"current": {}}},
        "resource": {
            "aws_kms_key": {
                "backup": {"description": f"{NAME} backup vault", "enable_key_rotation": True, "deletion_window_in_days": 7},
                "copy": {
                    "provider": "aws.copy",
                    "description": f"{NAME} copy vault",
                    "enable_key_rotation": True,
                    "deletion_window_in_days": 7,
                },
            },
            "aws_backup_vault": {
                "main": {"name": f"{NAME}-omero", "kms_key_arn": "${aws_kms_key.backup.arn}", "tags": {"role": "backup"}},
                "copy": {"provider": "aws.copy", "name": f"{NAME}-omero-copy", "kms_key_arn": "${aws_kms_key.copy.arn}"},
            },
            "aws_backup_vault_lock_configuration": {
                "main": {
                    "backup_vault_name": "${aws_backup_vault.main.name}",
                    "min_retention_days": 7,
                    "max_retention_days": 400,
                },
            },
            "aws_backup_plan": {
                "main": {
                    "name": f"{NAME}-omero",
                    "rule": [
                        {
                            **rule,
                            "rule_name": "daily",
                            "schedule": "cron(0 3 * * ? *)",
                            "lifecycle": [{"delete_after": 35}],
                            "copy_action": [
                                {
                                    "destination_vault_arn": "${aws_backup_vault.copy.arn}",
                                    "lifecycle": [{"delete_after": 35}],
                                }
                            ],
                        },
                        {
                            **rule,
                            "rule_name": "monthly",
                            "schedule": "cron(0 3 1 * ? *)",
                            "lifecycle": [{"cold_storage_after": 30, "delete_after": 365}],
                            "copy_action": [
                                {
                                    "destination_vault_arn": "${aws_backup_vault.copy.arn}",
                                    "lifecycle": [{"cold_storage_after": 30, "delete_after": 365}],
                                }
                            ],
                        },
                    ],
                    "tags": {"role": "backup"},
                },
            },
            "aws_iam_role": {
                "backup": {
                    "name": f"{NAME}-omero-backup",
                    "assume_role_policy": json.dumps(
                        {
                            "Version": "2012-10-17",
                            "Statement": [
                                {
                                    "Effect": "Allow",
                                    "Principal": {"Service": "backup.amazonaws.com"},
                                    "Action": "sts:AssumeRole",
                                }
                            ],
                        }
                    ),
                },
            },
            "aws_iam_role_policy_attachment": {
                policy.lower(): {
                    "role": "${aws_iam_role.backup.name}",
                    "policy_arn": f"arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyFor{policy}",
                }
                for policy in ("Backup", "Restores")
            }
            # AWS's S3 backup and restore policies sit at the root path, not under service-role/.
            | {
                f"s3_{policy.lower()}": {
                    "role": "${aws_iam_role.backup.name}",
                    "policy_arn": f"arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3{policy}",
                }
                for policy in ("Backup", "Restore")
            },
            # The file gateway's bucket, versioned as AWS Backup for S3 requires.
            "aws_s3_bucket": {"share": {"bucket": f"{NAME}-omero-share-123456789012-{REGION}"}},
            "aws_s3_bucket_versioning": {
                "share": {"bucket": "${aws_s3_bucket.share.id}", "versioning_configuration": [{"status": "Enabled"}]}
            },
            "aws_efs_file_system": {
                "data": {"creation_token": f"{NAME}-omero-data", "encrypted": True},
            },
            "aws_backup_selection": {
                "main": {
                    "name": f"{NAME}-omero",
                    "plan_id": "${aws_backup_plan.main.id}",
                    "iam_role_arn": "${aws_iam_role.backup.arn}",
                    "resources": [
                        "${aws_efs_file_system.data.arn}",
                        f"arn:aws:rds:{REGION}:${{data.aws_caller_identity.current.account_id}}:db:{NAME}-omero",
                        "${aws_s3_bucket.share.arn}",
                    ],
                },
            },
            "aws_sns_topic": {"backup": {"name": f"{NAME}-omero-backup"}},
            "aws_backup_vault_notifications": {
                "main": {
                    "backup_vault_name": "${aws_backup_vault.main.name}",
                    "sns_topic_arn": "${aws_sns_topic.backup.arn}",
                    "backup_vault_events": ["BACKUP_JOB_FAILED", "RESTORE_JOB_COMPLETED", "COPY_JOB_FAILED"],
                },
            },
            "aws_backup_vault_policy": {
                "main": {
                    "backup_vault_name": "${aws_backup_vault.main.name}",
                    "policy": json.dumps(
                        {
                            "Version": "2012-10-17",
                            "Statement": [
                                {
                                    "Sid": "NoRecoveryPointDeletion",
                                    "Effect": "Deny",
                                    "Principal": {"AWS": "*"},
                                    "Action": ["backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle"],
                                    "Resource": "*",
                                }
                            ],
                        }
                    ),
                },
            },
        },
    }


def test_backup_resources_apply_replan_and_destroy(emulator, tf, tmp_path):
    (tmp_path / "main.tf.json").write_text(json.dumps(configuration(emulator.endpoint), indent=2))
    run = tf.with_env(AWS_REGION=REGION, AWS_DEFAULT_REGION=REGION)
    for args in (("init", "-input=false", "-no-color"), ("apply", "-auto-approve", "-input=false", "-no-color")):
        result = run(tmp_path, *args, timeout=APPLY_TIMEOUT)
        assert result.returncode == 0, str(result)

    replan = run(tmp_path, "plan", "-detailed-exitcode", "-input=false", "-no-color", "-out=replan.tfplan", timeout=APPLY_TIMEOUT)
    assert replan.returncode in (0, 2), str(replan)
    if replan.returncode == 2:
        shown = run(tmp_path, "show", "-json", "replan.tfplan")
        assert not unexpected_changes(json.loads(shown.stdout)), f"the second plan is not empty:\n{replan}"
        pytest.fail(f"the second plan is not empty:\n{replan}")

    state = json.loads(run(tmp_path, "show", "-json").stdout)["values"]["root_module"]["resources"]
    values = {r["address"]: r["values"] for r in state}
    backup = aws(emulator, "backup", REGION)

    # The plan's rules come back as given: copies, lifecycles and recovery point tags.
    plan_id = values["aws_backup_plan.main"]["id"]
    rules = {r["RuleName"]: r for r in backup.get_backup_plan(BackupPlanId=plan_id)["BackupPlan"]["Rules"]}
    assert set(rules) == {"daily", "monthly"}
    assert rules["monthly"]["Lifecycle"] == {"MoveToColdStorageAfterDays": 30, "DeleteAfterDays": 365}
    [copy] = rules["monthly"]["CopyActions"]
    assert copy["DestinationBackupVaultArn"].endswith(f":{COPY_REGION}:123456789012:backup-vault:{NAME}-omero-copy")
    assert copy["Lifecycle"] == {"MoveToColdStorageAfterDays": 30, "DeleteAfterDays": 365}
    assert rules["daily"]["RecoveryPointTags"] == {"deployment": NAME, "copied": "yes"}
    planned = {r["rule_name"]: r for r in values["aws_backup_plan.main"]["rule"]}
    assert planned["daily"]["copy_action"][0]["lifecycle"][0]["delete_after"] == 35

    # The selection names the file system and the database, with the backup role.
    selection = values["aws_backup_selection.main"]
    got = backup.get_backup_selection(BackupPlanId=plan_id, SelectionId=selection["id"])["BackupSelection"]
    assert got["SelectionName"] == f"{NAME}-omero"
    assert got["IamRoleArn"] == values["aws_iam_role.backup"]["arn"]
    assert sorted(got["Resources"]) == sorted(selection["resources"]) and len(got["Resources"]) == 3
    attached = aws(emulator, "iam", REGION).list_attached_role_policies(RoleName=f"{NAME}-omero-backup")["AttachedPolicies"]
    assert {"AWSBackupServiceRolePolicyForS3Backup", "AWSBackupServiceRolePolicyForS3Restore"} <= {
        a["PolicyName"] for a in attached
    }
    listed = backup.list_backup_selections(BackupPlanId=plan_id)["BackupSelectionsList"]
    assert [s["SelectionId"] for s in listed] == [selection["id"]]

    notifications = backup.get_backup_vault_notifications(BackupVaultName=f"{NAME}-omero")
    assert notifications["SNSTopicArn"] == values["aws_sns_topic.backup"]["arn"]
    assert sorted(notifications["BackupVaultEvents"]) == ["BACKUP_JOB_FAILED", "COPY_JOB_FAILED", "RESTORE_JOB_COMPLETED"]
    policy = json.loads(backup.get_backup_vault_access_policy(BackupVaultName=f"{NAME}-omero")["Policy"])
    assert policy["Statement"][0]["Action"] == ["backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle"]

    destroy = run(tmp_path, "destroy", "-auto-approve", "-input=false", "-no-color", timeout=APPLY_TIMEOUT)
    assert destroy.returncode == 0, str(destroy)
    # The plan went too, which the emulator (as AWS) refuses while it still has a selection.
    with pytest.raises(backup.exceptions.ResourceNotFoundException):
        backup.list_backup_selections(BackupPlanId=plan_id)
    with pytest.raises(backup.exceptions.ResourceNotFoundException):
        backup.describe_backup_vault(BackupVaultName=f"{NAME}-omero")
