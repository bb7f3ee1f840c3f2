"""OMERO properties whose values come from Secrets Manager (``secret_properties`` keys).

A value is what ECS's ``secrets[].valueFrom`` takes for a Secrets Manager secret: the secret's
complete ARN (with the six characters Secrets Manager appends to the name), optionally followed by
``:<json-key>:<version-stage>:<version-id>`` to hand over one key of a JSON secret, e.g.
``arn:aws:secretsmanager:eu-west-1:111122223333:secret:omero/ldap-Ab12Cd:password::`` (Amazon ECS
Developer Guide, "Pass Secrets Manager secrets through Amazon ECS environment variables"). ECS
reads it with the task's execution role at start and hands the value to the container as an
environment variable; the task definition holds only the reference.
"""

from __future__ import annotations

from config.checks import Pattern

# Secret names: 1-512 of letters, digits and /_+=.@- (Secrets Manager API Reference, CreateSecret
# Name); the complete ARN ends in "-" and six random characters (Secrets Manager User Guide,
# "Secret ARN"): a partial ARN would not match the execution role's IAM resource.
_SECRET_ARN = (
    r"arn:aws(?:-cn|-us-gov)?:secretsmanager:[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}-[A-Za-z0-9]{6}"
)
_REFERENCE = Pattern(rf"(?P<arn>{_SECRET_ARN})(?::(?P<json_key>[^:\s]*):(?P<stage>[^:\s]*):(?P<version>[^:\s]*))?")
_PROPERTY = Pattern(r"omero(?:\.[A-Za-z0-9_]+)+")
EXAMPLE = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:omero/ldap-Ab12Cd"


def secret_reference(value: str) -> str | None:
    """None when ``value`` is a secret ARN, or one with ``:json-key:version-stage:version-id``."""
    if _REFERENCE.fullmatch(value):
        return None
    return f'a complete Secrets Manager secret ARN, optionally with ":<json-key>::", e.g. "{EXAMPLE}" or "{EXAMPLE}:password::"'


def secret_arn(reference: str) -> str:
    """The secret's ARN in a reference: what IAM's ``secretsmanager:GetSecretValue`` names."""
    match = _REFERENCE.fullmatch(reference)
    return match["arn"] if match else reference


def secret_properties(value: dict[str, str], *, prefix: str, managed: tuple[str, ...]) -> str | None:
    """OMERO property names under ``prefix`` (none of them ``managed``), each from a secret."""
    for name, reference in value.items():
        if not _PROPERTY.fullmatch(name) or not name.startswith(prefix):
            return f"property {name!r}: OMERO property names starting with {prefix!r}, e.g. {prefix}..."
        if name in managed:
            return f"property {name!r}: set by this project (managed: {', '.join(managed)})"
        problem = secret_reference(reference)
        if problem:
            return f"property {name!r}: {problem}"
    return None
