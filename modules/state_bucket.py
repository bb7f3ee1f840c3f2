"""The S3 bucket that holds every stack's Terraform state.

Versioned (a deleted or corrupted state object can be restored), encrypted, closed to the public,
reachable only over TLS 1.2+, superseded versions expired after a while, and protected from
``terraform destroy``.
"""
from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct
from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import DataAwsIamPolicyDocument
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
)
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy

from modules.buckets import secure_bucket, tls_only


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
        S3BucketLifecycleConfiguration(
            self,
            "lifecycle",
            bucket=self.bucket.id,
            rule=[
                S3BucketLifecycleConfigurationRule(
                    id="expire-superseded-state",
                    status="Enabled",
                    filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                    noncurrent_version_expiration=[
                        S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                            noncurrent_days=props.noncurrent_version_days
                        )
                    ],
                    abort_incomplete_multipart_upload=[
                        S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(days_after_initiation=7)
                    ],
                )
            ],
        )
        policy = DataAwsIamPolicyDocument(self, "tls_only", statement=tls_only(self.bucket.arn))
        S3BucketPolicy(self, "policy", bucket=self.bucket.id, policy=policy.json)
        self.outputs = StateBucketOutputs(bucket=self.bucket.bucket, arn=self.bucket.arn)
