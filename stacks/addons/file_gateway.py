"""The file-gateway add-on stack: an S3 File Gateway whose NFS share OMERO.server mounts.

With ``file_gateway.role = "repository"`` the share holds /OMERO (instead of EFS); with
``"import"`` it is mounted beside /OMERO at ``file_gateway.mount_path`` for in-place import.
Deployed before the services stack, which mounts the share in the OMERO.server tasks on the EC2
container instances and lets those instances reach the gateway's NFS ports.
"""

from __future__ import annotations

from constructs import Construct

from config import Deployment
from config.catalog import role_of
from modules.addons.file_gateway import FileGateway, FileGatewayProps
from modules.network import NetworkOutputs
from modules.omero_facts import NfsShare
from stacks.base import DeploymentStack, SynthSettings


class FileGatewayStack(DeploymentStack):
    share: NfsShare

    def __init__(self, scope: Construct, *, deployment: Deployment, settings: SynthSettings, network: NetworkOutputs):
        super().__init__(scope, role_of(FileGatewayStack), deployment=deployment, settings=settings)
        config = deployment.file_gateway
        gateway = FileGateway(
            self,
            "file_gateway",
            props=FileGatewayProps(
                name=deployment.name,
                vpc_id=network.vpc_id,
                vpc_cidr=network.vpc_cidr,
                subnet_id=network.private_subnet_ids[0],
                availability_zone=network.availability_zones[0],
                instance_type=config.instance_type,
                cache_volume_gb=config.cache_gb,
                ami_id=config.ami_id,
                bucket_name=config.bucket_name,
                restored_bucket=deployment.restore_from.share_bucket,
                storage_class=config.storage_class,
                noncurrent_version_days=config.noncurrent_version_days,
                cache_refresh_seconds=config.cache_refresh_seconds,
                activation_key=config.activation_key,
                activation_cidrs=config.activation_cidrs,
                timezone=config.timezone,
                kms_key_arn=config.kms_key_arn,
                log_retention_days=config.log_retention_days,
            ),
        ).outputs
        self.outputs = gateway
        self.share = NfsShare(
            host=gateway.host,
            path=gateway.share_path,
            container_path=config.container_path,
            security_group_id=gateway.security_group_id,
        )

        out = self.output
        out("gateway_arn", gateway.gateway_arn, "The S3 File Gateway.")
        out("share_arn", gateway.share_arn, "The NFS file share.")
        out("share_path", gateway.share_path, "The NFS export OMERO.server mounts.")
        out("share_host", gateway.host, "Private IP address of the gateway appliance (the NFS server).")
        out("bucket", gateway.bucket, "S3 bucket behind the share.")
        out("mounted_at", config.container_path, "Where OMERO.server sees the share.")
        out("mount_command", gateway.mount_command, "Mount the share by hand from a host in the VPC (e.g. to check it).")
        out("log_group", gateway.log_group_name, "The gateway's health and file audit logs.")
