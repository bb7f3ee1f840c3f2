"""Configuration of the monitoring add-on."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from config import checks
from config.addons.base import Addon
from config.fields import Problem, key

if TYPE_CHECKING:
    from config.schema import Deployment


@dataclass(frozen=True, kw_only=True)
class Monitoring(Addon):
    """A CloudWatch dashboard and alarms to an SNS topic."""

    stack_role = "monitoring"
    stack_class = "stacks.addons.monitoring:MonitoringStack"

    enabled: bool = key(False, "A CloudWatch dashboard and alarms to an SNS topic.")
    alarm_email: str | None = key(
        None,
        "E-mail address subscribed to the alarm topic (AWS sends a confirmation link first); unset: no subscription.",
        checks=[checks.email_address],
    )
    notify_on_recovery: bool = key(True, "Also notify when an alarm returns to OK.")
    kms_key_arn: str | None = key(
        None,
        "Customer KMS key for the alarm topic (its policy must let cloudwatch.amazonaws.com use it); unset: a key made for the topic.",
        checks=[checks.kms_key_arn],
    )
    rds_cpu_percent: int = key(
        80, "Alarm when the database's average CPU stays above this for 15 minutes (1-100).", checks=[checks.between(1, 100)]
    )
    rds_free_storage_gib: int = key(
        10,
        "Alarm when the database's free storage falls below this many GiB.",
        checks=[checks.between(1, 65536)],
    )
    rds_freeable_memory_mib: int = key(
        256,
        "Alarm when the database's freeable memory stays below this many MiB for 15 minutes.",
        checks=[checks.between(16, 1048576)],
    )
    web_5xx_count: int = key(
        20,
        "Alarm when OMERO.web or its load balancer answer more 5xx errors than this in 5 minutes.",
        checks=[checks.between(1, 1000000)],
    )
    efs_io_limit_percent: int = key(
        90,
        "Alarm when EFS PercentIOLimit stays above this (generalPurpose performance mode).",
        checks=[checks.between(1, 100)],
    )
    efs_burst_credits_gib: int = key(
        256,
        'Alarm when the EFS burst credit balance falls below this many GiB (throughput_mode = "bursting").',
        checks=[checks.between(1, 2200)],
    )
    efs_throughput_percent: int = key(
        80,
        'Alarm when EFS uses more than this share of its provisioned throughput (throughput_mode = "provisioned").',
        checks=[checks.between(1, 100)],
    )
    # S3 File Gateway User Guide, "Troubleshooting: File Gateway issues": CachePercentDirty 80 or
    # more means writes arrive faster than they upload; IoWaitPercent over 10, a slow cache disk.
    gateway_cache_dirty_percent: int = key(
        80,
        "Alarm when over this share of the S3 File Gateway's cache has waited 15 minutes to upload (file_gateway add-on; 1-100).",
        checks=[checks.between(1, 100)],
    )
    gateway_io_wait_percent: int = key(
        10,
        "Alarm when the S3 File Gateway waits on its cache disk more than this share of the time for 15 minutes (1-100).",
        checks=[checks.between(1, 100)],
    )

    def deployment_checks(self, deployment: Deployment) -> Iterator[Problem]:
        if not self.enabled:
            return
        storage = deployment.storage
        defaults = {f.name: f.default for f in dataclasses.fields(self)}
        if deployment.cluster.container_insights == "disabled":
            yield Problem(
                "cluster.container_insights",
                "disabled",
                '"enhanced" or "enabled" with monitoring (the OMERO.server alarm counts running tasks from Container Insights)',
            )
        if self.rds_free_storage_gib >= deployment.database.allocated_storage_gb:
            yield Problem(
                "monitoring.rds_free_storage_gib",
                self.rds_free_storage_gib,
                f"less than database.allocated_storage_gb ({deployment.database.allocated_storage_gb})",
            )
        rules = (
            (
                "efs_io_limit_percent",
                storage.performance_mode == "generalPurpose",
                'only with storage.performance_mode = "generalPurpose"',
            ),
            ("efs_burst_credits_gib", storage.throughput_mode == "bursting", 'only with storage.throughput_mode = "bursting"'),
            (
                "efs_throughput_percent",
                storage.throughput_mode == "provisioned",
                'only with storage.throughput_mode = "provisioned"',
            ),
            ("gateway_cache_dirty_percent", deployment.file_gateway.enabled, "only with file_gateway.enabled"),
            ("gateway_io_wait_percent", deployment.file_gateway.enabled, "only with file_gateway.enabled"),
        )
        # A threshold changed from its default for an alarm this deployment does not have.
        for name, applies, allowed in rules:
            if getattr(self, name) != defaults[name] and not applies:
                yield Problem(f"monitoring.{name}", getattr(self, name), allowed)
