"""Small helpers for IAM policy documents, rendered by Terraform (``aws_iam_policy_document``)."""

from __future__ import annotations

from collections.abc import Sequence

from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct


def allow(actions: list[str], resources: list[str], **extra) -> DataAwsIamPolicyDocumentStatement:
    """An Allow statement of ``actions`` on ``resources``; ``extra`` adds ``sid``, ``condition``, ..."""
    return DataAwsIamPolicyDocumentStatement(effect="Allow", actions=actions, resources=resources, **extra)


def when(test: str, variable: str, *values: str) -> DataAwsIamPolicyDocumentStatementCondition:
    """A statement condition, e.g. ``when("StringEquals", "aws:SourceAccount", account_id)``."""
    return DataAwsIamPolicyDocumentStatementCondition(test=test, variable=variable, values=list(values))


def allow_service(
    sid: str,
    service: str,
    actions: list[str],
    resources: list[str],
    *,
    source_account: str,
    source_arn: str,
) -> DataAwsIamPolicyDocumentStatement:
    """A resource-policy statement that lets an AWS service principal do ``actions`` on behalf of
    this account's resources matching ``source_arn`` only (guards against the confused deputy)."""
    return allow(
        actions,
        resources,
        sid=sid,
        principals=[DataAwsIamPolicyDocumentStatementPrincipals(type="Service", identifiers=[service])],
        condition=[when("StringEquals", "aws:SourceAccount", source_account), when("ArnLike", "aws:SourceArn", source_arn)],
    )


def role_policy(
    scope: Construct,
    id: str,
    *,
    role_id: str,
    name: str,
    document_id: str,
    statements: Sequence[DataAwsIamPolicyDocumentStatement],
) -> IamRolePolicy:
    """An inline ``aws_iam_role_policy`` ``name`` on the role: ``statements``, rendered by the
    ``aws_iam_policy_document`` ``document_id`` (made first)."""
    document = DataAwsIamPolicyDocument(scope, document_id, statement=list(statements))
    return IamRolePolicy(scope, id, name=name, role=role_id, policy=document.json)


def role_policies(
    scope: Construct,
    id: str,
    *,
    role_ids: Sequence[str],
    name: str,
    statements: Sequence[DataAwsIamPolicyDocumentStatement],
) -> list[IamRolePolicy]:
    """The inline ``aws_iam_role_policy`` ``name`` (``statements``, one document ``<id>_document``) on
    each role of ``role_ids``, as ``<id>_<n>``; ``name`` must differ from the roles' other inline
    policies (IAM keeps one policy per name and role)."""
    document = DataAwsIamPolicyDocument(scope, f"{id}_document", statement=list(statements))
    return [
        IamRolePolicy(scope, f"{id}_{n}", name=name, role=role_id, policy=document.json) for n, role_id in enumerate(role_ids)
    ]


def service_trust(scope: Construct, id: str, service: str, *, source_account: str | None = None) -> str:
    """JSON of a trust policy that lets one AWS service assume the role.

    With ``source_account``, only on behalf of that account (guards against the confused deputy).
    """
    conditions = []
    if source_account is not None:
        conditions.append(when("StringEquals", "aws:SourceAccount", source_account))
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
        condition=[when(test, variable, value)],
    )
