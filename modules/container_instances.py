"""EC2 container instances for OMERO.server (the EC2 launch type), as an ECS capacity provider.

An Auto Scaling group of ECS-optimized Amazon Linux 2023 instances (the AMI id read from AWS's
public SSM parameter at plan time), launched from a template that requires IMDSv2 with a hop
limit of 1 (containers cannot reach the instance's credentials), encrypts the root volume, gives
no public IP and no SSH key: operators use SSM Session Manager or ECS Exec. ECS scales the group
between its bounds to fit the tasks.

New AMIs reach the hosts by themselves. The template reads the AMI id at every plan, so once AWS
publishes a new ECS-optimized AMI the next apply adds a template version, and the group, which
runs the template's latest version, starts an instance refresh (``instance_refresh``): one host
at a time, the new one launched and warmed up before the old one is terminated. ECS managed
draining holds each termination until the host's tasks are stopped and placed elsewhere. The
read-write OMERO.server's service allows at most 100 % and at least 0 % of its one task, so
ECS stops it on the draining host before it starts it on the new one: the refresh never runs two
read-write servers (ECS Developer Guide, "Container instance draining": with a maximum of 100 %
replacement tasks start only once the draining tasks have stopped).
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import Fn, TerraformResourceLifecycle, Token
from cdktf_cdktf_provider_aws.autoscaling_group import (
    AutoscalingGroup,
    AutoscalingGroupInstanceRefresh,
    AutoscalingGroupInstanceRefreshPreferences,
    AutoscalingGroupLaunchTemplate,
    AutoscalingGroupTag,
)
from cdktf_cdktf_provider_aws.data_aws_ssm_parameter import DataAwsSsmParameter
from cdktf_cdktf_provider_aws.ecs_capacity_provider import (
    EcsCapacityProvider,
    EcsCapacityProviderAutoScalingGroupProvider,
    EcsCapacityProviderAutoScalingGroupProviderManagedScaling,
)
from cdktf_cdktf_provider_aws.ecs_cluster_capacity_providers import EcsClusterCapacityProviders
from cdktf_cdktf_provider_aws.iam_instance_profile import IamInstanceProfile
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.launch_template import (
    LaunchTemplate,
    LaunchTemplateIamInstanceProfile,
    LaunchTemplateMonitoring,
    LaunchTemplateTagSpecifications,
)
from constructs import Construct

from modules.context import stack_context
from modules.hardened_instance import SSM_CORE_POLICY, launch_template_metadata, launch_template_root
from modules.iam import service_trust

AMI_PARAMETER = "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"
# AWS-managed policies the ECS and SSM agents on the instance need.
INSTANCE_POLICIES = (
    "service-role/AmazonEC2ContainerServiceforEC2Role",
    SSM_CORE_POLICY,
)
# Seconds a new host gets to boot and register with ECS before the refresh terminates the next old
# one (StartInstanceRefresh InstanceWarmup; the ECS agent registers within a minute or two of boot).
INSTANCE_WARMUP_SECONDS = 300


def rolling_refresh() -> AutoscalingGroupInstanceRefresh:
    """Replace hosts one at a time, launching each new one before the old one goes.

    A change of ``launch_template`` (a new version: a new AMI, instance type or user data) starts
    it (terraform-provider-aws, aws_autoscaling_group ``instance_refresh``: "A refresh will
    always be triggered by a change in any of launch_configuration, launch_template, or
    mixed_instances_policy"). Preferences (EC2 Auto Scaling API Reference, RefreshPreferences):
    - ``min_healthy_percentage`` 100 and ``max_healthy_percentage`` 200 (the range 100-200, at
      most 100 apart): capacity never drops below the desired count, so a new host is up before
      an old one is terminated, and the read-write server has somewhere to go.
    - ``scale_in_protected_instances`` "Refresh": every host is protected from scale-in (managed
      termination protection needs it), and the default skips (provider: "Ignore") or waits on
      (API: "Wait") protected hosts, so no host would ever be replaced. ECS says to refresh them
      when managed termination protection is on (ECS Developer Guide, "Safely stop Amazon ECS
      workloads running on EC2 instances").
    - ``skip_matching``: hosts already on the new template version are left alone.
    """
    return AutoscalingGroupInstanceRefresh(
        strategy="Rolling",
        preferences=AutoscalingGroupInstanceRefreshPreferences(
            min_healthy_percentage=100,
            max_healthy_percentage=200,
            instance_warmup=str(INSTANCE_WARMUP_SECONDS),
            scale_in_protected_instances="Refresh",
            skip_matching=True,
        ),
    )


@dataclass(frozen=True, kw_only=True)
class ContainerInstancesProps:
    name: str
    cluster_name: str
    subnet_ids: list[str]  # private subnets
    security_group_id: str
    instance_type: str = "m6i.xlarge"
    min_instances: int = 1
    max_instances: int = 2
    root_volume_gb: int = 50


def user_data(cluster_name: str) -> str:
    """The ECS agent's settings: join the cluster, run awsvpc tasks, block IMDS from tasks."""
    lines = [
        "#!/bin/bash",
        "cat >> /etc/ecs/ecs.config <<'EOF'",
        f"ECS_CLUSTER={cluster_name}",
        "ECS_ENABLE_TASK_IAM_ROLE=true",
        "ECS_AWSVPC_BLOCK_IMDS=true",
        "ECS_ENABLE_CONTAINER_METADATA=true",
        "ECS_CONTAINER_STOP_TIMEOUT=2m",
        "EOF",
    ]
    return "\n".join(lines) + "\n"


class ContainerInstances(Construct):
    def __init__(self, scope: Construct, id: str, *, props: ContainerInstancesProps):
        super().__init__(scope, id)
        prefix = f"{props.name}-omero-ecs-host"
        role = IamRole(
            self,
            "role",
            name=prefix,
            description="ECS container instances of OMERO.server: the ECS and SSM agents.",
            assume_role_policy=service_trust(self, "trust", "ec2.amazonaws.com"),
        )
        partition = stack_context(self).partition
        for index, policy in enumerate(INSTANCE_POLICIES):
            IamRolePolicyAttachment(
                self, f"policy_{index}", role=role.name, policy_arn=f"arn:{partition}:iam::aws:policy/{policy}"
            )
        profile = IamInstanceProfile(self, "profile", name=prefix, role=role.name)
        ami = DataAwsSsmParameter(self, "ami", name=AMI_PARAMETER)
        template = LaunchTemplate(
            self,
            "launch_template",
            name=prefix,
            description="ECS-optimized Amazon Linux 2023 for OMERO.server tasks.",
            image_id=ami.insecure_value,
            instance_type=props.instance_type,
            iam_instance_profile=LaunchTemplateIamInstanceProfile(arn=profile.arn),
            vpc_security_group_ids=[props.security_group_id],
            user_data=Fn.base64encode(user_data(props.cluster_name)),
            metadata_options=launch_template_metadata(),
            block_device_mappings=[launch_template_root("/dev/xvda", props.root_volume_gb)],
            monitoring=LaunchTemplateMonitoring(enabled=True),
            ebs_optimized="true",
            tag_specifications=[
                LaunchTemplateTagSpecifications(resource_type="instance", tags={"Name": prefix}),
                LaunchTemplateTagSpecifications(resource_type="volume", tags={"Name": prefix}),
            ],
            update_default_version=True,
        )
        group = AutoscalingGroup(
            self,
            "group",
            name=prefix,
            vpc_zone_identifier=props.subnet_ids,
            min_size=props.min_instances,
            max_size=props.max_instances,
            launch_template=AutoscalingGroupLaunchTemplate(id=template.id, version=Token.as_string(template.latest_version)),
            health_check_type="EC2",
            # New instances start protected from scale-in; ECS's managed termination protection
            # then lifts the protection only from instances that run no task, so a scale-in
            # never picks the host of the read-write server (ECS API Reference,
            # AutoScalingGroupProvider: managed termination protection needs scale-in
            # protection on the group, and managed scaling).
            protect_from_scale_in=True,
            # Protected instances would hold a delete of the group for ever: when the stack goes,
            # the services on them are gone first, so the group may terminate what is left.
            force_delete=True,
            # ECS manages the group's tag and size from here on.
            tag=[AutoscalingGroupTag(key="AmazonECSManaged", value="true", propagate_at_launch=True)],
            lifecycle=TerraformResourceLifecycle(ignore_changes=["desired_capacity"]),
            # New AMIs roll out host by host (see the module docstring).
            instance_refresh=rolling_refresh(),
        )
        self.capacity_provider = EcsCapacityProvider(
            self,
            "capacity_provider",
            name=prefix,
            auto_scaling_group_provider=EcsCapacityProviderAutoScalingGroupProvider(
                auto_scaling_group_arn=group.arn,
                managed_termination_protection="ENABLED",
                # ECS drains a host the group terminates (a refresh, a scale-in) before it goes:
                # its service tasks are stopped and placed on other hosts by their services'
                # deployment settings (CreateCapacityProvider, AutoScalingGroupProvider
                # managedDraining; AWS's default at creation, stated here so it stays on).
                managed_draining="ENABLED",
                managed_scaling=EcsCapacityProviderAutoScalingGroupProviderManagedScaling(
                    status="ENABLED", target_capacity=100, minimum_scaling_step_size=1, maximum_scaling_step_size=1
                ),
            ),
        )
        self.association = EcsClusterCapacityProviders(
            self,
            "cluster_capacity_providers",
            cluster_name=props.cluster_name,
            capacity_providers=[self.capacity_provider.name, "FARGATE"],
        )
        self.capacity_provider_name = self.capacity_provider.name
        self.group_name = group.name
