"""An S3 File Gateway on EC2 serving one S3 bucket to the OMERO servers as an NFS share.

The appliance runs from AWS's Storage Gateway AMI in a private subnet: IMDSv2 only, no public IP,
no SSH key, encrypted root and cache volumes. Terraform activates it (with a key fetched by hand,
or by asking the appliance for one over port 80 of its private IP from where Terraform runs),
gives it its cache disk and creates the NFS share: the bucket behind it is encrypted, closed to
the public and to plain HTTP, and reached through a role the gateway assumes that may do only
what AWS documents a file share needs, on that bucket only. NFS clients are limited to the VPC
by the share and to the OMERO container instances by the security group (rules added by the
services stack, which owns the instances' group); files appear as owned by the OMERO server user
(uid/gid 1000), root is squashed, and the gateway's health and file audit logs go to a log group
with retention.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.data_aws_s3_bucket import DataAwsS3Bucket
from cdktf_cdktf_provider_aws.data_aws_ssm_parameter import DataAwsSsmParameter
from cdktf_cdktf_provider_aws.data_aws_storagegateway_local_disk import DataAwsStoragegatewayLocalDisk
from cdktf_cdktf_provider_aws.ebs_volume import EbsVolume
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from cdktf_cdktf_provider_aws.storagegateway_cache import StoragegatewayCache
from cdktf_cdktf_provider_aws.storagegateway_gateway import StoragegatewayGateway
from cdktf_cdktf_provider_aws.storagegateway_nfs_file_share import (
    StoragegatewayNfsFileShare,
    StoragegatewayNfsFileShareCacheAttributes,
    StoragegatewayNfsFileShareNfsFileShareDefaults,
)
from cdktf_cdktf_provider_aws.volume_attachment import VolumeAttachment
from constructs import Construct

from config.addons.file_gateway import share_bucket_name
from modules.access import https_out, rule, security_group
from modules.buckets import Versions, hardened_bucket
from modules.context import stack_context
from modules.hardened_instance import hardened_instance
from modules.iam import allow, role_policy, service_trust
from modules.kms import account_statement
from modules.logs import log_group
from modules.omero_facts import NFS_OPTIONS, OMERO_GID, OMERO_UID

AMI_PARAMETER = "/aws/service/storagegateway/ami/FILE_S3/latest"
# The cache volume's device name. The gateway reports it as the disk's node; its disk path is the
# kernel's name, /dev/nvme1n1 on Nitro instances (every type the config accepts), so the cache
# disk is looked up by node (hashicorp/terraform-provider-aws#5589, fixed by disk_node in #5595;
# the provider's own acceptance test rewrites xvdb to nvme1n1 for disk_path on non-m4 types).
CACHE_DEVICE = "/dev/xvdb"
ROOT_VOLUME_GB = 80  # AWS's size for the appliance's root disk
ACTIVATION_PORT = 80

# What a file share's role may do on its bucket, as AWS documents it for S3 File Gateway.
BUCKET_ACTIONS = (
    "s3:GetAccelerateConfiguration",
    "s3:GetBucketLocation",
    "s3:GetBucketVersioning",
    "s3:ListBucket",
    "s3:ListBucketVersions",
    "s3:ListBucketMultipartUploads",
)
OBJECT_ACTIONS = (
    "s3:AbortMultipartUpload",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:GetObject",
    "s3:GetObjectAcl",
    "s3:GetObjectVersion",
    "s3:ListMultipartUploadParts",
    "s3:PutObject",
    "s3:PutObjectAcl",
)
KMS_ACTIONS = ("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey", "kms:DescribeKey")


@dataclass(frozen=True, kw_only=True)
class FileGatewayProps:
    name: str  # the deployment name; prefixes names
    vpc_id: str
    vpc_cidr: str  # the only NFS clients the share accepts
    subnet_id: str  # a private subnet
    availability_zone: str  # of subnet_id (the cache volume must be in it)
    instance_type: str = "m5.xlarge"
    cache_volume_gb: int = 150
    ami_id: str | None = None  # None: the current AMI from AWS's public SSM parameter, kept once launched
    bucket_name: str | None = None  # an existing bucket; None: create one
    # A bucket AWS Backup restored, named as the one this deployment creates: adopted by an import.
    restored_bucket: str | None = None
    storage_class: str = "S3_INTELLIGENT_TIERING"
    noncurrent_version_days: int = 30  # for a created bucket
    cache_refresh_seconds: int = 300  # 0: never re-read the bucket's listing by itself
    activation_key: str | None = None  # None: Terraform fetches one from the appliance's private IP
    activation_cidrs: tuple[str, ...] = ()  # may reach port 80 for the key (required without activation_key)
    timezone: str = "GMT"
    kms_key_arn: str | None = None  # None: AWS-managed keys
    log_retention_days: int = 365


@dataclass(frozen=True, kw_only=True)
class FileGatewayOutputs:
    gateway_arn: str
    share_arn: str
    share_path: str  # the NFS export, e.g. "/<bucket>"
    bucket: str
    bucket_arn: str
    host: str  # the appliance's private IP, where clients mount the share
    security_group_id: str  # NFS clients get an ingress rule to this group
    log_group_name: str
    # What CloudWatch keys the gateway's metrics by (AWS/StorageGateway: GatewayId and GatewayName
    # together) and the appliance's EC2 instance.
    gateway_id: str = ""
    gateway_name: str = ""
    instance_id: str = ""

    @property
    def mount_command(self) -> str:
        return f"mount -t nfs -o {NFS_OPTIONS} {self.host}:{self.share_path} /mnt/omero-share"


class ShareBucket(Construct):
    """The bucket behind the share: created (secure by default) or an existing one."""

    def __init__(self, scope: Construct, id: str, *, props: FileGatewayProps, kms_key_arn: str | None):
        super().__init__(scope, id)
        if props.bucket_name is not None:
            existing = DataAwsS3Bucket(self, "existing", bucket=props.bucket_name)
            self.name, self.arn = existing.bucket, existing.arn
            return
        aws = stack_context(self)
        bucket = hardened_bucket(
            self,
            name=share_bucket_name(props.name, aws.account_id, aws.region),
            kms_key_arn=kms_key_arn,
            versions=Versions(rule_id="expire-replaced-versions", noncurrent_days=props.noncurrent_version_days),
            # It may hold OMERO's binary repository: never deleted by a destroy.
            prevent_destroy=True,
        ).bucket
        if props.restored_bucket:
            # Terraform adopts the bucket pipenv run restore made and brings its settings in line
            # (an aws_s3_bucket is imported by its name).
            bucket.import_from(props.restored_bucket)
        self.name, self.arn = bucket.bucket, bucket.arn


class FileGateway(Construct):
    def __init__(self, scope: Construct, id: str, *, props: FileGatewayProps):
        super().__init__(scope, id)
        if props.activation_key is None and not props.activation_cidrs:
            raise ValueError("activation by IP needs the networks Terraform runs from (activation_cidrs)")
        prefix = f"{props.name}-omero-file-gateway"
        # The key of the bucket's default encryption and of every object the share writes: the
        # configured one, else one made for a bucket created here. Without a key the share would
        # write SSE-S3 objects whatever the bucket's default ("KMSEncrypted: true to use SSE-KMS
        # with your own KMS key, false to use a key managed by Amazon S3", Storage Gateway API
        # Reference, CreateNFSFileShare); an existing bucket's objects stay as its owner has them.
        share_key = props.kms_key_arn or (None if props.bucket_name else share_key_arn(self, props))
        bucket = ShareBucket(self, "bucket", props=props, kms_key_arn=share_key)

        # --- the appliance ---
        group = security_group(
            self,
            "security_group",
            name=prefix,
            vpc_id=props.vpc_id,
            description="S3 File Gateway: NFS from the OMERO container instances; HTTPS out to AWS.",
        )
        # Storage Gateway's endpoints, S3 and activation are all HTTPS.
        https_out(self, "https_out", group.id, description="HTTPS out: Storage Gateway, S3, CloudWatch")
        # The appliance hands out its activation key on port 80: to Terraform (activation by IP),
        # or to a host from which an operator fetches the key before setting activation_key.
        activation_rules = []
        for index, cidr in enumerate(props.activation_cidrs):
            activation_rules.append(
                rule(
                    self,
                    f"activation_{index}_in",
                    group.id,
                    ACTIVATION_PORT,
                    inbound=True,
                    cidr=cidr,
                    description=f"Gateway activation key from {cidr}",
                )
            )

        if props.ami_id:
            image, keep = props.ami_id, []
        else:
            image = DataAwsSsmParameter(self, "ami", name=AMI_PARAMETER).insecure_value
            # The parameter moves with every AWS release; the gateway updates its software itself
            # in its maintenance window, so a newer AMI must not replace the running appliance.
            keep = ["ami"]
        instance = hardened_instance(
            self,
            "instance",
            ami=image,
            instance_type=props.instance_type,
            subnet_id=props.subnet_id,
            security_group_ids=[group.id],
            root_volume_gb=ROOT_VOLUME_GB,
            kms_key_arn=props.kms_key_arn,
            monitoring=True,
            volume_tags={"Name": prefix},
            tags={"Name": prefix},
            lifecycle=TerraformResourceLifecycle(ignore_changes=keep) if keep else None,
        )
        cache_volume = EbsVolume(
            self,
            "cache_volume",
            availability_zone=props.availability_zone,
            size=props.cache_volume_gb,
            type="gp3",
            encrypted=True,
            kms_key_id=props.kms_key_arn,
            tags={"Name": f"{prefix}-cache"},
            # The gateway keeps using a cache disk at the size it had when it was added; AWS's
            # guidance is to add cache disks, never to resize one ("When adding cache to an existing
            # gateway, create new disks ... Do not change the size of previously allocated disks",
            # AWS training "Planning and designing an S3 File Gateway deployment"). A new default or
            # cache_volume_gb therefore sizes new gateways only.
            lifecycle=TerraformResourceLifecycle(ignore_changes=["size"]),
        )
        attachment = VolumeAttachment(
            self,
            "cache_attachment",
            device_name=CACHE_DEVICE,
            instance_id=instance.id,
            volume_id=cache_volume.id,
            # Flush the cache to S3 by stopping the appliance before its disk goes.
            stop_instance_before_detaching=True,
        )

        # --- the gateway ---
        logs = log_group(
            self,
            "logs",
            name=f"/omero/{props.name}/file-gateway",
            retention_days=props.log_retention_days,
            kms_key_arn=props.kms_key_arn,
        )
        activation = (
            dict(activation_key=props.activation_key)
            if props.activation_key
            else dict(gateway_ip_address=instance.private_ip, depends_on=activation_rules)
        )
        gateway = StoragegatewayGateway(
            self,
            "gateway",
            gateway_name=prefix,
            gateway_type="FILE_S3",
            gateway_timezone=props.timezone,
            cloudwatch_log_group_arn=logs.arn,
            tags={"Name": prefix},
            **activation,
        )
        disk = DataAwsStoragegatewayLocalDisk(
            self,
            "cache_disk",
            gateway_arn=gateway.arn,
            disk_node=attachment.device_name,
        )
        cache = StoragegatewayCache(self, "cache", gateway_arn=gateway.arn, disk_id=disk.disk_id)

        # --- the share ---
        bucket_and_objects = [allow(list(BUCKET_ACTIONS), [bucket.arn]), allow(list(OBJECT_ACTIONS), [f"{bucket.arn}/*"])]
        if share_key:
            bucket_and_objects.append(allow(list(KMS_ACTIONS), [share_key]))
        role = IamRole(
            self,
            "role",
            name=prefix,
            description="The S3 File Gateway's access to the bucket behind OMERO's NFS share.",
            assume_role_policy=service_trust(
                self, "trust", "storagegateway.amazonaws.com", source_account=stack_context(self).account_id
            ),
        )
        role_policy(
            self,
            "role_policy",
            role_id=role.id,
            name="share-bucket",
            document_id="share_bucket",
            statements=bucket_and_objects,
        )
        share = StoragegatewayNfsFileShare(
            self,
            "share",
            gateway_arn=gateway.arn,
            location_arn=bucket.arn,
            role_arn=role.arn,
            client_list=[props.vpc_cidr],
            squash="RootSquash",
            read_only=False,
            default_storage_class=props.storage_class,
            # Objects belong to the bucket owner (ACLs are off on the created bucket).
            object_acl="bucket-owner-full-control",
            kms_encrypted=share_key is not None,
            kms_key_arn=share_key,
            nfs_file_share_defaults=StoragegatewayNfsFileShareNfsFileShareDefaults(
                owner_id=str(OMERO_UID),
                group_id=str(OMERO_GID),
                file_mode="0644",
                directory_mode="0755",
            ),
            cache_attributes=StoragegatewayNfsFileShareCacheAttributes(
                cache_stale_timeout_in_seconds=props.cache_refresh_seconds,
            )
            if props.cache_refresh_seconds
            else None,
            audit_destination_arn=logs.arn,
            tags={"Name": prefix},
            depends_on=[cache],
        )
        self.outputs = FileGatewayOutputs(
            gateway_arn=gateway.arn,
            share_arn=share.arn,
            share_path=share.path,
            bucket=bucket.name,
            bucket_arn=bucket.arn,
            host=instance.private_ip,
            security_group_id=group.id,
            log_group_name=logs.name,
            gateway_id=gateway.gateway_id,
            gateway_name=prefix,
            instance_id=instance.id,
        )


def share_key_arn(scope: Construct, props: FileGatewayProps) -> str:
    """A KMS key made for the created bucket and the share's objects (rotated, kept by plans: every
    object is encrypted with it). Its policy delegates to IAM: the gateway's role uses it through
    its role policy, AWS Backup through AWS's S3 backup policy (kms:Decrypt via S3)."""
    aws = stack_context(scope)
    policy = {"Version": "2012-10-17", "Statement": [account_statement(aws.partition, aws.account_id)]}
    key = KmsKey(
        scope,
        "share_key",
        description=f"Encrypts the objects of the S3 File Gateway share of {props.name}.",
        enable_key_rotation=True,
        deletion_window_in_days=30,
        policy=json.dumps(policy),
        lifecycle=TerraformResourceLifecycle(prevent_destroy=True),
    )
    KmsAlias(scope, "share_key_alias", name=f"alias/{props.name}-omero-share", target_key_id=key.key_id)
    return key.arn
