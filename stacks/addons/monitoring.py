"""The monitoring add-on stack: CloudWatch dashboard and alarms for a deployment."""

from __future__ import annotations

from constructs import Construct

from config import Deployment
from modules.addons.monitoring import (
    AlarmTopic,
    AlarmTopicProps,
    BackupAlerts,
    BackupAlertsProps,
    OmeroAlarms,
    OmeroAlarmsProps,
    OmeroDashboard,
    OmeroDashboardProps,
    Thresholds,
    WatchedDeployment,
    WatchedGateway,
)
from stacks.addons.base import AddonStack, CoreOutputs
from stacks.base import SynthSettings


class MonitoringStack(AddonStack):
    def __init__(self, scope: Construct, *, deployment: Deployment, settings: SynthSettings, core: CoreOutputs):
        super().__init__(scope, deployment=deployment, settings=settings, core=core)
        config, services = deployment.monitoring, core.services
        topic = AlarmTopic(
            self,
            "alarm_topic",
            props=AlarmTopicProps(
                name=deployment.name,
                kms_key_arn=config.kms_key_arn,
                email=config.alarm_email,
                event_rules=deployment.backup.enabled,
            ),
        ).outputs
        gateway = core.file_gateway
        if deployment.backup.enabled:
            protected = (core.file_system.file_system_arn, core.database.instance_arn)
            BackupAlerts(
                self,
                "backup_alerts",
                props=BackupAlertsProps(
                    name=deployment.name,
                    # The gateway's bucket too, which holds OMERO data when the add-on is on.
                    resource_arns=protected + ((gateway.bucket_arn,) if gateway else ()),
                    topic_arn=topic.topic_arn,
                ),
            )
        watched = WatchedDeployment(
            name=deployment.name,
            load_balancer=services.web_load_balancer_arn_suffix,
            target_group=services.web_target_group_arn_suffix,
            cluster_name=services.cluster.cluster_name,
            server_service_name=services.server_service_name,
            web_service_name=services.web_service_name,
            read_only_service_names=services.read_only_service_names,
            database_instance_id=core.database.instance_id,
            file_system_id=core.file_system.file_system_id,
            performance_mode=deployment.storage.performance_mode,
            throughput_mode=deployment.storage.throughput_mode,
            container_instances_group=services.container_instances_group_name,
            file_gateway=WatchedGateway(
                gateway_id=gateway.gateway_id,
                gateway_name=gateway.gateway_name,
                instance_id=gateway.instance_id,
                log_group=gateway.log_group_name,
                holds_repository=deployment.file_gateway.holds_repository,
            )
            if gateway
            else None,
        )
        alarms = OmeroAlarms(
            self,
            "alarms",
            props=OmeroAlarmsProps(
                watched=watched,
                thresholds=Thresholds(
                    rds_cpu_percent=config.rds_cpu_percent,
                    rds_free_storage_gib=config.rds_free_storage_gib,
                    rds_freeable_memory_mib=config.rds_freeable_memory_mib,
                    web_5xx_count=config.web_5xx_count,
                    efs_io_limit_percent=config.efs_io_limit_percent,
                    efs_burst_credits_gib=config.efs_burst_credits_gib,
                    efs_throughput_percent=config.efs_throughput_percent,
                    gateway_cache_dirty_percent=config.gateway_cache_dirty_percent,
                    gateway_io_wait_percent=config.gateway_io_wait_percent,
                ),
                topic_arn=topic.topic_arn,
                notify_on_recovery=config.notify_on_recovery,
            ),
        )
        dashboard = OmeroDashboard(self, "dashboard", props=OmeroDashboardProps(watched=watched))

        out = self.output
        out("dashboard_url", dashboard.url, "The deployment's CloudWatch dashboard.")
        out("dashboard_name", dashboard.dashboard.dashboard_name, "Name of the CloudWatch dashboard.")
        out("alarm_topic_arn", topic.topic_arn, "SNS topic the alarms notify; subscribe on-call tools here.")
        out("alarm_names", [alarm.alarm_name for alarm in alarms.alarms.values()], "The CloudWatch alarms of this deployment.")
