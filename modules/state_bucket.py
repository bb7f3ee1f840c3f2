"""The S3 bucket that holds every stack's Terraform state.

Versioned (a deleted or corrupted state object can be restored), encrypted, closed to the public,
reachable only over TLS 1.2+, superseded versions expired after a while, and protected from
``terraform destroy``.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from constructs import Construct

from modules.buckets import bucket_policy, expire_versions, secure_bucket


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
        self.bucket = S3Bucket(
            self,
            "bucket",
            bucket=props.bucket,
            force_destroy=False,
            # Losing this bucket loses track of every deployed resource.
            lifecycle=TerraformResourceLifecycle(prevent_destroy=True),
        )
        secure_bucket(self, self.bucket.id, sse_algorithm="aws:kms", kms_key_arn=props.kms_key_arn)
        expire_versions(self, self.bucket.id, rule_id="expire-superseded-state", noncurrent_days=props.noncurrent_version_days)
        bucket_policy(self, self.bucket.id, self.bucket.arn, document_id="tls_only")
        self.outputs = StateBucketOutputs(bucket=self.bucket.bucket, arn=self.bucket.arn)
