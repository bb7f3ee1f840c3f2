"""OMERO's binary repository (/OMERO) on EFS, with intelligent tiering.

Files not read for a while move to Infrequent Access (and optionally Archive) and come back to
primary storage on their first read. The file system is encrypted, reachable only over TLS, mounted
in every private subnet, and reached by OMERO through an access point that owns its directory as
the OMERO server user (uid/gid 1000), never as root.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
)
from cdktf_cdktf_provider_aws.ecs_task_definition import (
    EcsTaskDefinitionVolume,
    EcsTaskDefinitionVolumeEfsVolumeConfiguration,
    EcsTaskDefinitionVolumeEfsVolumeConfigurationAuthorizationConfig,
)
from cdktf_cdktf_provider_aws.efs_access_point import (
    EfsAccessPoint,
    EfsAccessPointPosixUser,
    EfsAccessPointRootDirectory,
    EfsAccessPointRootDirectoryCreationInfo,
)
from cdktf_cdktf_provider_aws.efs_backup_policy import EfsBackupPolicy, EfsBackupPolicyBackupPolicy
from cdktf_cdktf_provider_aws.efs_file_system import EfsFileSystem, EfsFileSystemLifecyclePolicy
from cdktf_cdktf_provider_aws.efs_file_system_policy import EfsFileSystemPolicy
from cdktf_cdktf_provider_aws.efs_mount_target import EfsMountTarget
from constructs import Construct

from modules.access import security_group
from modules.iam import allow, deny_when, when
from modules.omero_facts import OMERO_GID, OMERO_UID


def access_point_client(
    file_system_arn: str,
    access_point_arn: str,
    *,
    read_only: bool = False,
    sid: str | None = None,
) -> DataAwsIamPolicyDocumentStatement:
    """The IAM statement of a client that mounts the file system through the access point only:
    ``elasticfilesystem:ClientMount`` (and ``ClientWrite`` unless ``read_only``, so the file system
    itself refuses writes) on the file system, when ``elasticfilesystem:AccessPointArn`` is it."""
    actions = ["elasticfilesystem:ClientMount"] + ([] if read_only else ["elasticfilesystem:ClientWrite"])
    return allow(
        actions,
        [file_system_arn],
        sid=sid,
        condition=[when("StringEquals", "elasticfilesystem:AccessPointArn", access_point_arn)],
    )


@dataclass(frozen=True, kw_only=True)
class OmeroFileSystemProps:
    name: str  # prefixes names
    vpc_id: str
    subnet_ids: list[str]  # one mount target in each (the private subnets, one per AZ)
    subnet_count: int  # how many subnet_ids there are (they may be unresolved tokens)
    transition_to_ia: str = "AFTER_30_DAYS"
    transition_to_archive: str | None = None
    performance_mode: str = "generalPurpose"
    throughput_mode: str = "elastic"
    provisioned_throughput_mibps: int | None = None
    kms_key_arn: str | None = None  # AWS-managed key when None
    # A file system restored from a recovery point (creation token <name>-omero-data): adopted
    # by an import instead of creating an empty one.
    restored_file_system_id: str | None = None
    automatic_backups: bool = True


@dataclass(frozen=True, kw_only=True)
class OmeroFileSystemOutputs:
    file_system_id: str
    file_system_arn: str
    access_point_id: str
    access_point_arn: str
    # Clients (OMERO servers, add-ons) get NFS access by adding an ingress rule from their own
    # security group to this one.
    security_group_id: str

    def client_statement(self, *, read_only: bool = False, sid: str | None = None) -> DataAwsIamPolicyDocumentStatement:
        """The IAM statement that lets a role mount /OMERO through the access point (see access_point_client)."""
        return access_point_client(self.file_system_arn, self.access_point_arn, read_only=read_only, sid=sid)

    def task_volume(self, name: str = "omero-data") -> EcsTaskDefinitionVolume:
        """/OMERO as an ECS task volume: EFS through the access point, TLS in transit, IAM authorization."""
        return EcsTaskDefinitionVolume(
            name=name,
            efs_volume_configuration=EcsTaskDefinitionVolumeEfsVolumeConfiguration(
                file_system_id=self.file_system_id,
                transit_encryption="ENABLED",
                authorization_config=EcsTaskDefinitionVolumeEfsVolumeConfigurationAuthorizationConfig(
                    access_point_id=self.access_point_id, iam="ENABLED"
                ),
            ),
        )


class OmeroFileSystem(Construct):
    def __init__(self, scope: Construct, id: str, *, props: OmeroFileSystemProps):
        super().__init__(scope, id)
        lifecycle = [EfsFileSystemLifecyclePolicy(transition_to_ia=props.transition_to_ia)]
        if props.transition_to_archive:
            lifecycle.append(EfsFileSystemLifecyclePolicy(transition_to_archive=props.transition_to_archive))
        lifecycle.append(EfsFileSystemLifecyclePolicy(transition_to_primary_storage_class="AFTER_1_ACCESS"))

        self.file_system = EfsFileSystem(
            self,
            "file_system",
            creation_token=f"{props.name}-omero-data",
            encrypted=True,
            kms_key_id=props.kms_key_arn,
            performance_mode=props.performance_mode,
            throughput_mode=props.throughput_mode,
            provisioned_throughput_in_mibps=props.provisioned_throughput_mibps,
            lifecycle_policy=lifecycle,
            tags={"Name": f"{props.name}-omero-data"},
            # The images themselves: never destroyed by a plan.
            lifecycle=TerraformResourceLifecycle(prevent_destroy=True),
        )
        if props.restored_file_system_id:
            # Terraform adopts the restored file system and brings its settings in line; a
            # setting that cannot change in place (creation token, encryption, key, performance
            # mode) makes the plan fail on prevent_destroy instead of replacing it.
            self.file_system.import_from(props.restored_file_system_id)
        EfsBackupPolicy(
            self,
            "backup",
            file_system_id=self.file_system.id,
            backup_policy=EfsBackupPolicyBackupPolicy(status="ENABLED" if props.automatic_backups else "DISABLED"),
        )

        self.security_group = security_group(
            self,
            "security_group",
            name=f"{props.name}-omero-efs",
            vpc_id=props.vpc_id,
            description="EFS mount targets of the OMERO binary repository; NFS only from allowed clients.",
        )
        for i in range(props.subnet_count):
            EfsMountTarget(
                self,
                f"mount_target_{i}",
                file_system_id=self.file_system.id,
                subnet_id=props.subnet_ids[i],
                security_groups=[self.security_group.id],
            )

        self.access_point = EfsAccessPoint(
            self,
            "server_access_point",
            file_system_id=self.file_system.id,
            posix_user=EfsAccessPointPosixUser(uid=OMERO_UID, gid=OMERO_GID),
            root_directory=EfsAccessPointRootDirectory(
                path="/omero",
                creation_info=EfsAccessPointRootDirectoryCreationInfo(
                    owner_uid=OMERO_UID, owner_gid=OMERO_GID, permissions="750"
                ),
            ),
            tags={"Name": f"{props.name}-omero-server"},
        )

        # With a policy in place, only IAM-authorized clients may mount (the task roles grant
        # elasticfilesystem:ClientMount/ClientWrite on this file system), and only over TLS.
        policy = DataAwsIamPolicyDocument(
            self,
            "policy_document",
            statement=[
                deny_when(
                    "DenyInsecureTransport",
                    ["*"],
                    [self.file_system.arn],
                    test="Bool",
                    variable="aws:SecureTransport",
                    value="false",
                ),
            ],
        )
        EfsFileSystemPolicy(self, "policy", file_system_id=self.file_system.id, policy=policy.json)

        self.outputs = OmeroFileSystemOutputs(
            file_system_id=self.file_system.id,
            file_system_arn=self.file_system.arn,
            access_point_id=self.access_point.id,
            access_point_arn=self.access_point.arn,
            security_group_id=self.security_group.id,
        )
