"""What every S3 bucket of this project has: versioning, default encryption, no public access,
objects owned by the bucket owner, and a policy that refuses plain HTTP and TLS below 1.2."""
from __future__ import annotations

from constructs import Construct
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import DataAwsIamPolicyDocumentStatement
from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import (
    S3BucketOwnershipControls,
    S3BucketOwnershipControlsRule,
)
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


def secure_bucket(scope: Construct, bucket_id: str, *, sse_algorithm: str, kms_key_arn: str | None = None) -> None:
    """Versioning, default encryption, public access block and owner-enforced ownership.

    ``sse_algorithm`` is ``aws:kms`` (with ``kms_key_arn``, or the aws/s3 key) or ``AES256``.
    """
    S3BucketVersioningA(
        scope,
        "versioning",
        bucket=bucket_id,
        versioning_configuration=S3BucketVersioningVersioningConfiguration(status="Enabled"),
    )
    S3BucketServerSideEncryptionConfigurationA(
        scope,
        "encryption",
        bucket=bucket_id,
        rule=[
            S3BucketServerSideEncryptionConfigurationRuleA(
                apply_server_side_encryption_by_default=S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                    sse_algorithm=sse_algorithm, kms_master_key_id=kms_key_arn
                ),
                bucket_key_enabled=True if sse_algorithm == "aws:kms" else None,
            )
        ],
    )
    S3BucketPublicAccessBlock(
        scope,
        "public_access",
        bucket=bucket_id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
    )
    S3BucketOwnershipControls(
        scope,
        "ownership",
        bucket=bucket_id,
        rule=S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced"),
    )


def tls_only(bucket_arn: str) -> list[DataAwsIamPolicyDocumentStatement]:
    """Bucket-policy statements that refuse plain HTTP and TLS older than 1.2 to everyone."""
    bucket_and_objects = [bucket_arn, f"{bucket_arn}/*"]
    return [
        deny_when("DenyInsecureTransport", ["s3:*"], bucket_and_objects, test="Bool", variable="aws:SecureTransport", value="false"),
        deny_when("DenyOutdatedTLS", ["s3:*"], bucket_and_objects, test="NumericLessThan", variable="s3:TlsVersion", value="1.2"),
    ]
