"""DataSync from an S3 bucket into /OMERO: a landing bucket, two locations and a scheduled task.

Files uploaded to the bucket (a new one, or an existing one given by name) are copied on a
schedule into a directory of OMERO's binary repository on EFS. DataSync mounts EFS through the
OMERO server's access point, over TLS, with an IAM role of its own: the files are written as the
OMERO server user (uid/gid 1000) under the access point's root, which OMERO.server sees as
/OMERO. Its network interfaces sit in one private subnet, in a security group that may only open
NFS to the file system's mount targets. Reading the bucket uses a second role that can only read
the source prefix. The task logs to a log group with a retention period, which only this
account's DataSync tasks may write to.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.cloudwatch_log_resource_policy import CloudwatchLogResourcePolicy
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
)
from cdktf_cdktf_provider_aws.datasync_location_efs import DatasyncLocationEfs, DatasyncLocationEfsEc2Config
from cdktf_cdktf_provider_aws.datasync_location_s3 import DatasyncLocationS3, DatasyncLocationS3S3Config
from cdktf_cdktf_provider_aws.datasync_task import (
    DatasyncTask,
    DatasyncTaskExcludes,
    DatasyncTaskIncludes,
    DatasyncTaskOptions,
    DatasyncTaskSchedule,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from modules.access import NFS_PORT, allow_from, security_group
from modules.buckets import Versions, hardened_bucket
from modules.context import stack_context
from modules.efs import OmeroFileSystemOutputs
from modules.iam import allow, allow_service, role_policy, service_trust, when
from modules.logs import log_group

DATASYNC = "datasync.amazonaws.com"
MIB = 1024 * 1024


# ---------------------------------------------------------------------------------------------
# The landing bucket
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class LandingBucketProps:
    bucket_prefix: str  # S3 appends a unique suffix
    kms_key_arn: str | None = None  # the AWS-managed aws/s3 key when None
    noncurrent_version_days: int = 30  # how long replaced or deleted versions are kept
    expire_after_days: int | None = None  # objects are deleted this long after upload; None: kept


@dataclass(frozen=True, kw_only=True)
class LandingBucketOutputs:
    bucket: str
    arn: str


class LandingBucket(Construct):
    """Where instruments and users drop files for OMERO: versioned, SSE-KMS, private, TLS only."""

    def __init__(self, scope: Construct, id: str, *, props: LandingBucketProps):
        super().__init__(scope, id)
        bucket = hardened_bucket(
            self,
            name_prefix=props.bucket_prefix,
            kms_key_arn=props.kms_key_arn,
            versions=Versions(
                rule_id="expire-old-versions",
                noncurrent_days=props.noncurrent_version_days,
                expire_days=props.expire_after_days or None,
            ),
            prevent_destroy=False,
            policy_document_id="policy_document",
        ).bucket
        self.outputs = LandingBucketOutputs(bucket=bucket.bucket, arn=bucket.arn)


# ---------------------------------------------------------------------------------------------
# The transfer into /OMERO
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class OmeroDataSyncProps:
    name: str  # prefixes names
    vpc_id: str
    subnet_id: str  # a private subnet in an AZ with an EFS mount target; DataSync's interfaces go here
    # /OMERO: written through OMERO.server's access point (uid/gid 1000, root /omero); its security
    # group gets an NFS ingress rule from DataSync's.
    file_system: OmeroFileSystemOutputs
    bucket: str
    bucket_arn: str
    bucket_kms_key_arn: str | None = None  # a customer key the bucket's objects are encrypted with
    source_prefix: str = "/"
    destination_path: str = "/incoming"  # under /OMERO
    schedule: str | None = "rate(1 hour)"  # None: started by hand only
    verify_mode: str = "ONLY_FILES_TRANSFERRED"
    overwrite_mode: str = "NEVER"
    preserve_deleted_files: str = "PRESERVE"
    excludes: tuple[str, ...] = ()
    includes: tuple[str, ...] = ()
    bandwidth_limit_mibps: int | None = None  # None: no cap
    log_level: str = "TRANSFER"
    log_retention_days: int = 90
    logs_kms_key_arn: str | None = None  # CloudWatch Logs' own encryption when None


@dataclass(frozen=True, kw_only=True)
class OmeroDataSyncOutputs:
    task_arn: str
    task_name: str
    log_group_name: str
    security_group_id: str
    source_location_arn: str
    destination_location_arn: str


class OmeroDataSync(Construct):
    def __init__(self, scope: Construct, id: str, *, props: OmeroDataSyncProps):
        super().__init__(scope, id)
        p = props
        self._aws = aws = stack_context(self)
        self._policies: dict[str, IamRolePolicy] = {}  # by role key: locations wait for them
        task_name = f"{p.name}-omero-datasync"
        tasks_of_this_account = f"arn:{aws.partition}:datasync:{aws.region}:{aws.account_id}:task/*"

        # --- network: NFS to the mount targets, nothing else --------------------------------
        self.security_group = security_group(
            self,
            "security_group",
            name=f"{p.name}-omero-datasync",
            vpc_id=p.vpc_id,
            description="DataSync network interfaces: NFS out to the OMERO file system only; no ingress.",
        )
        allow_from(
            self,
            "to_efs",
            self.security_group.id,
            p.file_system.security_group_id,
            NFS_PORT,
            "EFS (NFS over TLS)",
            clients="EFS (NFS over TLS) clients: DataSync",
        )

        # --- reading the bucket: the source prefix, read only --------------------------------
        prefix = p.source_prefix.strip("/")
        objects = f"{p.bucket_arn}/{prefix}/*" if prefix else f"{p.bucket_arn}/*"
        read = [
            allow(["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"], [p.bucket_arn]),
            allow(
                [
                    "s3:GetObject",
                    "s3:GetObjectTagging",
                    "s3:GetObjectVersion",
                    "s3:GetObjectVersionTagging",
                    "s3:ListMultipartUploadParts",
                ],
                [objects],
            ),
        ]
        if p.bucket_kms_key_arn:
            read.append(
                allow(
                    ["kms:Decrypt"],
                    [p.bucket_kms_key_arn],
                    condition=[when("StringEquals", "kms:ViaService", f"s3.{aws.region}.amazonaws.com")],
                )
            )
        self.bucket_role = self._role(
            "bucket",
            f"{p.name}-datasync-source",
            f"Lets DataSync read s3://{p.bucket}/{prefix} for {task_name}.",
            read,
        )

        # --- writing to /OMERO: through OMERO.server's access point only ---------------------
        self.file_system_role = self._role(
            "file_system",
            f"{p.name}-datasync-efs",
            f"Lets DataSync mount the OMERO file system through the OMERO server access point for {task_name}.",
            [p.file_system.client_statement()],
        )

        # --- locations ------------------------------------------------------------------------
        self.source = DatasyncLocationS3(
            self,
            "source",
            s3_bucket_arn=p.bucket_arn,
            subdirectory=f"/{prefix}/" if prefix else "/",
            s3_config=DatasyncLocationS3S3Config(bucket_access_role_arn=self.bucket_role.arn),
            tags={"Name": f"{p.name}-omero-datasync-source"},
            # DataSync tests the role when the location is made: the policy must be in place.
            depends_on=[self._policies["bucket"]],
        )
        self.destination = DatasyncLocationEfs(
            self,
            "destination",
            efs_file_system_arn=p.file_system.file_system_arn,
            access_point_arn=p.file_system.access_point_arn,
            file_system_access_role_arn=self.file_system_role.arn,
            # Required with an access point or an access role; the file system denies plain NFS.
            in_transit_encryption="TLS1_2",
            subdirectory=p.destination_path,  # relative to the access point's root, i.e. /OMERO
            ec2_config=DatasyncLocationEfsEc2Config(
                subnet_arn=f"arn:{aws.partition}:ec2:{aws.region}:{aws.account_id}:subnet/{p.subnet_id}",
                security_group_arns=[self.security_group.arn],
            ),
            tags={"Name": f"{p.name}-omero-datasync-destination"},
            depends_on=[self._policies["file_system"]],
        )

        # --- log group that only this account's DataSync tasks may write to -----------------
        self.log_group = log_group(
            self,
            "log_group",
            name=f"/aws/datasync/{p.name}/omero-datasync",
            retention_days=p.log_retention_days,
            kms_key_arn=p.logs_kms_key_arn,
        )
        log_policy = DataAwsIamPolicyDocument(
            self,
            "log_policy_document",
            statement=[
                allow_service(
                    "DataSyncTaskLogs",
                    DATASYNC,
                    ["logs:CreateLogStream", "logs:PutLogEvents"],
                    [f"{self.log_group.arn}:*"],
                    source_account=aws.account_id,
                    source_arn=tasks_of_this_account,
                )
            ],
        )
        log_access = CloudwatchLogResourcePolicy(
            self,
            "log_policy",
            policy_name=f"{p.name}-omero-datasync",
            policy_document=log_policy.json,
        )

        # --- the task -----------------------------------------------------------------------
        self.task = DatasyncTask(
            self,
            "task",
            name=task_name,
            source_location_arn=self.source.arn,
            destination_location_arn=self.destination.arn,
            cloudwatch_log_group_arn=self.log_group.arn,
            schedule=DatasyncTaskSchedule(schedule_expression=p.schedule) if p.schedule else None,
            excludes=DatasyncTaskExcludes(filter_type="SIMPLE_PATTERN", value="|".join(p.excludes)) if p.excludes else None,
            includes=DatasyncTaskIncludes(filter_type="SIMPLE_PATTERN", value="|".join(p.includes)) if p.includes else None,
            options=DatasyncTaskOptions(
                verify_mode=p.verify_mode,
                overwrite_mode=p.overwrite_mode,
                preserve_deleted_files=p.preserve_deleted_files,
                transfer_mode="CHANGED",
                # The access point writes every file as uid/gid 1000 whatever DataSync asks, and
                # S3 objects carry no POSIX metadata: copying ownership or permissions would only
                # make verification fail. Modification times are kept.
                uid="NONE",
                gid="NONE",
                posix_permissions="NONE",
                atime="BEST_EFFORT",
                mtime="PRESERVE",
                object_tags="NONE",
                preserve_devices="NONE",
                task_queueing="ENABLED",
                bytes_per_second=p.bandwidth_limit_mibps * MIB if p.bandwidth_limit_mibps else -1,
                log_level=p.log_level,
            ),
            tags={"Name": task_name},
            depends_on=[log_access],
        )

        self.outputs = OmeroDataSyncOutputs(
            task_arn=self.task.arn,
            task_name=task_name,
            log_group_name=self.log_group.name,
            security_group_id=self.security_group.id,
            source_location_arn=self.source.arn,
            destination_location_arn=self.destination.arn,
        )

    def _role(self, key: str, name: str, description: str, statements: list[DataAwsIamPolicyDocumentStatement]) -> IamRole:
        trust = service_trust(self, f"{key}_trust", DATASYNC, source_account=self._aws.account_id)
        role = IamRole(self, f"{key}_role", name=name, description=description, assume_role_policy=trust)
        self._policies[key] = role_policy(
            self,
            f"{key}_policy",
            role_id=role.id,
            name=key.replace("_", "-"),
            document_id=f"{key}_document",
            statements=statements,
        )
        return role
