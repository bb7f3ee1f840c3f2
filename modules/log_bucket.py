"""An S3 bucket that receives load balancer access logs.

Encrypted (SSE-S3: the only encryption ELB log delivery supports), closed to the public, owned by
the bucket owner, reachable only over TLS, writable by the regional ELB log delivery and nothing
else, and emptied by a lifecycle rule after ``retention_days``.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import DataAwsIamPolicyDocumentStatementPrincipals
from constructs import Construct

from modules.buckets import Versions, hardened_bucket
from modules.context import stack_context
from modules.iam import allow

# Regions opened before August 2022 deliver ELB logs from a regional AWS account; the others
# from the logdelivery.elasticloadbalancing.amazonaws.com service principal.
# https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html
ELB_LOG_ACCOUNTS = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "af-south-1": "098369216593",
    "ap-east-1": "754344448648",
    "ap-southeast-3": "589379963580",
    "ap-south-1": "718504428378",
    "ap-northeast-3": "383597477331",
    "ap-northeast-2": "600734575887",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "ap-northeast-1": "582318560864",
    "ca-central-1": "985666609251",
    "eu-central-1": "054676820928",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-south-1": "635631232127",
    "eu-west-3": "009996457667",
    "eu-north-1": "897822967062",
    "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
    "us-gov-west-1": "048591011584",
    "us-gov-east-1": "190560391635",
    "cn-north-1": "638102146993",
    "cn-northwest-1": "037604701340",
}


@dataclass(frozen=True, kw_only=True)
class AccessLogBucketProps:
    bucket_prefix: str  # S3 appends a unique suffix
    log_prefix: str  # where the load balancer writes, without slashes
    retention_days: int = 90


@dataclass(frozen=True, kw_only=True)
class AccessLogBucketOutputs:
    bucket: str
    arn: str
    log_prefix: str


class AccessLogBucket(Construct):
    def __init__(self, scope: Construct, id: str, *, props: AccessLogBucketProps):
        super().__init__(scope, id)
        aws = stack_context(self)
        account = ELB_LOG_ACCOUNTS.get(aws.region)
        principal = (
            DataAwsIamPolicyDocumentStatementPrincipals(type="AWS", identifiers=[f"arn:{aws.partition}:iam::{account}:root"])
            if account
            else DataAwsIamPolicyDocumentStatementPrincipals(
                type="Service", identifiers=["logdelivery.elasticloadbalancing.amazonaws.com"]
            )
        )
        made = hardened_bucket(
            self,
            name_prefix=props.bucket_prefix,
            sse_algorithm="AES256",
            versions=Versions(
                rule_id="expire-access-logs", expire_days=props.retention_days, noncurrent_days=1, abort_upload_days=1
            ),
            prevent_destroy=False,
            policy_document_id="policy_document",
            statements=lambda arn: [
                allow(
                    ["s3:PutObject"],
                    [f"{arn}/{props.log_prefix}/AWSLogs/{aws.account_id}/*"],
                    sid="ElbLogDelivery",
                    principals=[principal],
                )
            ],
        )
        bucket, self.policy = made.bucket, made.policy
        self.outputs = AccessLogBucketOutputs(bucket=bucket.bucket, arn=bucket.arn, log_prefix=props.log_prefix)
