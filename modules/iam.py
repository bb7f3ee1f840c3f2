"""Small helpers for IAM policy documents, rendered by Terraform (``aws_iam_policy_document``)."""
from __future__ import annotations

from typing import Sequence

from constructs import Construct
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)

# (actions, resources) pairs, each an Allow statement.
Grants = Sequence[tuple[Sequence[str], Sequence[str]]]


def policy_document(scope: Construct, id: str, grants: Grants) -> str:
    """JSON of a policy that allows exactly ``grants``."""
    return DataAwsIamPolicyDocument(
        scope,
        id,
        statement=[
            DataAwsIamPolicyDocumentStatement(effect="Allow", actions=list(actions), resources=list(resources))
            for actions, resources in grants
        ],
    ).json


def service_trust(scope: Construct, id: str, service: str, *, source_account: str | None = None) -> str:
    """JSON of a trust policy that lets one AWS service assume the role.

    With ``source_account``, only on behalf of that account (guards against the confused deputy).
    """
    conditions = []
    if source_account is not None:
        conditions.append(
            DataAwsIamPolicyDocumentStatementCondition(
                test="StringEquals", variable="aws:SourceAccount", values=[source_account]
            )
        )
    return DataAwsIamPolicyDocument(
        scope,
        id,
        statement=[
            DataAwsIamPolicyDocumentStatement(
                effect="Allow",
                actions=["sts:AssumeRole"],
                principals=[DataAwsIamPolicyDocumentStatementPrincipals(type="Service", identifiers=[service])],
                condition=conditions or None,
            )
        ],
    ).json


def deny_when(
    sid: str, actions: Sequence[str], resources: Sequence[str], *, test: str, variable: str, value: str
) -> DataAwsIamPolicyDocumentStatement:
    """A resource-policy statement that denies everyone ``actions`` when a condition holds,
    e.g. ``deny_when(..., test="Bool", variable="aws:SecureTransport", value="false")``."""
    return DataAwsIamPolicyDocumentStatement(
        sid=sid,
        effect="Deny",
        actions=list(actions),
        resources=list(resources),
        principals=[DataAwsIamPolicyDocumentStatementPrincipals(type="*", identifiers=["*"])],
        condition=[DataAwsIamPolicyDocumentStatementCondition(test=test, variable=variable, values=[value])],
    )
