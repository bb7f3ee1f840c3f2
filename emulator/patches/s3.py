"""S3: bucket policies with conditions."""

from __future__ import annotations

from emulator.patches import Patcher, patch


@patch(
    "s3 bucket policy conditions",
    (
        "moto cannot evaluate the condition keys of a bucket policy statement and then treats "
        "the statement as a match, so the state bucket's TLS-only Deny (aws:SecureTransport, "
        "s3:TlsVersion) forbids every request. Here statements with conditions are left out of "
        "S3's evaluation; the policy itself is asserted in tests/test_state.py."
    ),
)
def bucket_policy_conditions(patcher: Patcher) -> None:
    from moto.iam.access_control import IAMPolicyStatement, PermissionResult

    original = IAMPolicyStatement.is_action_permitted

    def is_action_permitted(self, action, resource="*", principal=None, incoming_condition_values=None):
        # S3 bucket policies are evaluated with no request context at all.
        if self._statement.get("Condition") and incoming_condition_values is None:
            return PermissionResult.NEUTRAL
        return original(self, action, resource, principal, incoming_condition_values)

    patcher.setattr(IAMPolicyStatement, "is_action_permitted", is_action_permitted)
