"""Does an EventBridge event pattern match an event? A small matcher that follows the documented rules,
so a rule's pattern can be tried on the events AWS documents without AWS.

The rules (Amazon EventBridge User Guide: "Creating event patterns", eb-create-pattern.html;
"Arrays in Amazon EventBridge event patterns", eb-event-patterns-arrays.html; "Content filtering
in Amazon EventBridge event patterns", eb-create-pattern-operators.html):

* every field the pattern names must be in the event, at the same nesting (a missing field never
  matches, except with ``{"exists": false}``); fields the pattern does not name are ignored;
* a pattern object nests: its fields are matched against the event's object at the same key;
* a pattern leaf is an array of values, any one of which may match (OR); matching is exact,
  character by character and by JSON type (``"300"`` is not ``300``);
* when the event's value is an array, the field matches if any of its elements matches;
* content filters used here: ``prefix``, ``suffix``, ``anything-but`` (a value, a list of values or
  a prefix), ``exists`` and ``numeric``; any other operator is refused rather than guessed.
"""

from __future__ import annotations

import operator
from typing import Any

_MISSING = object()
_COMPARE = {"<": operator.lt, "<=": operator.le, "=": operator.eq, ">=": operator.ge, ">": operator.gt}


def matches(pattern: dict[str, Any], event: Any) -> bool:
    """True when ``event`` (a JSON object) matches ``pattern``."""
    if not isinstance(event, dict):
        return False
    for name, wanted in pattern.items():
        value = event.get(name, _MISSING)
        if isinstance(wanted, dict):
            if not matches(wanted, value):
                return False
        elif isinstance(wanted, list):
            if not _leaf(wanted, value):
                return False
        else:
            raise ValueError(f"pattern field {name!r}: an object or an array of values, not {wanted!r}")
    return True


def _leaf(wanted: list[Any], value: Any) -> bool:
    if value is _MISSING:
        return any(isinstance(w, dict) and w.get("exists") is False for w in wanted)
    values = value if isinstance(value, list) else [value]
    return any(_one(w, v) for w in wanted for v in values)


def _same(a: Any, b: Any) -> bool:
    """Exact JSON equality: type included (True is not 1, "1" is not 1)."""
    return type(a) is type(b) and a == b


def _one(wanted: Any, value: Any) -> bool:
    if not isinstance(wanted, dict):
        return _same(wanted, value)
    if len(wanted) != 1:
        raise ValueError(f"a content filter has one operator: {wanted!r}")
    [(name, argument)] = wanted.items()
    if name == "exists":
        return bool(argument)  # the field is there (missing fields are handled by the caller)
    if name == "prefix":
        return isinstance(value, str) and value.startswith(argument)
    if name == "suffix":
        return isinstance(value, str) and value.endswith(argument)
    if name == "anything-but":
        if isinstance(argument, dict):
            return not _one(argument, value)
        excluded = argument if isinstance(argument, list) else [argument]
        return not any(_same(e, value) for e in excluded)
    if name == "numeric":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        pairs = zip(argument[::2], argument[1::2], strict=True)
        return all(_COMPARE[op](value, bound) for op, bound in pairs)
    raise ValueError(f"content filter {name!r} is not modelled here")
