"""What KMS key policies of this project share."""
from __future__ import annotations

# The account administers and uses a key made here through IAM policies (the "root" principal of
# a key policy delegates to IAM); services get their own statements beside this one.
KEY_ACCOUNT_ACTIONS = (
    "kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*", "kms:Revoke*",
    "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource", "kms:UntagResource", "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion", "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*",
)
