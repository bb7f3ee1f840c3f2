"""What every EC2 host of this project has: instance metadata through IMDSv2 only, an encrypted gp3
root volume deleted with the instance, EBS-optimized, no public address; and, where operators
reach it, Session Manager instead of SSH.

:func:`hardened_instance` makes an ``aws_instance`` with all of it; the launch template of the
ECS container instances takes :func:`launch_template_metadata` and :func:`launch_template_root`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cdktf_cdktf_provider_aws.instance import Instance, InstanceMetadataOptions, InstanceRootBlockDevice
from cdktf_cdktf_provider_aws.launch_template import (
    LaunchTemplateBlockDeviceMappings,
    LaunchTemplateBlockDeviceMappingsEbs,
    LaunchTemplateMetadataOptions,
)
from constructs import Construct

# The AWS managed policy that lets the SSM agent register the host for Session Manager ("Step 2:
# Verify or add instance permissions for Session Manager", AWS Systems Manager User Guide).
SSM_CORE_POLICY = "AmazonSSMManagedInstanceCore"

# IMDSv2 only: every metadata request needs a session token (http_tokens "required"), and a token
# reaches no further than the host itself (a PUT response hop limit of 1, so a container on a bridge
# network gets none); instance tags are not served ("Configure the Instance Metadata Service
# options", Amazon EC2 User Guide; aws_instance metadata_options in hashicorp/terraform-provider-aws
# website/docs/r/instance.html.markdown).
IMDS = {
    "http_endpoint": "enabled",
    "http_tokens": "required",
    "http_put_response_hop_limit": 1,
    "instance_metadata_tags": "disabled",
}


def hardened_instance(
    scope: Construct,
    id: str,
    *,
    ami: str,
    instance_type: str,
    subnet_id: str,
    security_group_ids: list[str],
    root_volume_gb: int,
    kms_key_arn: str | None = None,
    root_tags: Mapping[str, str] | None = None,
    **options: Any,
) -> Instance:
    """An ``aws_instance`` ``id`` in a private subnet with IMDSv2 only and an encrypted root volume
    (the customer key ``kms_key_arn``, else aws/ebs; ``root_tags`` on it); ``options`` are the
    rest of ``aws_instance``'s arguments (instance profile, user data, monitoring, tags, ...)."""
    return Instance(
        scope,
        id,
        ami=ami,
        instance_type=instance_type,
        subnet_id=subnet_id,
        vpc_security_group_ids=security_group_ids,
        associate_public_ip_address=False,
        metadata_options=InstanceMetadataOptions(**IMDS),
        root_block_device=InstanceRootBlockDevice(
            volume_type="gp3",
            volume_size=root_volume_gb,
            encrypted=True,
            kms_key_id=kms_key_arn,
            delete_on_termination=True,
            tags=root_tags,
        ),
        ebs_optimized=True,
        **options,
    )


def launch_template_metadata() -> LaunchTemplateMetadataOptions:
    """IMDSv2 only, as on every host here (see ``IMDS``), for a launch template."""
    return LaunchTemplateMetadataOptions(**IMDS)


def launch_template_root(device_name: str, volume_gb: int) -> LaunchTemplateBlockDeviceMappings:
    """An encrypted gp3 root volume (aws/ebs) deleted with the instance, for a launch template;
    ``device_name`` is the image's root device (/dev/xvda on Amazon Linux)."""
    return LaunchTemplateBlockDeviceMappings(
        device_name=device_name,
        ebs=LaunchTemplateBlockDeviceMappingsEbs(
            volume_size=volume_gb, volume_type="gp3", encrypted="true", delete_on_termination="true"
        ),
    )
