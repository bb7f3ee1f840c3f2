"""Restore a deployment's latest recovery points into a new deployment, and write its config.

    pipenv run restore --config examples/full.hcl --into omero-restored --write restored.hcl \\
        [--before 2026-11-20T00:00Z] [--from-copy] [--allow-gap] [--wait-minutes 240] [--force]

1. Reads the source deployment's config. The recovery points come from its AWS Backup vault
   ``<name>-omero`` in its region or, with ``--from-copy``, from the copy vault
   ``<name>-omero-copy`` in ``backup.copy_region`` (the new deployment then lives there).
2. Picks the latest COMPLETED EFS recovery point (created before ``--before``, if given) and the
   RDS recovery point closest to it in time and, when the plan backs up the file gateway's bucket
   (``file_gateway.backup``), the S3 recovery point closest to it; refuses when one is missing or
   more than a day from the EFS point (``--allow-gap`` accepts the gap).
3. Restores the EFS point to a NEW file system (creation token ``<into>-omero-data``, encrypted,
   ``storage.kms_key_arn`` or ``--kms-key-arn``, ``storage.performance_mode``) with the backup role
   ``<name>-omero-backup``, and waits for it (bounded by ``--wait-minutes``). The database is not
   restored here: the new deployment's storage stack creates it from the RDS recovery point. The
   S3 point goes to a NEW bucket named as the new deployment's share bucket
   (``<into>-omero-share-<account>-<region>``), its objects encrypted with
   ``file_gateway.kms_key_arn`` or S3's AWS managed key; both jobs run at once.
4. Writes the source file's text with ``name`` set to ``--into``, a ``restore_from`` block naming
   the new file system, the RDS recovery point and the restored bucket (replacing any; a
   ``file_gateway.bucket_name`` becomes a comment), ``state.create_bucket = false``
   when the source creates its state bucket (the bucket is shared; state keys differ by name) and,
   with ``--from-copy``, the region and the backup copy settings swapped to point back home. The
   text is validated with the config loader before it is written; comments stay. An existing file
   is only replaced with ``--force``.

A restore that outlasts ``--wait-minutes`` goes on in AWS; ``--resume-job <id>`` (once per job; the
ids are in the message) waits for it and writes the config. ``--endpoint-url`` sends every AWS call to that endpoint (an emulator on 127.0.0.1 in the tests).
Exit status: 0 restored and written; 1 the restore job failed or did not finish in time; 2 bad
input or something missing (config, vault, recovery points, role, a taken name), one line on
stderr.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from config import ConfigError, loads
from config.addons.file_gateway import share_bucket_name
from config.backup import share_bucket_under_backup
from config.hcl_text import HclText, TextEditError, hcl_string
from tools.common import Parser, ToolError
from tools.deployment import load_deployment

MAX_GAP = timedelta(days=1)  # EFS and RDS share the plan's backup window; a day apart is suspect
COMPLETED = "COMPLETED"


class RestoreError(Exception):
    """Bad input or something missing: one line on stderr, exit status 2."""


class JobError(Exception):
    """The restore job failed or did not finish in time: exit status 1."""


# --- choosing the recovery points (pure) --------------------------------------------------------


@dataclass(frozen=True)
class RecoveryPoint:
    arn: str
    resource_type: str  # "EFS" or "RDS"
    resource_arn: str
    created: datetime  # aware, UTC
    status: str = COMPLETED

    @classmethod
    def from_api(cls, point: dict) -> RecoveryPoint:
        return cls(
            arn=point["RecoveryPointArn"],
            resource_type=point["ResourceType"],
            resource_arn=point.get("ResourceArn", ""),
            created=point["CreationDate"].astimezone(UTC),
            status=point.get("Status", ""),
        )


@dataclass(frozen=True)
class Choice:
    efs: RecoveryPoint
    rds: RecoveryPoint
    s3: RecoveryPoint | None = None  # the file gateway's bucket, when the plan backs it up

    @property
    def gap(self) -> timedelta:
        return abs(self.rds.created - self.efs.created)

    @property
    def share_gap(self) -> timedelta:
        return abs(self.s3.created - self.efs.created) if self.s3 else timedelta(0)


def parse_when(text: str) -> datetime:
    """An ISO 8601 time (``2026-11-20T00:00Z``, ``2026-11-20``); without a zone it is UTC."""
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise RestoreError(f"{text!r} is not an ISO 8601 time such as 2026-11-20T00:00Z") from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def choose(
    points: Iterable[RecoveryPoint],
    *,
    before: datetime | None = None,
    allow_gap: bool = False,
    max_gap: timedelta = MAX_GAP,
    share: bool = False,
) -> Choice:
    """The latest completed EFS point (before ``before``) and the RDS point closest to it in time;
    with ``share``, also the S3 point (the file gateway's bucket) closest to it.

    RDS and S3 points after ``before`` are not considered either: the database must not be newer
    than the moment asked for. Raises RestoreError when one is missing or a gap exceeds
    ``max_gap`` (unless ``allow_gap``)."""
    usable = [p for p in points if p.status == COMPLETED and (before is None or p.created < before)]
    cutoff = f" created before {before:%Y-%m-%dT%H:%MZ}" if before else ""
    efs = [p for p in usable if p.resource_type == "EFS"]
    rds = [p for p in usable if p.resource_type == "RDS"]
    if not efs:
        raise RestoreError(f"no completed EFS recovery point{cutoff}")
    if not rds:
        raise RestoreError(f"no completed RDS recovery point{cutoff}")
    latest = max(efs, key=lambda p: (p.created, p.arn))
    buckets = [p for p in usable if p.resource_type == "S3"]
    if share and not buckets:
        raise RestoreError(f"no completed S3 recovery point of the file gateway's bucket{cutoff}")
    # closest in time; of two equally close, the older (a database older than the files is safer)
    choice = Choice(latest, _closest(rds, latest), _closest(buckets, latest) if share else None)
    for kind, point, gap in (("RDS", choice.rds, choice.gap), ("S3", choice.s3, choice.share_gap)):
        if point is not None and gap > max_gap and not allow_gap:
            raise RestoreError(
                f"the EFS point ({latest.created:%Y-%m-%d %H:%M}Z) and the closest {kind} point "
                f"({point.created:%Y-%m-%d %H:%M}Z) are {describe_gap(gap)} apart, more than "
                f"{describe_gap(max_gap)}; pass --allow-gap to restore them anyway"
            )
    return choice


def _closest(points: list[RecoveryPoint], to: RecoveryPoint) -> RecoveryPoint:
    return min(points, key=lambda p: (abs(p.created - to.created), p.created))


def describe_gap(gap: timedelta) -> str:
    seconds = int(gap.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{days} d"] * bool(days) + [f"{hours} h"] * bool(hours) + [f"{minutes} min"] * bool(minutes)
    return " ".join(parts) or f"{seconds} s"


# --- writing the restored config (text edits, comments kept: config/hcl_text.py) -----------------


def restored_text(
    text: str,
    *,
    name: str,
    file_system_id: str,
    db_snapshot: str,
    source_name: str,
    region: str | None = None,
    keep_state_bucket: bool = False,
    swap_copy: dict[str, str] | None = None,
    storage_kms_key_arn: str | None = None,
    share_bucket: str | None = None,
) -> str:
    """The source config's text for the restored deployment (see the module doc)."""
    file = HclText(text)
    try:
        file.remove("restore_from")  # first: removing it shifts the lines of what follows
        if file.find("name", "attribute") is None:
            raise RestoreError('the source config has no top-level name = "..."')
        file.set_attribute("name", hcl_string(name))
        if region is not None:
            _into_region(file, region)
        if storage_kms_key_arn:
            comment = f"restored into {region}: a key there"
            file.set_in_block("storage", "kms_key_arn", hcl_string(storage_kms_key_arn), comment)
        if keep_state_bucket:
            comment = f"the bucket is {source_name}'s; state keys differ by deployment name"
            file.set_in_block("state", "create_bucket", "false", comment)
        for key, value in (swap_copy or {}).items():
            comment = f"restored from the copy: {key} points back to {source_name}'s region"
            file.set_in_block("backup", key, hcl_string(value), comment)
        if share_bucket:  # the restored bucket takes the place of the one the source served
            file.comment_out_in_block("file_gateway", "bucket_name", "the restored bucket is restore_from.share_bucket")
    except TextEditError as error:
        raise RestoreError(str(error)) from None
    file.append(
        [
            f"# Built from {source_name}'s recovery points by pipenv run restore: the storage stack adopts",
            "# this file system and creates the database from this snapshot (read only at creation)"
            + ("; the file gateway\n# stack adopts this bucket." if share_bucket else "."),
            "restore_from {",
            f"  file_system_id = {hcl_string(file_system_id)}",
            f"  db_snapshot    = {hcl_string(db_snapshot)}",
            *([f"  share_bucket   = {hcl_string(share_bucket)}"] if share_bucket else []),
            "}",
        ]
    )
    return file.text()


# The pull-through cache reads its Docker Hub secret in its own region: the restored deployment's.
_DOCKER_HUB_SECRET = re.compile(r'^(\s*docker_hub_secret_arn\s*=\s*)"(arn:[^:]+:secretsmanager:)[a-z0-9-]+(:[^"]+)"')


def _into_region(file: HclText, region: str) -> None:
    """Restored from the copy: the deployment lives in ``region``, and so does its Docker Hub secret."""
    file.set_attribute("region", hcl_string(region), after="name")
    for index in file.block_lines("images"):
        match = _DOCKER_HUB_SECRET.match(file.lines[index])
        if match:
            arn = f"{match.group(2)}{region}{match.group(3)}"
            file.lines[index] = f'{match.group(1)}"{arn}"  # restored into {region}: make this secret there (same name)'


def validated(text: str, source: str, *, name: str, file_system_id: str, db_snapshot: str, share_bucket: str | None = None):
    """The deployment ``text`` describes, checked to be the restored one; RestoreError otherwise."""
    try:
        deployment = loads(text, source)
    except ConfigError as error:
        raise RestoreError(f"the restored config does not validate: {'; '.join(error.lines)}") from None
    restore = getattr(deployment, "restore_from", None)
    if restore is None:
        raise RestoreError("this version of the config schema has no restore_from block")
    written = (deployment.name, restore.file_system_id, restore.db_snapshot, getattr(restore, "share_bucket", None))
    if written != (name, file_system_id, db_snapshot, share_bucket):
        raise RestoreError("the restored config does not read back as written (name or restore_from differ)")
    return deployment


# --- AWS ----------------------------------------------------------------------------------------


class Aws:
    """The clients of one region (and, for IAM, the account), optionally at an endpoint."""

    def __init__(self, region: str, endpoint_url: str | None, session=None):
        import boto3

        self.region = region
        self._session = session or boto3.session.Session(region_name=region)
        self._endpoint = endpoint_url
        self._clients: dict[str, object] = {}

    def __call__(self, service: str):
        if service not in self._clients:
            self._clients[service] = self._session.client(service, endpoint_url=self._endpoint)
        return self._clients[service]


def _code(error) -> str:
    return getattr(error, "response", {}).get("Error", {}).get("Code", "")


def recovery_points(aws: Aws, vault: str, kinds: Sequence[str] = ("EFS", "RDS")) -> list[RecoveryPoint]:
    from botocore.exceptions import ClientError

    backup = aws("backup")
    try:
        backup.describe_backup_vault(BackupVaultName=vault)
    except ClientError as error:
        if _code(error) in ("ResourceNotFoundException", "AccessDeniedException"):
            raise RestoreError(f"backup vault {vault} not found in {aws.region} ({_code(error)})") from None
        raise
    found: list[RecoveryPoint] = []
    for resource_type in kinds:
        pages = backup.get_paginator("list_recovery_points_by_backup_vault").paginate(
            BackupVaultName=vault,
            ByResourceType=resource_type,
        )
        found += [RecoveryPoint.from_api(p) for page in pages for p in page.get("RecoveryPoints", [])]
    return found


def backup_role_arn(aws: Aws, source_name: str) -> str:
    iam, role = aws("iam"), f"{source_name}-omero-backup"
    try:
        return iam.get_role(RoleName=role)["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        raise RestoreError(f"IAM role {role} not found (the {source_name}-backup stack creates it)") from None


def describe_restore_job(aws: Aws, job_id: str) -> dict:
    from botocore.exceptions import ClientError

    try:
        return aws("backup").describe_restore_job(RestoreJobId=job_id)
    except ClientError as error:
        if _code(error) == "ResourceNotFoundException":
            raise RestoreError(f"--resume-job: restore job {job_id} not found in {aws.region}") from None
        raise


def check_restored(aws: Aws, file_system_id: str, creation_token: str) -> None:
    """The file system a resumed job made must be the one this deployment's name expects."""
    [found] = aws("efs").describe_file_systems(FileSystemId=file_system_id)["FileSystems"]
    if found.get("CreationToken") != creation_token:
        raise RestoreError(
            f"--resume-job: the job's file system {file_system_id} has creation token {found.get('CreationToken')}, not {creation_token}; check --into"
        )


def check_names_free(aws: Aws, into: str, *, file_system: bool = True, bucket: str | None = None) -> None:
    """The restored deployment's file system, database and share bucket names must not be taken."""
    if bucket and _bucket_exists(aws, bucket):
        raise RestoreError(f"a bucket {bucket} already exists; choose another --into")
    token = f"{into}-omero-data"
    taken = aws("efs").describe_file_systems(CreationToken=token).get("FileSystems", []) if file_system else []
    if taken:
        raise RestoreError(
            f"a file system with creation token {token} already exists in {aws.region} ({taken[0]['FileSystemId']}); choose another --into"
        )
    rds = aws("rds")
    try:
        rds.describe_db_instances(DBInstanceIdentifier=f"{into}-omero")
    except rds.exceptions.DBInstanceNotFoundFault:
        return
    raise RestoreError(f"a DB instance {into}-omero already exists in {aws.region}; choose another --into")


def _bucket_exists(aws: Aws, bucket: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        aws("s3").head_bucket(Bucket=bucket)
    except ClientError as error:
        if _code(error) in ("404", "NoSuchBucket", "NotFound"):
            return False
    return True  # ours, or someone else's (403): taken either way


def account_id(aws: Aws) -> str:
    return aws("sts").get_caller_identity()["Account"]


def start_bucket_restore(aws: Aws, point: RecoveryPoint, *, role_arn: str, bucket: str, kms_key_arn: str | None) -> str:
    """Start restoring the file gateway's bucket into a new bucket ``bucket``; the job id.

    AWS Backup Developer Guide, "Restore S3 data using AWS Backup": the metadata
    DestinationBucketName, NewBucket, Encrypted, EncryptionType (SSE-S3 or SSE-KMS) and KMSKey;
    the restore writes the latest version of each object. The objects are encrypted as the
    gateway writes them: with the bucket's key, or S3's AWS managed key (aws/s3) without one."""
    key = kms_key_arn or aws("kms").describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["Arn"]
    return aws("backup").start_restore_job(
        RecoveryPointArn=point.arn,
        IamRoleArn=role_arn,
        ResourceType="S3",
        Metadata={
            "DestinationBucketName": bucket,
            "NewBucket": "true",
            "Encrypted": "true",
            "EncryptionType": "SSE-KMS",
            "KMSKey": key,
        },
    )["RestoreJobId"]


def restore_file_system(
    aws: Aws,
    point: RecoveryPoint,
    *,
    role_arn: str,
    creation_token: str,
    performance_mode: str,
    kms_key_arn: str | None,
    wait: timedelta,
    poll_seconds: float,
    say: Callable[[str], None],
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """Start the EFS restore to a new file system, wait (bounded) for it; the new file system id."""
    job_id = start_file_system_restore(
        aws, point, role_arn=role_arn, creation_token=creation_token, performance_mode=performance_mode, kms_key_arn=kms_key_arn
    )
    say(f"Restore job {job_id} started (EFS {point.arn} to a new file system {creation_token}).")
    return wait_for_restore(aws, job_id, wait=wait, poll_seconds=poll_seconds, say=say, sleep=sleep)


def start_file_system_restore(
    aws: Aws, point: RecoveryPoint, *, role_arn: str, creation_token: str, performance_mode: str, kms_key_arn: str | None
) -> str:
    """Start the EFS restore to a new file system; the job id."""
    backup = aws("backup")
    metadata = {
        "file-system-id": point.resource_arn.rsplit("/", 1)[-1],
        "newFileSystem": "true",
        "CreationToken": creation_token,
        "Encrypted": "true",
        "PerformanceMode": performance_mode,
    }
    if kms_key_arn:
        metadata["KmsKeyId"] = kms_key_arn
    return backup.start_restore_job(
        RecoveryPointArn=point.arn,
        IamRoleArn=role_arn,
        ResourceType="EFS",
        Metadata=metadata,
    )["RestoreJobId"]


def wait_for_restore(
    aws: Aws,
    job_id: str,
    *,
    wait: timedelta,
    poll_seconds: float,
    say: Callable[[str], None],
    sleep: Callable[[float], None] = time.sleep,
    resume: str | None = None,
) -> str:
    """Poll a restore job until it ends, at most ``wait`` and as many polls; what it created (a
    file system id, a bucket name). ``resume``: the --resume-job arguments that go on waiting."""
    backup = aws("backup")
    polls = max(1, int(wait.total_seconds() // max(poll_seconds, 0.001)) + 1)
    deadline = time.monotonic() + wait.total_seconds()
    job: dict = {}
    for poll in range(polls):
        job = backup.describe_restore_job(RestoreJobId=job_id)
        status = job.get("Status", "")
        if status == COMPLETED:
            created = job.get("CreatedResourceArn", "")
            if not created:
                raise JobError(f"restore job {job_id} completed without naming what it created")
            # arn:...:file-system/fs-..., arn:aws:s3:::<bucket>
            return created.rsplit("/", 1)[-1].rsplit(":", 1)[-1]
        if status in ("ABORTED", "FAILED"):
            raise JobError(f"restore job {job_id} {status}: {job.get('StatusMessage', 'no message')}")
        if poll + 1 == polls or time.monotonic() >= deadline:
            break
        done = job.get("PercentDone")
        say(f"  {status or 'PENDING'}" + (f", {float(done):.0f} % done" if done not in (None, "") else ""))
        sleep(poll_seconds)
    raise JobError(
        f"restore job {job_id} is still {job.get('Status', 'PENDING')} after {describe_gap(wait)}; "
        f"follow it with aws backup describe-restore-job --restore-job-id {job_id} --region {aws.region}, "
        f"run the same command again with {resume or '--resume-job ' + job_id} to go on waiting and write the config"
    )


# --- the command --------------------------------------------------------------------------------


def _when(text: str) -> datetime:
    try:
        return parse_when(text)
    except RestoreError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = Parser(
        prog="pipenv run restore",
        description="Restore a deployment's latest AWS Backup recovery points into a new deployment and write its config.",
    )
    parser.add_argument("--config", required=True, type=Path, help="the source deployment's .hcl file")
    parser.add_argument("--into", required=True, help="name of the new (restored) deployment")
    parser.add_argument("--write", required=True, type=Path, help="where to write the restored deployment's .hcl file")
    parser.add_argument(
        "--before", type=_when, help="use recovery points created before this time (ISO 8601, UTC unless a zone is given)"
    )
    parser.add_argument(
        "--from-copy",
        action="store_true",
        help="restore from the copy vault in backup.copy_region (the new deployment lives there)",
    )
    parser.add_argument("--allow-gap", action="store_true", help="accept EFS and RDS points more than a day apart")
    parser.add_argument(
        "--kms-key-arn",
        help="with --from-copy: KMS key in the copy region for the restored file system, written to storage.kms_key_arn (needed when the source sets one)",
    )
    parser.add_argument("--wait-minutes", type=float, default=240.0, help="how long to wait for the EFS restore (default 240)")
    parser.add_argument("--poll-seconds", type=float, default=30.0, help="seconds between status checks (default 30)")
    parser.add_argument("--endpoint-url", help="send every AWS call here (an emulator)")
    parser.add_argument("--force", action="store_true", help="replace the --write file if it exists")
    parser.add_argument(
        "--resume-job",
        metavar="RESTORE_JOB_ID",
        action="append",
        help="wait for this restore job (started by an earlier run that gave up waiting) instead of starting one",
    )
    options = parser.parse_args(argv)
    if options.wait_minutes <= 0 or options.poll_seconds <= 0:
        parser.error("--wait-minutes and --poll-seconds must be positive")
    if options.kms_key_arn and not options.from_copy:
        parser.error(
            "--kms-key-arn only with --from-copy (otherwise the file system takes storage.kms_key_arn, as the storage stack expects)"
        )
    return options


def _copy_swap(source) -> dict[str, str]:
    """With --from-copy: the restored deployment copies back to the source's region."""
    backup = source.backup
    swap = {"copy_region": source.region}
    if backup.kms_key_arn:
        swap["copy_kms_key_arn"] = backup.kms_key_arn
    if backup.copy_kms_key_arn:
        swap["kms_key_arn"] = backup.copy_kms_key_arn
    return swap


@dataclass(frozen=True)
class Target:
    """Where the recovery points are and where the restored deployment lives."""

    region: str
    vault: str
    swap: dict[str, str] | None  # with --from-copy: backup settings pointing back home
    kms_key_arn: str | None  # for the restored file system
    share: bool  # the plan backs up the file gateway's bucket: restore it too


def _target(options: argparse.Namespace, source) -> Target:
    backup = source.backup
    if not backup.enabled:
        raise RestoreError(f"{options.config}: backup.enabled is false; {source.name} has no backup vault")
    share = share_bucket_under_backup(source)
    if not options.from_copy:
        return Target(source.region, f"{source.name}-omero", None, source.storage.kms_key_arn, share)
    region = backup.copy_region
    if not region:
        raise RestoreError(f"--from-copy: {options.config} sets no backup.copy_region")
    if source.storage.kms_key_arn and not options.kms_key_arn:
        raise RestoreError(
            f"--from-copy: storage.kms_key_arn is a key in {source.region}; give --kms-key-arn, a key in {region}, "
            "for the restored file system"
        )
    if share and source.file_gateway.kms_key_arn:
        raise RestoreError(
            f"--from-copy: file_gateway.kms_key_arn is a key in {source.region}; restore from the home vault, or set a key "
            f"in {region} (or none) in a copy of the config first"
        )
    kms_key_arn = options.kms_key_arn if source.storage.kms_key_arn else None
    return Target(region, f"{source.name}-omero-copy", _copy_swap(source), kms_key_arn, share)


def _resumed(
    aws: Aws, job_ids: Sequence[str], vault: str, points: list[RecoveryPoint]
) -> tuple[dict[str, str], list[RecoveryPoint]]:
    """The resumed jobs by resource type, and the points with each such type pinned to its job's."""
    jobs: dict[str, str] = {}
    for job_id in job_ids:
        job = describe_restore_job(aws, job_id)
        kind = job.get("ResourceType") or "EFS"
        jobs[kind] = job_id
        # The job's point, whatever points came since; the others chosen for it as before.
        points = [p for p in points if p.resource_type != kind or p.arn == job["RecoveryPointArn"]]
        if not any(p.resource_type == kind for p in points):
            raise RestoreError(f"restore job {job_id} restores {job['RecoveryPointArn']}, not a point of {vault}")
    return jobs, points


def _say_choice(say: Callable[[str], None], choice: Choice, heading: str) -> None:
    newer = "the database is newer" if choice.rds.created > choice.efs.created else "the files are newer"
    say(heading)
    for kind, point in (("EFS", choice.efs), ("RDS", choice.rds), ("S3", choice.s3)):
        if point is not None:
            say(f"  {kind} recovery point {point.arn}, created {point.created:%Y-%m-%d %H:%M:%S}Z (of {point.resource_arn})")
    say(f"  gap between them: {describe_gap(choice.gap)}" + (f" ({newer})" if choice.gap else ""))
    if choice.s3 is not None:
        say(f"  gap between the file system and the bucket: {describe_gap(choice.share_gap)}")


def _restore_all(
    aws: Aws, options: argparse.Namespace, source, target: Target, choice: Choice, jobs: dict[str, str], bucket: str | None, say
) -> tuple[str, str | None]:
    """Start what is not resumed, wait for all; the new file system id and bucket name."""
    role_arn = backup_role_arn(aws, source.name)
    check_names_free(aws, options.into, file_system="EFS" not in jobs, bucket=bucket if "S3" not in jobs else None)
    token = f"{options.into}-omero-data"
    started = dict(jobs)
    if "EFS" not in started:
        started["EFS"] = start_file_system_restore(
            aws,
            choice.efs,
            role_arn=role_arn,
            creation_token=token,
            performance_mode=source.storage.performance_mode,
            kms_key_arn=target.kms_key_arn,
        )
        say(f"Restore job {started['EFS']} started (EFS {choice.efs.arn} to a new file system {token}).")
    if bucket and choice.s3 is not None and "S3" not in started:
        started["S3"] = start_bucket_restore(
            aws, choice.s3, role_arn=role_arn, bucket=bucket, kms_key_arn=source.file_gateway.kms_key_arn
        )
        say(f"Restore job {started['S3']} started (S3 {choice.s3.arn} to a new bucket {bucket}).")
    resume = " ".join(f"--resume-job {job_id}" for job_id in started.values())
    wait = dict(wait=timedelta(minutes=options.wait_minutes), poll_seconds=options.poll_seconds, say=say, resume=resume)
    for kind in jobs:
        say(f"Waiting for restore job {jobs[kind]}.")
    file_system_id = wait_for_restore(aws, started["EFS"], **wait)
    if "EFS" in jobs:
        check_restored(aws, file_system_id, token)
    restored_bucket = wait_for_restore(aws, started["S3"], **wait) if "S3" in started else None
    if restored_bucket != bucket:
        raise RestoreError(f"--resume-job: the job's bucket {restored_bucket} is not {bucket}; check --into")
    return file_system_id, restored_bucket


def run(options: argparse.Namespace, say: Callable[[str], None] = print) -> int:
    try:
        source = load_deployment(options.config)
    except ToolError as error:
        raise RestoreError(str(error)) from None
    text = options.config.read_text(encoding="utf-8-sig")
    if options.into == source.name:
        raise RestoreError(f"--into {options.into!r} is the source deployment's own name; restore into a new one")
    if options.write.exists() and not options.force:
        raise RestoreError(f"{options.write} exists; pass --force to replace it")
    target = _target(options, source)
    creates_bucket = bool(source.state.bucket and source.state.create_bucket)

    def text_for(file_system_id: str, db_snapshot: str, bucket: str | None) -> str:
        return restored_text(
            text,
            name=options.into,
            file_system_id=file_system_id,
            db_snapshot=db_snapshot,
            source_name=source.name,
            region=target.region if options.from_copy else None,
            keep_state_bucket=creates_bucket,
            swap_copy=target.swap,
            storage_kms_key_arn=target.kms_key_arn if options.from_copy else None,
            share_bucket=bucket,
        )

    aws = Aws(target.region, options.endpoint_url)
    kinds = ("EFS", "RDS", "S3") if target.share else ("EFS", "RDS")
    jobs, points = _resumed(aws, options.resume_job or [], target.vault, recovery_points(aws, target.vault, kinds))
    choice = choose(points, before=options.before, allow_gap=options.allow_gap, share=target.share)
    bucket = share_bucket_name(options.into, account_id(aws), target.region) if target.share else None
    # The config must validate before hours of restoring: with the chosen snapshot and a stand-in id.
    check = dict(name=options.into, db_snapshot=choice.rds.arn, share_bucket=bucket)
    validated(text_for("fs-00000000", choice.rds.arn, bucket), str(options.write), file_system_id="fs-00000000", **check)

    _say_choice(say, choice, f"Restoring {source.name} ({target.vault}, {target.region}) into {options.into}:")
    file_system_id, bucket = _restore_all(aws, options, source, target, choice, jobs, bucket, say)
    written = text_for(file_system_id, choice.rds.arn, bucket)
    validated(written, str(options.write), file_system_id=file_system_id, **check)
    if options.write.exists() and not options.force:
        raise RestoreError(
            f"{options.write} appeared while restoring; the new file system is {file_system_id}; pass --force to replace the file"
        )
    options.write.write_text(written, encoding="utf-8")
    say(f"Restored file system {file_system_id} (creation token {options.into}-omero-data).")
    if bucket:
        say(f"Restored bucket {bucket} (the file gateway's, latest version of each object).")
    say(
        f'Wrote {options.write}: name = "{options.into}"'
        + (f', region = "{target.region}"' if options.from_copy else "")
        + ", restore_from { ... }"
        + (", state.create_bucket = false" if creates_bucket else "")
        + (", backup copies back to " + source.region if target.swap else "")
        + "."
    )
    say("")
    say(next_steps(options, source, file_system_id, bucket))
    return 0


def next_steps(options: argparse.Namespace, source, file_system_id: str, bucket: str | None = None) -> str:
    into, config = options.into, options.write
    return "\n".join(
        [
            "Next:",
            f"1. Synthesize and deploy {into} in order (network, storage, then the rest; pipenv run inspect --config {config} prints the order):",
            f"     OMERO_CONFIG={config} pipenv run synth",
            f"     terraform -chdir=cdktf.out/stacks/{into}-<stack> init && terraform -chdir=cdktf.out/stacks/{into}-<stack> apply",
            f"   The storage stack adopts {file_system_id} and creates the database {into}-omero from the snapshot"
            + (
                f";\n   the file-gateway stack adopts the bucket {bucket} behind a new gateway (activated as on a first deployment)."
                if bucket
                else "."
            ),
            "2. Before the services stack: move the files into place. A full EFS restore, also to a new file",
            "   system, puts everything under a recovery directory aws-backup-restore_<timestamp> at the file",
            "   system's root; OMERO's access point roots at /omero. From a host in the VPC allowed NFS (2049)",
            "   on the file system's security group and elasticfilesystem:ClientMount, ClientWrite and",
            "   ClientRootAccess, mount the root (amazon-efs-utils) and move it:",
            f"     sudo mount -t efs -o tls,iam {file_system_id}:/ /mnt/efs",
            "     ls -d /mnt/efs/aws-backup-restore_*   # exactly one",
            "     sudo mv /mnt/efs/aws-backup-restore_*/omero /mnt/efs/omero && sudo rmdir /mnt/efs/aws-backup-restore_*",
            "     sudo umount /mnt/efs",
            "3. OMERO afterwards: the restored database holds the old users, groups and OMERO root password.",
            f"   {into} gets new secrets: the database password is set anew on apply (password_wo) and the",
            f"   services read it; the root password secret of {into} is new, but OMERO's root password is the",
            f"   one in the restored database ({source.name}'s). Log in as root with that one, then change it or",
            f"   put it into {into}'s root password secret (the DropBox add-on reads that secret).",
            "   OMERO.web sessions do not survive (a new secret key): users log in again.",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    options = _parse(argv)
    try:
        return run(options)
    except RestoreError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except JobError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except ClientError as error:
        operation = getattr(error, "operation_name", "AWS")
        print(f"error: {operation}: {error.response.get('Error', {}).get('Message') or _code(error)}", file=sys.stderr)
        return 2
    except BotoCoreError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
