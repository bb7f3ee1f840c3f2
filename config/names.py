"""Every AWS name built from the deployment name, with the rule AWS applies to it and its source.

``NAMES`` is the one table: each row is a resource argument whose value the modules build from
``name`` (``modules/``, ``stacks/``), its template, and the AWS rule for that kind of name (length,
characters, reserved prefixes and suffixes), with the page that states the rule. ``refused``
builds every row from a candidate deployment name, the variable parts at their longest, and says
which AWS rule one of them breaks: the ``name`` check (``config.checks.deployment_name``) refuses
such a name up front instead of letting AWS refuse it halfway through an apply.

``tests/test_names.py`` keeps the table true: every name in every synthesized example that holds
the deployment name is one of its rows, and every such name, as synthesized (for the longest
deployment name too), keeps its rule. Nothing here imports cdktf or the provider bindings.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

# The AWS provider appends this many characters to a ``*_prefix`` argument (terraform-plugin-sdk
# helper/id PrefixedUniqueId: an 18-digit timestamp and an 8-digit hex counter; UniqueIDSuffixLength).
GENERATED_SUFFIX = 26

# The variable parts of a template beside {name}: how each appears in synthesized JSON, and its
# longest value, which ``refused`` builds the names with.
PLACEHOLDERS: dict[str, tuple[str, str]] = {
    # an account id (12 digits), literal or read at plan time
    "account": (r"\d{12}|\$\{data\.aws_caller_identity\.[\w-]+\.account_id\}", "123456789012"),
    # a region (config.checks.AWS_REGIONS; the longest are 14 characters: ap-southeast-7, cn-northwest-1)
    "region": (r"[a-z]{2}(?:-gov)?-[a-z]+-\d", "cn-northwest-1"),
    # a read-only server's number (server.read_only_count: up to 10)
    "n": (r"\d{1,2}", "10"),
    # an OMERO.server port the NLB listens on (4063, 4064)
    "port": (r"\d{4}", "4064"),
    # the server image's tag as identifier-safe text (modules/upgrade.py image_label); the whole
    # identifier is cut to RDS's 255 characters there, so a sample stands in for it
    "tag": (r"[a-z0-9]+(?:-[a-z0-9]+)*", "5-6-18"),
    # the PostgreSQL major version of the parameter group family
    "pg": (r"\d{2}", "17"),
    # when the final snapshot is taken: formatdate("YYYYMMDDhhmmss", ...) at apply
    "stamp": (r"\$\{formatdate\(.*\)\}", "20261231235959"),
}


@dataclass(frozen=True)
class Rule:
    """What AWS accepts for one kind of name."""

    kind: str  # e.g. "S3 bucket name"
    source: str  # the page stating the rule
    max_length: int | None  # None: no documented limit
    pattern: str = r".+"  # the whole name must match
    min_length: int = 1
    reserved_prefixes: tuple[str, ...] = ()
    reserved_suffixes: tuple[str, ...] = ()
    no_double_hyphen: bool = False

    def broken(self, value: str) -> str | None:
        """What ``value`` breaks of this rule, or None."""
        if len(value) < self.min_length or (self.max_length is not None and len(value) > self.max_length):
            most = f"{self.max_length}" if self.max_length is not None else "any number of"
            return f"is {len(value)} characters long; at most {most} (at least {self.min_length})"
        if not re.fullmatch(self.pattern, value, re.ASCII):  # AWS's names are ASCII: \w is [A-Za-z0-9_]
            return f"must match {self.pattern}"
        if self.no_double_hyphen and "--" in value:
            return "must not hold two hyphens in a row"
        for prefix in self.reserved_prefixes:
            if value.startswith(prefix):
                return f"must not start with {_listed(self.reserved_prefixes)}"
        for suffix in self.reserved_suffixes:
            if value.endswith(suffix):
                return f"must not end with {_listed(self.reserved_suffixes)}"
        return None


def _listed(items: tuple[str, ...]) -> str:
    quoted = [f'"{item}"' for item in items]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


_ALNUM_HYPHEN = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_RDS_ID = r"[A-Za-z](?:[A-Za-z0-9-]*[A-Za-z0-9])?"

LOAD_BALANCER = Rule(
    "load balancer name",
    "Elastic Load Balancing API Reference, CreateLoadBalancer Name",
    32,
    _ALNUM_HYPHEN,
    reserved_prefixes=("internal-",),
)
TARGET_GROUP = Rule("target group name", "Elastic Load Balancing API Reference, CreateTargetGroup Name", 32, _ALNUM_HYPHEN)
S3_BUCKET = Rule(
    "S3 bucket name",
    "Amazon S3 User Guide, General purpose bucket naming rules",
    63,
    r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?",
    min_length=3,
    reserved_prefixes=("xn--", "sthree-", "amzn-s3-demo-"),
    reserved_suffixes=("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"),
)
CAPACITY_PROVIDER = Rule(
    "ECS capacity provider name",
    "Amazon ECS API Reference, CreateCapacityProvider name",
    255,
    r"[A-Za-z0-9_-]+",
    reserved_prefixes=("aws", "ecs", "fargate"),
)
ECS_CLUSTER = Rule("ECS cluster name", "Amazon ECS API Reference, CreateCluster clusterName", 255, r"[A-Za-z0-9_-]+")
TASK_FAMILY = Rule(
    "ECS task definition family", "Amazon ECS API Reference, RegisterTaskDefinition family", 255, r"[A-Za-z0-9_-]+"
)
IAM_ROLE = Rule("IAM role name", "IAM API Reference, CreateRole RoleName", 64, r"[\w+=,.@-]+")
INSTANCE_PROFILE = Rule(
    "IAM instance profile name", "IAM API Reference, CreateInstanceProfile InstanceProfileName", 128, r"[\w+=,.@-]+"
)
DB_INSTANCE = Rule(
    "RDS DB instance identifier",
    "Amazon RDS API Reference, CreateDBInstance DBInstanceIdentifier",
    63,
    _RDS_ID,
    no_double_hyphen=True,
)
DB_SNAPSHOT = Rule(
    "RDS DB snapshot identifier",
    "Amazon RDS API Reference, CreateDBSnapshot DBSnapshotIdentifier",
    255,
    _RDS_ID,
    no_double_hyphen=True,
)
DB_PARAMETER_GROUP = Rule(
    "RDS DB parameter group name",
    "Amazon RDS API Reference, CreateDBParameterGroup DBParameterGroupName",
    255,
    _RDS_ID,
    no_double_hyphen=True,
)
DB_SUBNET_GROUP = Rule(
    "RDS DB subnet group name",
    'Amazon RDS API Reference, CreateDBSubnetGroup DBSubnetGroupName (and not "default")',
    255,
    r"(?!default$)[A-Za-z0-9._ -]+",
)
REPLICATION_GROUP = Rule(
    "ElastiCache replication group id",
    "Amazon ElastiCache API Reference, CreateReplicationGroup ReplicationGroupId",
    40,
    _RDS_ID,
    no_double_hyphen=True,
)
CACHE_SUBNET_GROUP = Rule(
    "ElastiCache subnet group name",
    "Amazon ElastiCache API Reference, CreateCacheSubnetGroup CacheSubnetGroupName",
    255,
    r"[A-Za-z0-9-]+",
)
EFS_TOKEN = Rule("EFS creation token", "Amazon EFS API Reference, CreateFileSystem CreationToken", 64)
SECURITY_GROUP = Rule(
    "security group name",
    "Amazon EC2 API Reference, CreateSecurityGroup GroupName",
    255,
    r"[A-Za-z0-9 ._\-:/()#,@\[\]+=&;{}!$*]+",
    reserved_prefixes=("sg-",),
)
LOG_GROUP = Rule("log group name", "CloudWatch Logs API Reference, CreateLogGroup logGroupName", 512, r"[.\-_/#A-Za-z0-9]+")
SECRET = Rule("secret name", "Secrets Manager API Reference, CreateSecret Name", 512, r"[A-Za-z0-9/_+=.@-]+")
NAMESPACE = Rule(
    "Cloud Map private DNS namespace",
    "AWS Cloud Map API Reference, CreatePrivateDnsNamespace Name (a DNS name: labels of 1-63 letters, digits, hyphens)",
    253,
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}",
)
SNS_TOPIC = Rule("SNS topic name", "Amazon SNS API Reference, CreateTopic Name", 256, r"[A-Za-z0-9_-]+")
SNS_DISPLAY_NAME = Rule(
    "SNS topic display name", "Amazon SNS API Reference, SetTopicAttributes DisplayName (SMS: up to 100 characters)", 100
)
KMS_ALIAS = Rule(
    "KMS alias name",
    "AWS KMS API Reference, CreateAlias AliasName",
    256,
    r"alias/[A-Za-z0-9/_-]+",
    reserved_prefixes=("alias/aws/",),
)
BACKUP_VAULT = Rule("backup vault name", "AWS Backup API Reference, CreateBackupVault BackupVaultName", 50, r"[A-Za-z0-9_-]+", 2)
BACKUP_PLAN = Rule("backup plan name", "AWS Backup API Reference, BackupPlanInput BackupPlanName", 50, r"[A-Za-z0-9_.-]+")
BACKUP_SELECTION = Rule(
    "backup selection name", "AWS Backup API Reference, BackupSelection SelectionName", 50, r"[A-Za-z0-9_.-]+"
)
ALARM = Rule("CloudWatch alarm name", "CloudWatch API Reference, PutMetricAlarm AlarmName", 255)
DASHBOARD = Rule("CloudWatch dashboard name", "CloudWatch API Reference, PutDashboard DashboardName", 255, r"[A-Za-z0-9_-]+")
EVENT_RULE = Rule("EventBridge rule name", "Amazon EventBridge API Reference, PutRule Name", 64, r"[.\-_A-Za-z0-9]+")
SCHEDULE = Rule(
    "EventBridge Scheduler schedule name", "EventBridge Scheduler API Reference, CreateSchedule Name", 64, r"[0-9a-zA-Z_.-]+"
)
AUTO_SCALING_GROUP = Rule(
    "Auto Scaling group name", "Amazon EC2 Auto Scaling API Reference, CreateAutoScalingGroup AutoScalingGroupName", 255
)
LAUNCH_TEMPLATE = Rule(
    "launch template name", "Amazon EC2 API Reference, CreateLaunchTemplate LaunchTemplateName", 128, r"[A-Za-z0-9().\-/_]+", 3
)
SCALING_POLICY = Rule(
    "Application Auto Scaling policy name", "Application Auto Scaling API Reference, PutScalingPolicy PolicyName", 256, r"[^|:]+"
)
ECR_PREFIX = Rule(
    "ECR pull-through cache repository prefix",
    "Amazon ECR API Reference, CreatePullThroughCacheRule ecrRepositoryPrefix",
    30,
    r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*",
    2,
)
APPSTREAM = Rule(
    "AppStream 2.0 fleet or stack name",
    "Amazon AppStream 2.0 API Reference, CreateFleet Name",
    101,
    r"[A-Za-z0-9][A-Za-z0-9_.-]*",
)
APPSTREAM_SETTINGS = Rule(
    "AppStream 2.0 settings group", "Amazon AppStream 2.0 API Reference, ApplicationSettings SettingsGroup", 100
)
GATEWAY = Rule(
    "Storage Gateway name", "AWS Storage Gateway API Reference, ActivateGateway GatewayName", 255, r"[ -~]*[!-~][ -~]*", 2
)
DATASYNC_TASK = Rule("DataSync task name", "AWS DataSync API Reference, CreateTask Name", 256, r"[a-zA-Z0-9\s+=._:@/-]+")
LOG_POLICY = Rule("log resource policy name", "CloudWatch Logs API Reference, PutResourcePolicy policyName", None)
SSM_PARAMETER = Rule(
    "SSM parameter name",
    "AWS Systems Manager User Guide, Parameter naming requirements (1011 characters; not prefixed with aws or ssm)",
    1011,
    r"[A-Za-z0-9_.\-/]+",
    reserved_prefixes=("aws", "ssm", "/aws", "/ssm"),
)


@dataclass(frozen=True)
class BuiltName:
    """One resource argument whose value is built from the deployment name."""

    resource: str  # the Terraform resource type
    argument: str  # its argument (dotted for nested blocks)
    template: str  # "{name}" and PLACEHOLDERS
    rule: Rule

    @property
    def generated(self) -> int:
        """Characters the provider appends (``name_prefix``, ``bucket_prefix``)."""
        return GENERATED_SUFFIX if self.argument.endswith("_prefix") and self.argument != "ecr_repository_prefix" else 0

    def longest(self, name: str) -> str:
        """The name as AWS receives it for deployment ``name``, its variable parts at their longest."""
        return self.shown(name) + "0" * self.generated

    def shown(self, name: str) -> str:
        """``longest`` without the provider's generated suffix (as an error message shows it)."""
        values = {key: longest for key, (_, longest) in PLACEHOLDERS.items()}
        return self.template.format(name=name, **values)

    def matcher(self, name: str) -> re.Pattern[str]:
        """Matches the argument's value in synthesized JSON for deployment ``name``."""
        pattern = ""
        for literal, field, _, _ in _formatter.parse(self.template):
            pattern += re.escape(literal)
            if field == "name":
                pattern += re.escape(name)
            elif field:
                pattern += f"(?P<{field}>{PLACEHOLDERS[field][0]})"
        return re.compile(pattern)

    def as_received(self, match: re.Match[str]) -> str:
        """A synthesized value as AWS receives it: what is read at apply at its longest, and the
        provider's generated suffix."""
        value = match.string
        for field, text in sorted(match.groupdict().items(), key=lambda item: -match.start(item[0])):
            if text is not None and text.startswith("${"):
                value = value[: match.start(field)] + PLACEHOLDERS[field][1] + value[match.end(field) :]
        return value + "0" * self.generated


_formatter = string.Formatter()


def _rows(rule: Rule, resource: str, argument: str, *templates: str) -> list[BuiltName]:
    return [BuiltName(resource, argument, template, rule) for template in templates]


NAMES: tuple[BuiltName, ...] = tuple(
    # network (modules/network.py, modules/flow_logs.py)
    _rows(SECURITY_GROUP, "aws_security_group", "name", "{name}-endpoints")
    + _rows(LOG_GROUP, "aws_cloudwatch_log_group", "name", "/omero/{name}/vpc-flow-logs")
    + _rows(IAM_ROLE, "aws_iam_role", "name", "{name}-vpc-flow-logs")
    # storage (modules/efs.py, modules/database.py, modules/upgrade.py)
    + _rows(EFS_TOKEN, "aws_efs_file_system", "creation_token", "{name}-omero-data")
    + _rows(SECURITY_GROUP, "aws_security_group", "name", "{name}-omero-efs", "{name}-omero-db")
    + _rows(DB_INSTANCE, "aws_db_instance", "identifier", "{name}-omero")
    + _rows(DB_SNAPSHOT, "aws_db_instance", "final_snapshot_identifier", "{name}-omero-final-{stamp}")
    + _rows(DB_SNAPSHOT, "aws_db_snapshot", "db_snapshot_identifier", "{name}-omero-before-{tag}")
    + _rows(DB_PARAMETER_GROUP, "aws_db_parameter_group", "name", "{name}-omero-pg{pg}")
    + _rows(DB_SUBNET_GROUP, "aws_db_subnet_group", "name", "{name}-omero")
    + _rows(
        SECRET,
        "aws_secretsmanager_secret",
        "name",
        *(f"{{name}}/omero/{s}" for s in ("db-password", "db-readonly-password", "root-password")),
    )
    + _rows(
        LOG_GROUP,
        "aws_cloudwatch_log_group",
        "name",
        "/aws/rds/instance/{name}-omero/postgresql",
        "/aws/rds/instance/{name}-omero/upgrade",
    )
    # backup (modules/backup.py)
    + _rows(BACKUP_VAULT, "aws_backup_vault", "name", "{name}-omero", "{name}-omero-copy")
    + _rows(BACKUP_PLAN, "aws_backup_plan", "name", "{name}-omero")
    + _rows(BACKUP_SELECTION, "aws_backup_selection", "name", "{name}-omero")
    + _rows(IAM_ROLE, "aws_iam_role", "name", "{name}-omero-backup")
    + _rows(KMS_ALIAS, "aws_kms_alias", "name", "alias/{name}-omero-backup", "alias/{name}-omero-copy-backup")
    + _rows(EVENT_RULE, "aws_cloudwatch_event_rule", "name", "{name}-omero-backup-failed")
    # services: cluster, hosts, servers, web, load balancers, sessions, images
    + _rows(ECS_CLUSTER, "aws_ecs_cluster", "name", "{name}-omero")
    + _rows(NAMESPACE, "aws_service_discovery_private_dns_namespace", "name", "{name}.internal")
    + _rows(CAPACITY_PROVIDER, "aws_ecs_capacity_provider", "name", "{name}-omero-ecs-host")
    + _rows(AUTO_SCALING_GROUP, "aws_autoscaling_group", "name", "{name}-omero-ecs-host")
    + _rows(LAUNCH_TEMPLATE, "aws_launch_template", "name", "{name}-omero-ecs-host")
    + _rows(INSTANCE_PROFILE, "aws_iam_instance_profile", "name", "{name}-omero-ecs-host", "{name}-omero-uploader")
    + _rows(
        TASK_FAMILY,
        "aws_ecs_task_definition",
        "family",
        "{name}-omero-server",
        "{name}-omero-server-ro-{n}",
        "{name}-omero-web",
        "{name}-omero-web-ro",
        "{name}-omero-import",
    )
    + _rows(
        LOG_GROUP,
        "aws_cloudwatch_log_group",
        "name",
        "/omero/{name}/ecs-exec",
        "/omero/{name}/omero-server",
        "/omero/{name}/omero-server-ro-{n}",
        "/omero/{name}/omero-web",
        "/omero/{name}/omero-web-ro",
        "/omero/{name}/omero-import",
        "/omero/{name}/file-gateway",
        "/aws/datasync/{name}/omero-datasync",
    )
    + _rows(
        IAM_ROLE,
        "aws_iam_role",
        "name",
        *(
            f"{{name}}-{service}-{role}"
            for service in ("omero-server", "omero-server-ro-{n}", "omero-web", "omero-web-ro", "omero-import")
            for role in ("execution", "task")
        ),
        "{name}-omero-ecs-host",
        "{name}-omero-import-scheduler",
        "{name}-omero-uploader",
        "{name}-omero-file-gateway",
        "{name}-omero-monitoring",
        "{name}-datasync-efs",
        "{name}-datasync-source",
    )
    + _rows(
        SECURITY_GROUP,
        "aws_security_group",
        "name",
        *(
            f"{{name}}-omero-{part}"
            for part in (
                "alb",
                "nlb",
                "server",
                "web",
                "sessions",
                "ecs-hosts",
                "import",
                "uploader",
                "file-gateway",
                "datasync",
                "insight-fleet",
            )
        ),
    )
    + _rows(LOAD_BALANCER, "aws_lb", "name", "{name}-omero-web", "{name}-omero-srv")
    + _rows(
        TARGET_GROUP,
        "aws_lb_target_group",
        "name",
        "{name}-omero-web",
        "{name}-omero-view",
        "{name}-omero-wss",
        "{name}-ice-{port}",
    )
    + _rows(S3_BUCKET, "aws_s3_bucket", "bucket_prefix", "{name}-omero-alb-logs-", "{name}-omero-datasync-")
    + _rows(
        SCALING_POLICY,
        "aws_appautoscaling_policy",
        "name",
        "{name}-omero-web-cpu",
        "{name}-omero-web-requests",
        "{name}-omero-web-ro-cpu",
        "{name}-omero-web-ro-requests",
    )
    + _rows(REPLICATION_GROUP, "aws_elasticache_replication_group", "replication_group_id", "{name}-omero-sessions")
    + _rows(CACHE_SUBNET_GROUP, "aws_elasticache_subnet_group", "name", "{name}-omero-sessions")
    + _rows(
        SECRET,
        "aws_secretsmanager_secret",
        "name_prefix",
        "{name}/omero/web-secret-key-",
        "{name}/omero/web-sessions-token-",
        "{name}/omero/web-caches-",
    )
    + _rows(ECR_PREFIX, "aws_ecr_pull_through_cache_rule", "ecr_repository_prefix", "{name}-dockerhub")
    # add-ons (modules/addons/)
    + _rows(
        S3_BUCKET,
        "aws_s3_bucket",
        "bucket",
        "{name}-omero-share-{account}-{region}",
        "{name}-omero-zarr-{account}-{region}",
        # without "omero-": 20 + "-omero-artifacts-" + 12 + "-" + a 14-character region is 64, over 63
        "{name}-artifacts-{account}-{region}",
    )
    + _rows(GATEWAY, "aws_storagegateway_gateway", "gateway_name", "{name}-omero-file-gateway")
    + _rows(DATASYNC_TASK, "aws_datasync_task", "name", "{name}-omero-datasync")
    + _rows(LOG_POLICY, "aws_cloudwatch_log_resource_policy", "policy_name", "{name}-omero-datasync")
    + _rows(SCHEDULE, "aws_scheduler_schedule", "name", "{name}-omero-import")
    + _rows(SSM_PARAMETER, "aws_ssm_parameter", "name", "/omero/{name}/uploader/first-boot")
    + _rows(APPSTREAM, "aws_appstream_fleet", "name", "{name}-omero-insight")
    + _rows(APPSTREAM, "aws_appstream_stack", "name", "{name}-omero-insight")
    + _rows(APPSTREAM_SETTINGS, "aws_appstream_stack", "application_settings.settings_group", "{name}-omero-insight")
    + _rows(SNS_TOPIC, "aws_sns_topic", "name", "{name}-omero-alarms")
    + _rows(SNS_DISPLAY_NAME, "aws_sns_topic", "display_name", "OMERO {name} alarms")
    + _rows(KMS_ALIAS, "aws_kms_alias", "name", "alias/{name}-omero-alarms")
    + _rows(KMS_ALIAS, "aws_kms_alias", "name", "alias/{name}-omero-share")
    + _rows(DASHBOARD, "aws_cloudwatch_dashboard", "dashboard_name", "{name}-omero")
    + _rows(
        ALARM,
        "aws_cloudwatch_metric_alarm",
        "alarm_name",
        *(
            f"{{name}}-omero-{alarm}"
            for alarm in (
                "database-cpu-high",
                "database-memory-low",
                "database-storage-low",
                "efs-io-limit",
                "file-gateway-cache-dirty",
                "file-gateway-health",
                "file-gateway-instance-down",
                "file-gateway-io-wait",
                "file-gateway-unavailable",
                "load-balancer-5xx",
                "server-not-running",
                "web-5xx",
                "web-no-healthy-targets",
                "web-unhealthy-targets",
            )
        ),
    )
)


def refused(name: str) -> str | None:
    """The first name built from ``name`` that AWS would refuse, and the rule, or None."""
    for built in NAMES:
        broken = built.rule.broken(built.longest(name))
        if broken:
            shown = built.shown(name) + ("<generated suffix>" if built.generated else "")
            return f'the {built.rule.kind} "{shown}" {broken} ({built.rule.source})'
    return None
