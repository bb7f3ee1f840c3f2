"""Declaring configuration keys: one place holds each key's type, default, doc and checks.

A config block is a frozen dataclass whose fields are declared with :func:`key`. The loader
(:mod:`config.loader`) walks these classes to parse and validate raw HCL data, and the table of
keys in docs/configuration.md is generated from the same declarations (:mod:`config.docs`).
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple

# A check takes a (typed) value and returns None when it is fine, otherwise what is allowed,
# phrased to follow "allowed: " in the error line.
Check = Callable[[Any], "str | None"]


class Problem(NamedTuple):
    """One configuration error: the dotted key, the value given and what is allowed."""

    key: str
    value: Any
    allowed: str
    # Replaces "<key> = <value>: allowed: <allowed>" when the problem is not about a value.
    text: str | None = None


def key(
    default: Any = dataclasses.MISSING,
    doc: str = "",
    *,
    choices: Iterable[Any] | None = None,
    checks: Iterable[Check] = (),
    factory: Callable[[], Any] | None = None,
) -> Any:
    """Declare a configuration key.

    ``doc`` is one line for the key table (docs/configuration.md). ``choices`` restricts the value to a fixed set; ``checks``
    are further per-value rules. A nested block is declared with ``factory`` (its class).
    """
    metadata = {
        "doc": doc,
        "choices": tuple(choices) if choices is not None else None,
        "checks": tuple(checks),
    }
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def doc_of(field: dataclasses.Field) -> str:
    return field.metadata.get("doc", "")


def choices_of(field: dataclasses.Field) -> tuple[Any, ...] | None:
    return field.metadata.get("choices")


def checks_of(field: dataclasses.Field) -> tuple[Check, ...]:
    return field.metadata.get("checks", ())


def leaf_keys(cls: type, prefix: str = "") -> Iterator[tuple[str, Any, dataclasses.Field]]:
    """Every key that holds a value (not a block) under the block class ``cls``, walking nested
    blocks: its dotted name, its type hint and its field."""
    hints = typing.get_type_hints(cls)
    for field in dataclasses.fields(cls):
        hint = hints[field.name]
        if dataclasses.is_dataclass(hint):
            yield from leaf_keys(typing.cast(type, hint), f"{prefix}{field.name}.")
        else:
            yield prefix + field.name, hint, field


class Block:
    """Base of every config block. Subclasses may add cross-field rules in ``cross_checks``."""

    def cross_checks(self, given: frozenset[str]) -> Iterator[Problem]:
        """Rules that involve more than one key of this block.

        ``given`` holds the names of the keys the file set explicitly (so a rule can tell a
        default from a value the user chose). Keys in the problems are relative to this block.
        """
        return iter(())
