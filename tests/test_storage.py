"""The storage stack: EFS with intelligent tiering and RDS PostgreSQL, as synthesized."""

from __future__ import annotations

import json
import time

import pytest

from config import loads
from tests.harness.apply import APPLY_TIMEOUT, aws
from tests.harness.defaults import POSTGRES, POSTGRES_UPGRADE
from tests.harness.synth import one, synthesize


def test_efs_is_encrypted_tiered_and_protected(examples):
    synth = examples["quickstart-http"]
    fs = one(synth.resources("storage", "aws_efs_file_system"))
    assert fs["encrypted"] is True
    assert fs["throughput_mode"] == "elastic" and fs["performance_mode"] == "generalPurpose"
    assert fs["lifecycle_policy"] == [
        {"transition_to_ia": "AFTER_30_DAYS"},
        {"transition_to_primary_storage_class": "AFTER_1_ACCESS"},
    ]
    assert fs["lifecycle"] == {"prevent_destroy": True}
    # The backup plan (on by default) covers EFS, so EFS's own daily backups are off.
    backup = one(synth.resources("storage", "aws_efs_backup_policy"))
    assert backup["backup_policy"] == {"status": "DISABLED"}


def test_efs_archive_tier(tmp_path):
    synth = synthesize(
        loads('name = "arch"\nstorage {\n transition_to_ia = "AFTER_14_DAYS"\n transition_to_archive = "AFTER_90_DAYS"\n}'),
        tmp_path / "out",
    )
    fs = one(synth.resources("storage", "aws_efs_file_system"))
    assert fs["lifecycle_policy"] == [
        {"transition_to_ia": "AFTER_14_DAYS"},
        {"transition_to_archive": "AFTER_90_DAYS"},
        {"transition_to_primary_storage_class": "AFTER_1_ACCESS"},
    ]


def test_efs_mount_target_in_every_private_subnet(examples):
    synth = examples["tls-rw-ro"]
    targets = synth.resources("storage", "aws_efs_mount_target")
    assert len(targets) == 3
    [group] = [g for name, g in synth.resources("storage", "aws_security_group").items() if name.startswith("efs_")]
    assert "ingress" not in group and "egress" not in group  # clients add their own rules
    for target in targets.values():
        assert "terraform_remote_state" in target["subnet_id"]  # the network stack's subnets
        assert len(target["security_groups"]) == 1


def test_access_point_is_owned_by_the_omero_user(examples):
    point = one(examples["quickstart-http"].resources("storage", "aws_efs_access_point"))
    assert point["posix_user"] == {"uid": 1000, "gid": 1000}
    assert point["root_directory"] == {
        "path": "/omero",
        "creation_info": {"owner_uid": 1000, "owner_gid": 1000, "permissions": "750"},
    }


def test_efs_policy_denies_plain_nfs(examples):
    synth = examples["quickstart-http"]
    documents = {k: v for k, v in synth.data("storage", "aws_iam_policy_document").items() if k.startswith("efs_")}
    [statement] = one(documents)["statement"]
    assert statement["effect"] == "Deny" and statement["actions"] == ["*"]
    assert statement["condition"] == [{"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}]
    assert one(synth.resources("storage", "aws_efs_file_system_policy"))


def test_database_defaults(examples):
    db = one(examples["quickstart-http"].resources("storage", "aws_db_instance"))
    assert db["engine"] == "postgres" and db["engine_version"] == POSTGRES
    assert db["engine_lifecycle_support"] == "open-source-rds-extended-support-disabled"
    assert db["allow_major_version_upgrade"] is True
    assert db["storage_encrypted"] is True and db["publicly_accessible"] is False
    assert db["deletion_protection"] is True and db["skip_final_snapshot"] is False
    created = one(examples["quickstart-http"].resources("storage", "terraform_data"))
    assert created["input"] == "${plantimestamp()}" and created["lifecycle"] == {"ignore_changes": ["input"]}
    [(address, _)] = examples["quickstart-http"].resources("storage", "terraform_data").items()
    assert db["final_snapshot_identifier"] == (
        f'omero-quick-omero-final-${{formatdate("YYYYMMDDhhmmss", terraform_data.{address}.output)}}'
    )
    assert db["lifecycle"] == {"prevent_destroy": True, "ignore_changes": ["snapshot_identifier"]}
    assert db["multi_az"] is False and db["backup_retention_period"] == 7
    assert db["copy_tags_to_snapshot"] is True and db["auto_minor_version_upgrade"] is True
    assert db["performance_insights_enabled"] is True
    assert db["enabled_cloudwatch_logs_exports"] == ["postgresql", "upgrade"]
    assert db["monitoring_interval"] == 60 and "aws_iam_role" in db["monitoring_role_arn"]
    assert db["max_allocated_storage"] == 200 and db["storage_type"] == "gp3"
    assert db["apply_immediately"] is False  # changes wait for the maintenance window
    # the exported logs' groups exist, with a retention, before RDS would make them without one
    groups = examples["quickstart-http"].resources("storage", "aws_cloudwatch_log_group")
    exported = {g["name"]: g for g in groups.values() if g["name"].startswith("/aws/rds/")}
    assert set(exported) == {f"/aws/rds/instance/omero-quick-omero/{log}" for log in ("postgresql", "upgrade")}
    assert all(g["retention_in_days"] == 365 for g in exported.values())
    assert all(f"aws_cloudwatch_log_group.{key}" in db["depends_on"] for key, g in groups.items() if g["name"] in exported)


def test_major_upgrade_applies_immediately(tmp_path):
    """A major upgrade's new parameter-group family is accepted only when applied at once."""
    from config import loads
    from tests.harness.synth import synthesize

    synth = synthesize(
        loads(f'name = "up"\ndatabase {{\n  engine_version = "{POSTGRES_UPGRADE}"\n  apply_immediately = true\n}}\n'),
        tmp_path / "out",
    )
    db = one(synth.resources("storage", "aws_db_instance"))
    assert db["apply_immediately"] is True and db["engine_version"] == POSTGRES_UPGRADE
    [group] = synth.resources("storage", "aws_db_parameter_group").values()
    assert group["family"] == f"postgres{POSTGRES_UPGRADE}" and group["lifecycle"] == {"create_before_destroy": True}


def test_production_example_database(examples):
    db = one(examples["tls-rw-ro"].resources("storage", "aws_db_instance"))
    assert db["multi_az"] is True
    assert db["instance_class"] == "db.m7g.large"
    assert db["backup_retention_period"] == 14


def test_database_forces_tls(examples):
    group = one(examples["quickstart-http"].resources("storage", "aws_db_parameter_group"))
    assert group["family"] == f"postgres{POSTGRES}"
    assert {"name": "rds.force_ssl", "value": "1"} in group["parameter"]


def test_database_password_never_in_plan_or_state(examples):
    synth = examples["quickstart-http"]
    stack = synth.stack("storage")
    ephemeral = stack["ephemeral"]["aws_secretsmanager_random_password"]
    assert set(ephemeral) == {"db_password", "root_password"}
    assert all(generator["password_length"] >= 32 for generator in ephemeral.values())
    name = "db_password"
    reference = f"${{ephemeral.aws_secretsmanager_random_password.{name}.random_password}}"
    db = one(synth.resources("storage", "aws_db_instance"))
    assert db["password_wo"] == reference and db["password_wo_version"] == 1
    assert "password" not in db and "manage_master_user_password" not in db
    versions = synth.resources("storage", "aws_secretsmanager_secret_version")
    version = next(v for k, v in versions.items() if k.startswith("database_db_"))
    assert version["secret_string_wo"] == reference and version["secret_string_wo_version"] == 1
    assert all("secret_string" not in v for v in versions.values())
    secrets = synth.resources("storage", "aws_secretsmanager_secret").values()
    assert sorted(s["name"] for s in secrets) == ["omero-quick/omero/db-password", "omero-quick/omero/root-password"]


def test_password_version_bump_reaches_both_sides(tmp_path):
    synth = synthesize(loads('name = "rot"\ndatabase { password_version = 3 }'), tmp_path / "out")
    assert one(synth.resources("storage", "aws_db_instance"))["password_wo_version"] == 3
    versions = synth.resources("storage", "aws_secretsmanager_secret_version")
    assert {k.split("_")[1]: v["secret_string_wo_version"] for k, v in versions.items()} == {"db": 3, "root": 1}


def test_database_has_no_ingress_until_a_client_is_granted(examples):
    groups = examples["quickstart-http"].resources("storage", "aws_security_group")
    db_group = next(g for name, g in groups.items() if name.startswith("database_"))
    assert "ingress" not in db_group and "egress" not in db_group
    assert "5432" in db_group["description"]


def test_storage_outputs(examples):
    outputs = examples["quickstart-http"].stack("storage")["output"]
    assert {
        "efs_id",
        "efs_access_point_id",
        "db_address",
        "db_instance_id",
        "db_final_snapshot_id",
        "db_password_secret_arn",
        "root_password_secret_arn",
    } <= set(outputs)
    text = json.dumps(outputs)
    assert "ephemeral." not in text and "password_wo" not in text


FINAL_REGION = "eu-central-1"


def final_snapshot_configuration(endpoint: str, db: dict, created: dict, address: str) -> dict:
    """The synthesized final-snapshot identifier and its terraform_data, on a bare instance."""
    return {
        "terraform": {"required_providers": {"aws": {"source": "hashicorp/aws", "version": "5.100.0"}}},
        "provider": {
            "aws": {
                "region": FINAL_REGION,
                "endpoints": [{s: endpoint for s in ("rds", "sts")}],
                "skip_credentials_validation": True,
                "skip_metadata_api_check": "true",
                "skip_region_validation": True,
            }
        },
        "resource": {
            "terraform_data": {address: {k: v for k, v in created.items() if k != "//"}},
            "aws_db_instance": {
                "omero": {
                    "identifier": "omero-quick-omero",
                    "engine": "postgres",
                    "instance_class": "db.t4g.micro",
                    "allocated_storage": 20,
                    "username": "omero",
                    "password": "not-a-real-password",
                    "skip_final_snapshot": False,
                    "final_snapshot_identifier": db["final_snapshot_identifier"],
                }
            },
        },
    }


@pytest.mark.emulator
@pytest.mark.terraform
def test_a_deployment_name_is_destroyed_twice_with_a_final_snapshot_each_time(examples, emulator, tf, tmp_path):
    """The same name applied and destroyed twice: two final snapshots, and no change in between."""
    synth = examples["quickstart-http"]
    [(address, created)] = synth.resources("storage", "terraform_data").items()
    configuration = final_snapshot_configuration(
        emulator.endpoint, one(synth.resources("storage", "aws_db_instance")), created, address
    )
    (tmp_path / "main.tf.json").write_text(json.dumps(configuration))
    run = tf.with_env(AWS_REGION=FINAL_REGION, AWS_DEFAULT_REGION=FINAL_REGION)
    assert (done := run(tmp_path, "init", "-input=false", "-no-color")).returncode == 0, str(done)
    for attempt in range(2):
        time.sleep(1.1)  # plantimestamp() has one-second resolution
        done = run(tmp_path, "apply", "-auto-approve", "-input=false", "-no-color", timeout=APPLY_TIMEOUT)
        assert done.returncode == 0, str(done)
        time.sleep(1.1)
        replan = run(tmp_path, "plan", "-detailed-exitcode", "-input=false", "-no-color", timeout=APPLY_TIMEOUT)
        assert replan.returncode == 0, f"attempt {attempt}: the identifier re-plans:\n{replan}"
        done = run(tmp_path, "destroy", "-auto-approve", "-input=false", "-no-color", timeout=APPLY_TIMEOUT)
        assert done.returncode == 0, f"attempt {attempt}:\n{done}"
    snapshots = aws(emulator, "rds", FINAL_REGION).describe_db_snapshots(DBInstanceIdentifier="omero-quick-omero")["DBSnapshots"]
    finals = sorted(s["DBSnapshotIdentifier"] for s in snapshots if s["SnapshotType"] == "manual")
    assert len(finals) == 2 and all(f.startswith("omero-quick-omero-final-") and len(f) == 38 for f in finals), finals


def test_performance_insights_stays_on_for_small_postgresql_classes(tmp_path):
    """AWS's Performance Insights support table restricts db.t*.micro and .small for MariaDB and
    MySQL; its RDS for PostgreSQL row has no restriction (N/A), so nothing is refused or dropped."""
    deployment = loads('name = "pi"\ndatabase { instance_class = "db.t4g.micro" }\n')
    assert deployment.database.performance_insights is True
    db = one(synthesize(deployment, tmp_path / "out").resources("storage", "aws_db_instance"))
    assert db["instance_class"] == "db.t4g.micro" and db["performance_insights_enabled"] is True
    assert db["performance_insights_retention_period"] == 7
