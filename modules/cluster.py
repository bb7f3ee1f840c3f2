"""The ECS cluster of a deployment and the private DNS namespace its services register in.

ECS Exec is audited: every session's commands and output go to a log group of their own
(encrypted with the customer key when one is configured, which then also encrypts the session).
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.ecs_cluster import (
    EcsCluster,
    EcsClusterConfiguration,
    EcsClusterConfigurationExecuteCommandConfiguration,
    EcsClusterConfigurationExecuteCommandConfigurationLogConfiguration,
    EcsClusterSetting,
)
from cdktf_cdktf_provider_aws.service_discovery_private_dns_namespace import ServiceDiscoveryPrivateDnsNamespace
from constructs import Construct

from modules.logs import log_group


@dataclass(frozen=True, kw_only=True)
class OmeroClusterProps:
    name: str  # prefixes names
    vpc_id: str
    container_insights: str = "enhanced"  # enhanced | enabled | disabled
    log_retention_days: int = 90
    logs_kms_key_arn: str | None = None


@dataclass(frozen=True, kw_only=True)
class OmeroClusterOutputs:
    cluster_name: str
    cluster_arn: str
    namespace_id: str
    namespace_name: str  # services are reachable as <service>.<namespace_name>
    exec_log_group_name: str
    exec_log_group_arn: str
    kms_key_arn: str | None  # encrypts ECS Exec sessions and every log group of the services


class OmeroCluster(Construct):
    def __init__(self, scope: Construct, id: str, *, props: OmeroClusterProps):
        super().__init__(scope, id)
        exec_logs = log_group(
            self,
            "exec_logs",
            name=f"/omero/{props.name}/ecs-exec",
            retention_days=props.log_retention_days,
            kms_key_arn=props.logs_kms_key_arn,
        )
        self.cluster = EcsCluster(
            self,
            "cluster",
            name=f"{props.name}-omero",
            setting=[EcsClusterSetting(name="containerInsights", value=props.container_insights)],
            configuration=EcsClusterConfiguration(
                execute_command_configuration=EcsClusterConfigurationExecuteCommandConfiguration(
                    kms_key_id=props.logs_kms_key_arn,
                    logging="OVERRIDE",
                    log_configuration=EcsClusterConfigurationExecuteCommandConfigurationLogConfiguration(
                        cloud_watch_log_group_name=exec_logs.name,
                        cloud_watch_encryption_enabled=props.logs_kms_key_arn is not None,
                    ),
                )
            ),
        )
        namespace_name = f"{props.name}.internal"
        namespace = ServiceDiscoveryPrivateDnsNamespace(
            self,
            "namespace",
            name=namespace_name,
            vpc=props.vpc_id,
            description=f"Service discovery for the OMERO deployment {props.name}.",
        )
        self.outputs = OmeroClusterOutputs(
            cluster_name=self.cluster.name,
            cluster_arn=self.cluster.arn,
            namespace_id=namespace.id,
            namespace_name=namespace_name,
            exec_log_group_name=exec_logs.name,
            exec_log_group_arn=exec_logs.arn,
            kms_key_arn=props.logs_kms_key_arn,
        )
