"""pipenv run restore (tools/restore.py): choosing recovery points, the written config, and the
command itself against the emulator's AWS Backup (emulator/patches/backup.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest

from config import loads
from config.hcl_text import top_level_spans
from tests.harness.apply import aws
from tools.restore import (
    Aws,
    JobError,
    RecoveryPoint,
    RestoreError,
    choose,
    parse_when,
    restore_file_system,
    restored_text,
    validated,
)

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def point(kind: str, minutes: float, status: str = "COMPLETED", n: int = 0) -> RecoveryPoint:
    return RecoveryPoint(f"arn:{kind}:{minutes}:{n}", kind, f"arn:resource:{kind}", T0 + timedelta(minutes=minutes), status)


# --- choosing points ------------------------------------------------------------------------------


def test_latest_efs_point_and_the_rds_point_closest_to_it():
    points = [point("EFS", 0), point("EFS", 1440), point("RDS", 5), point("RDS", 1430), point("RDS", 1460)]
    choice = choose(points)
    assert choice.efs == point("EFS", 1440)
    assert choice.rds == point("RDS", 1430)  # 10 minutes before beats 20 after
    assert choice.gap == timedelta(minutes=10)


def test_equally_close_rds_points_prefer_the_older():
    choice = choose([point("EFS", 60), point("RDS", 50), point("RDS", 70)])
    assert choice.rds == point("RDS", 50)


def test_points_not_completed_are_ignored():
    points = [point("EFS", 0), point("EFS", 100, "PARTIAL"), point("RDS", 0), point("RDS", 100, "CREATING")]
    choice = choose(points)
    assert (choice.efs, choice.rds) == (point("EFS", 0), point("RDS", 0))


def test_before_excludes_later_points_of_both_kinds():
    points = [point("EFS", 0), point("EFS", 1440), point("RDS", 2), point("RDS", 1441)]
    choice = choose(points, before=T0 + timedelta(hours=12))
    assert (choice.efs, choice.rds) == (point("EFS", 0), point("RDS", 2))
    # the RDS point right after the cutoff is closer to nothing that may be used
    choice = choose([point("EFS", 0), point("RDS", 1), point("RDS", -600)], before=T0 + timedelta(seconds=30))
    assert choice.rds == point("RDS", -600)


@pytest.mark.parametrize(
    "points, message",
    [
        ([point("RDS", 0)], "no completed EFS recovery point"),
        ([point("EFS", 0), point("RDS", 0, "FAILED")], "no completed RDS recovery point"),
        ([], "no completed EFS recovery point created before 2026-11-19T00:00Z"),
    ],
)
def test_missing_points_are_refused(points, message):
    before = T0 - timedelta(hours=27) if not points else None
    with pytest.raises(RestoreError, match=message):
        choose(points, before=before)


def test_a_gap_over_a_day_is_refused_unless_allowed():
    points = [point("EFS", 0), point("RDS", -(24 * 60 + 1))]
    with pytest.raises(RestoreError, match=r"are 1 d 1 min apart, more than 1 d; pass --allow-gap"):
        choose(points)
    assert choose(points, allow_gap=True).gap == timedelta(days=1, minutes=1)
    assert choose([point("EFS", 0), point("RDS", -24 * 60)]).gap == timedelta(days=1)  # a day exactly is fine


def test_with_the_share_the_bucket_point_closest_to_the_efs_point():
    points = [
        point("EFS", 0),
        point("EFS", 1440),
        point("RDS", 1441),
        point("S3", 1400),
        point("S3", 1450),
        point("S3", 1445, "EXPIRED"),
    ]
    choice = choose(points, share=True)
    assert (choice.efs, choice.rds, choice.s3) == (point("EFS", 1440), point("RDS", 1441), point("S3", 1450))
    assert choice.share_gap == timedelta(minutes=10)
    assert choose(points).s3 is None  # without the share, S3 points are not looked at
    with pytest.raises(RestoreError, match="no completed S3 recovery point of the file gateway's bucket"):
        choose([point("EFS", 0), point("RDS", 0), point("S3", 0, "FAILED")], share=True)
    far = [point("EFS", 0), point("RDS", 0), point("S3", -(24 * 60 + 5))]
    with pytest.raises(RestoreError, match=r"the closest S3 point .* are 1 d 5 min apart, more than 1 d; pass --allow-gap"):
        choose(far, share=True)
    assert choose(far, share=True, allow_gap=True).s3 == point("S3", -(24 * 60 + 5))


def test_parse_when():
    assert parse_when("2026-11-20T00:00Z") == datetime(2026, 11, 20, tzinfo=UTC)
    assert parse_when("2026-11-20") == datetime(2026, 11, 20, tzinfo=UTC)
    assert parse_when("2026-11-20T02:00+02:00") == datetime(2026, 11, 20, tzinfo=UTC)
    with pytest.raises(RestoreError, match="not an ISO 8601 time"):
        parse_when("yesterday")


# --- the written config ---------------------------------------------------------------------------

SNAPSHOT = "arn:aws:rds:eu-central-1:123456789012:snapshot:awsbackup:job-0123abcd-0000-4000-8000-000000000000"


def test_restored_text_of_full_example_keeps_comments_and_validates():
    source = (ROOT / "examples/full.hcl").read_text()
    text = restored_text(
        source,
        name="omero-restored",
        file_system_id="fs-0123abcd",
        db_snapshot=SNAPSHOT,
        source_name="omero-full",
        keep_state_bucket=True,
    )
    deployment = validated(text, "restored.hcl", name="omero-restored", file_system_id="fs-0123abcd", db_snapshot=SNAPSHOT)
    assert deployment.region == "eu-central-1"
    assert deployment.state.bucket == "omero-full-terraform-state-example" and deployment.state.create_bucket is False
    assert deployment.backup.copy_region == "eu-west-1"
    # every comment line of the source is still there, and nothing else of it changed but name
    comments = [line for line in source.splitlines() if line.lstrip().startswith("#")]
    assert all(line in text.splitlines() for line in comments)
    changed = [line for line in source.splitlines() if line not in text.splitlines()]
    assert changed == ['name   = "omero-full"']
    assert 'name   = "omero-restored"' in text.splitlines()


def test_restored_text_replaces_an_existing_restore_from_and_sets_create_bucket():
    source = (
        'name = "omero-a"  # the first\n'
        'region = "eu-central-1"\n'
        'state {\n  bucket        = "shared-state-bucket"\n  create_bucket = true # made here\n}\n'
        "# an old restore\n"
        'restore_from { file_system_id = "fs-11111111" }\n'
        'network {\n  nat_gateways = "single" # {braces} in a comment\n}\n'
    )
    text = restored_text(
        source, name="omero-b", file_system_id="fs-22222222", db_snapshot=SNAPSHOT, source_name="omero-a", keep_state_bucket=True
    )
    deployment = loads(text)
    assert deployment.name == "omero-b" and deployment.state.create_bucket is False
    assert (deployment.restore_from.file_system_id, deployment.restore_from.db_snapshot) == ("fs-22222222", SNAPSHOT)
    assert "fs-11111111" not in text and "an old restore" not in text
    assert 'name = "omero-b"  # the first' in text and "{braces} in a comment" in text
    assert [i.name for i in top_level_spans(text)] == ["name", "region", "state", "network", "restore_from"]


def test_restored_text_refuses_an_edit_the_files_layout_does_not_allow():
    """The file is edited as text (config/hcl_text.py): what cannot be changed on its own line is
    refused, naming the key and the line, never written half-changed."""
    made = dict(name="omero-b", file_system_id="fs-22222222", db_snapshot=SNAPSHOT, source_name="omero-a")
    with pytest.raises(RestoreError, match="cannot set state.create_bucket: the file has no state block"):
        restored_text('name = "omero-a"\n', keep_state_bucket=True, **made)
    with pytest.raises(RestoreError, match="cannot add create_bucket to the one-line state block at line 2"):
        restored_text('name = "omero-a"\nstate { bucket = "b" }\n', keep_state_bucket=True, **made)
    with pytest.raises(RestoreError, match='cannot rewrite name at line 1: expected name = "..." on one line'):
        restored_text('name = join("", [\n  "omero-a",\n])\n', **made)


def test_restored_text_from_copy_moves_region_and_copies_home():
    source = (ROOT / "examples/full.hcl").read_text()
    snapshot = SNAPSHOT.replace("eu-central-1", "eu-west-1")
    text = restored_text(
        source,
        name="omero-dr",
        file_system_id="fs-0123abcd",
        db_snapshot=snapshot,
        source_name="omero-full",
        region="eu-west-1",
        keep_state_bucket=True,
        swap_copy={"copy_region": "eu-central-1"},
    )
    deployment = validated(text, "dr.hcl", name="omero-dr", file_system_id="fs-0123abcd", db_snapshot=snapshot)
    assert (deployment.region, deployment.backup.copy_region) == ("eu-west-1", "eu-central-1")
    # the Docker Hub secret of the image cache, read in the new region
    assert deployment.images.docker_hub_secret_arn.startswith(
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:ecr-pullthroughcache/"
    )


def test_restored_text_names_the_restored_bucket_and_drops_bucket_name():
    source = (
        (ROOT / "examples/full.hcl")
        .read_text()
        .replace('  role             = "import"\n', '  role             = "import"\n  bucket_name      = "lab-images"\n')
    )
    assert loads(source).file_gateway.bucket_name == "lab-images"
    bucket = "omero-restored-omero-share-123456789012-eu-central-1"
    text = restored_text(
        source,
        name="omero-restored",
        file_system_id="fs-0123abcd",
        db_snapshot=SNAPSHOT,
        source_name="omero-full",
        share_bucket=bucket,
    )
    deployment = validated(
        text, "r.hcl", name="omero-restored", file_system_id="fs-0123abcd", db_snapshot=SNAPSHOT, share_bucket=bucket
    )
    assert deployment.restore_from.share_bucket == bucket and deployment.file_gateway.bucket_name is None
    assert '  # bucket_name      = "lab-images"  (the restored bucket is restore_from.share_bucket)' in text
    with pytest.raises(RestoreError, match="does not read back as written"):
        validated(text, "r.hcl", name="omero-restored", file_system_id="fs-0123abcd", db_snapshot=SNAPSHOT)


def test_a_snapshot_of_another_region_does_not_validate():
    source = (ROOT / "examples/full.hcl").read_text()
    snapshot = SNAPSHOT.replace("eu-central-1", "eu-west-1")
    text = restored_text(source, name="omero-x", file_system_id="fs-0123abcd", db_snapshot=snapshot, source_name="omero-full")
    with pytest.raises(RestoreError, match="does not validate: restore_from.db_snapshot"):
        validated(text, "x.hcl", name="omero-x", file_system_id="fs-0123abcd", db_snapshot=snapshot)


# --- against the emulator -------------------------------------------------------------------------

REGION, COPY_REGION = "eu-central-1", "eu-west-1"


def source_config(tmp_path: Path, name: str, *, copy: bool = True) -> Path:
    path = tmp_path / f"{name}.hcl"
    path.write_text(
        f'# the source deployment\nname   = "{name}"\nregion = "{REGION}"\n\n'
        'state {\n  bucket = "omero-shared-state-example"\n}\n\n'
        "backup {\n  daily_retention_days = 35\n" + (f'  copy_region          = "{COPY_REGION}"\n' if copy else "") + "}\n\n"
        'storage {\n  performance_mode = "maxIO"\n  throughput_mode  = "bursting"\n}\n'
    )
    return path


class Source:
    """A deployment's EFS file system, database, backup role and vaults, made in the emulator."""

    def __init__(self, emulator, name: str, *, copy_vault: bool = True):
        self.emulator, self.name = emulator, name
        self.backup = aws(emulator, "backup", REGION)
        self.backup.create_backup_vault(BackupVaultName=f"{name}-omero")
        if copy_vault:
            aws(emulator, "backup", COPY_REGION).create_backup_vault(BackupVaultName=f"{name}-omero-copy")
        self.role = aws(emulator, "iam", REGION).create_role(
            RoleName=f"{name}-omero-backup",
            AssumeRolePolicyDocument='{"Version": "2012-10-17", "Statement": []}',
        )["Role"]["Arn"]
        self.file_system = aws(emulator, "efs", REGION).create_file_system(CreationToken=f"{name}-omero-data", Encrypted=True)
        self.database = aws(emulator, "rds", REGION).create_db_instance(
            DBInstanceIdentifier=f"{name}-omero",
            Engine="postgres",
            DBInstanceClass="db.t4g.micro",
            MasterUsername="omero",
            MasterUserPassword="not-a-real-password",
            AllocatedStorage=20,
        )["DBInstance"]

    def back_up(self, kind: str) -> dict:
        arn = self.file_system["FileSystemArn"] if kind == "EFS" else self.database["DBInstanceArn"]
        job = self.backup.start_backup_job(BackupVaultName=f"{self.name}-omero", ResourceArn=arn, IamRoleArn=self.role)
        assert self.backup.describe_backup_job(BackupJobId=job["BackupJobId"])["State"] == "COMPLETED"
        return self.backup.describe_recovery_point(BackupVaultName=f"{self.name}-omero", RecoveryPointArn=job["RecoveryPointArn"])

    def copy(self, recovery_point: dict) -> dict:
        destination = f"arn:aws:backup:{COPY_REGION}:123456789012:backup-vault:{self.name}-omero-copy"
        job = self.backup.start_copy_job(
            RecoveryPointArn=recovery_point["RecoveryPointArn"],
            SourceBackupVaultName=f"{self.name}-omero",
            DestinationBackupVaultArn=destination,
            IamRoleArn=self.role,
        )
        return self.backup.describe_copy_job(CopyJobId=job["CopyJobId"])["CopyJob"]


GATEWAY = 'cluster { launch_type = "ec2" }\nfile_gateway {\n  enabled          = true\n  activation_cidrs = ["10.0.0.0/16"]\n}\n'


class SourceWithShare(Source):
    """A source deployment whose file gateway bucket (versioned, as the add-on makes it) holds files."""

    FILES = {"OMERO/ManagedRepository/user_2/a.tif": b"pixels a", "OMERO/Files/1": b"an original file"}

    def __init__(self, emulator, name: str):
        super().__init__(emulator, name, copy_vault=False)
        self.s3 = aws(emulator, "s3", REGION)
        self.bucket = f"{name}-omero-share-123456789012-{REGION}"
        self.s3.create_bucket(Bucket=self.bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        self.s3.put_bucket_versioning(Bucket=self.bucket, VersioningConfiguration={"Status": "Enabled"})
        for key, body in self.FILES.items():
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=body)

    def back_up_bucket(self) -> dict:
        job = self.backup.start_backup_job(
            BackupVaultName=f"{self.name}-omero", ResourceArn=f"arn:aws:s3:::{self.bucket}", IamRoleArn=self.role
        )
        assert self.backup.describe_backup_job(BackupJobId=job["BackupJobId"])["State"] == "COMPLETED"
        return self.backup.describe_recovery_point(BackupVaultName=f"{self.name}-omero", RecoveryPointArn=job["RecoveryPointArn"])


def restore(emulator, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(emulator.env(REGION))
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.restore",
            "--endpoint-url",
            emulator.endpoint,
            "--poll-seconds",
            "0.2",
            "--wait-minutes",
            "1",
            *args,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def file_system(emulator, region: str, file_system_id: str) -> dict:
    [found] = aws(emulator, "efs", region).describe_file_systems(FileSystemId=file_system_id)["FileSystems"]
    return found


@pytest.mark.emulator
def test_restore_latest_points_into_a_new_deployment(emulator, tmp_path):
    source = Source(emulator, "omero-rs1")
    first_efs = source.back_up("EFS")
    time.sleep(1.1)
    rds = source.back_up("RDS")
    time.sleep(1.1)
    latest_efs = source.back_up("EFS")
    config, written = source_config(tmp_path, "omero-rs1"), tmp_path / "restored.hcl"

    done = restore(emulator, "--config", str(config), "--into", "omero-rs1-restored", "--write", str(written))
    assert done.returncode == 0, done.stderr
    assert latest_efs["RecoveryPointArn"] in done.stdout and first_efs["RecoveryPointArn"] not in done.stdout
    assert rds["RecoveryPointArn"] in done.stdout and "gap between them: 1 s (the files are newer)" in done.stdout
    assert "aws-backup-restore_" in done.stdout and "OMERO_CONFIG=" in done.stdout and done.stderr == ""

    deployment = loads(written.read_text(), str(written))
    assert deployment.name == "omero-rs1-restored" and deployment.region == REGION
    assert deployment.restore_from.db_snapshot == rds["RecoveryPointArn"]
    assert deployment.state.create_bucket is False and deployment.state.bucket == "omero-shared-state-example"
    assert written.read_text().startswith("# the source deployment\n")
    # The file system is what the provider will import: the creation token the storage stack
    # gives it, encrypted, the configured performance mode.
    restored = file_system(emulator, REGION, deployment.restore_from.file_system_id)
    assert restored["CreationToken"] == "omero-rs1-restored-omero-data"
    assert restored["Encrypted"] is True and restored["PerformanceMode"] == "maxIO"
    assert restored["FileSystemId"] != source.file_system["FileSystemId"]
    # The snapshot is a real one of the source database, found by its name as the provider's
    # snapshot_identifier (the ARN) names it.
    name = rds["RecoveryPointArn"].split(":snapshot:")[1]
    [snapshot] = aws(emulator, "rds", REGION).describe_db_snapshots(DBSnapshotIdentifier=name)["DBSnapshots"]
    assert snapshot["SnapshotType"] == "awsbackup" and snapshot["DBInstanceIdentifier"] == "omero-rs1-omero"
    assert name.startswith("awsbackup:job-")

    # The same again: the file exists, then (with --force) the new deployment's names are taken.
    again = restore(emulator, "--config", str(config), "--into", "omero-rs1-restored", "--write", str(written))
    assert again.returncode == 2 and again.stderr.strip() == f"error: {written} exists; pass --force to replace it"
    again = restore(emulator, "--config", str(config), "--into", "omero-rs1-restored", "--write", str(written), "--force")
    assert again.returncode == 2, again.stderr
    assert "a file system with creation token omero-rs1-restored-omero-data already exists" in again.stderr

    # --before the latest EFS point: the first one.
    cutoff = latest_efs["CreationDate"].astimezone(UTC).isoformat()
    earlier = tmp_path / "earlier.hcl"
    done = restore(emulator, "--config", str(config), "--into", "omero-rs1-earlier", "--write", str(earlier), "--before", cutoff)
    assert done.returncode == 0, done.stderr
    assert first_efs["RecoveryPointArn"] in done.stdout and latest_efs["RecoveryPointArn"] not in done.stdout
    assert "(the database is newer)" in done.stdout
    assert loads(earlier.read_text()).restore_from.db_snapshot == rds["RecoveryPointArn"]


@pytest.mark.emulator
def test_restore_from_the_copy_vault_into_the_copy_region(emulator, tmp_path):
    source = Source(emulator, "omero-rs2")
    efs_copy, rds_copy = source.copy(source.back_up("EFS")), source.copy(source.back_up("RDS"))
    config, written = source_config(tmp_path, "omero-rs2"), tmp_path / "dr.hcl"

    done = restore(emulator, "--config", str(config), "--into", "omero-rs2-dr", "--write", str(written), "--from-copy")
    assert done.returncode == 0, done.stderr
    assert f"omero-rs2-omero-copy, {COPY_REGION}" in done.stdout
    deployment = loads(written.read_text())
    assert (deployment.name, deployment.region, deployment.backup.copy_region) == ("omero-rs2-dr", COPY_REGION, REGION)
    assert deployment.restore_from.db_snapshot == rds_copy["DestinationRecoveryPointArn"]
    assert ":snapshot:awsbackup:copyjob-" in deployment.restore_from.db_snapshot
    restored = file_system(emulator, COPY_REGION, deployment.restore_from.file_system_id)
    assert restored["CreationToken"] == "omero-rs2-dr-omero-data"
    assert efs_copy["DestinationRecoveryPointArn"] in done.stdout


@pytest.mark.emulator
def test_refusals_exit_2_with_one_line(emulator, tmp_path):
    source = Source(emulator, "omero-rs3", copy_vault=False)
    source.back_up("EFS")
    config = source_config(tmp_path, "omero-rs3")
    out = tmp_path / "out.hcl"
    cases = {
        # no RDS point at all
        (): "error: no completed RDS recovery point",
        ("--before", "2020-01-01T00:00Z"): "error: no completed EFS recovery point created before 2020-01-01T00:00Z",
        ("--from-copy",): f"error: backup vault omero-rs3-omero-copy not found in {COPY_REGION}",
        ("--before", "soon"): "error: argument --before: 'soon' is not an ISO 8601 time",
        ("--kms-key-arn", "arn:aws:kms:eu-west-1:123456789012:key/x"): "error: --kms-key-arn only with --from-copy",
    }
    for extra, message in cases.items():
        done = restore(emulator, "--config", str(config), "--into", "omero-rs3-new", "--write", str(out), *extra)
        assert done.returncode == 2, (extra, done.stdout, done.stderr)
        assert done.stderr.startswith(message) and done.stderr.count("\n") == 1, (extra, done.stderr)
        assert "Traceback" not in done.stderr and not out.exists()

    missing = source_config(tmp_path, "omero-none")
    done = restore(emulator, "--config", str(missing), "--into", "omero-none-new", "--write", str(out))
    assert done.returncode == 2 and done.stderr.startswith(f"error: backup vault omero-none-omero not found in {REGION}")
    done = restore(
        emulator,
        "--config",
        str(source_config(tmp_path, "omero-rs3", copy=False)),
        "--into",
        "x-new",
        "--write",
        str(out),
        "--from-copy",
    )
    assert done.returncode == 2 and "sets no backup.copy_region" in done.stderr
    done = restore(emulator, "--config", str(config), "--into", "omero-rs3", "--write", str(out))
    assert done.returncode == 2 and "the source deployment's own name" in done.stderr
    done = restore(emulator, "--config", str(tmp_path / "nope.hcl"), "--into", "x-new", "--write", str(out))
    assert done.returncode == 2 and "file not found" in done.stderr and done.stderr.count("\n") == 1


@pytest.mark.emulator
def test_a_restore_that_outlasts_the_wait_is_resumed(emulator, tmp_path):
    source = Source(emulator, "omero-rs5", copy_vault=False)
    efs, rds = source.back_up("EFS"), source.back_up("RDS")
    config, written = source_config(tmp_path, "omero-rs5"), tmp_path / "restored.hcl"
    args = ("--config", str(config), "--into", "omero-rs5-new", "--write", str(written))

    # the emulator reports a restore RUNNING once: a wait shorter than one poll gives up
    gave_up = restore(emulator, *args, "--wait-minutes", "0.0001")
    assert gave_up.returncode == 1 and not written.exists(), gave_up.stderr
    job_id = gave_up.stderr.split("--resume-job ")[1].split()[0]
    assert gave_up.stderr.startswith(
        f"error: restore job {job_id} is still RUNNING after 0 s; follow it with aws backup describe-restore-job"
    )

    wrong = restore(
        emulator, "--config", str(config), "--into", "omero-rs5-other", "--write", str(written), "--resume-job", job_id
    )
    assert wrong.returncode == 2 and "has creation token omero-rs5-new-omero-data, not omero-rs5-other-omero-data" in wrong.stderr
    assert restore(emulator, *args, "--resume-job", "NO-SUCH-JOB").stderr.startswith(
        "error: --resume-job: restore job NO-SUCH-JOB not found"
    )

    source.back_up("EFS")  # a newer point since: the resumed job's point still decides
    resumed = restore(emulator, *args, "--resume-job", job_id)
    assert resumed.returncode == 0, resumed.stderr
    assert f"Waiting for restore job {job_id}." in resumed.stdout and efs["RecoveryPointArn"] in resumed.stdout
    deployment = loads(written.read_text())
    assert deployment.restore_from.db_snapshot == rds["RecoveryPointArn"]
    assert file_system(emulator, REGION, deployment.restore_from.file_system_id)["CreationToken"] == "omero-rs5-new-omero-data"


@pytest.mark.emulator
def test_restore_job_failure_and_timeout(emulator):
    source = Source(emulator, "omero-rs4", copy_vault=False)
    efs_point = RecoveryPoint.from_api(source.back_up("EFS"))
    session = boto3.session.Session(region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
    client = Aws(REGION, emulator.endpoint, session)
    said: list[str] = []
    common = dict(
        role_arn=source.role, performance_mode="generalPurpose", kms_key_arn=None, say=said.append, sleep=lambda s: None
    )

    # the emulator reports a job RUNNING once: no time to wait means the bound is hit
    with pytest.raises(JobError, match=r"is still RUNNING after 0 s; .* run the same command again with --resume-job"):
        restore_file_system(
            client, efs_point, creation_token="omero-rs4-a-omero-data", wait=timedelta(0), poll_seconds=1, **common
        )
    fs_id = restore_file_system(
        client, efs_point, creation_token="omero-rs4-b-omero-data", wait=timedelta(minutes=1), poll_seconds=1, **common
    )
    assert file_system(emulator, REGION, fs_id)["CreationToken"] == "omero-rs4-b-omero-data"
    assert any("RUNNING" in line for line in said)
    # a taken creation token fails the job, as in AWS
    with pytest.raises(JobError, match="FAILED: File system with creation token omero-rs4-b-omero-data already exists"):
        restore_file_system(
            client, efs_point, creation_token="omero-rs4-b-omero-data", wait=timedelta(minutes=1), poll_seconds=1, **common
        )


@pytest.mark.emulator
@pytest.mark.terraform
def test_terraform_adopts_the_restored_file_system_and_creates_the_database_from_the_point(emulator, tf, tmp_path):
    """What the storage stack will do with restore_from, in a hand-written configuration: import
    the restored file system (no change to it) and create the instance from the RDS point's ARN."""
    source = Source(emulator, "omero-rs6", copy_vault=False)
    source.back_up("EFS"), source.back_up("RDS")
    written = tmp_path / "restored.hcl"
    done = restore(
        emulator, "--config", str(source_config(tmp_path, "omero-rs6")), "--into", "omero-rs6-new", "--write", str(written)
    )
    assert done.returncode == 0, done.stderr
    restored = loads(written.read_text()).restore_from

    endpoint = emulator.endpoint
    configuration = {
        "provider": {
            "aws": {
                "region": REGION,
                "endpoints": [{s: endpoint for s in ("efs", "rds", "sts")}],
                "skip_credentials_validation": True,
                "skip_metadata_api_check": "true",
                "skip_region_validation": True,
            }
        },
        "import": [{"to": "aws_efs_file_system.data", "id": restored.file_system_id}],
        "resource": {
            "aws_efs_file_system": {
                "data": {
                    "creation_token": "omero-rs6-new-omero-data",
                    "encrypted": True,
                    "performance_mode": "maxIO",
                    "throughput_mode": "bursting",
                }
            },
            "aws_db_instance": {
                "omero": {
                    "identifier": "omero-rs6-new-omero",
                    "instance_class": "db.t4g.micro",
                    "snapshot_identifier": restored.db_snapshot,
                    "skip_final_snapshot": True,
                }
            },
        },
    }
    (tmp_path / "main.tf.json").write_text(json.dumps(configuration))
    run = tf.with_env(AWS_REGION=REGION, AWS_DEFAULT_REGION=REGION)
    assert (result := run(tmp_path, "init", "-input=false", "-no-color")).returncode == 0, str(result)
    plan = run(tmp_path, "plan", "-input=false", "-no-color", "-out=plan.tfplan")
    assert plan.returncode == 0, str(plan)
    changes = {c["address"]: c for c in json.loads(run(tmp_path, "show", "-json", "plan.tfplan").stdout)["resource_changes"]}
    # the restored file system is adopted as it is: imported, nothing to change or replace
    assert changes["aws_efs_file_system.data"]["change"]["actions"] == ["no-op"]
    assert changes["aws_efs_file_system.data"]["change"]["importing"]["id"] == restored.file_system_id
    assert (result := run(tmp_path, "apply", "-auto-approve", "-input=false", "-no-color")).returncode == 0, str(result)
    assert "1 imported, 1 added, 0 changed, 0 destroyed" in result.stdout, result.stdout[-2000:]
    [instance] = aws(emulator, "rds", REGION).describe_db_instances(DBInstanceIdentifier="omero-rs6-new-omero")["DBInstances"]
    assert instance["Engine"] == "postgres" and instance["MasterUsername"] == "omero"  # the source database's


@pytest.mark.emulator
def test_restore_brings_the_file_gateway_bucket_back_with_the_database(emulator, tmp_path):
    """A deployment whose gateway bucket is under AWS Backup: the bucket is restored beside EFS into
    the new deployment's share bucket, with the files as they were at its recovery point."""
    source = SourceWithShare(emulator, "omero-rs7")
    efs, rds, share = source.back_up("EFS"), source.back_up("RDS"), source.back_up_bucket()
    assert share["ResourceType"] == "S3" and share["ResourceArn"] == f"arn:aws:s3:::{source.bucket}"
    source.s3.put_object(Bucket=source.bucket, Key="OMERO/Files/2", Body=b"written after the backup")
    config = source_config(tmp_path, "omero-rs7", copy=False)
    config.write_text(config.read_text() + GATEWAY)
    written = tmp_path / "restored.hcl"

    done = restore(emulator, "--config", str(config), "--into", "omero-rs7-new", "--write", str(written))
    assert done.returncode == 0, done.stderr
    new_bucket = f"omero-rs7-new-omero-share-123456789012-{REGION}"
    assert share["RecoveryPointArn"] in done.stdout and f"to a new bucket {new_bucket}" in done.stdout
    deployment = loads(written.read_text(), str(written))
    assert deployment.restore_from.share_bucket == new_bucket
    assert deployment.restore_from.db_snapshot == rds["RecoveryPointArn"]
    assert efs["RecoveryPointArn"] in done.stdout
    # the restored bucket holds what the backup saw, encrypted with S3's AWS managed key, versioned
    listed = source.s3.list_objects_v2(Bucket=new_bucket)["Contents"]
    assert sorted(o["Key"] for o in listed) == sorted(SourceWithShare.FILES)
    for key, body in SourceWithShare.FILES.items():
        got = source.s3.get_object(Bucket=new_bucket, Key=key)
        assert got["Body"].read() == body and got["ServerSideEncryption"] == "aws:kms"
    assert source.s3.get_bucket_versioning(Bucket=new_bucket)["Status"] == "Enabled"

    # again: the new deployment's bucket name is taken now
    again = restore(emulator, "--config", str(config), "--into", "omero-rs7-new", "--write", str(tmp_path / "b.hcl"))
    assert again.returncode == 2 and f"error: a bucket {new_bucket} already exists; choose another --into" in again.stderr


@pytest.mark.emulator
def test_a_share_without_a_bucket_recovery_point_is_refused_and_an_unversioned_bucket_fails_its_backup(emulator, tmp_path):
    source = SourceWithShare(emulator, "omero-rs8")
    source.back_up("EFS"), source.back_up("RDS")
    config = source_config(tmp_path, "omero-rs8", copy=False)
    config.write_text(config.read_text() + GATEWAY)
    done = restore(emulator, "--config", str(config), "--into", "omero-rs8-new", "--write", str(tmp_path / "o.hcl"))
    assert done.returncode == 2 and done.stderr == "error: no completed S3 recovery point of the file gateway's bucket\n"
    # AWS Backup backs up versioned buckets only
    source.s3.create_bucket(Bucket="omero-rs8-plain", CreateBucketConfiguration={"LocationConstraint": REGION})
    job = source.backup.start_backup_job(
        BackupVaultName="omero-rs8-omero", ResourceArn="arn:aws:s3:::omero-rs8-plain", IamRoleArn=source.role
    )
    failed = source.backup.describe_backup_job(BackupJobId=job["BackupJobId"])
    assert failed["State"] == "FAILED" and "Versioning must be enabled" in failed["StatusMessage"]
