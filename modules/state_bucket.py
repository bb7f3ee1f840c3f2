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
from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import (
    S3BucketOwnershipControls,
    S3BucketOwnershipControlsRule,
)
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
    S3BucketServerSideEncryptionConfigurationRuleA,
    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA,
)
from cdktf_cdktf_provider_aws.s3_bucket_versioning import (
    S3BucketVersioningA,
    S3BucketVersioningVersioningConfiguration,
)

from modules.iam import deny_when


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
        S3BucketVersioningA(
            self,
            "versioning",
            bucket=self.bucket.id,
            versioning_configuration=S3BucketVersioningVersioningConfiguration(status="Enabled"),
        )
        S3BucketServerSideEncryptionConfigurationA(
            self,
            "encryption",
            bucket=self.bucket.id,
            rule=[
                S3BucketServerSideEncryptionConfigurationRuleA(
                    apply_server_side_encryption_by_default=S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                        sse_algorithm="aws:kms", kms_master_key_id=props.kms_key_arn
                    ),
                    bucket_key_enabled=True,
                )
            ],
        )
        S3BucketPublicAccessBlock(
            self,
            "public_access",
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
        )
        S3BucketOwnershipControls(
            self,
            "ownership",
            bucket=self.bucket.id,
            rule=S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced"),
        )
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
        bucket_and_objects = [self.bucket.arn, f"{self.bucket.arn}/*"]
        tls_only = DataAwsIamPolicyDocument(
            self,
            "tls_only",
            statement=[
                deny_when("DenyInsecureTransport", ["s3:*"], bucket_and_objects, test="Bool", variable="aws:SecureTransport", value="false"),
                deny_when("DenyOutdatedTLS", ["s3:*"], bucket_and_objects, test="NumericLessThan", variable="s3:TlsVersion", value="1.2"),
            ],
        )
        S3BucketPolicy(self, "policy", bucket=self.bucket.id, policy=tls_only.json)
        self.outputs = StateBucketOutputs(bucket=self.bucket.bucket, arn=self.bucket.arn)
