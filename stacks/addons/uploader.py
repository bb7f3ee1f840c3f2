"""The uploader add-on stack: An EC2 host with the OMERO CLI and /OMERO mounted.

Besides the host, this stack adds two ingress rules to groups of the core stacks: NFS on the
file system's group and 4064 on the OMERO servers' group, both from the host's group only (and
NFS on the S3 File Gateway's group when its share sits beside /OMERO).
"""

from __future__ import annotations

from constructs import Construct

from config import Deployment
from modules.addons.uploader import UploaderHost, UploaderHostProps
from modules.omero_facts import SERVER_PORT
from stacks.addons.base import AddonStack, CoreOutputs
from stacks.base import SynthSettings


class UploaderStack(AddonStack):
    def __init__(self, scope: Construct, *, deployment: Deployment, settings: SynthSettings, core: CoreOutputs):
        super().__init__(scope, deployment=deployment, settings=settings, core=core)
        config, region = deployment.uploader, deployment.region
        assert config.ice_wheel_sha256 is not None  # the config requires it with the add-on
        server_host = core.services.server_dns_name
        host = UploaderHost(
            self,
            "uploader",
            props=UploaderHostProps(
                name=deployment.name,
                vpc_id=core.network.vpc_id,
                # One reference per subnet, as many as there are AZs (subnet_index is checked against them).
                subnet_id=core.network.private_subnet_ids[config.subnet_index],
                file_system=core.file_system,
                server_security_group_id=core.services.server_security_group_id,
                server_host=server_host,
                instance_type=config.instance_type,
                root_volume_gb=config.root_volume_gb,
                kms_key_arn=config.kms_key_arn,
                java_package=config.java_package,
                omero_py_version=config.omero_py_version,
                ice_wheel_url=config.ice_wheel_url,
                ice_wheel_sha256=config.ice_wheel_sha256,
                status_parameter=f"/omero/{deployment.name}/uploader/first-boot",
                mount_path=config.mount_path,
                mount_read_only=config.mount_read_only,
                detailed_monitoring=config.detailed_monitoring,
                # With the zarr add-on: its bucket too (omero zarr import reads each image's metadata).
                read_bucket_names=config.read_bucket_names + ((core.zarr.bucket_name,) if core.zarr else ()),
                read_bucket_kms_key_arns=config.read_bucket_kms_key_arns
                + ((core.zarr.kms_key_arn,) if core.zarr and core.zarr.kms_key_arn else ()),
                import_share=core.data_share,
                cli_zarr=core.zarr is not None,
            ),
        ).outputs

        out = self.output
        out("uploader_instance_id", host.instance_id, "EC2 instance of the OMERO CLI uploader host.")
        out(
            "uploader_session_command",
            f"aws ssm start-session --region {region} --target {host.instance_id}",
            "A shell on the uploader host (Session Manager; needs the session-manager-plugin).",
        )
        out(
            "uploader_first_boot_status",
            f"aws ssm get-parameter --region {region} --name {host.status_parameter} --query Parameter.Value --output text",
            "How the host's first boot went: pending, ready: omero-py <version>, or failed: line <n>.",
        )
        out("omero_server_host", server_host, "Host name of the read-write OMERO.server for omero login, from inside the VPC.")
        out("omero_login_command", f"omero login -s {server_host} -p {SERVER_PORT}", "Log in to OMERO from the uploader host.")
        out("uploader_mount_path", config.mount_path, "Where the uploader host mounts OMERO's binary repository.")
