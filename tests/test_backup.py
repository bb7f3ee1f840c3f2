"""Data protection: the backup stack, restoring into a new deployment, and the snapshot before an
OMERO upgrade, as synthesized (and, marked emulator, as applied)."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys

import pytest

from config import load, loads
from emulator import with_hosted_zone
from modules.upgrade import image_label, snapshot_identifier
from tests.harness.apply import APPLY_TIMEOUT, apply_all, aws, disposable
from tests.harness.defaults import SERVER_IMAGE, SERVER_UPGRADE, label, next_patch
from tests.harness.synth import ROOT, one, synthesize
from tests.test_config import problems


@pytest.fixture(scope="module")
def minimal(tmp_path_factory):
    """The smallest valid deployment: backups on by default."""
    return synthesize(loads('name = "omero-min"'), tmp_path_factory.mktemp("min") / "cdktf.out")


@pytest.fixture(scope="module")
def without_backup(tmp_path_factory):
    deployment = loads('name = "omero-lab"\nbackup {\n enabled = false\n}')
    return synthesize(deployment, tmp_path_factory.mktemp("nobackup") / "cdktf.out")


def rules(synth) -> dict[str, dict]:
    return {rule["rule_name"]: rule for rule in one(synth.resources("backup", "aws_backup_plan"))["rule"]}


def test_backups_are_on_by_default_in_a_stack_after_storage(minimal):
    assert minimal.order == ["omero-min-network", "omero-min-storage", "omero-min-backup", "omero-min-services"]
    # EFS's own daily backups would copy the same data again: the plan covers the file system.
    policy = one(minimal.resources("storage", "aws_efs_backup_policy"))
    assert policy["backup_policy"] == {"status": "DISABLED"}


def test_without_backup_there_is_no_stack_and_efs_backs_itself_up(without_backup):
    assert "omero-lab-backup" not in without_backup.order
    policy = one(without_backup.resources("storage", "aws_efs_backup_policy"))
    assert policy["backup_policy"] == {"status": "ENABLED"}


def test_vault_is_encrypted_with_its_own_key_and_never_destroyed(minimal):
    vault = one(minimal.resources("backup", "aws_backup_vault"))
    assert vault["name"] == "omero-min-omero"
    assert vault["force_destroy"] is False and vault["lifecycle"] == {"prevent_destroy": True}
    [(key_id, key)] = minimal.resources("backup", "aws_kms_key").items()
    assert vault["kms_key_arn"] == f"${{aws_kms_key.{key_id}.arn}}"
    assert key["enable_key_rotation"] is True and key["lifecycle"] == {"prevent_destroy": True}
    policy = json.loads(key["policy"])
    assert [s["Principal"] for s in policy["Statement"]] == [
        {"AWS": "arn:${data.aws_partition.partition.partition}:iam::${data.aws_caller_identity.account.account_id}:root"}
    ]
    alias = one(minimal.resources("backup", "aws_kms_alias"))
    assert alias["name"] == "alias/omero-min-omero-backup"


def test_daily_and_monthly_rules_share_one_window(minimal):
    daily, monthly = rules(minimal)["daily"], rules(minimal)["monthly"]
    assert daily["schedule"] == "cron(0 3 ? * * *)" and monthly["schedule"] == "cron(0 3 1 * ? *)"
    assert daily["schedule_expression_timezone"] == monthly["schedule_expression_timezone"] == "Etc/UTC"
    assert daily["lifecycle"] == {"delete_after": 35}
    assert monthly["lifecycle"] == {"delete_after": 365, "cold_storage_after": 30}
    assert daily["start_window"] == 60 and daily["completion_window"] == 1440
    assert daily["recovery_point_tags"] == {"deployment": "omero-min", "rule": "daily"}
    assert "copy_action" not in daily


def test_one_selection_holds_the_file_system_and_the_database(minimal):
    selection = one(minimal.resources("backup", "aws_backup_selection"))
    assert selection["name"] == "omero-min-omero"
    efs, db = selection["resources"]
    # Cross-stack references to the storage stack's outputs.
    assert "terraform_remote_state" in efs and "aws_efs_file_system" in efs and efs.endswith("arn}")
    assert "terraform_remote_state" in db and "aws_db_instance" in db and db.endswith("arn}")
    [(role_id, role)] = minimal.resources("backup", "aws_iam_role").items()
    assert selection["iam_role_arn"] == f"${{aws_iam_role.{role_id}.arn}}"
    assert role["name"] == "omero-min-omero-backup"
    trust = minimal.data("backup", "aws_iam_policy_document")
    [statement] = one(trust)["statement"]
    assert statement["principals"] == [{"type": "Service", "identifiers": ["backup.amazonaws.com"]}]
    assert statement["condition"][0]["variable"] == "aws:SourceAccount"
    attached = sorted(
        a["policy_arn"].rsplit("/", 1)[1] for a in minimal.resources("backup", "aws_iam_role_policy_attachment").values()
    )
    assert attached == ["AWSBackupServiceRolePolicyForBackup", "AWSBackupServiceRolePolicyForRestores"]
    assert "aws_backup_vault_lock_configuration" not in minimal.stack("backup")["resource"]


def test_full_example_copies_every_recovery_point_to_a_second_region(examples):
    synth = examples["full"]
    providers = synth.stack("backup")["provider"]["aws"]
    assert [p.get("alias") for p in providers] == [None, "copy"]
    assert [p["region"] for p in providers] == ["eu-central-1", "eu-west-1"]
    assert providers[0]["default_tags"] == providers[1]["default_tags"]
    vaults = synth.resources("backup", "aws_backup_vault")
    [(copy_id, copy)] = [(k, v) for k, v in vaults.items() if v["name"] == "omero-full-omero-copy"]
    assert copy["provider"] == "aws.copy" and copy["lifecycle"] == {"prevent_destroy": True}
    keys = synth.resources("backup", "aws_kms_key")
    assert sorted(k.get("provider", "aws") for k in keys.values()) == ["aws", "aws.copy"]
    for name, rule in rules(synth).items():
        [action] = rule["copy_action"]
        assert action["destination_vault_arn"] == f"${{aws_backup_vault.{copy_id}.arn}}"
        assert action["lifecycle"] == rule["lifecycle"], name
    locks = {
        lock.get("provider", "aws"): lock for lock in synth.resources("backup", "aws_backup_vault_lock_configuration").values()
    }
    assert sorted(locks) == ["aws", "aws.copy"]  # the copy vault is locked like the home vault
    for lock in locks.values():
        assert lock["min_retention_days"] == 35 and lock["max_retention_days"] == 365
        assert "changeable_for_days" not in lock  # governance mode


def test_compliance_lock_customer_keys_and_copy_retention(tmp_path):
    deployment = loads("""
        name = "omero-vault"
        region = "eu-central-1"
        backup {
          kms_key_arn                = "arn:aws:kms:eu-central-1:123456789012:key/11111111-2222-3333-4444-555555555555"
          vault_lock                 = "compliance"
          vault_lock_changeable_days = 7
          daily_retention_days       = 14
          monthly_retention_days     = 400
          monthly_cold_storage_after_days = 0
          copy_region                = "eu-north-1"
          copy_kms_key_arn           = "arn:aws:kms:eu-north-1:123456789012:key/11111111-2222-3333-4444-555555555555"
          copy_retention_days        = 90
          start_hour_utc             = 22
        }
    """)
    synth = synthesize(deployment, tmp_path / "out")
    assert "aws_kms_key" not in synth.stack("backup")["resource"]
    vaults = {v["name"]: v for v in synth.resources("backup", "aws_backup_vault").values()}
    assert vaults["omero-vault-omero"]["kms_key_arn"].endswith(
        ":eu-central-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    )
    assert ":eu-north-1:" in vaults["omero-vault-omero-copy"]["kms_key_arn"]
    locks = {
        lock.get("provider", "aws"): lock for lock in synth.resources("backup", "aws_backup_vault_lock_configuration").values()
    }
    lock, copy_lock = locks["aws"], locks["aws.copy"]
    assert (lock["min_retention_days"], lock["max_retention_days"], lock["changeable_for_days"]) == (14, 400, 7)
    # The copy vault receives only 90-day copies: its lock admits exactly those.
    assert (copy_lock["min_retention_days"], copy_lock["max_retention_days"], copy_lock["changeable_for_days"]) == (90, 90, 7)
    daily, monthly = rules(synth)["daily"], rules(synth)["monthly"]
    assert daily["schedule"] == "cron(0 22 ? * * *)" and monthly["schedule"] == "cron(0 22 1 * ? *)"
    assert monthly["lifecycle"] == {"delete_after": 400}
    assert daily["copy_action"][0]["lifecycle"] == {"delete_after": 90}


def test_no_monthly_rule(tmp_path):
    deployment = loads('name = "omero-dly"\nbackup {\n monthly_retention_days = 0\n monthly_cold_storage_after_days = 0\n}')
    assert list(rules(synthesize(deployment, tmp_path / "out"))) == ["daily"]


@pytest.mark.parametrize(
    ("text", "key", "allowed"),
    [
        ('backup { enabled = "yes" }', "backup.enabled", "true or false"),
        ("backup { start_hour_utc = 24 }", "backup.start_hour_utc", "0 to 23"),
        ("backup { start_window_minutes = 30 }", "backup.start_window_minutes", "60 to 720"),
        ("backup { completion_window_minutes = 100 }", "backup.completion_window_minutes", "120 to 10080"),
        (
            "backup {\n start_window_minutes = 600\n completion_window_minutes = 620\n}",
            "backup.completion_window_minutes",
            "start_window_minutes + 60 (660)",
        ),
        ("backup { daily_retention_days = 0 }", "backup.daily_retention_days", "1 to 36500"),
        ("backup { monthly_retention_days = -1 }", "backup.monthly_retention_days", "0 to 36500"),
        ("backup { monthly_retention_days = 30 }", "backup.monthly_retention_days", "longer than daily_retention_days (35)"),
        (
            "backup { monthly_retention_days = 100 }",
            "backup.monthly_retention_days",
            "at least monthly_cold_storage_after_days + 90 (120)",
        ),
        (
            "backup {\n monthly_retention_days = 100\n monthly_cold_storage_after_days = 20\n}",
            "backup.monthly_cold_storage_after_days",
            "at most monthly_retention_days - 90 (10)",
        ),
        (
            "backup {\n monthly_retention_days = 0\n monthly_cold_storage_after_days = 10\n}",
            "backup.monthly_cold_storage_after_days",
            "only with a monthly rule",
        ),
        ('backup { kms_key_arn = "alias/backup" }', "backup.kms_key_arn", "key ARN"),
        (
            'backup { kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555" }',
            "backup.kms_key_arn",
            "the deployment's region (us-east-1)",
        ),
        ('backup { vault_lock = "strict" }', "backup.vault_lock", 'one of "none", "governance", "compliance"'),
        ("backup { vault_lock_changeable_days = 5 }", "backup.vault_lock_changeable_days", 'only with vault_lock = "compliance"'),
        (
            'backup {\n vault_lock = "compliance"\n vault_lock_changeable_days = 1\n}',
            "backup.vault_lock_changeable_days",
            "3 to 36500",
        ),
        ('backup { copy_region = "mars-north-1" }', "backup.copy_region", "AWS region"),
        ('backup { copy_region = "us-east-1" }', "backup.copy_region", "other than the deployment's (us-east-1)"),
        ("backup { copy_retention_days = 30 }", "backup.copy_retention_days", "only together with copy_region"),
        (
            'backup { copy_kms_key_arn = "arn:aws:kms:us-west-2:123456789012:key/11111111-2222-3333-4444-555555555555" }',
            "backup.copy_kms_key_arn",
            "only together with copy_region",
        ),
        (
            'backup {\n copy_region = "us-west-2"\n copy_kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"\n}',
            "backup.copy_kms_key_arn",
            "a key in copy_region (us-west-2)",
        ),
        ('backup {\n copy_region = "us-west-2"\n copy_retention_days = 0\n}', "backup.copy_retention_days", "1 to 36500"),
        ('backup { waiver = "dev only" }', "backup.waiver", "only with enabled = false"),
        ("backup {\n enabled = false\n daily_retention_days = 7\n}", "backup.daily_retention_days", "only with enabled = true"),
        ("backup { tier = 1 }", "backup.tier", "unknown key"),
        ("storage { automatic_backups = true }", "storage.automatic_backups", "false or unset with backup.enabled"),
        ('restore_from { file_system_id = "fs-12" }', "restore_from.file_system_id", "EFS file system id"),
        ('restore_from { db_snapshot = "1snap" }', "restore_from.db_snapshot", "snapshot identifier"),
        ('restore_from { db_snapshot = "snap--1" }', "restore_from.db_snapshot", "snapshot identifier"),
        ('restore_from { db_snapshot = "arn:aws:rds:us-east-1:123:snapshot:x" }', "restore_from.db_snapshot", "snapshot ARN"),
        (
            'restore_from { db_snapshot = "arn:aws:rds:eu-west-1:123456789012:snapshot:awsbackup:job-1" }',
            "restore_from.db_snapshot",
            "the deployment's region (us-east-1)",
        ),
        ("server { snapshot_before_upgrade = 1 }", "server.snapshot_before_upgrade", "true or false"),
    ],
)
def test_bad_data_protection_input(text, key, allowed):
    lines = problems(text)
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{key} ") or lines[0].startswith(f"{key}:"), lines
    assert allowed in lines[0], lines


@pytest.mark.parametrize(
    ("name", "tags"),
    [
        ("omero-prod", ""),
        ("prod", ""),
        ("omero-production-eu", ""),
        ("lab-live", ""),
        ("omero-a", 'tags = { environment = "Production" }'),
        ("omero-b", 'tags = { environment = "prd" }'),
    ],
)
def test_production_needs_backups_or_a_waiver(name, tags):
    images = (
        'images { anonymous_pulls_waiver = "a mirror outside AWS" }\n'
        'database { single_az_waiver = "a test" }\nload_balancer { plain_http_waiver = "a test" }'
    )
    text = f'name = "{name}"\n{tags}\n{images}\nbackup {{\n enabled = false\n}}'
    [line] = problems(text)
    assert line.startswith("backup.enabled = false") and "backup.waiver" in line
    waived = loads(
        f'name = "{name}"\n{tags}\n{images}\nbackup {{\n enabled = false\n waiver = "restored nightly from the archive"\n}}'
    )
    assert not waived.backup.enabled


@pytest.mark.parametrize("name", ["omero-dev", "omero-products", "reprod", "omero-staging"])
def test_non_production_may_turn_backups_off(name):
    assert not loads(f'name = "{name}"\nbackup {{\n enabled = false\n}}').backup.enabled


def test_restoring_adopts_the_file_system_and_creates_the_database_from_the_snapshot(tmp_path):
    snapshot = "arn:aws:rds:us-east-1:123456789012:snapshot:awsbackup:job-0123abcd"
    deployment = loads(
        f'name = "omero-restored"\nrestore_from {{\n file_system_id = "fs-0123456789abcdef0"\n db_snapshot = "{snapshot}"\n}}'
    )
    synth = synthesize(deployment, tmp_path / "out")
    [(fs_id, fs)] = synth.resources("storage", "aws_efs_file_system").items()
    assert synth.stack("storage")["import"] == [{"to": f"aws_efs_file_system.{fs_id}", "id": "fs-0123456789abcdef0"}]
    # The import only matches when the restored file system has this token (the restore command sets it).
    assert fs["creation_token"] == "omero-restored-omero-data" and fs["lifecycle"] == {"prevent_destroy": True}
    db = one(synth.resources("storage", "aws_db_instance"))
    assert db["snapshot_identifier"] == snapshot
    assert db["lifecycle"] == {"prevent_destroy": True, "ignore_changes": ["snapshot_identifier"]}


def test_a_new_deployment_has_no_import_and_no_snapshot(minimal):
    assert "import" not in minimal.stack("storage")
    db = one(minimal.resources("storage", "aws_db_instance"))
    assert "snapshot_identifier" not in db
    # Dropping restore_from after a restore must not replace the database.
    assert db["lifecycle"]["ignore_changes"] == ["snapshot_identifier"]


@pytest.mark.parametrize(
    ("image", "label"),
    [
        ("openmicroscopy/omero-server:5.6.16", "5-6-16"),
        ("registry.example.org:5000/omero/server:5.6.16-lab.2", "5-6-16-lab-2"),
        ("openmicroscopy/omero-server@sha256:" + "ab" * 32, "abababababab"),
        ("openmicroscopy/omero-server:5.6.16@sha256:" + "cd" * 32, "cdcdcdcdcdcd"),
        ("omero-server:RC_1", "rc-1"),
    ],
)
def test_upgrade_snapshot_is_named_after_the_image(image, label):
    assert image_label(image) == label
    identifier = snapshot_identifier("omero-prod", image)
    assert identifier == f"omero-prod-omero-before-{label}"
    assert "--" not in identifier and not identifier.endswith("-") and len(identifier) <= 255


def test_the_upgrade_snapshot_lives_in_the_storage_stack(examples):
    """The snapshot outlives a destroy of the services stack: it is in the storage stack, whose
    destroy is refused at plan time (prevent_destroy on the file system and the database)."""
    synth = examples["tls-rw-ro"]
    assert "aws_db_snapshot" not in synth.stack("services").get("resource", {})
    [(snapshot_id, snapshot)] = synth.resources("storage", "aws_db_snapshot").items()
    assert snapshot["db_snapshot_identifier"] == f"omero-prod-omero-before-{label(SERVER_IMAGE)}"
    assert snapshot["lifecycle"] == {"create_before_destroy": True}
    assert snapshot["db_instance_identifier"].startswith("${aws_db_instance.")  # same stack: taken once the database exists
    storage = synth.stack("storage")
    assert storage["output"]["upgrade_snapshot_id"]["value"] == f"${{aws_db_snapshot.{snapshot_id}.db_snapshot_identifier}}"
    protected = [
        r for named in storage["resource"].values() for r in named.values() if r.get("lifecycle", {}).get("prevent_destroy")
    ]
    assert protected  # so a destroy of this stack fails before it touches the snapshot


def test_server_services_start_after_the_upgrade_snapshot(examples):
    synth = examples["tls-rw-ro"]
    [(snapshot_id, snapshot)] = synth.resources("storage", "aws_db_snapshot").items()
    # The services stack reads the storage stack's snapshot and requires it to be this image's.
    [(taken_id, taken)] = synth.data("services", "aws_db_snapshot").items()
    assert "terraform_remote_state" in taken["db_snapshot_identifier"]
    assert f"aws_db_snapshot{snapshot_id}db_snapshot_identifier" in taken["db_snapshot_identifier"]
    [check] = taken["lifecycle"]["postcondition"]
    snapshot_name = f"omero-prod-omero-before-{label(SERVER_IMAGE)}"
    assert check["condition"] == f'${{self.id == "{snapshot_name}"}}'
    assert check["error_message"] == (
        f"server.image: {SERVER_IMAGE} starts only after the database snapshot "
        f"{snapshot_name}, which the storage stack (omero-prod-storage) takes: apply that stack first, then this one."
    )
    # Read at apply whenever the image changes (it depends on a marker that changes with it), so
    # a plan made before the storage stack is applied still shows the upgrade.
    [marker] = taken["depends_on"]
    assert marker.startswith("terraform_data.")
    body = synth.resources("services", "terraform_data")[marker.split(".", 1)[1]]
    assert body["input"] == snapshot["tags"]["omero-server-image"]
    assert set(body) == {"//", "input"}  # a marker only: no provisioner, nothing runs
    services = synth.resources("services", "aws_ecs_service")
    [rw] = [s for key, s in services.items() if key.startswith("server_service")]
    read_only = [s for key, s in services.items() if key.startswith("read_only_server_")]
    assert len(read_only) == 2
    for service in (rw, *read_only):
        assert f"data.aws_db_snapshot.{taken_id}" in service["depends_on"], service["name"]
    # The singleton rule: the read-write server never runs beside its successor.
    assert (rw["deployment_maximum_percent"], rw["deployment_minimum_healthy_percent"]) == (100, 0)


def test_changing_the_server_image_replaces_the_snapshot(tmp_path):
    before = synthesize(loads('name = "omero-up"'), tmp_path / "a")
    after = synthesize(loads(f'name = "omero-up"\nserver {{ image = "{SERVER_UPGRADE}" }}'), tmp_path / "b")
    old = one(before.resources("storage", "aws_db_snapshot"))["db_snapshot_identifier"]
    new = one(after.resources("storage", "aws_db_snapshot"))["db_snapshot_identifier"]
    assert (old, new) == (f"omero-up-omero-before-{label(SERVER_IMAGE)}", f"omero-up-omero-before-{label(SERVER_UPGRADE)}")
    checks = [one(s.data("services", "aws_db_snapshot"))["lifecycle"]["postcondition"][0]["condition"] for s in (before, after)]
    assert checks == [f'${{self.id == "{old}"}}', f'${{self.id == "{new}"}}']
    assert [one(s.resources("services", "terraform_data"))["input"] for s in (before, after)] == [SERVER_IMAGE, SERVER_UPGRADE]


def test_upgrade_snapshot_can_be_turned_off(tmp_path):
    synth = synthesize(loads('name = "omero-nos"\nserver { snapshot_before_upgrade = false }'), tmp_path / "out")
    assert "aws_db_snapshot" not in synth.stack("storage")["resource"]
    assert "upgrade_snapshot_id" not in synth.stack("storage")["output"]
    assert "aws_db_snapshot" not in synth.stack("services").get("data", {})
    assert "terraform_data" not in synth.stack("services")["resource"]


# ---------------------------------------------------------------------------------------------
# On the emulator: examples/full.hcl (backup stack included) is applied once per session into the
# session's shared emulator (the addons_on_emulator fixture); these tests share it with the add-ons'.
# ---------------------------------------------------------------------------------------------


def storage_arns(emulator, region: str, outputs: dict) -> tuple[str, str]:
    [fs] = aws(emulator, "efs", region).describe_file_systems(FileSystemId=outputs["efs_id"])["FileSystems"]
    [db] = aws(emulator, "rds", region).describe_db_instances(DBInstanceIdentifier=outputs["db_instance_id"])["DBInstances"]
    return fs["FileSystemArn"], db["DBInstanceArn"]


@pytest.mark.emulator
@pytest.mark.terraform
def test_backup_plan_protects_the_applied_storage(addons_on_emulator):
    emulator = addons_on_emulator.emulator  # the session's shared emulator
    name, region = addons_on_emulator.synth.deployment.name, addons_on_emulator.synth.deployment.region
    outputs = addons_on_emulator.core.outputs[f"{name}-backup"]
    assert outputs["vault_name"] == f"{name}-omero"
    backup = aws(emulator, "backup", region)
    vault = backup.describe_backup_vault(BackupVaultName=outputs["vault_name"])
    assert vault["EncryptionKeyArn"].startswith(f"arn:aws:kms:{region}:")
    copy_backup = aws(emulator, "backup", "eu-west-1")
    copy_vault = copy_backup.describe_backup_vault(BackupVaultName=f"{name}-omero-copy")
    assert copy_vault["BackupVaultArn"] == outputs["copy_vault_arn"] and ":eu-west-1:" in copy_vault["EncryptionKeyArn"]
    # Both vaults locked alike, both with the access policy that leaves deleting to the break-glass role.
    for client, described in ((backup, vault), (copy_backup, copy_vault)):
        assert described["Locked"] is True and (described["MinRetentionDays"], described["MaxRetentionDays"]) == (35, 365)
        policy = json.loads(client.get_backup_vault_access_policy(BackupVaultName=described["BackupVaultName"])["Policy"])
        [statement] = policy["Statement"]
        assert statement["Effect"] == "Deny" and "backup:DeleteRecoveryPoint" in statement["Action"]
        assert statement["Condition"]["ArnNotEquals"]["aws:PrincipalArn"].endswith(":role/omero-full-backup-break-glass")
    assert outputs["manual_backup_retention_days"] == {"min": 35, "max": 365}
    plan = backup.get_backup_plan(BackupPlanId=outputs["plan_id"])["BackupPlan"]
    assert sorted(rule["RuleName"] for rule in plan["Rules"]) == ["daily", "monthly"]
    [selection] = backup.list_backup_selections(BackupPlanId=outputs["plan_id"])["BackupSelectionsList"]
    chosen = backup.get_backup_selection(BackupPlanId=outputs["plan_id"], SelectionId=selection["SelectionId"])["BackupSelection"]
    # a set to AWS and to the provider: any order
    # EFS, the database, the S3 File Gateway's bucket (OMERO data imported in place lives there) and
    # the zarr add-on's bucket (the OME-Zarr images OMERO reads in place)
    share_bucket = addons_on_emulator.core.outputs[f"{name}-file-gateway"]["bucket"]
    zarr_bucket = addons_on_emulator.core.outputs[f"{name}-zarr"]["bucket_name"]
    assert sorted(chosen["Resources"]) == sorted(
        [
            *storage_arns(emulator, region, addons_on_emulator.core.outputs[f"{name}-storage"]),
            f"arn:aws:s3:::{share_bucket}",
            f"arn:aws:s3:::{zarr_bucket}",
        ]
    )
    assert chosen["IamRoleArn"] == outputs["backup_role_arn"]


@pytest.mark.emulator
@pytest.mark.terraform
def test_restore_rehearsal_into_a_new_deployment(addons_on_emulator, tmp_path):
    """Back up the applied storage, run ``pipenv run restore`` and deploy the restored storage
    (as soon as the storage and backup stacks are there; a deployment of its own)."""
    emulator, tf = addons_on_emulator.emulator, addons_on_emulator.tf  # the session's shared emulator
    source = addons_on_emulator.synth.deployment
    name, region = source.name, source.region
    outputs = addons_on_emulator.core.outputs
    backup = aws(emulator, "backup", region)
    share_bucket = f"arn:aws:s3:::{outputs[f'{name}-file-gateway']['bucket']}"  # restored with the rest
    for arn in [*storage_arns(emulator, region, outputs[f"{name}-storage"]), share_bucket]:
        job = backup.start_backup_job(
            BackupVaultName=f"{name}-omero",
            ResourceArn=arn,
            IamRoleArn=outputs[f"{name}-backup"]["backup_role_arn"],
        )
        assert backup.describe_backup_job(BackupJobId=job["BackupJobId"])["State"] == "COMPLETED"

    written = tmp_path / "restored.hcl"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(emulator.env(region))
    ran = subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.restore",
            "--config",
            "examples/full.hcl",
            "--into",
            "omero-restored",
            "--write",
            str(written),
            "--endpoint-url",
            emulator.endpoint,
            "--poll-seconds",
            "0.5",
            "--wait-minutes",
            "2",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    restored = load(written)
    assert restored.name == "omero-restored" and restored.region == region
    assert not restored.state.create_bucket  # the source's bucket, shared
    file_system_id, snapshot = restored.restore_from.file_system_id, restored.restore_from.db_snapshot
    assert file_system_id and ":snapshot:awsbackup:" in snapshot
    assert restored.restore_from.share_bucket, "the gateway bucket's point restored into a bucket of its own"

    # Deploy the restored deployment's network and storage: the storage stack adopts the
    # restored file system and creates the database from the recovery point; a second plan is empty.
    deployment = disposable(with_hosted_zone(emulator, restored))
    synth = synthesize(deployment, tmp_path / "cdktf.out", emulator_endpoint=emulator.endpoint)
    applied = apply_all(tf, synth, only=["omero-restored-network", "omero-restored-storage"])
    storage = applied.outputs["omero-restored-storage"]
    assert storage["efs_id"] == file_system_id  # adopted, not a new empty one
    [db] = aws(emulator, "rds", region).describe_db_instances(DBInstanceIdentifier=storage["db_instance_id"])["DBInstances"]
    assert db["DBInstanceIdentifier"] == "omero-restored-omero"
    # The source deployment is untouched.
    [source_fs] = aws(emulator, "efs", region).describe_file_systems(FileSystemId=outputs[f"{name}-storage"]["efs_id"])[
        "FileSystems"
    ]
    assert source_fs["FileSystemId"] != file_system_id


@pytest.mark.emulator
@pytest.mark.terraform
def test_an_omero_upgrade_snapshots_the_database_first(addons_on_emulator, tmp_path):
    """Changing server.image on the applied deployment: applied to the services stack alone, the
    apply stops before any server service changes (the storage stack takes the snapshot); then
    the storage stack and the services: a new snapshot, the old one gone, the new image running.

    The other tests of the deployment read the server's service meanwhile: its volumes, cluster
    and name stay as they were."""
    emulator, tf = addons_on_emulator.emulator, addons_on_emulator.tf  # the session's shared emulator
    addons_on_emulator.all_applied()
    source = addons_on_emulator.synth.deployment
    name, region = source.name, source.region
    rds, ecs = aws(emulator, "rds", region), aws(emulator, "ecs", region)
    db_id = addons_on_emulator.core.outputs[f"{name}-storage"]["db_instance_id"]
    cluster = addons_on_emulator.core.outputs[f"{name}-services"]["cluster_name"]

    def snapshots() -> list[str]:
        found = rds.describe_db_snapshots(DBInstanceIdentifier=db_id, SnapshotType="manual")["DBSnapshots"]
        return sorted(s["DBSnapshotIdentifier"] for s in found if "-before-" in s["DBSnapshotIdentifier"])

    def running_image() -> str:
        [service] = ecs.describe_services(cluster=cluster, services=["omero-server"])["services"]
        definition = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
        return next(c["image"] for c in definition["containerDefinitions"] if c["name"] == "omero-server")

    old_image = running_image()
    assert snapshots() == [snapshot_identifier(name, source.server.image)]
    new_image = next_patch(source.server.image)
    upgraded = dataclasses.replace(source, server=dataclasses.replace(source.server, image=new_image))
    synth = synthesize(upgraded, tmp_path / "cdktf.out", emulator_endpoint=emulator.endpoint)

    # The services stack alone: planned fine (a review still shows the upgrade), refused at apply.
    tf_region = tf.with_env(AWS_REGION=region, AWS_DEFAULT_REGION=region)
    services_dir = synth.stack_dir("services")
    assert tf_region(services_dir, "init", "-input=false", "-no-color").returncode == 0
    planned = tf_region(services_dir, "plan", "-input=false", "-no-color", timeout=APPLY_TIMEOUT)
    assert planned.returncode == 0, str(planned)
    alone = tf_region(services_dir, "apply", "-auto-approve", "-input=false", "-no-color", timeout=APPLY_TIMEOUT)
    assert alone.returncode == 1
    message = " ".join(alone.stderr.split())
    assert f"starts only after the database snapshot {name}-omero-before-{label(new_image)}" in message, message
    assert "apply that stack first" in message
    assert snapshots() == [snapshot_identifier(name, source.server.image)] and running_image() == old_image

    apply_all(tf, synth, only=[f"{name}-storage", f"{name}-services"])
    assert snapshots() == [f"{name}-omero-before-{label(new_image)}"]
    assert running_image().endswith(new_image)
