"""OMERO configuration as the OMERO container images read it: ``CONFIG_*`` environment variables.

The images pass every ``CONFIG_<name>`` variable to ``omero config set`` at start. In the name a
``.`` of the property becomes ``_`` and a ``_`` becomes ``__``: ``omero.web.server_list`` is
``CONFIG_omero_web_server__list``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from config.secrets import secret_arn


def config_variable(prop: str) -> str:
    """The environment variable that sets OMERO property ``prop``."""
    return "CONFIG_" + prop.replace("_", "__").replace(".", "_")


def config_environment(properties: Mapping[str, str]) -> list[dict[str, str]]:
    """ECS ``environment`` entries for OMERO properties, sorted by name (a stable diff)."""
    return [{"name": config_variable(p), "value": str(v)} for p, v in sorted(properties.items())]


def config_secrets(references: Mapping[str, str]) -> list[dict[str, str]]:
    """ECS ``secrets`` entries for OMERO properties read from Secrets Manager, in the given order:
    ECS reads each ``valueFrom`` (a secret ARN, or ``ARN:json-key:stage:version``) with the
    execution role and sets the property's ``CONFIG_*`` variable to the value."""
    return [{"name": config_variable(p), "valueFrom": reference} for p, reference in references.items()]


def secret_arns(references: Mapping[str, str]) -> tuple[str, ...]:
    """The secrets behind ``references`` (a JSON key and version stripped), each once: what the
    execution role may read (IAM names the secret, not the key in it)."""
    return tuple(dict.fromkeys(secret_arn(reference) for reference in references.values()))


def server_list(servers: Sequence[tuple[str, int, str]]) -> str:
    """The value of ``omero.web.server_list``: ``[[host, port, name], ...]`` as JSON."""
    return json.dumps([list(server) for server in servers])
