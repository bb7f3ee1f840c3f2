"""Watching a deployment: an alarm topic, alarms for what breaks OMERO, and one dashboard.

Three constructs, one concern each:

* :class:`AlarmTopic`: an encrypted SNS topic that only this account's CloudWatch alarms of this
  deployment may publish to (over TLS), with an optional e-mail subscription. CloudWatch can
  publish to an encrypted topic only if it may use the key, and the AWS-managed ``aws/sns`` key's
  policy cannot grant that: without a customer key the topic gets a key of its own.
* :class:`OmeroAlarms`: what an operator is woken for: OMERO.web targets unhealthy or gone, 5xx
  answers, the read-write OMERO.server not running, the database short of CPU, storage or memory,
  and EFS at its I/O or throughput limits (which ones depend on the file system's modes).
* :class:`OmeroDashboard`: the load balancer, the ECS services, the database, the file system
  and (on the EC2 launch type) the container instances on one CloudWatch dashboard.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cdktf_cdktf_provider_aws.cloudwatch_dashboard import CloudwatchDashboard
from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.cloudwatch_event_target import CloudwatchEventTarget
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import (
    CloudwatchMetricAlarm,
    CloudwatchMetricAlarmMetricQuery,
    CloudwatchMetricAlarmMetricQueryMetric,
)
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
)
from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_policy import SnsTopicPolicy
from cdktf_cdktf_provider_aws.sns_topic_subscription import SnsTopicSubscription
from constructs import Construct

from modules.context import stack_context
from modules.iam import allow_service, deny_when
from modules.kms import account_statement

# Bytes per GiB and MiB: thresholds are configured in those units, and FreeStorageSpace,
# FreeableMemory (RDS User Guide, "Amazon CloudWatch metrics for Amazon RDS") and
# BurstCreditBalance (EFS User Guide, "CloudWatch metrics for Amazon EFS") are in bytes.
GIB = 1024**3
MIB = 1024**2


def alarm_prefix(name: str) -> str:
    """Every alarm of a deployment is called ``<name>-omero-<what>``; the topic trusts that prefix."""
    return f"{name}-omero-"


# ---------------------------------------------------------------------------------------------
# The alarm topic
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class AlarmTopicProps:
    name: str  # the deployment name
    kms_key_arn: str | None = None  # None: a key is made for the topic
    email: str | None = None  # subscribed when set
    # EventBridge rules of this deployment (named <name>-omero-*) may publish too: the alerts
    # of failed backup and copy jobs.
    event_rules: bool = False


@dataclass(frozen=True, kw_only=True)
class AlarmTopicOutputs:
    topic_arn: str
    topic_name: str
    kms_key_arn: str


class AlarmTopic(Construct):
    def __init__(self, scope: Construct, id: str, *, props: AlarmTopicProps):
        super().__init__(scope, id)
        name = f"{props.name}-omero-alarms"
        self._aws = aws = stack_context(self)
        alarms_arn = f"arn:{aws.partition}:cloudwatch:{aws.region}:{aws.account_id}:alarm:{alarm_prefix(props.name)}*"
        key_arn = props.kms_key_arn
        if key_arn is None:
            key_arn = self._make_key(name, props).arn
        self.topic = SnsTopic(self, "topic", name=name, display_name=f"OMERO {props.name} alarms", kms_master_key_id=key_arn)

        policy = DataAwsIamPolicyDocument(
            self,
            "topic_policy_document",
            statement=[
                allow_service(
                    "CloudWatchAlarmsOfThisDeployment",
                    "cloudwatch.amazonaws.com",
                    ["sns:Publish"],
                    [self.topic.arn],
                    source_account=aws.account_id,
                    source_arn=alarms_arn,
                ),
                *self._event_rule_statements(props),
                deny_when(
                    "DenyWithoutTls",
                    ["sns:Publish", "sns:Subscribe"],
                    [self.topic.arn],
                    test="Bool",
                    variable="aws:SecureTransport",
                    value="false",
                ),
            ],
        )
        SnsTopicPolicy(self, "topic_policy", arn=self.topic.arn, policy=policy.json)
        if props.email is not None:
            SnsTopicSubscription(self, "email", topic_arn=self.topic.arn, protocol="email", endpoint=props.email)
        self.outputs = AlarmTopicOutputs(topic_arn=self.topic.arn, topic_name=self.topic.name, kms_key_arn=key_arn)

    def _event_rule_statements(self, props: AlarmTopicProps) -> list[DataAwsIamPolicyDocumentStatement]:
        """EventBridge rules of this deployment may publish too (backup and copy job alerts)."""
        if not props.event_rules:
            return []
        aws = self._aws
        rules_arn = f"arn:{aws.partition}:events:{aws.region}:{aws.account_id}:rule/{alarm_prefix(props.name)}*"
        return [
            allow_service(
                "EventRulesOfThisDeployment",
                "events.amazonaws.com",
                ["sns:Publish"],
                [self.topic.arn],
                source_account=aws.account_id,
                source_arn=rules_arn,
            )
        ]

    def _publisher_statements(self, name: str, props: AlarmTopicProps) -> list[dict]:
        """Who may use the key to publish to the topic: CloudWatch for this deployment's alarms and,
        with event rules, EventBridge; only for this topic (SNS encrypts every message under the
        encryption context aws:sns:topicArn, Amazon SNS Developer Guide, "Encryption at rest").

        CloudWatch's use is also held to this account and the deployment's alarm names (aws:SourceAccount,
        aws:SourceArn), as the topic policy holds it. EventBridge's cannot be: a KMS key policy
        condition on aws:SourceAccount, aws:SourceArn or aws:SourceOrgID is not supported for
        EventBridge publishing to an encrypted topic, and delivery then fails (Amazon SNS Developer
        Guide, "Enable compatibility between event sources from AWS services and encrypted topics");
        the topic policy holds its publishing to this account's rules of this deployment instead."""
        aws = self._aws
        topic_arn = f"arn:{aws.partition}:sns:{aws.region}:{aws.account_id}:{name}"
        this_topic = {"kms:EncryptionContext:aws:sns:topicArn": topic_arn}
        alarms_arn = f"arn:{aws.partition}:cloudwatch:{aws.region}:{aws.account_id}:alarm:{alarm_prefix(props.name)}*"
        actions = ["kms:Decrypt", "kms:GenerateDataKey*"]
        statements = [
            {
                "Sid": "CloudWatchAlarmsOfThisDeploymentPublishToTheTopic",
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": actions,
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": aws.account_id, **this_topic},
                    "ArnLike": {"aws:SourceArn": alarms_arn},
                },
            }
        ]
        if props.event_rules:
            statements.append(
                {
                    "Sid": "EventRulesPublishToTheTopic",
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": actions,
                    "Resource": "*",
                    "Condition": {"StringEquals": this_topic},
                }
            )
        return statements

    def _make_key(self, name: str, props: AlarmTopicProps) -> KmsKey:
        # A key policy's "*" resource means this key and nothing else. The policy is written as JSON
        # here rather than through aws_iam_policy_document, whose identity-policy linters read "*"
        # as every resource in the account.
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                account_statement(self._aws.partition, self._aws.account_id),
                *self._publisher_statements(name, props),
            ],
        }
        key = KmsKey(
            self,
            "key",
            description=f"Encrypts the {name} SNS topic; CloudWatch alarms may use it to publish.",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=json.dumps(policy),
        )
        KmsAlias(self, "key_alias", name=f"alias/{name}", target_key_id=key.key_id)
        return key


# ---------------------------------------------------------------------------------------------
# Failed backup and copy jobs
# ---------------------------------------------------------------------------------------------

# Job states that mean a recovery point was not made (or not copied): of a backup job's states
# (CREATED, PENDING, RUNNING, ABORTING, ABORTED, COMPLETED, FAILED, EXPIRED, PARTIAL) and a copy
# job's (CREATED, RUNNING, COMPLETED, FAILED, PARTIAL); AWS Backup API Reference, BackupJob and
# CopyJob, State.
FAILED_JOB_STATES = ("FAILED", "ABORTED", "EXPIRED", "PARTIAL")


@dataclass(frozen=True, kw_only=True)
class BackupAlertsProps:
    name: str  # the deployment name
    resource_arns: tuple[str, ...]  # what the backup plan protects: EFS, the database (, the gateway's bucket)
    topic_arn: str


class BackupAlerts(Construct):
    """An EventBridge rule sending every failed backup or copy job of the deployment to the topic.

    AWS Backup has no CloudWatch metric per plan that an alarm could watch; it sends job state
    changes to EventBridge. The protected resource is in ``detail.resourceArn``: the event's
    top-level ``resources`` is empty for a backup job that made no recovery point and holds the
    recovery point for a completed job or a copy (AWS Backup Developer Guide, "Monitoring AWS Backup
    events using Amazon EventBridge", the example events; tests/test_backup_alerts.py tries this
    pattern on them).
    """

    def __init__(self, scope: Construct, id: str, *, props: BackupAlertsProps):
        super().__init__(scope, id)
        pattern = {
            "source": ["aws.backup"],
            "detail-type": ["Backup Job State Change", "Copy Job State Change"],
            "detail": {"state": list(FAILED_JOB_STATES), "resourceArn": list(props.resource_arns)},
        }
        self.rule = CloudwatchEventRule(
            self,
            "rule",
            name=f"{alarm_prefix(props.name)}backup-failed",
            description=f"Backup or copy jobs of {props.name}'s file system or database that did not complete.",
            event_pattern=json.dumps(pattern),
        )
        CloudwatchEventTarget(self, "target", rule=self.rule.name, arn=props.topic_arn, target_id="alarm-topic")


# ---------------------------------------------------------------------------------------------
# What is watched
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class WatchedDeployment:
    """Names and ids CloudWatch metrics are keyed by (most are cross-stack references)."""

    name: str  # the deployment name
    load_balancer: str  # the ALB's ARN suffix (dimension LoadBalancer)
    target_group: str  # OMERO.web's target group ARN suffix (dimension TargetGroup)
    cluster_name: str
    server_service_name: str  # the read-write OMERO.server
    web_service_name: str
    read_only_service_names: tuple[str, ...] = ()  # one service per read-only server
    database_instance_id: str
    file_system_id: str
    performance_mode: str  # the file system's: generalPurpose or maxIO
    throughput_mode: str  # elastic, bursting or provisioned
    container_instances_group: str | None  # the Auto Scaling group, on the EC2 launch type
    file_gateway: WatchedGateway | None = None  # with the S3 File Gateway add-on


@dataclass(frozen=True, kw_only=True)
class WatchedGateway:
    """The S3 File Gateway: one appliance on one EC2 instance in one Availability Zone."""

    gateway_id: str  # dimension GatewayId
    gateway_name: str  # dimension GatewayName (AWS/StorageGateway needs both)
    instance_id: str  # the appliance's EC2 instance
    log_group: str  # its health and audit logs
    holds_repository: bool  # the share is /OMERO (file_gateway.role = "repository")


@dataclass(frozen=True, kw_only=True)
class Thresholds:
    rds_cpu_percent: int = 80
    rds_free_storage_gib: int = 10
    rds_freeable_memory_mib: int = 256
    web_5xx_count: int = 20
    efs_io_limit_percent: int = 90
    efs_burst_credits_gib: int = 256
    efs_throughput_percent: int = 80
    gateway_cache_dirty_percent: int = 80
    gateway_io_wait_percent: int = 10


# ---------------------------------------------------------------------------------------------
# Alarms
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class OmeroAlarmsProps:
    watched: WatchedDeployment
    thresholds: Thresholds
    topic_arn: str
    notify_on_recovery: bool = True


@dataclass(frozen=True, kw_only=True)
class Alarm:
    """One alarm on one metric (or, with ``queries``, on metric math)."""

    key: str  # construct id and name suffix
    description: str
    comparison: str
    threshold: float
    periods: int
    namespace: str = ""
    metric: str = ""
    dimensions: dict[str, str] | None = None
    statistic: str = "Average"
    period: int = 60
    missing: str = "notBreaching"
    queries: tuple[CloudwatchMetricAlarmMetricQuery, ...] = ()


class OmeroAlarms(Construct):
    def __init__(self, scope: Construct, id: str, *, props: OmeroAlarmsProps):
        super().__init__(scope, id)
        self.alarms: dict[str, CloudwatchMetricAlarm] = {}
        for alarm in self._alarms(props.watched, props.thresholds):
            actions = [props.topic_arn]
            single = (
                {}
                if alarm.queries
                else dict(
                    namespace=alarm.namespace,
                    metric_name=alarm.metric,
                    dimensions=alarm.dimensions,
                    statistic=alarm.statistic,
                    period=alarm.period,
                )
            )
            self.alarms[alarm.key] = CloudwatchMetricAlarm(
                self,
                alarm.key.replace("-", "_"),
                alarm_name=alarm_prefix(props.watched.name) + alarm.key,
                alarm_description=alarm.description,
                comparison_operator=alarm.comparison,
                threshold=alarm.threshold,
                evaluation_periods=alarm.periods,
                datapoints_to_alarm=alarm.periods,
                treat_missing_data=alarm.missing,
                metric_query=list(alarm.queries) or None,
                alarm_actions=actions,
                ok_actions=actions if props.notify_on_recovery else None,
                **single,
            )

    @staticmethod
    def _alarms(w: WatchedDeployment, t: Thresholds) -> list[Alarm]:
        """Every alarm: OMERO.web, the servers, the database, EFS by its modes, the file gateway."""
        gateway = OmeroAlarms._gateway_alarms(w.file_gateway, t) if w.file_gateway else []
        return [*OmeroAlarms._service_alarms(w, t), *OmeroAlarms._file_system_alarms(w, t), *gateway]

    @staticmethod
    def _service_alarms(w: WatchedDeployment, t: Thresholds) -> list[Alarm]:
        """OMERO.web behind its load balancer, the read-write OMERO.server and the database."""
        target = {"LoadBalancer": w.load_balancer, "TargetGroup": w.target_group}
        database = {"DBInstanceIdentifier": w.database_instance_id}
        web_logs = f"the OMERO.web service {w.web_service_name} (cluster {w.cluster_name})"
        alarms = [
            Alarm(
                key="web-unhealthy-targets",
                description=(
                    f"An OMERO.web task fails the load balancer's health check for 3 minutes. Users may see errors. "
                    f"Check the events and logs of {web_logs}; a task that keeps failing is replaced by ECS."
                ),
                namespace="AWS/ApplicationELB",
                metric="UnHealthyHostCount",
                dimensions=target,
                statistic="Maximum",
                comparison="GreaterThanThreshold",
                threshold=0,
                periods=3,
            ),
            Alarm(
                key="web-no-healthy-targets",
                description=(
                    f"No healthy OMERO.web task behind the load balancer for 3 minutes: OMERO.web is down. "
                    f"Check the events of {web_logs} (aws ecs describe-services) and whether OMERO.server is up."
                ),
                namespace="AWS/ApplicationELB",
                metric="HealthyHostCount",
                dimensions=target,
                statistic="Minimum",
                comparison="LessThanThreshold",
                threshold=1,
                periods=3,
                missing="breaching",
            ),
            Alarm(
                key="web-5xx",
                description=(
                    f"OMERO.web answered more than {t.web_5xx_count} server errors (5xx) in 5 minutes. "
                    f"Read the log group of {web_logs} for tracebacks; errors on every page often mean OMERO.server is unreachable."
                ),
                namespace="AWS/ApplicationELB",
                metric="HTTPCode_Target_5XX_Count",
                dimensions=target,
                statistic="Sum",
                period=300,
                comparison="GreaterThanThreshold",
                threshold=t.web_5xx_count,
                periods=1,
            ),
            Alarm(
                key="load-balancer-5xx",
                description=(
                    f"The load balancer itself answered more than {t.web_5xx_count} errors (502/503/504) in 5 minutes: "
                    f"OMERO.web tasks are missing, refusing connections or too slow. Check {web_logs} and its target health."
                ),
                namespace="AWS/ApplicationELB",
                metric="HTTPCode_ELB_5XX_Count",
                dimensions={"LoadBalancer": w.load_balancer},
                statistic="Sum",
                period=300,
                comparison="GreaterThanThreshold",
                threshold=t.web_5xx_count,
                periods=1,
            ),
            Alarm(
                key="server-not-running",
                description=(
                    f"The read-write OMERO.server ({w.server_service_name} in cluster {w.cluster_name}) has had no running "
                    "task for 3 minutes: no logins, imports or image viewing. Check the service's events and stopped "
                    "tasks (database or /OMERO mount failures show there) and the server log group."
                ),
                namespace="ECS/ContainerInsights",
                metric="RunningTaskCount",
                dimensions={"ClusterName": w.cluster_name, "ServiceName": w.server_service_name},
                statistic="Minimum",
                comparison="LessThanThreshold",
                threshold=1,
                periods=3,
                missing="breaching",
            ),
            Alarm(
                key="database-cpu-high",
                description=(
                    f"The OMERO database ({w.database_instance_id}) has averaged over {t.rds_cpu_percent}% CPU for 15 minutes. "
                    "Look for long queries in Performance Insights (large deletes, searches); consider a larger database.instance_class."
                ),
                namespace="AWS/RDS",
                metric="CPUUtilization",
                dimensions=database,
                period=300,
                comparison="GreaterThanThreshold",
                threshold=t.rds_cpu_percent,
                periods=3,
            ),
            Alarm(
                key="database-storage-low",
                description=(
                    f"The OMERO database ({w.database_instance_id}) has less than {t.rds_free_storage_gib} GiB free. "
                    "Storage autoscaling grows it up to database.max_allocated_storage_gb; raise that ceiling (or "
                    "allocated_storage_gb) before PostgreSQL stops accepting writes."
                ),
                namespace="AWS/RDS",
                metric="FreeStorageSpace",
                dimensions=database,
                statistic="Minimum",
                period=300,
                comparison="LessThanThreshold",
                threshold=t.rds_free_storage_gib * GIB,
                periods=1,
            ),
            Alarm(
                key="database-memory-low",
                description=(
                    f"The OMERO database ({w.database_instance_id}) has had less than {t.rds_freeable_memory_mib} MiB freeable "
                    "memory for 15 minutes and may start swapping. Check connections (omero.db.poolsize per server) and "
                    "consider a larger database.instance_class."
                ),
                namespace="AWS/RDS",
                metric="FreeableMemory",
                dimensions=database,
                period=300,
                comparison="LessThanThreshold",
                threshold=t.rds_freeable_memory_mib * MIB,
                periods=3,
            ),
        ]
        return alarms

    @staticmethod
    def _file_system_alarms(w: WatchedDeployment, t: Thresholds) -> list[Alarm]:
        """EFS I/O limit, burst credits and provisioned throughput, as its modes make them matter."""
        file_system = {"FileSystemId": w.file_system_id}
        alarms: list[Alarm] = []
        if w.performance_mode == "generalPurpose":
            alarms.append(
                Alarm(
                    key="efs-io-limit",
                    description=(
                        f"EFS {w.file_system_id} (/OMERO) has been above {t.efs_io_limit_percent}% of its I/O limit for 15 minutes: "
                        "imports and image reads slow down. Look for bulk imports or exports running now; spread them out."
                    ),
                    namespace="AWS/EFS",
                    metric="PercentIOLimit",
                    dimensions=file_system,
                    statistic="Maximum",
                    period=300,
                    comparison="GreaterThanThreshold",
                    threshold=t.efs_io_limit_percent,
                    periods=3,
                )
            )
        if w.throughput_mode == "bursting":
            alarms.append(
                Alarm(
                    key="efs-burst-credits-low",
                    description=(
                        f"EFS {w.file_system_id} (/OMERO) has less than {t.efs_burst_credits_gib} GiB of burst credits; when "
                        'they run out throughput drops to the baseline of the stored size. Consider storage.throughput_mode = "elastic".'
                    ),
                    namespace="AWS/EFS",
                    metric="BurstCreditBalance",
                    dimensions=file_system,
                    statistic="Minimum",
                    period=300,
                    comparison="LessThanThreshold",
                    threshold=t.efs_burst_credits_gib * GIB,
                    periods=1,
                )
            )
        if w.throughput_mode == "provisioned":

            def efs_metric(query_id: str, metric: str, stat: str) -> CloudwatchMetricAlarmMetricQuery:
                return CloudwatchMetricAlarmMetricQuery(
                    id=query_id,
                    return_data=False,
                    metric=CloudwatchMetricAlarmMetricQueryMetric(
                        namespace="AWS/EFS",
                        metric_name=metric,
                        dimensions=file_system,
                        stat=stat,
                        period=300,
                    ),
                )

            alarms.append(
                Alarm(
                    key="efs-throughput-high",
                    description=(
                        f"EFS {w.file_system_id} (/OMERO) has used over {t.efs_throughput_percent}% of its provisioned throughput "
                        "for 15 minutes: imports and image reads queue. Raise storage.provisioned_throughput_mibps or spread bulk work."
                    ),
                    comparison="GreaterThanThreshold",
                    threshold=t.efs_throughput_percent,
                    periods=3,
                    queries=(
                        efs_metric("used", "MeteredIOBytes", "Sum"),
                        efs_metric("permitted", "PermittedThroughput", "Average"),
                        CloudwatchMetricAlarmMetricQuery(
                            id="utilization",
                            expression="100 * (used / PERIOD(used)) / permitted",
                            label="Throughput used (% of permitted)",
                            return_data=True,
                        ),
                    ),
                )
            )
        return alarms

    @staticmethod
    def _gateway_alarms(g: WatchedGateway, t: Thresholds) -> list[Alarm]:
        """The S3 File Gateway: its own health and availability reports, its cache, its instance.

        AWS/StorageGateway gateway metrics are keyed by GatewayId and GatewayName together and come
        every 5 minutes (Storage Gateway User Guide, "Monitoring your gateway": "Understanding
        gateway metrics"). The thresholds are AWS's own: CachePercentDirty 80 or more means the
        gateway takes writes faster than it uploads them to S3; IoWaitPercent over 10 means the
        cache disk is the bottleneck (S3 File Gateway User Guide, "Troubleshooting: File Gateway
        issues", "Your gateway is slow transferring data to Amazon S3"); at 90 it accepts no new writes
        (ibid., "Your gateway backup job fails or there are errors when writing to your gateway"). A
        file that fails to upload raises a health notification (ibid., "You do not see files in your
        Amazon S3 bucket").
        """
        gateway = {"GatewayId": g.gateway_id, "GatewayName": g.gateway_name}
        stake = (
            "OMERO's binary repository (/OMERO) lives on this share: imports and image reads stop or stall with it"
            if g.holds_repository
            else "files imported in place from the share cannot be read while it is down"
        )
        where = f"Read its health log group {g.log_group} and its page in the Storage Gateway console"
        return [
            Alarm(
                key="file-gateway-unavailable",
                description=f"The S3 File Gateway {g.gateway_name} reported an availability problem: {stake}. {where}.",
                namespace="AWS/StorageGateway",
                metric="AvailabilityNotifications",
                dimensions=gateway,
                statistic="Sum",
                period=300,
                comparison="GreaterThanOrEqualToThreshold",
                threshold=1,
                periods=1,
            ),
            Alarm(
                key="file-gateway-health",
                description=(
                    f"The S3 File Gateway {g.gateway_name} reported a health problem (files failing to upload to S3 "
                    f"raise one). {where}; files not yet in S3 exist only on the gateway's cache disk."
                ),
                namespace="AWS/StorageGateway",
                metric="HealthNotifications",
                dimensions=gateway,
                statistic="Sum",
                period=300,
                comparison="GreaterThanOrEqualToThreshold",
                threshold=1,
                periods=1,
            ),
            Alarm(
                key="file-gateway-cache-dirty",
                description=(
                    f"Over {t.gateway_cache_dirty_percent}% of the S3 File Gateway's cache ({g.gateway_name}) has been "
                    "waiting to upload to S3 for 15 minutes: writes arrive faster than they upload, and at 90% the gateway "
                    "accepts no new writes. Spread large imports out; a larger cache is a second cache disk "
                    '(docs/addons.md, "Cache size").'
                ),
                namespace="AWS/StorageGateway",
                metric="CachePercentDirty",
                dimensions=gateway,
                period=300,
                comparison="GreaterThanThreshold",
                threshold=t.gateway_cache_dirty_percent,
                periods=3,
            ),
            Alarm(
                key="file-gateway-io-wait",
                description=(
                    f"The S3 File Gateway {g.gateway_name} has waited on its cache disk more than "
                    f"{t.gateway_io_wait_percent}% of the time for 15 minutes: the disk is the bottleneck for reads and "
                    "writes over NFS. The gp3 cache volume gives 3,000 IOPS and 125 MiB/s whatever its size: spread bulk "
                    "imports and reads out, or raise the volume's IOPS and throughput (EC2 ModifyVolume)."
                ),
                namespace="AWS/StorageGateway",
                metric="IoWaitPercent",
                dimensions=gateway,
                period=300,
                comparison="GreaterThanThreshold",
                threshold=t.gateway_io_wait_percent,
                periods=3,
            ),
            Alarm(
                key="file-gateway-instance-down",
                description=(
                    f"The EC2 instance of the S3 File Gateway {g.gateway_name} ({g.instance_id}) has failed its status "
                    f"checks, or reported nothing, for 3 minutes: {stake}. It is one instance in one Availability Zone; "
                    "start or reboot it (its cache disk keeps what was not yet uploaded)."
                ),
                namespace="AWS/EC2",
                metric="StatusCheckFailed",
                dimensions={"InstanceId": g.instance_id},
                statistic="Maximum",
                comparison="GreaterThanOrEqualToThreshold",
                threshold=1,
                periods=3,
                # A stopped or terminated instance sends no status checks at all.
                missing="breaching",
            ),
        ]


# ---------------------------------------------------------------------------------------------
# Dashboard
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class OmeroDashboardProps:
    watched: WatchedDeployment


def dashboard_name(name: str) -> str:
    return f"{name}-omero"


def dashboard_url(region: str, name: str) -> str:
    return f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#dashboards/dashboard/{dashboard_name(name)}"


def dashboard_body(w: WatchedDeployment, region: str) -> dict[str, Any]:
    """The dashboard as a Python structure, its charts of ``region``; names and ids in it may be unresolved references."""
    widgets: list[dict[str, Any]] = []

    def row(title: str, *charts: tuple[str, list[list[Any]], dict[str, Any]]) -> None:
        y = len(widgets) and max(wd["y"] + wd["height"] for wd in widgets)
        widgets.append({"type": "text", "x": 0, "y": y, "width": 24, "height": 1, "properties": {"markdown": f"## {title}"}})
        width = 24 // len(charts)
        for index, (chart_title, metrics, extra) in enumerate(charts):
            widgets.append(
                {
                    "type": "metric",
                    "x": index * width,
                    "y": y + 1,
                    "width": width,
                    "height": 6,
                    "properties": {
                        "title": chart_title,
                        "region": region,
                        "view": "timeSeries",
                        "stacked": False,
                        "period": 300,
                        "metrics": metrics,
                        **extra,
                    },
                }
            )

    lb, tg = ["LoadBalancer", w.load_balancer], ["TargetGroup", w.target_group]
    alb = "AWS/ApplicationELB"
    row(
        "OMERO.web load balancer",
        ("Requests", [[alb, "RequestCount", *lb, {"stat": "Sum"}]], {}),
        (
            "Errors (5xx)",
            [
                [alb, "HTTPCode_Target_5XX_Count", *lb, *tg, {"stat": "Sum", "label": "OMERO.web 5xx"}],
                [alb, "HTTPCode_ELB_5XX_Count", *lb, {"stat": "Sum", "label": "Load balancer 5xx"}],
            ],
            {},
        ),
        (
            "Target response time (s)",
            [
                [alb, "TargetResponseTime", *lb, *tg, {"stat": "p90", "label": "p90"}],
                [alb, "TargetResponseTime", *lb, *tg, {"stat": "Average", "label": "average"}],
            ],
            {},
        ),
        (
            "OMERO.web tasks by health",
            [
                [alb, "HealthyHostCount", *lb, *tg, {"stat": "Minimum", "label": "healthy"}],
                [alb, "UnHealthyHostCount", *lb, *tg, {"stat": "Maximum", "label": "unhealthy"}],
            ],
            {"period": 60},
        ),
    )
    services = [("OMERO.server (read-write)", w.server_service_name), ("OMERO.web", w.web_service_name)]
    for index, name in enumerate(w.read_only_service_names, start=1):
        services.insert(index, (f"OMERO.server (read-only {index})", name))
    cluster = ["ClusterName", w.cluster_name]
    row(
        "ECS services",
        (
            "CPU (%)",
            [["AWS/ECS", "CPUUtilization", *cluster, "ServiceName", service, {"label": label}] for label, service in services],
            {"yAxis": {"left": {"min": 0, "max": 100}}},
        ),
        (
            "Memory (%)",
            [["AWS/ECS", "MemoryUtilization", *cluster, "ServiceName", service, {"label": label}] for label, service in services],
            {"yAxis": {"left": {"min": 0, "max": 100}}},
        ),
        (
            "Running tasks",
            [
                [
                    "ECS/ContainerInsights",
                    "RunningTaskCount",
                    *cluster,
                    "ServiceName",
                    service,
                    {"label": label, "stat": "Minimum"},
                ]
                for label, service in services
            ],
            {"period": 60},
        ),
    )
    db = ["DBInstanceIdentifier", w.database_instance_id]
    row(
        "PostgreSQL (RDS)",
        ("CPU (%)", [["AWS/RDS", "CPUUtilization", *db]], {"yAxis": {"left": {"min": 0, "max": 100}}}),
        ("Free storage (bytes)", [["AWS/RDS", "FreeStorageSpace", *db, {"stat": "Minimum"}]], {}),
        ("Freeable memory (bytes)", [["AWS/RDS", "FreeableMemory", *db, {"stat": "Minimum"}]], {}),
        ("Connections", [["AWS/RDS", "DatabaseConnections", *db, {"stat": "Maximum"}]], {}),
    )
    fs = ["FileSystemId", w.file_system_id]
    efs = "AWS/EFS"
    io_chart = (
        ("I/O limit (%)", [[efs, "PercentIOLimit", *fs, {"stat": "Maximum"}]], {"yAxis": {"left": {"min": 0, "max": 100}}})
        if w.performance_mode == "generalPurpose"
        else ("Burst credits (bytes)", [[efs, "BurstCreditBalance", *fs, {"stat": "Minimum"}]], {})
    )
    row(
        "/OMERO on EFS",
        (
            "Throughput (bytes per 5 min)",
            [
                [efs, "DataReadIOBytes", *fs, {"stat": "Sum", "label": "read"}],
                [efs, "DataWriteIOBytes", *fs, {"stat": "Sum", "label": "write"}],
                [efs, "MeteredIOBytes", *fs, {"stat": "Sum", "label": "metered"}],
            ],
            {},
        ),
        ("Client connections", [[efs, "ClientConnections", *fs, {"stat": "Sum"}]], {}),
        (
            "Storage (bytes)",
            [
                [efs, "StorageBytes", *fs, "StorageClass", "Total", {"stat": "Average", "label": "total"}],
                [efs, "StorageBytes", *fs, "StorageClass", "Standard", {"stat": "Average", "label": "standard"}],
                [efs, "StorageBytes", *fs, "StorageClass", "IA", {"stat": "Average", "label": "infrequent access"}],
            ],
            {"period": 3600},
        ),
        io_chart,
    )
    if w.container_instances_group is not None:
        asg = ["AutoScalingGroupName", w.container_instances_group]
        row(
            "EC2 container instances",
            ("CPU (%)", [["AWS/EC2", "CPUUtilization", *asg]], {"yAxis": {"left": {"min": 0, "max": 100}}}),
            (
                "Network (bytes)",
                [["AWS/EC2", "NetworkIn", *asg, {"stat": "Sum"}], ["AWS/EC2", "NetworkOut", *asg, {"stat": "Sum"}]],
                {},
            ),
            ("Status check failures", [["AWS/EC2", "StatusCheckFailed", *asg, {"stat": "Maximum"}]], {}),
        )
    return {"widgets": widgets}


class OmeroDashboard(Construct):
    def __init__(self, scope: Construct, id: str, *, props: OmeroDashboardProps):
        super().__init__(scope, id)
        w, region = props.watched, stack_context(self).region
        # The names and ids in the body are references to other stacks; they resolve to
        # identifiers (letters, digits, "-", "/", "."), so interpolating them keeps the JSON valid.
        self.dashboard = CloudwatchDashboard(
            self,
            "dashboard",
            dashboard_name=dashboard_name(w.name),
            dashboard_body=json.dumps(dashboard_body(w, region)),
        )
        self.url = dashboard_url(region, w.name)
