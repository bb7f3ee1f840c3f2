"""What KMS key policies of this project share."""

from __future__ import annotations

# The account administers and uses a key made here through IAM policies (the "root" principal of
# a key policy delegates to IAM); services get their own statements beside this one.
KEY_ACCOUNT_ACTIONS = (
    "kms:Create*",
    "kms:Describe*",
    "kms:Enable*",
    "kms:List*",
    "kms:Put*",
    "kms:Update*",
    "kms:Revoke*",
    "kms:Disable*",
    "kms:Get*",
    "kms:Delete*",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
)


def account_statement(partition: str, account_id: str) -> dict:
    """The key policy statement by which the account administers and uses the key through IAM.

    Written as JSON rather than through aws_iam_policy_document, whose identity-policy linters
    read the "*" resource (in a key policy: this key) as every resource in the account.
    """
    return {
        "Sid": "AccountAdministersAndUsesTheKeyThroughIam",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
        "Action": list(KEY_ACCOUNT_ACTIONS),
        "Resource": "*",
    }
