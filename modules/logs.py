"""CloudWatch Logs groups with a retention period and optional customer-managed encryption."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from constructs import Construct


def log_group(scope: Construct, id: str, *, name: str, retention_days: int, kms_key_arn: str | None) -> CloudwatchLogGroup:
    """An ``aws_cloudwatch_log_group`` kept ``retention_days``, encrypted with ``kms_key_arn`` if given."""
    return CloudwatchLogGroup(scope, id, name=name, retention_in_days=retention_days, kms_key_id=kms_key_arn)
