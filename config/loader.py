"""Read a deployment file (HCL) into a validated :class:`config.schema.Deployment`.

Every problem in the file is collected and reported together, one line each, naming the key,
the value and what is allowed. Nothing here imports cdktf or the AWS provider bindings, so a bad
file is rejected in a fraction of a second.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import os
import types
import typing
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar, cast

from config import syntax
from config.checks import Pattern, did_you_mean
from config.fields import Block, Problem, checks_of, choices_of, doc_of
from config.schema import Deployment

B = TypeVar("B", bound=Block)

DEFAULT_CONFIG = Path(__file__).with_name("default.hcl")
CONFIG_ENV = "OMERO_CONFIG"
# A deployment file is a few kilobytes; anything far larger (or a stream such as /dev/zero) is a
# wrong path, refused before it is read whole.
MAX_CONFIG_BYTES = 1024 * 1024


class ConfigError(Exception):
    """The configuration is unusable. ``lines`` holds one message per problem."""

    def __init__(self, source: str, lines: list[str]):
        # One problem is one line: a file name or a value may carry a newline or another line
        # separator, which is shown escaped instead.
        self.source = _one_line(source)
        self.lines = [_one_line(line) for line in lines]
        super().__init__("\n".join(f"{self.source}: {line}" for line in self.lines))


def _one_line(text: str) -> str:
    """``text`` with every character that is not printable (newlines, other line separators,
    control characters) written as its escape."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def config_path(environ: typing.Mapping[str, str] = os.environ) -> Path:
    """The deployment file to use: ``$OMERO_CONFIG``, else the embedded default."""
    value = environ.get(CONFIG_ENV, "").strip()
    return Path(value) if value else DEFAULT_CONFIG


def load(path: str | os.PathLike[str]) -> Deployment:
    """Parse and validate the file at ``path``; raise :class:`ConfigError` on any problem."""
    path = Path(path)
    source = str(path)
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_CONFIG_BYTES + 1)
        if len(data) > MAX_CONFIG_BYTES:
            raise ConfigError(source, [f"is larger than {MAX_CONFIG_BYTES // 1024} KiB; expected an HCL deployment file"])
        text = data.decode("utf-8-sig")  # a byte order mark (some editors write one) is not content
    except FileNotFoundError:
        raise ConfigError(source, ["file not found (set OMERO_CONFIG to a deployment .hcl file)"]) from None
    except IsADirectoryError:
        raise ConfigError(source, ["is a directory, not a deployment .hcl file"]) from None
    except UnicodeDecodeError:
        raise ConfigError(source, ["is not UTF-8 text; expected an HCL deployment file"]) from None
    except OSError as exc:
        raise ConfigError(source, [f"cannot be read: {exc.strerror}"]) from None
    return loads(text, source)


def loads(text: str, source: str = "<config>") -> Deployment:
    """Parse and validate HCL text; ``source`` names it in messages."""
    problems: list[Problem] = []
    try:
        raw = _parse_hcl(text, source)
        deployment = _build(Deployment, raw, "", problems)
    except RecursionError:  # blocks or values nested hundreds deep: no deployment looks like that
        raise ConfigError(source, ["is nested too deeply to be a deployment file"]) from None
    if problems or deployment is None:
        raise ConfigError(source, [_describe(p) for p in problems])
    return deployment


def _parse_hcl(text: str, source: str) -> dict[str, Any]:
    if not text.strip():
        raise ConfigError(source, ['is empty; a deployment file sets at least name = "..."'])
    import hcl2  # imported here: parsing is the only user, and it costs import time
    from hcl2 import SerializationOptions

    options = SerializationOptions(strip_string_quotes=True, explicit_blocks=False, with_comments=False)
    try:
        tree = hcl2.parses_to_tree(text)  # parsed once: for the values and for repeated keys
    except Exception as exc:  # lark raises a family of its own exceptions
        # The parser notices an unclosed block at the end of the file: say where it was opened.
        where = syntax.bracket_problem(text)
        line, column = getattr(exc, "line", None), getattr(exc, "column", None)
        if where is not None:
            where = f": {where}"
        elif line is not None:
            where = f" at line {line}, column {column}"
        raise ConfigError(source, [f"is not valid HCL{where or ''}"]) from None
    escapes = syntax.bad_escapes(tree)  # python-hcl2 keeps "\q" as it is; Terraform refuses it
    if escapes:
        raise ConfigError(source, escapes)
    # python-hcl2 keeps the last of two equal keys (or fails on a name used for a key and a
    # block); Terraform calls both an error, and so do we, naming the key.
    repeated = _repeated_keys(tree, "")
    if repeated:
        raise ConfigError(source, repeated)
    try:
        return hcl2.serialize(hcl2.transform(tree), serialization_options=options)
    except Exception:
        raise ConfigError(source, ["is not valid HCL"]) from None


def _repeated_keys(node: Any, prefix: str) -> list[str]:
    """One message per name written twice in the same body or object, in file order.

    A block may be written twice (the loader reports that with the block's rules); an attribute
    may not, nor may an attribute and a block share a name, nor an object repeat a key.
    """
    repeated: list[str] = []
    for body in (c for c in getattr(node, "children", []) if getattr(c, "data", None) == "body"):
        attributes: set[str] = set()
        blocks: set[str] = set()
        for child in body.children:
            kind = getattr(child, "data", None)
            if kind not in ("attribute", "block"):
                continue
            name = str(child.children[0].children[0])
            clash = name in attributes or (kind == "attribute" and name in blocks)
            message = f"{prefix}{name}: set more than once; allowed: once"
            if clash and message not in repeated:
                repeated.append(message)
            if kind == "attribute":
                attributes.add(name)
                repeated += _repeated_object_keys(child.children[-1], prefix + name)
            else:
                blocks.add(name)
                repeated += _repeated_keys(child, f"{prefix}{name}.")
    return repeated


def _repeated_object_keys(node: Any, where: str) -> list[str]:
    """Keys written twice in an object (``{ a = 1, a = 2 }``) anywhere in an attribute's value."""
    from lark import Token, Tree

    if not isinstance(node, Tree):
        return []
    if node.data != "object":
        return [m for child in node.children for m in _repeated_object_keys(child, where)]
    repeated: list[str] = []
    seen: set[str] = set()
    for element in (c for c in node.children if isinstance(c, Tree) and c.data == "object_elem"):
        tokens = element.children[0].scan_values(lambda v: isinstance(v, Token))
        name = "".join(str(t) for t in tokens if t.type != "DBLQUOTE")  # a and "a" are one key
        message = f"{where}: key {json.dumps(name)} set more than once; allowed: once"
        if name in seen and message not in repeated:
            repeated.append(message)
        seen.add(name)
        repeated += _repeated_object_keys(element.children[-1], f"{where}.{name}")
    return repeated


def _describe(problem: Problem) -> str:
    if problem.text is not None:
        return f"{problem.key}: {problem.text}"
    return f"{problem.key} = {_show(problem.value)}: allowed: {problem.allowed}"


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        # Quoted, in its own characters; ConfigError escapes what is not printable.
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_show(v)}" for k, v in value.items()) + "}"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):  # an item of a list of blocks
        return _show({f.name: getattr(value, f.name) for f in dataclasses.fields(value) if getattr(value, f.name) is not None})
    return str(value)


def _type_name(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        return _type_name(inner[0])
    if origin is tuple and dataclasses.is_dataclass(typing.get_args(hint)[0]):
        return "a list of blocks [{ ... }, ...]"
    if origin is tuple:
        return "a list of " + {str: "strings", int: "whole numbers"}[typing.get_args(hint)[0]]
    if origin is dict:
        return "a map of strings"
    if dataclasses.is_dataclass(hint):
        return "a block { ... }"
    return {str: "a string", int: "a whole number", bool: "true or false"}[hint]


def _build(cls: type[B], raw: Any, prefix: str, problems: list[Problem]) -> B | None:
    """Build ``cls`` from raw parsed data, appending problems; None when the block is unusable."""
    if isinstance(raw, list) and len(raw) == 1 and isinstance(raw[0], dict):
        raw = raw[0]  # python-hcl2 gives blocks as lists of one dict
    if isinstance(raw, list) and raw and all(isinstance(r, dict) for r in raw):
        problems.append(Problem(prefix.rstrip("."), raw, "", text=f"written {len(raw)} times; allowed: one block"))
        return None
    if not isinstance(raw, dict):
        problems.append(Problem(prefix.rstrip("."), raw, "a block { ... }"))
        return None

    fields = {f.name: f for f in dataclasses.fields(cast(Any, cls))}
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    before = len(problems)
    for name, value in raw.items():
        if name not in fields:
            close = difflib.get_close_matches(name, list(fields), n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}? " if close else ""
            known = f"{hint}known keys here: {', '.join(fields)}"
            if _IDENTIFIER.fullmatch(name):
                problems.append(Problem(prefix + name, value, "", text=f"unknown key; {known}"))
            else:  # a map's key ({ ":" = 1 }) is any text: named after the block, quoted
                where = prefix.rstrip(".") or "<top level>"
                problems.append(Problem(where, value, "", text=f"unknown key {json.dumps(name, ensure_ascii=False)}; {known}"))
            continue
        typed = _convert(hints[name], value, prefix + name, problems)
        if typed is _INVALID:
            continue
        field = fields[name]
        if not dataclasses.is_dataclass(hints[name]) and typed is not None:
            choices = choices_of(field)
            if choices is not None and typed not in choices:
                near = did_you_mean(typed, choices) if isinstance(typed, str) else ""
                problems.append(Problem(prefix + name, typed, "one of " + ", ".join(_show(c) for c in choices) + near))
                continue
            failed = next((msg for check in checks_of(field) if (msg := check(typed))), None)
            if failed and isinstance(typed, dict):
                # A map is not repeated back: a map of OMERO properties may hold a password.
                problems.append(Problem(prefix + name, None, "", text=failed))
                continue
            if failed:
                problems.append(Problem(prefix + name, typed, failed))
                continue
        values[name] = typed

    # Blocks that were not written still get their defaults, and their own rules run.
    for name, field in fields.items():
        if name in raw:
            continue
        if dataclasses.is_dataclass(hints[name]):
            values[name] = _build(hints[name], {}, f"{prefix}{name}.", problems)
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            problems.append(Problem(prefix + name, None, "", text=f"missing; this key is required ({doc_of(field)})"))
    if len(problems) > before:
        # Checks across the blocks that are right still run, so one round lists every problem.
        partial = getattr(cls, "partial_checks", None)
        if partial is not None:
            valid = {name: value for name, value in values.items() if value is not None}
            problems.extend(problem._replace(key=prefix + problem.key) for problem in partial(valid))
        return None
    instance = cls(**values)
    for problem in instance.cross_checks(frozenset(raw)):
        problems.append(problem._replace(key=prefix + problem.key))
    return instance


_INVALID = object()
# An HCL identifier: what a key written as a name (not as a quoted map key) looks like.
_IDENTIFIER = Pattern(r"[A-Za-z_][A-Za-z0-9_-]*")


def _has_expression(value: Any) -> bool:
    """Whether ``value`` is or holds a string that Terraform would evaluate (``${...}``, ``%{...}``)."""
    if isinstance(value, str):
        return "${" in value or "%{" in value
    if isinstance(value, list):
        return any(_has_expression(v) for v in value)
    if isinstance(value, dict):
        return any(_has_expression(k) or _has_expression(v) for k, v in value.items())
    return False


# Characters no configuration value holds: control characters (a newline, a tab, NUL), format
# characters (zero-width and bidirectional controls), line and paragraph separators, and lone
# surrogates. Every value ends up in a script, a file, a tag or an AWS API call, one line each.
_NOT_TEXT = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_CHARACTER_NAMES = {"\n": "a newline", "\r": "a carriage return", "\t": "a tab"}


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for name, item in value.items():
            yield from _strings(name)
            yield from _strings(item)


def _not_text(value: Any) -> str | None:
    """The first character of ``value`` (or of a string in it) that no value may hold."""
    return next((c for s in _strings(value) for c in s if unicodedata.category(c) in _NOT_TEXT), None)


def _not_text_problem(where: str, value: Any, bad: str) -> Problem:
    named = _CHARACTER_NAMES.get(bad) or unicodedata.name(bad, "a control character").lower()
    allowed = f"text on one line without control or invisible characters (found {named}, U+{ord(bad):04X})"
    if isinstance(value, dict):  # a map is not repeated back: it may hold a password
        return Problem(where, None, "", text=f"names and values allowed: {allowed}")
    return Problem(where, value, allowed)


def _holds_blocks(hint: Any) -> bool:
    """Whether ``hint`` is a block or a list of blocks (whose own keys are checked one by one)."""
    args = typing.get_args(hint)
    return dataclasses.is_dataclass(hint) or (
        typing.get_origin(hint) is tuple and bool(args) and dataclasses.is_dataclass(args[0])
    )


def _convert(hint: Any, value: Any, where: str, problems: list[Problem]) -> Any:
    origin = typing.get_origin(hint)
    # A block's own keys are checked one by one; any other value must hold no expression at all
    # (a list or map item would reach Terraform, which would evaluate it).
    if _has_expression(value) and (isinstance(value, str) or not dataclasses.is_dataclass(hint)):
        problems.append(
            Problem(where, value, "a literal value (expressions, interpolation and template directives are not evaluated)")
        )
        return _INVALID
    bad = None if _holds_blocks(hint) else _not_text(value)
    if bad is not None:
        problems.append(_not_text_problem(where, value, bad))
        return _INVALID
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        inner = [a for a in typing.get_args(hint) if a is not type(None)][0]
        return _convert(inner, value, where, problems)
    if dataclasses.is_dataclass(hint):
        built = _build(cast(type[Block], hint), value, where + ".", problems)
        return _INVALID if built is None else built
    if origin is tuple and dataclasses.is_dataclass(typing.get_args(hint)[0]):
        return _convert_blocks(typing.get_args(hint)[0], value, where, problems)
    if origin is tuple:
        item = typing.get_args(hint)[0]
        if not isinstance(value, list) or not all(_is(item, v) for v in value):
            problems.append(Problem(where, value, _type_name(hint)))
            return _INVALID
        return tuple(value)
    if origin is dict:
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            problems.append(Problem(where, value, _type_name(hint)))
            return _INVALID
        return {str(k): v for k, v in value.items()}
    if not _is(hint, value):
        problems.append(Problem(where, value, _type_name(hint)))
        return _INVALID
    return value


def _convert_blocks(item: Any, value: Any, where: str, problems: list[Problem]) -> Any:
    """A list of blocks (``[{ ... }, { ... }]``, or the block written once per item), each built
    and checked as a block of its own, its problems named ``<key>[<index>].<name>``."""
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        problems.append(Problem(where, value, "a list of blocks [{ ... }, ...]"))
        return _INVALID
    before = len(problems)
    built = [_build(cast(type[Block], item), v, f"{where}[{index}].", problems) for index, v in enumerate(value)]
    return _INVALID if len(problems) > before else tuple(built)


def _is(kind: type, value: Any) -> bool:
    if kind is bool:
        return isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)
