"""What every S3 bucket of this project has: versioning, default encryption, no public access,
objects owned by the bucket owner, a lifecycle rule that expires replaced versions, and a policy
that refuses plain HTTP and TLS below 1.2; :func:`hardened_bucket` makes a bucket with all of them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
)
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleExpiration,
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
from constructs import Construct

from modules.iam import deny_when


@dataclass(frozen=True, kw_only=True)
class Versions:
    """The bucket's lifecycle rule (see :func:`expire_versions`)."""

    rule_id: str
    noncurrent_days: int  # how long a replaced or deleted version is kept
    expire_days: int | None = None  # objects are deleted this long after upload; None: kept
    abort_upload_days: int = 7  # unfinished multipart uploads are abandoned after this


@dataclass(frozen=True, kw_only=True)
class HardenedBucket:
    bucket: S3Bucket
    policy: S3BucketPolicy  # what must exist before a service writes to the bucket (a load balancer's logs)


def hardened_bucket(
    scope: Construct,
    *,
    name: str | None = None,
    name_prefix: str | None = None,
    versions: Versions,
    prevent_destroy: bool,
    force_destroy: bool = False,
    sse_algorithm: str = "aws:kms",
    kms_key_arn: str | None = None,
    statements: Callable[[str], Sequence[DataAwsIamPolicyDocumentStatement]] | None = None,
    policy_document_id: str = "tls_only",
) -> HardenedBucket:
    """An S3 bucket named ``name`` (or ``name_prefix`` and a suffix S3 picks) with everything of
    :func:`secure_bucket`, the lifecycle rule ``versions`` and a policy of ``statements(<the bucket's
    ARN>)`` and the TLS-only denials, all made in ``scope`` ("bucket", "versioning", ..., "policy"), one bucket per
    construct. ``prevent_destroy``: Terraform refuses to destroy it (a bucket that holds the only
    copy of something); ``force_destroy``: a destroy empties it first (copies that are made again).
    SSE-KMS with ``kms_key_arn`` (the aws/s3 key when None), or ``sse_algorithm = "AES256"``."""
    if (name is None) == (name_prefix is None):
        raise ValueError("a bucket takes a name or a name prefix")
    bucket = S3Bucket(
        scope,
        "bucket",
        bucket=name,
        bucket_prefix=name_prefix,
        force_destroy=force_destroy,
        lifecycle=TerraformResourceLifecycle(prevent_destroy=True) if prevent_destroy else None,
    )
    secure_bucket(scope, bucket.id, sse_algorithm=sse_algorithm, kms_key_arn=kms_key_arn)
    expire_versions(
        scope,
        bucket.id,
        rule_id=versions.rule_id,
        noncurrent_days=versions.noncurrent_days,
        abort_upload_days=versions.abort_upload_days,
        expire_days=versions.expire_days,
    )
    own = statements(bucket.arn) if statements else ()
    policy = bucket_policy(scope, bucket.id, bucket.arn, document_id=policy_document_id, statements=own)
    return HardenedBucket(bucket=bucket, policy=policy)


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
        deny_when(
            "DenyInsecureTransport", ["s3:*"], bucket_and_objects, test="Bool", variable="aws:SecureTransport", value="false"
        ),
        deny_when("DenyOutdatedTLS", ["s3:*"], bucket_and_objects, test="NumericLessThan", variable="s3:TlsVersion", value="1.2"),
    ]


def expire_versions(
    scope: Construct,
    bucket_id: str,
    *,
    rule_id: str,
    noncurrent_days: int,
    abort_upload_days: int = 7,
    expire_days: int | None = None,
) -> S3BucketLifecycleConfiguration:
    """The bucket's ``aws_s3_bucket_lifecycle_configuration`` ("lifecycle"): one rule over every
    object that expires replaced versions after ``noncurrent_days``, abandons unfinished multipart
    uploads after ``abort_upload_days`` and, with ``expire_days``, deletes objects that old."""
    return S3BucketLifecycleConfiguration(
        scope,
        "lifecycle",
        bucket=bucket_id,
        rule=[
            S3BucketLifecycleConfigurationRule(
                id=rule_id,
                status="Enabled",
                filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                expiration=[S3BucketLifecycleConfigurationRuleExpiration(days=expire_days)] if expire_days is not None else None,
                noncurrent_version_expiration=[
                    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(noncurrent_days=noncurrent_days)
                ],
                abort_incomplete_multipart_upload=[
                    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(days_after_initiation=abort_upload_days)
                ],
            )
        ],
    )


def bucket_policy(
    scope: Construct,
    bucket_id: str,
    bucket_arn: str,
    *,
    document_id: str,
    statements: Sequence[DataAwsIamPolicyDocumentStatement] = (),
) -> S3BucketPolicy:
    """The bucket's ``aws_s3_bucket_policy`` ("policy"): ``statements``, then the TLS-only denials,
    rendered by the ``aws_iam_policy_document`` ``document_id``."""
    document = DataAwsIamPolicyDocument(scope, document_id, statement=[*statements, *tls_only(bucket_arn)])
    return S3BucketPolicy(scope, "policy", bucket=bucket_id, policy=document.json)
