"""The S3 bucket that holds every stack's Terraform state.

Versioned (a deleted or corrupted state object can be restored), encrypted, closed to the public,
reachable only over TLS 1.2+, superseded versions expired after a while, and protected from
``terraform destroy``.
"""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct

from modules.buckets import Versions, hardened_bucket


@dataclass(frozen=True, kw_only=True)
class StateBucketProps:
    bucket: str
    kms_key_arn: str | None = None  # the AWS-managed aws/s3 key when None
    noncurrent_version_days: int = 90  # how long superseded state versions are kept


@dataclass(frozen=True, kw_only=True)
class StateBucketOutputs:
    bucket: str
    arn: str


class StateBucket(Construct):
    def __init__(self, scope: Construct, id: str, *, props: StateBucketProps):
        super().__init__(scope, id)
        self.bucket = hardened_bucket(
            self,
            name=props.bucket,
            kms_key_arn=props.kms_key_arn,
            versions=Versions(rule_id="expire-superseded-state", noncurrent_days=props.noncurrent_version_days),
            # Losing this bucket loses track of every deployed resource.
            prevent_destroy=True,
        ).bucket
        self.outputs = StateBucketOutputs(bucket=self.bucket.bucket, arn=self.bucket.arn)
