"""The JSON of synthesized stacks as the reviews read it: every stack of a ``cdktf.out``, each
block's values flattened to dotted paths (JSON held in strings opened too), secrets told apart by
name and by look and never shown, and the resource types that hold what OMERO keeps.

``pipenv run diff`` compares two trees with it and ``pipenv run plan`` reads Terraform's plans
with it (:mod:`tools.plan.report`, :mod:`tools.plan.compare`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tools.common import ToolError
from tools.readable_change import Text

MAX_VALUE_CHARS = 100
REDACTED = "(redacted)"


# --- secrets: by attribute name and by the look of a value -------------------------------------


_SECRET_NAME = re.compile(
    r"password|passwd|secret|token|private_key|privatekey|api_key|access_key|credential"
    r"|(^|[_.])pass($|[_.])|_wo$",
    re.IGNORECASE,
)
# Names that match the words above but hold references, versions or settings, never the secret.
_NOT_SECRET_SUFFIX = re.compile(
    r"(_version|_arn|_arns|_id|_ids|_name|_names|_length|_count|_days|_period|_interval|_type"
    r"|_enabled|_rotation|_policy|_lifetime)$",
    re.IGNORECASE,
)
_NOT_SECRET_NAMES = {"creation_token", "secrets", "valueFrom"}
_SECRET_VALUE = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----"  # PEM private keys
    r"|\b(AKIA|ASIA)[0-9A-Z]{16}\b"  # AWS access key ids
    r"|\bgh[pousr]_[A-Za-z0-9]{36,}\b"  # GitHub tokens
    r"|\bxox[abprs]-[A-Za-z0-9-]{10,}"  # Slack tokens
    r"|\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\."  # JSON web tokens
    r"|://[^/\s:@]+:[^/\s@]+@"  # credentials in a URL
)
_HIGH_ENTROPY = re.compile(r"^[A-Za-z0-9+/]{32,}={0,2}$")


def is_secret_name(name: str) -> bool:
    """Whether an attribute (or an ECS environment variable) called ``name`` holds a secret."""
    if name in _NOT_SECRET_NAMES or _NOT_SECRET_SUFFIX.search(name):
        return False
    return bool(_SECRET_NAME.search(name))


def looks_secret(value: Any) -> bool:
    """Whether a value looks like a key or token whatever its attribute is called."""
    if not isinstance(value, str) or "${" in value:
        return False
    if _SECRET_VALUE.search(value):
        return True
    # A long run of base64 with upper case, lower case and digits: a key, not a name or a digest.
    return bool(
        _HIGH_ENTROPY.match(value) and re.search(r"[a-z]", value) and re.search(r"[A-Z]", value) and re.search(r"[0-9]", value)
    )


# --- reading synthesized trees and flattening their values --------------------------------


def load_tree(outdir: Path) -> dict[str, dict]:
    """Every stack's JSON in a ``cdktf.out`` directory (or its ``stacks/`` directory), by name."""
    if not outdir.is_dir():
        raise ToolError(f"{outdir}: no such directory (expected a synthesized cdktf.out)")
    stacks_dir = outdir / "stacks" if (outdir / "stacks").is_dir() else outdir
    stacks: dict[str, dict] = {}
    for stack_dir in sorted(p for p in stacks_dir.iterdir() if p.is_dir()):
        path = stack_dir / "cdk.tf.json"
        if not path.is_file():
            if (stack_dir / "cdk.tf").is_file():
                raise ToolError(f"{stack_dir}: holds HCL (cdk.tf); synthesize JSON (without SYNTH_HCL_OUTPUT) to compare")
            continue
        try:
            stacks[stack_dir.name] = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            raise ToolError(f"{path}: not valid JSON") from None
    if not stacks:
        raise ToolError(f"{outdir}: no stacks/<stack>/cdk.tf.json inside (expected a synthesized cdktf.out)")
    return stacks


def flatten(value: Any, path: str = "", *, secret: bool = False) -> dict[str, tuple[Any, bool]]:
    """Leaves of ``value`` by dotted path (``a.b[0].c``), each with whether it is secret.

    JSON held in strings (container definitions, policies) is opened too. A leaf is secret under a
    secret-named key, beside ``"name": <secret-named>`` (ECS environment entries), or when its
    value looks like a key.
    """
    if isinstance(value, str) and not isinstance(value, Text):
        parsed = json_in_string(value)
        if parsed is not None:
            return flatten(parsed, path, secret=secret)
    if isinstance(value, dict) and value:
        leaves: dict[str, tuple[Any, bool]] = {}
        named_secret = isinstance(value.get("name"), str) and is_secret_name(value["name"])
        # ECS secrets keyed by variable name (tools.readable_change) hold ARNs, not the secret.
        references = path.rsplit(".", 1)[-1] == "secrets"
        for key, item in value.items():
            by_name = is_secret_name(str(key)) and not references
            hidden = secret or by_name or (named_secret and key in ("value", "Value"))
            leaves.update(flatten(item, f"{path}.{key}" if path else str(key), secret=hidden))
        return leaves
    if isinstance(value, list) and value:
        leaves = {}
        for index, item in enumerate(value):
            leaves.update(flatten(item, f"{path}[{index}]", secret=secret))
        return leaves
    return {path: (value, secret or looks_secret(value))}


def json_in_string(value: str) -> Any:
    """The JSON object or array a string holds (a container definition, a policy), else None."""
    text = value.strip()
    if not (text.startswith("{") and text.endswith("}")) and not (text.startswith("[") and text.endswith("]")):
        return None
    try:
        parsed = json.loads(text)
    except ValueError:
        return None
    return parsed if isinstance(parsed, (dict, list)) else None


def show(value: Any) -> str:
    """A leaf as a reviewer reads it: JSON scalars, absent as "(none)", long values shortened."""
    if value is ABSENT:
        return "(none)"
    if value is HIDDEN:
        return REDACTED
    text = json.dumps(value, sort_keys=True)
    if len(text) > MAX_VALUE_CHARS:
        keep = MAX_VALUE_CHARS - 30
        text = f"{text[:keep]}…{text[-12:]} ({len(text)} chars)"
    return text


ABSENT = object()  # the leaf is not there on this side
HIDDEN = object()  # the leaf is a secret: compared, never shown


# --- what OMERO keeps ---------------------------------------------------------------------

# What OMERO keeps, and for each type the arguments whose change makes Terraform destroy the
# resource and create a new one (ForceNew in hashicorp/aws 5.x).
STATEFUL_TYPES: dict[str, frozenset[str]] = {
    "aws_efs_file_system": frozenset({"creation_token", "encrypted", "kms_key_id", "performance_mode", "availability_zone_name"}),
    "aws_efs_access_point": frozenset({"file_system_id", "posix_user", "root_directory"}),
    "aws_db_instance": frozenset(
        {
            "identifier",
            "identifier_prefix",
            "engine",
            "kms_key_id",
            "storage_encrypted",
            "availability_zone",
            "db_name",
            "username",
            "character_set_name",
            "nchar_character_set_name",
            "timezone",
            "snapshot_identifier",
            "restore_to_point_in_time",
            "s3_import",
            "custom_iam_instance_profile",
        }
    ),
    "aws_s3_bucket": frozenset({"bucket", "bucket_prefix", "object_lock_enabled"}),
    "aws_secretsmanager_secret": frozenset({"name", "name_prefix"}),
    # The recovery points of EFS and the database.
    "aws_backup_vault": frozenset({"name", "kms_key_arn"}),
}
