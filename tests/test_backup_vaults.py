"""What protects the recovery points once they exist: both vaults locked alike, access policies that
leave deleting, shortening and unlocking to a break-glass role, a copy in another account, and the
retention range a manual backup job must use (as synthesized)."""

from __future__ import annotations

import json

import pytest

from config import loads
from tests.harness.synth import ROOT, one, synthesize
from tests.test_config import problems

BREAK_GLASS = "arn:aws:iam::123456789012:role/omero-full-backup-break-glass"
KEY = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
OTHER_ACCOUNT_VAULT = "arn:aws:backup:us-east-1:444455556666:backup-vault:omero-copies"
# AWS's Config rule backup-recovery-point-manual-deletion-disabled looks for a deny of these three.
CONFIG_RULE_ACTIONS = {"backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle", "backup:PutBackupVaultAccessPolicy"}


@pytest.fixture(scope="module")
def full(examples):
    return examples["full"]


def policies(synth) -> dict[str, dict]:
    """Each vault policy by provider ("aws": the home region, "aws.copy": the copy region)."""
    found = synth.resources("backup", "aws_backup_vault_policy").values()
    return {p.get("provider", "aws"): p for p in found}


def denied(policy: dict, action: str, principal_arn: str) -> bool:
    """Whether the policy's deny applies to this action by this principal (aws:PrincipalArn is the
    role's ARN for every session of a role; ArnNotEquals without wildcards compares the strings)."""
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Deny" and statement["Principal"] == "*" and statement["Resource"] == "*"
        [(operator, condition)] = statement["Condition"].items()
        assert operator == "ArnNotEquals" and list(condition) == ["aws:PrincipalArn"]
        if action in statement["Action"] and principal_arn != condition["aws:PrincipalArn"]:
            return True
    return False


def test_both_vaults_let_only_the_break_glass_role_delete_shorten_or_unlock(full):
    vaults = {v.get("provider", "aws"): k for k, v in full.resources("backup", "aws_backup_vault").items()}
    found = policies(full)
    assert sorted(found) == ["aws", "aws.copy"]
    for provider, resource in found.items():
        assert resource["backup_vault_name"] == f"${{aws_backup_vault.{vaults[provider]}.name}}"
        policy = json.loads(resource["policy"])
        [statement] = policy["Statement"]
        actions = set(statement["Action"])
        assert CONFIG_RULE_ACTIONS <= actions
        assert {"backup:DeleteBackupVaultLockConfiguration", "backup:DeleteBackupVaultAccessPolicy"} <= actions
        assert not [a for a in actions if "*" in a]  # vault access policies take no wildcard actions
        admin = "arn:aws:iam::123456789012:role/Admin"
        for action in actions:
            assert denied(policy, action, admin), action
            assert not denied(policy, action, BREAK_GLASS), action
        # Backups, copies and restores go on as before.
        for action in ("backup:StartBackupJob", "backup:CopyIntoBackupVault", "backup:StartRestoreJob"):
            assert not denied(policy, action, admin)


def test_without_a_break_glass_role_no_policy(tmp_path):
    synth = synthesize(loads('name = "omero-np"\nbackup {\n copy_region = "us-west-2"\n vault_lock = "governance"\n}'), tmp_path)
    assert "aws_backup_vault_policy" not in synth.stack("backup")["resource"]
    assert len(synth.resources("backup", "aws_backup_vault_lock_configuration")) == 2


def test_a_copy_to_another_account(tmp_path):
    deployment = loads(f"""
        name = "omero-xa"
        database {{
          kms_key_arn = "{KEY}"
        }}
        backup {{
          copy_region            = "us-west-2"
          copy_account_vault_arn = "{OTHER_ACCOUNT_VAULT}"
        }}
    """)
    synth = synthesize(deployment, tmp_path)
    plan = one(synth.resources("backup", "aws_backup_plan"))
    for rule in plan["rule"]:
        region_copy, account_copy = rule["copy_action"]
        assert region_copy["destination_vault_arn"].startswith("${aws_backup_vault.")
        assert account_copy["destination_vault_arn"] == OTHER_ACCOUNT_VAULT
        assert account_copy["lifecycle"] == rule["lifecycle"], rule["rule_name"]  # kept as long as its source
    only_account = synthesize(
        loads(
            f'name = "omero-xb"\ndatabase {{\n kms_key_arn = "{KEY}"\n}}\nbackup {{\n copy_account_vault_arn = "{OTHER_ACCOUNT_VAULT}"\n}}'
        ),
        tmp_path / "b",
    )
    for rule in one(only_account.resources("backup", "aws_backup_plan"))["rule"]:
        [action] = rule["copy_action"]
        assert action["destination_vault_arn"] == OTHER_ACCOUNT_VAULT


def test_the_allowed_retention_of_a_manual_backup_is_an_output(full, tmp_path):
    output = full.stack("backup")["output"]["manual_backup_retention_days"]
    assert output["value"] == {"min": 35, "max": 365}
    assert "Vault Lock" in output["description"]
    short = synthesize(loads('name = "omero-sh"\nbackup {\n daily_retention_days = 7\n monthly_retention_days = 0\n}'), tmp_path)
    assert short.stack("backup")["output"]["manual_backup_retention_days"]["value"] == {"min": 7, "max": 7}


@pytest.mark.parametrize(
    ("text", "key", "allowed"),
    [
        (
            'backup { break_glass_role_arn = "arn:aws:iam::123456789012:user/alice" }',
            "backup.break_glass_role_arn",
            "an IAM role ARN",
        ),
        ('backup { break_glass_role_arn = "break-glass" }', "backup.break_glass_role_arn", "an IAM role ARN"),
        (
            'backup { break_glass_role_arn = "arn:aws:iam::123456789012:role/bg\\n" }',
            "backup.break_glass_role_arn",
            "one line",
        ),
        (
            'backup {\n enabled = false\n break_glass_role_arn = "arn:aws:iam::123456789012:role/bg"\n}',
            "backup.break_glass_role_arn",
            "only with enabled = true",
        ),
        (
            'backup { copy_account_vault_arn = "arn:aws:backup:us-east-1:444455556666:recovery-point:x" }',
            "backup.copy_account_vault_arn",
            "a backup vault ARN",
        ),
        (
            'backup { copy_account_vault_arn = "arn:aws:backup:us-east-1:4444:backup-vault:omero-copies" }',
            "backup.copy_account_vault_arn",
            "a backup vault ARN",
        ),
        (
            f'backup {{ copy_account_vault_arn = "{OTHER_ACCOUNT_VAULT}" }}',
            "database.kms_key_arn",
            "RDS refuses for the default aws/rds key",
        ),
    ],
)
def test_bad_vault_protection_input(text, key, allowed):
    lines = problems(text)
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{key} ") or lines[0].startswith(f"{key}:"), lines
    assert allowed in lines[0], lines


def test_the_manual_backup_runbook_gives_every_job_a_lifecycle(full):
    """docs/backups-restores-upgrades.md: a job without a lifecycle fails on a locked vault."""
    text = (ROOT / "docs" / "backups-restores-upgrades.md").read_text()
    runbook = text[text.index("For a strictly consistent point") : text.index("A restore of both looks like this")]
    jobs = runbook.replace("\\\n", " ").split("aws backup start-backup-job")[1:]
    assert len(jobs) >= 2
    for job in jobs:
        assert "--lifecycle DeleteAfterDays=" in job.splitlines()[0], job
    assert "manual_backup_retention_days" in runbook
    assert "manual_backup_retention_days" in full.stack("backup")["output"]
