"""AWS Backup: selections, vault notifications and access policies, tags; backup, copy and restore
jobs with their recovery points."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import unquote

from emulator.patches import Patcher, patch


def _backup_routes(patcher: Patcher, *paths: str) -> None:
    """Route these paths (regular expressions under the service's base) to moto's backup handler.

    moto finds the operation from the method and the path with botocore's model; its url map only
    has to let the request through. Must run before the server builds its backup app."""
    from moto.backup import urls
    from moto.backup.responses import BackupResponse

    for path in paths:
        patcher.setdefault(urls.url_paths, "{0}" + path, BackupResponse.dispatch)


def _not_found(message: str):
    from moto.backup.exceptions import ResourceNotFoundException

    return ResourceNotFoundException(msg=message)


# Selections, vault notifications and vault access policies (BackupResponse methods)


def _plan_of(self):
    plan_id = self.uri_match["backupPlanId"]
    plan = self.backup_backend.plans.get(plan_id)
    if plan is None or plan.deletion_date is not None:
        raise _not_found(f"Failed reading Backup plan {plan_id}")
    return plan


def _selections(self) -> dict[str, dict]:
    # plan id -> selection id -> selection, on the region's backend (reset with it)
    return self.backup_backend.__dict__.setdefault("_selections", {}).setdefault(self.uri_match["backupPlanId"], {})


def _vault_of(self):
    return self.backup_backend.describe_backup_vault(self.uri_match["backupVaultName"])


def create_backup_selection(self):
    from moto.core.utils import unix_time
    from moto.moto_api._internal import mock_random

    _plan_of(self)
    selection = {
        "SelectionId": str(mock_random.uuid4()),
        "BackupPlanId": self.uri_match["backupPlanId"],
        "BackupSelection": self._get_param("BackupSelection"),
        "CreationDate": unix_time(),
        "CreatorRequestId": self._get_param("CreatorRequestId"),
    }
    _selections(self)[selection["SelectionId"]] = selection
    return json.dumps({key: selection[key] for key in ("SelectionId", "BackupPlanId", "CreationDate")})


def get_backup_selection(self):
    _plan_of(self)
    selection = _selections(self).get(self.uri_match["selectionId"])
    if selection is None:
        raise _not_found(f"Failed reading Backup selection {self.uri_match['selectionId']}")
    return json.dumps({key: value for key, value in selection.items() if value is not None})


def delete_backup_selection(self):
    _plan_of(self)
    if _selections(self).pop(self.uri_match["selectionId"], None) is None:
        raise _not_found(f"Failed reading Backup selection {self.uri_match['selectionId']}")
    return "{}"


def list_backup_selections(self):
    _plan_of(self)
    listed = [
        {
            "SelectionId": s["SelectionId"],
            "SelectionName": s["BackupSelection"]["SelectionName"],
            "BackupPlanId": s["BackupPlanId"],
            "CreationDate": s["CreationDate"],
            "IamRoleArn": s["BackupSelection"]["IamRoleArn"],
            **({"CreatorRequestId": s["CreatorRequestId"]} if s["CreatorRequestId"] else {}),
        }
        for s in _selections(self).values()
    ]
    return json.dumps({"BackupSelectionsList": listed})


def put_backup_vault_notifications(self):
    _vault_of(self).__dict__["_notifications"] = {
        "SNSTopicArn": self._get_param("SNSTopicArn"),
        "BackupVaultEvents": self._get_param("BackupVaultEvents"),
    }
    return "{}"


def get_backup_vault_notifications(self):
    vault = _vault_of(self)
    found = vault.__dict__.get("_notifications")
    if found is None:
        raise _not_found(f"Backup vault {vault.backup_vault_name} has no notifications")
    return json.dumps({"BackupVaultName": vault.backup_vault_name, "BackupVaultArn": vault.backup_vault_arn, **found})


def delete_backup_vault_notifications(self):
    _vault_of(self).__dict__.pop("_notifications", None)
    return "{}"


def put_backup_vault_access_policy(self):
    _vault_of(self).__dict__["_policy"] = self._get_param("Policy")
    return "{}"


def get_backup_vault_access_policy(self):
    vault = _vault_of(self)
    policy = vault.__dict__.get("_policy")
    if policy is None:
        raise _not_found(f"Backup vault {vault.backup_vault_name} has no access policy")
    return json.dumps({"BackupVaultName": vault.backup_vault_name, "BackupVaultArn": vault.backup_vault_arn, "Policy": policy})


def delete_backup_vault_access_policy(self):
    _vault_of(self).__dict__.pop("_policy", None)
    return "{}"


def list_tags(self):
    arn = unquote(self.path.split("/tags/", 1)[1].split("?", 1)[0].rstrip("/"))
    return json.dumps({"Tags": self.backup_backend.list_tags(resource_arn=arn)})


@patch(
    "backup selections, vault notifications and vault access policies",
    (
        "moto 5.2.5 routes none of CreateBackupSelection, GetBackupSelection, "
        "DeleteBackupSelection, ListBackupSelections, Put/Get/DeleteBackupVaultNotifications and "
        "Put/Get/DeleteBackupVaultAccessPolicy (404 or 500), so aws_backup_selection, "
        "aws_backup_vault_notifications and aws_backup_vault_policy cannot be created. Here they "
        "are kept per plan and per vault and answered as AWS does (ResourceNotFoundException "
        "when absent, so the provider sees a deleted resource as gone), and DeleteBackupPlan "
        "refuses a plan that still has selections, as AWS does. moto's ListTags also takes the "
        "path segment before the last one as the ARN (the model's /tags/{arn}/), but the Go SDK "
        "sends /tags/{arn} without the slash, so every vault and plan lost its tags; here the "
        "ARN is read after /tags/."
    ),
)
def selections_notifications_policies(patcher: Patcher) -> None:
    from moto.backup.exceptions import InvalidRequestException
    from moto.backup.models import BackupBackend
    from moto.backup.responses import BackupResponse

    _backup_routes(
        patcher,
        r"/backup/plans/(?P<plan>[^/]+)/selections/$",
        r"/backup/plans/(?P<plan>[^/]+)/selections/(?P<selection>[^/]+)/?$",
        r"/backup-vaults/(?P<vault>[^/]+)/notification-configuration/?$",
        r"/backup-vaults/(?P<vault>[^/]+)/access-policy/?$",
    )
    delete_plan = BackupBackend.delete_backup_plan

    def delete_backup_plan(self, backup_plan_id: str):
        if self.__dict__.get("_selections", {}).get(backup_plan_id):
            raise InvalidRequestException(msg="Related backup plan selections must be deleted prior to backup plan deletion")
        return delete_plan(self, backup_plan_id)

    patcher.setattr(BackupBackend, "delete_backup_plan", delete_backup_plan)
    patcher.setattr(BackupResponse, "list_tags", list_tags)
    for handler in (
        create_backup_selection,
        get_backup_selection,
        delete_backup_selection,
        list_backup_selections,
        put_backup_vault_notifications,
        get_backup_vault_notifications,
        delete_backup_vault_notifications,
        put_backup_vault_access_policy,
        get_backup_vault_access_policy,
        delete_backup_vault_access_policy,
    ):
        patcher.setattr(BackupResponse, handler.__name__, handler)


# Backup, copy and restore jobs and recovery points (BackupResponse methods)


def _state(backend, kind: str) -> dict:
    # recovery points (vault name -> ARN -> point), backup/copy/restore jobs (id -> job)
    return backend.__dict__.setdefault(f"_{kind}", {})


def _compact(record: dict) -> str:
    return json.dumps({key: value for key, value in record.items() if value is not None})


def _job_id() -> str:
    from moto.moto_api._internal import mock_random

    return str(mock_random.uuid4()).upper()


def _resource_of(arn: str) -> tuple[str, str, str]:
    """(resource type, region, id) of an EFS file system, RDS instance or S3 bucket ARN (a bucket's
    ARN has no region: "" then)."""
    from moto.backup.exceptions import InvalidParameterValueException

    parts = arn.split(":", 5)
    if len(parts) == 6 and parts[2] == "s3" and parts[5] and "/" not in parts[5]:
        return "S3", "", parts[5]
    if len(parts) == 6 and parts[2] == "elasticfilesystem" and parts[5].startswith("file-system/"):
        return "EFS", parts[3], parts[5].split("/", 1)[1]
    if len(parts) == 6 and parts[2] == "rds" and parts[5].startswith("db:"):
        return "RDS", parts[3], parts[5].split(":", 1)[1]
    raise InvalidParameterValueException(msg=f"Unsupported resource ARN for a backup: {arn}")


def _add_point(backend, vault, **point) -> dict:
    from moto.core.utils import unix_time

    now = unix_time()
    point = {
        "BackupVaultName": vault.backup_vault_name,
        "BackupVaultArn": vault.backup_vault_arn,
        "Status": "COMPLETED",
        "CreationDate": now,
        "CompletionDate": now,
        "EncryptionKeyArn": vault.encryption_key_arn,
        "IsEncrypted": True,
        "StorageClass": "WARM",
        "BackupSizeInBytes": 0,
        **point,
    }
    _state(backend, "recovery_points").setdefault(vault.backup_vault_name, {})[point["RecoveryPointArn"]] = point
    vault.num_of_recovery_points += 1
    return point


def _snapshot_arn(backend, name: str) -> str:
    return f"arn:aws:rds:{backend.region_name}:{backend.account_id}:snapshot:{name}"


def start_backup_job(self):
    from moto.efs.models import efs_backends
    from moto.moto_api._internal import mock_random
    from moto.rds.models import rds_backends

    backend = self.backup_backend
    vault = backend.describe_backup_vault(self._get_param("BackupVaultName"))
    resource_arn, identifier = self._get_param("ResourceArn"), _job_id()
    resource_type, region, resource_id = _resource_of(resource_arn)
    if resource_type == "S3":
        contents = _bucket_contents(self.current_account, backend.region_name, resource_id)
        if contents is None:
            return _failed_backup_job(
                self, vault, identifier, resource_arn, f"Versioning must be enabled on the bucket {resource_id} to back it up"
            )
        point_arn = (
            f"arn:aws:backup:{backend.region_name}:{self.current_account}:recovery-point:{resource_id}-{mock_random.uuid4()}"
        )
        _state(backend, "s3_contents")[point_arn] = contents
    elif resource_type == "EFS":
        if resource_id not in efs_backends[self.current_account][region].file_systems_by_id:
            raise _not_found(f"Resource {resource_arn} not found")
        point_arn = f"arn:aws:backup:{backend.region_name}:{self.current_account}:recovery-point:{mock_random.uuid4()}"
    else:
        rds = rds_backends[self.current_account][region]
        name = f"awsbackup:job-{identifier.lower()}"
        rds.create_db_snapshot(resource_id, name, snapshot_type="awsbackup", tags=[])
        point_arn = _snapshot_arn(rds, name)
    point = _add_point(
        backend,
        vault,
        RecoveryPointArn=point_arn,
        ResourceArn=resource_arn,
        ResourceType=resource_type,
        ResourceName=resource_id,
        IamRoleArn=self._get_param("IamRoleArn"),
        Lifecycle=self._get_param("Lifecycle"),
        CreatedBy={"BackupPlanId": "on-demand"},
    )
    _state(backend, "backup_jobs")[identifier] = {
        "AccountId": self.current_account,
        "BackupJobId": identifier,
        "BackupVaultName": vault.backup_vault_name,
        "BackupVaultArn": vault.backup_vault_arn,
        "RecoveryPointArn": point_arn,
        "ResourceArn": resource_arn,
        "ResourceType": resource_type,
        "CreationDate": point["CreationDate"],
        "CompletionDate": point["CompletionDate"],
        "State": "COMPLETED",
        "PercentDone": "100.0",
        "IamRoleArn": point["IamRoleArn"],
        "BackupSizeInBytes": 0,
    }
    return json.dumps({"BackupJobId": identifier, "RecoveryPointArn": point_arn, "CreationDate": point["CreationDate"]})


def _s3(account: str, region: str):
    from moto.s3.models import s3_backends
    from moto.utilities.utils import get_partition

    return s3_backends[account][get_partition(region)]


def _bucket_contents(account: str, region: str, bucket_name: str) -> dict[str, bytes] | None:
    """The current objects of a bucket (key -> bytes), None when its versioning is not enabled, as
    AWS Backup requires for S3 (AWS Backup Developer Guide, "Amazon S3 backups")."""
    from moto.s3.models import FakeKey

    bucket = _s3(account, region).get_bucket(bucket_name)  # NoSuchBucket when it is not there
    if bucket.versioning_status != "Enabled":
        return None
    return {name: key.value for name, key in bucket.keys.items() if isinstance(key, FakeKey)}


def _failed_backup_job(self, vault, identifier: str, resource_arn: str, message: str) -> str:
    from moto.core.utils import unix_time

    _state(self.backup_backend, "backup_jobs")[identifier] = {
        "AccountId": self.current_account,
        "BackupJobId": identifier,
        "BackupVaultName": vault.backup_vault_name,
        "BackupVaultArn": vault.backup_vault_arn,
        "ResourceArn": resource_arn,
        "ResourceType": "S3",
        "CreationDate": unix_time(),
        "State": "FAILED",
        "StatusMessage": message,
        "IamRoleArn": self._get_param("IamRoleArn"),
    }
    return json.dumps({"BackupJobId": identifier})


def describe_backup_job(self):
    job = _state(self.backup_backend, "backup_jobs").get(self.uri_match["backupJobId"])
    if job is None:
        raise _not_found(f"Backup job {self.uri_match['backupJobId']} not found")
    return _compact(job)


# ListBackupJobs' filters (query parameter: the job's field), AWS Backup API reference, ListBackupJobs.
_JOB_FILTERS = {
    "backupVaultName": "BackupVaultName",
    "resourceArn": "ResourceArn",
    "resourceType": "ResourceType",
    "state": "State",
}


def list_backup_jobs(self):
    wanted = {field: self.querystring[name][0] for name, field in _JOB_FILTERS.items() if self.querystring.get(name)}
    jobs = [j for j in _state(self.backup_backend, "backup_jobs").values() if all(j.get(f) == v for f, v in wanted.items())]
    return json.dumps({"BackupJobs": sorted(jobs, key=lambda j: j["CreationDate"], reverse=True)})


def _vault_points(self) -> dict:
    vault = self.backup_backend.describe_backup_vault(self.uri_match["backupVaultName"])
    return _state(self.backup_backend, "recovery_points").get(vault.backup_vault_name, {})


def list_recovery_points_by_backup_vault(self):
    def when(name: str) -> float | None:
        value = self.querystring.get(name, [None])[0]
        return datetime.fromisoformat(value).replace(tzinfo=UTC).timestamp() if value else None

    kind, resource = self.querystring.get("resourceType", [None])[0], self.querystring.get("resourceArn", [None])[0]
    before, after = when("createdBefore"), when("createdAfter")
    points = [
        p
        for p in _vault_points(self).values()
        if (kind is None or p["ResourceType"] == kind)
        and (resource is None or p["ResourceArn"] == resource)
        and (before is None or p["CreationDate"] < before)
        and (after is None or p["CreationDate"] > after)
    ]
    return json.dumps({"RecoveryPoints": points})


def describe_recovery_point(self):
    arn = unquote(self.uri_match["recoveryPointArn"])
    point = _vault_points(self).get(arn)
    if point is None:
        raise _not_found(f"Recovery point {arn} not found")
    return _compact(point)


def _copy_recovery_point(self, point: dict, region: str, identifier: str) -> str:
    """The ARN of a copy of ``point`` in ``region``: for RDS a new awsbackup snapshot there."""
    from moto.moto_api._internal import mock_random
    from moto.rds.models import DBSnapshot, rds_backends

    if point["ResourceType"] != "RDS":
        return f"arn:aws:backup:{region}:{self.current_account}:recovery-point:{mock_random.uuid4()}"
    source_rds = rds_backends[self.current_account][point["RecoveryPointArn"].split(":")[3]]
    snapshot = source_rds.get_db_snapshot(point["RecoveryPointArn"])
    rds = rds_backends[self.current_account][region]
    copy_name = f"awsbackup:copyjob-{identifier.lower()}"
    rds.database_snapshots[copy_name] = DBSnapshot(
        rds,
        snapshot.database,
        copy_name,
        "awsbackup",
        [],
        snapshot.original_snapshot_create_time,
    )
    return _snapshot_arn(rds, copy_name)


def start_copy_job(self):
    from moto.backup.models import backup_backends

    source = self.backup_backend.describe_backup_vault(self._get_param("SourceBackupVaultName"))
    point = (
        _state(self.backup_backend, "recovery_points").get(source.backup_vault_name, {}).get(self._get_param("RecoveryPointArn"))
    )
    if point is None:
        raise _not_found(f"Recovery point {self._get_param('RecoveryPointArn')} not found")
    destination_arn = self._get_param("DestinationBackupVaultArn")
    region, name = destination_arn.split(":")[3], destination_arn.split(":")[-1]
    destination = backup_backends[self.current_account][region]
    vault, identifier = destination.describe_backup_vault(name), _job_id()
    copy_arn = _copy_recovery_point(self, point, region, identifier)
    if point["ResourceType"] == "S3":
        _state(destination, "s3_contents")[copy_arn] = _state(self.backup_backend, "s3_contents")[point["RecoveryPointArn"]]
    copied = _add_point(
        destination,
        vault,
        RecoveryPointArn=copy_arn,
        SourceBackupVaultArn=source.backup_vault_arn,
        ResourceArn=point["ResourceArn"],
        ResourceType=point["ResourceType"],
        ResourceName=point.get("ResourceName"),
        IamRoleArn=self._get_param("IamRoleArn"),
        Lifecycle=self._get_param("Lifecycle"),
    )
    _state(self.backup_backend, "copy_jobs")[identifier] = {
        "AccountId": self.current_account,
        "CopyJobId": identifier,
        "SourceBackupVaultArn": source.backup_vault_arn,
        "SourceRecoveryPointArn": point["RecoveryPointArn"],
        "DestinationBackupVaultArn": vault.backup_vault_arn,
        "DestinationRecoveryPointArn": copy_arn,
        "ResourceArn": point["ResourceArn"],
        "ResourceType": point["ResourceType"],
        "CreationDate": copied["CreationDate"],
        "CompletionDate": copied["CompletionDate"],
        "State": "COMPLETED",
        "IamRoleArn": copied["IamRoleArn"],
        "BackupSizeInBytes": 0,
    }
    return json.dumps({"CopyJobId": identifier, "CreationDate": copied["CreationDate"], "IsParent": False})


def describe_copy_job(self):
    job = _state(self.backup_backend, "copy_jobs").get(self.uri_match["copyJobId"])
    if job is None:
        raise _not_found(f"Copy job {self.uri_match['copyJobId']} not found")
    return json.dumps({"CopyJob": {key: value for key, value in job.items() if value is not None}})


def start_restore_job(self):
    from moto.backup.exceptions import InvalidParameterValueException
    from moto.core.utils import unix_time
    from moto.efs.models import efs_backends

    backend, arn = self.backup_backend, self._get_param("RecoveryPointArn")
    point = next((p[arn] for p in _state(backend, "recovery_points").values() if arn in p), None)
    if point is None:
        raise _not_found(f"Recovery point {arn} not found")
    metadata = self._get_param("Metadata") or {}
    if point["ResourceType"] == "S3":
        return _start_bucket_restore(self, point, metadata)
    if point["ResourceType"] != "EFS" or str(metadata.get("newFileSystem")).lower() != "true":
        raise InvalidParameterValueException(msg="This emulator restores EFS recovery points to a new file system only")
    identifier = _job_id()
    job = {
        "AccountId": self.current_account,
        "RestoreJobId": identifier,
        "RecoveryPointArn": arn,
        "SourceResourceArn": point["ResourceArn"],
        "BackupVaultArn": point["BackupVaultArn"],
        "CreationDate": unix_time(),
        "Status": "RUNNING",
        "PercentDone": "0.0",
        "IamRoleArn": self._get_param("IamRoleArn"),
        "ResourceType": "EFS",
        "RecoveryPointCreationDate": point["CreationDate"],
        "BackupSizeInBytes": 0,
    }
    efs = efs_backends[self.current_account][backend.region_name]
    token = metadata.get("CreationToken") or identifier
    if token in efs.creation_tokens:
        job.update(Status="FAILED", StatusMessage=f"File system with creation token {token} already exists")
    else:
        encrypted = str(metadata.get("Encrypted", "false")).lower() == "true"
        file_system = efs.create_file_system(
            creation_token=token,
            performance_mode=metadata.get("PerformanceMode") or "generalPurpose",
            encrypted=encrypted,
            kms_key_id=metadata.get("KmsKeyId"),
            throughput_mode="bursting",
            provisioned_throughput_in_mibps=None,
            availability_zone_name=None,
            backup=False,
            tags=[],
        )
        job["_created"] = (
            f"arn:aws:elasticfilesystem:{backend.region_name}:{self.current_account}:file-system/{file_system.file_system_id}"
        )
    _state(backend, "restore_jobs")[identifier] = job
    return json.dumps({"RestoreJobId": identifier})


def _start_bucket_restore(self, point: dict, metadata: dict) -> str:
    """Restore an S3 point into a new bucket (NewBucket true, DestinationBucketName), versioned, each
    object written with the asked encryption (EncryptionType SSE-S3 or SSE-KMS, KMSKey): the
    metadata of "Restore S3 data using AWS Backup" (AWS Backup Developer Guide)."""
    from moto.backup.exceptions import InvalidParameterValueException
    from moto.core.utils import unix_time

    backend, identifier = self.backup_backend, _job_id()
    name = metadata.get("DestinationBucketName") or ""
    if str(metadata.get("NewBucket")).lower() != "true" or not name:
        raise InvalidParameterValueException(msg="This emulator restores S3 recovery points to a new bucket only")
    job = {
        "AccountId": self.current_account,
        "RestoreJobId": identifier,
        "RecoveryPointArn": point["RecoveryPointArn"],
        "SourceResourceArn": point["ResourceArn"],
        "BackupVaultArn": point["BackupVaultArn"],
        "CreationDate": unix_time(),
        "Status": "RUNNING",
        "PercentDone": "0.0",
        "IamRoleArn": self._get_param("IamRoleArn"),
        "ResourceType": "S3",
        "RecoveryPointCreationDate": point["CreationDate"],
        "BackupSizeInBytes": 0,
    }
    s3 = _s3(self.current_account, backend.region_name)
    try:
        s3.create_bucket(name, backend.region_name)
    except Exception as error:  # BucketAlreadyExists, InvalidBucketName: the job fails, as in AWS
        job.update(Status="FAILED", StatusMessage=f"Cannot create the bucket {name}: {type(error).__name__}")
    else:
        s3.put_bucket_versioning(name, "Enabled")
        kms = metadata.get("EncryptionType") == "SSE-KMS"
        for key, value in _state(backend, "s3_contents")[point["RecoveryPointArn"]].items():
            s3.put_object(
                name, key, value, encryption="aws:kms" if kms else "AES256", kms_key_id=metadata.get("KMSKey") if kms else None
            )
        job["_created"] = f"arn:aws:s3:::{name}"
    _state(backend, "restore_jobs")[identifier] = job
    return json.dumps({"RestoreJobId": identifier})


def describe_restore_job(self):
    from moto.core.utils import unix_time

    job = _state(self.backup_backend, "restore_jobs").get(self.uri_match["restoreJobId"])
    if job is None:
        raise _not_found(f"Restore job {self.uri_match['restoreJobId']} not found")
    shown = {key: value for key, value in job.items() if not key.startswith("_")}
    if job["Status"] == "RUNNING":
        # Reported running once, as a real restore is for a while; complete from then on.
        job.update(Status="COMPLETED", PercentDone="100.0", CompletionDate=unix_time(), CreatedResourceArn=job.pop("_created"))
    return _compact(shown)


@patch(
    "backup jobs, recovery points, copies and restores",
    (
        "moto 5.2.5 has no StartBackupJob, DescribeBackupJob, ListBackupJobs, ListRecoveryPointsByBackupVault, "
        "DescribeRecoveryPoint, StartCopyJob, DescribeCopyJob, StartRestoreJob or "
        "DescribeRestoreJob, so the restore command (tools/restore.py) has nothing to read or "
        "start. Here a backup job completes at once and records a COMPLETED recovery point: for "
        "an EFS file system an AWS Backup recovery point ARN, for an S3 bucket (versioning enabled, "
        "else the job FAILS as AWS requires) a point holding a copy of its current objects, for an RDS instance a real DB "
        "snapshot in moto's RDS backend named as AWS Backup names it (awsbackup:job-<id>, type "
        "awsbackup; its ARN is the recovery point ARN), so a DB instance can be created from it "
        "with snapshot_identifier. A copy job copies the point into the destination vault "
        "(its region's backend; an RDS copy is a snapshot awsbackup:copyjob-<id> there). An "
        "EFS restore job with newFileSystem creates a file system in moto's EFS backend with "
        "the requested CreationToken, Encrypted, KmsKeyId and PerformanceMode (FAILED, as in "
        "AWS, when the creation token is taken); an S3 restore job with NewBucket creates the bucket "
        "DestinationBucketName, versioned, with the point's objects (FAILED when the bucket exists); both report RUNNING once, then COMPLETED with "
        "CreatedResourceArn. DescribeDBSnapshots finds an awsbackup snapshot when it is asked "
        "for by its identifier, as AWS does. ListBackupJobs lists the jobs newest first, by "
        "vault, resource, resource type and state (what pipenv run verify asks)."
    ),
)
def jobs_and_restores(patcher: Patcher) -> None:
    from moto.backup.responses import BackupResponse
    from moto.rds.models import RDSBackend

    _backup_routes(
        patcher,
        r"/backup-jobs/$",
        r"/backup-jobs/(?P<job>[^/]+)/?$",
        r"/copy-jobs/$",
        r"/copy-jobs/(?P<job>[^/]+)/?$",
        r"/restore-jobs/$",
        r"/restore-jobs/(?P<job>[^/]+)/?$",
        r"/backup-vaults/(?P<vault>[^/]+)/recovery-points/$",
        r"/backup-vaults/(?P<vault>[^/]+)/recovery-points/(?P<point>.+)$",
    )
    describe_snapshots = RDSBackend.describe_db_snapshots

    def describe_db_snapshots(self, db_instance_identifier, db_snapshot_identifier=None, snapshot_type=None, filters=None):
        found = self.database_snapshots.get(db_snapshot_identifier or "")
        if found is not None and found.snapshot_type == "awsbackup" and snapshot_type is None and not filters:
            if db_instance_identifier in (None, found.db_instance_identifier):
                return [found]
        return describe_snapshots(self, db_instance_identifier, db_snapshot_identifier, snapshot_type, filters)

    patcher.setattr(RDSBackend, "describe_db_snapshots", describe_db_snapshots)
    for handler in (
        start_backup_job,
        describe_backup_job,
        list_backup_jobs,
        list_recovery_points_by_backup_vault,
        describe_recovery_point,
        start_copy_job,
        describe_copy_job,
        start_restore_job,
        describe_restore_job,
    ):
        patcher.setattr(BackupResponse, handler.__name__, handler)
