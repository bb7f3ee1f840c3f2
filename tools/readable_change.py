"""What a reviewer reads of a changed or added resource, shared by the synthesized diff and the plan report.

- :func:`readable` reshapes a resource body before it is flattened: ECS container definitions
  keyed by container name, their ``environment`` and ``secrets`` by variable name and their
  ``portMappings`` by container port (so one new variable is one added line, not every later one
  renamed); IAM policy documents held in strings kept whole as indented JSON; empty values (null,
  "", [], {}) dropped, so ``ipc_mode: "" → null`` is no change.
- :func:`text_diff` shows a changed script or policy as a unified diff.
- :func:`added_details` names what matters of an added security-group rule, IAM policy or
  load-balancer listener (its CIDR, ports, actions, resources...).
"""

from __future__ import annotations

import difflib
import json
from typing import Any

# Longer than this, or on several lines, a changed string is shown as a unified diff.
LONG_TEXT = 100


class Text(str):
    """A string shown whole (a policy document as indented JSON): never opened as JSON again."""


def _parsed(value: str) -> Any:
    text = value.strip()
    if text[:1] not in ("{", "["):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _keyed(items: Any, key: str, value_key: str | None = None) -> Any:
    """A list of dicts as a dict by ``key`` (``value_key``: keep only that field); unchanged if a key repeats."""
    if not isinstance(items, list) or not all(isinstance(i, dict) and key in i for i in items):
        return items
    names = [str(i[key]) for i in items]
    if len(set(names)) != len(names):
        return items
    if value_key is not None:
        return {str(i[key]): i.get(value_key) for i in items}
    return {str(i[key]): {k: v for k, v in i.items() if k != key} for i in items}


def _container(definition: dict) -> dict:
    reshaped = dict(definition)
    reshaped["environment"] = _keyed(definition.get("environment"), "name", "value")
    reshaped["secrets"] = _keyed(definition.get("secrets"), "name", "valueFrom")
    ports = _keyed(definition.get("portMappings"), "containerPort")
    if isinstance(ports, dict):  # one line per port: "hostPort=4064 protocol=tcp"
        ports = {
            port: Text(" ".join(f"{k}={v}" for k, v in sorted(rest.items()) if not _empty(v))) for port, rest in ports.items()
        }
    reshaped["portMappings"] = ports
    reshaped["mountPoints"] = _keyed(definition.get("mountPoints"), "containerPath")
    return reshaped


def _is_containers(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(c, dict) and "name" in c and "image" in c for c in value)


def readable(value: Any) -> Any:
    """``value`` reshaped for review (see the module's docstring); secrets stay where flatten finds them."""
    if isinstance(value, str) and not isinstance(value, Text):
        parsed = _parsed(value)
        if isinstance(parsed, dict) and "Statement" in parsed:
            return Text(json.dumps(parsed, indent=2, sort_keys=True))
        if _is_containers(parsed):
            return readable({str(c["name"]): _container(c) for c in parsed})
        return value if parsed is None else readable(parsed)
    if isinstance(value, dict):
        return {k: readable(v) for k, v in value.items() if not _empty(readable(v))}
    if isinstance(value, list):
        return [readable(v) for v in value]
    return value


def is_long_text(before: Any, after: Any) -> bool:
    """Whether a change from ``before`` to ``after`` reads better as a unified diff."""
    texts = [v for v in (before, after) if isinstance(v, str)]
    return len(texts) == 2 and any(len(t) > LONG_TEXT or "\n" in t for t in texts)


def _lines(text: str) -> list[str]:
    """Lines of a text, and a line per command of a shell script (after ``; `` outside quotes)."""
    lines: list[str] = []
    quote, start = "", 0
    for index, char in enumerate(text):
        if char == "\n":
            lines.append(text[start:index])
            start = index + 1
        elif quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == ";" and text[index + 1 : index + 2] == " " and text[index - 1 : index] != ";":
            lines.append(text[start : index + 1])
            start = index + 2
    return lines + [text[start:]]


def text_diff(before: str, after: str) -> list[str]:
    """A unified diff of two texts, without file headers."""
    diff = difflib.unified_diff(_lines(before), _lines(after), lineterm="", n=1)
    return [line for line in diff if not line.startswith(("---", "+++"))]


# ---------------------------------------------------------------------------------------------
# What matters of an added resource
# ---------------------------------------------------------------------------------------------


def _rule(type_: str, body: dict) -> list[str]:
    source = [
        str(body[k])
        for k in ("cidr_ipv4", "cidr_ipv6", "referenced_security_group_id", "prefix_list_id", "source_security_group_id")
        if body.get(k)
    ]
    source += [str(c) for k in ("cidr_blocks", "ipv6_cidr_blocks") for c in body.get(k) or []]
    protocol = body.get("ip_protocol", body.get("protocol"))
    ports = (
        "all ports"
        if str(protocol) == "-1"
        else f"port {body.get('from_port')}" + (f"-{body.get('to_port')}" if body.get("to_port") != body.get("from_port") else "")
    )
    egress = "egress" in type_ or body.get("type") == "egress"
    return [
        f"{'egress' if egress else 'ingress'}: {protocol} {ports} {'to' if egress else 'from'} {', '.join(source) or '(none)'}"
    ]


def _statements(document: Any) -> list[str]:
    if isinstance(document, str):
        document = _parsed(document)
    if not isinstance(document, dict):
        return []
    statements = document.get("Statement") or []
    lines = []
    for s in statements if isinstance(statements, list) else [statements]:
        if isinstance(s, dict):
            actions = s.get("Action") or s.get("NotAction") or []
            resources = s.get("Resource") or s.get("NotResource") or []
            lines.append(f"{s.get('Effect', 'Allow')} {_listed(actions)} on {_listed(resources)}")
    return lines


def _listed(value: Any) -> str:
    return ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)


def _policy_document(body: dict) -> list[str]:
    return [
        f"{s.get('effect', 'Allow')} {_listed(s.get('actions') or s.get('not_actions') or [])} on "
        f"{_listed(s.get('resources') or s.get('not_resources') or [])}"
        for s in body.get("statement") or []
        if isinstance(s, dict)
    ]


def _listener(body: dict) -> list[str]:
    actions = [a.get("type") for a in body.get("default_action") or body.get("action") or [] if isinstance(a, dict)]
    lines = [
        f"{body.get('protocol', '')} port {body.get('port')}".strip() if "port" in body else f"priority {body.get('priority')}"
    ]
    if body.get("certificate_arn"):
        lines.append(f"certificate {body['certificate_arn']}")
    for condition in body.get("condition") or []:
        if isinstance(condition, dict):
            shown = {k: v for k, v in condition.items() if not _empty(v)}
            lines.append(f"when {json.dumps(shown, sort_keys=True)}")
    if actions:
        lines.append(f"then {', '.join(str(a) for a in actions)}")
    return lines


def added_details(type_: str, body: Any) -> list[str]:
    """The attributes a reviewer needs of an added resource of ``type_`` (none for other types)."""
    if not isinstance(body, dict):
        return []
    if type_ in ("aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule", "aws_security_group_rule"):
        return _rule(type_, body)
    if type_ in ("aws_iam_role_policy", "aws_iam_policy"):
        return _statements(body.get("policy"))
    if type_ == "aws_iam_policy_document":
        return _policy_document(body)
    if type_ in ("aws_lb_listener", "aws_lb_listener_rule"):
        return _listener(body)
    return []


# ---------------------------------------------------------------------------------------------
# OMERO RESTART: the read-write server is a singleton
# ---------------------------------------------------------------------------------------------


def _containers(definitions: Any) -> list[dict]:
    parsed = _parsed(definitions) if isinstance(definitions, str) else definitions
    return [c for c in parsed if isinstance(c, dict)] if isinstance(parsed, list) else []


def read_write_server(body: Any) -> dict | None:
    """The omero-server container of a task definition body, if it is the read-write server's
    (read-only servers' families end in "-ro")."""
    if not isinstance(body, dict) or str(body.get("family", "")).endswith("-ro"):
        return None
    return next((c for c in _containers(body.get("container_definitions")) if c.get("name") == "omero-server"), None)


# The read-write server's ECS service (modules/omero_server.py); read-only servers' are named apart.
SERVER_SERVICE = "omero-server"


def service_restart_message(address: str, action: str, before: Any) -> str | None:
    """The OMERO RESTART alert's text when a plan replaces or destroys the read-write server's service:
    Terraform destroys the service (its task stops) before it creates the new one."""
    if action not in ("replace", "destroy") or not isinstance(before, dict) or before.get("name") != SERVER_SERVICE:
        return None
    then = "creates it anew and the new server starts (a few minutes)" if action == "replace" else "does not create it again"
    done = {"replace": "replaced", "destroy": "destroyed"}[action]
    return f"{address} is {done}: Terraform destroys the read-write OMERO.server's service, stopping OMERO, then {then}."


def restart_message(address: str, before: Any, after: Any) -> str | None:
    """The OMERO RESTART alert's text when a change of the task definition ``address`` from
    ``before`` to ``after`` (bodies; ``before`` None when it is new) restarts the read-write server.

    Its service runs one task with deployment maximum 100 % and minimum healthy 0 %
    (modules/omero_server.py). ECS API Reference, DeploymentConfiguration: maximumPercent caps the
    tasks RUNNING or PENDING during a deployment (100 % of one: no second task) and
    minimumHealthyPercent the ones that must stay RUNNING (0 %: the only one may stop), so ECS stops
    the running server before it starts the new one, and OMERO is down from the old server's stop
    until the new one is healthy. ``stopTimeout`` is the container's stop limit and the
    health check's ``startPeriod`` the time the new server is given to start (ECS API Reference,
    ContainerDefinition and HealthCheck).
    """
    old, new = read_write_server(before), read_write_server(after)
    if old is None or new is None:
        return None
    stop = new.get("stopTimeout")
    start = (new.get("healthCheck") or {}).get("startPeriod")
    image_before, image_after = str(old.get("image") or ""), str(new.get("image") or "")
    schema = (
        f"the image changes ({image_before} → {image_after}), so the new server upgrades the database schema as it starts"
        if image_before != image_after
        else f"same image ({image_after}): no schema upgrade"
    )
    return (
        f"{address} changes: ECS stops the only read-write OMERO.server before the new one starts. Expected "
        f"downtime: the old server's stop (up to {stop} s) plus the new one's start (a few minutes; its health "
        f"check allows {start} s); {schema}. Merge when users can be offline."
    )
