"""Property tests of the loader: whatever a file sets any key to, it loads, or every problem is one
line naming a key; never a traceback, never another exception. The keys are found by walking the
schema's dataclasses; the values are of every type and shape (strings of any characters, numbers
of any size, true/false, null, lists, maps, blocks), and near misses of good ones. A few files that
load are synthesized and given to ``terraform validate``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import typing
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from config import ConfigError, Deployment, load, loads
from config.fields import choices_of, leaf_keys

ROOT = Path(__file__).resolve().parents[1]
NAME = 'name = "omero-prop"\n'


def _block_paths(cls: type = Deployment, prefix: str = "") -> list[str]:
    """Every block's dotted path, walking the schema's dataclasses."""
    paths = []
    hints = typing.get_type_hints(cls)
    for field in dataclasses.fields(cls):
        if dataclasses.is_dataclass(hints[field.name]):
            paths.append(prefix + field.name)
            paths += _block_paths(typing.cast(type, hints[field.name]), f"{prefix}{field.name}.")
    return paths


LEAVES = {name: (hint, field) for name, hint, field in leaf_keys(Deployment)}
BLOCKS = _block_paths()
KEYS = sorted(LEAVES) + BLOCKS


def _list_item_keys() -> set[str]:
    """The keys of each item of a list of blocks (``server.egress`` items' ``port``, ...)."""
    keys: set[str] = set()
    for name, (hint, _) in LEAVES.items():
        for inner in (hint, *typing.get_args(hint)):
            args = typing.get_args(inner)
            if typing.get_origin(inner) is tuple and args and dataclasses.is_dataclass(args[0]):
                keys |= {f"{name}.{item}" for item, _, _ in leaf_keys(typing.cast(type, args[0]))}
    return keys


ITEM_KEYS = _list_item_keys()


def _plain(value: Any) -> Any:
    """A value as a file writes it: a block in a list as a map of the keys it sets."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value) if getattr(value, f.name) is not None}
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    return value


def _good_values() -> dict[str, list[Any]]:
    """Values each key takes: its default, its choices, and what the examples set it to."""
    good: dict[str, list[Any]] = {name: [] for name in LEAVES}
    examples = [load(path) for path in sorted((ROOT / "examples").glob("*.hcl"))]
    for name, (_, field) in LEAVES.items():
        candidates = [field.default] if field.default is not dataclasses.MISSING else []
        candidates += list(choices_of(field) or ())
        for deployment in examples:
            value: Any = deployment
            for part in name.split("."):
                value = getattr(value, part)
            candidates.append(value)
        for value in map(_plain, candidates):
            if value is not None and value not in good[name]:
                good[name].append(value)
    return good


GOOD = _good_values()

# --- values of every type and shape ----------------------------------------------------------

_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,12}")
_KEYWORDS = {"true", "false", "null", "for", "in", "if", "else", "endif", "endfor"}
identifiers = st.from_regex(_IDENTIFIER, fullmatch=True).filter(lambda name: name not in _KEYWORDS)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(["", " ", "0", "-1", "true", "null", "10.0.0.0/8", "203.0.113.7", "db.t4g.mediun", "m6i.larg", "\n"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=8,
)


def _mutate(value: Any, draw: Any) -> Any:
    """``value`` with a character added, dropped or changed (its first item's, in a list)."""
    if isinstance(value, str) and value:
        at = draw(st.integers(0, len(value) - 1))
        change = draw(st.sampled_from(["drop", "add", "swap"]))
        if change == "drop":
            return value[:at] + value[at + 1 :]
        return value[:at] + draw(st.characters()) + value[at + (change == "swap") :]
    if isinstance(value, int) and not isinstance(value, bool):
        return value + draw(st.integers(-3, 3))
    if isinstance(value, tuple) and value:
        return (_mutate(value[0], draw), *value[1:])
    return value


@st.composite
def _near_miss(draw: Any, good: list[Any]) -> Any:
    return _mutate(draw(st.sampled_from(good)), draw)


def _near_misses(good: list[Any]) -> st.SearchStrategy[Any]:
    """A good value of the key, or a near miss of one."""
    return st.one_of(st.sampled_from(good), _near_miss(good)) if good else values


def _value_for(key: str) -> st.SearchStrategy[Any]:
    if key in LEAVES:
        return st.one_of(values, _near_misses(GOOD[key]))
    # a block: a value where the block belongs, or a body with unknown keys
    return st.one_of(values, st.dictionaries(identifiers, values, min_size=1, max_size=3))


# --- HCL for a set of keys ---------------------------------------------------------------------


def _hcl(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        # a string of literal characters: JSON's escapes are HCL's. "${" and "%{" start an
        # expression (refused as such: tests/test_bad_input_matrix.py), and python-hcl2 8.1.4
        # cannot parse HCL's escapes for them ("$${", "%%{"), so they are split here.
        return json.dumps(value, ensure_ascii=False).replace("${", "$ {").replace("%{", "% {")
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_hcl(v) for v in value) + "]"
    return "{ " + ", ".join(f"{_hcl(str(k))} = {_hcl(v)}" for k, v in value.items()) + " }"


def _nest(settings_: dict[str, Any]) -> dict[str, Any]:
    """``{"network.flow_logs.enabled": v}`` as ``{"network": {"flow_logs": {"enabled": v}}}``; a
    block set to a map is written as a block with those keys."""
    tree: dict[str, Any] = {}
    for dotted, value in settings_.items():
        *blocks, name = dotted.split(".")
        node = tree
        for block in blocks:
            node = node.setdefault(block, {})
            if not isinstance(node, dict):
                return {}  # a key inside a block that is set to a plain value: skipped
        body = node.get(name, {})
        if dotted in BLOCKS and isinstance(value, dict) and isinstance(body, dict) and all(map(_IDENTIFIER.fullmatch, value)):
            body.update({k: _Attribute(v) for k, v in value.items()})
            node[name] = body
        else:
            node[name] = _Attribute(value)
    return tree


class _Attribute:
    def __init__(self, value: Any):
        self.value = value


def _render(tree: dict[str, Any], indent: str = "") -> str:
    lines = []
    for name, node in tree.items():
        if isinstance(node, _Attribute):
            lines.append(f"{indent}{name} = {_hcl(node.value)}")
        else:
            lines += [f"{indent}{name} {{", _render(node, indent + "  "), f"{indent}}}"]
    return "\n".join(line for line in lines if line)


settings_strategy = st.dictionaries(st.sampled_from(KEYS), st.none(), min_size=1, max_size=3).flatmap(
    lambda chosen: st.fixed_dictionaries({key: _value_for(key) for key in chosen})
)

# A message names a key: "<key> = <value>: allowed: ..." or "<key>: ..." (a list of blocks adds [i]).
_NAMED = re.compile(r"(?P<key>[A-Za-z0-9_.\[\]-]+)(?: = |: )")


def _named_key_is_known(key: str, given: dict[str, Any]) -> bool:
    plain = re.sub(r"\[\d+\]", "", key)
    if plain in LEAVES or plain in BLOCKS or plain in ITEM_KEYS:
        return True
    # an unknown key the file itself wrote, inside a block it set
    return any(plain.startswith(block + ".") for block in given if block in BLOCKS)


# Bounded (about 20 s on one core) and the same examples every run; CONFIG_PROPERTY_EXAMPLES=5000
# searches further, with new examples each time.
SEARCH = int(os.environ.get("CONFIG_PROPERTY_EXAMPLES", "0"))


@settings(
    max_examples=SEARCH or 300,
    deadline=None,
    database=None,
    derandomize=not SEARCH,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(settings_strategy)
def test_any_value_of_any_key_loads_or_names_the_keys(given_settings):
    tree = _nest(given_settings)
    assume(tree)
    text = _render(tree) + "\n"
    if "name" not in given_settings:
        text = NAME + text
    try:
        loads(text, "property.hcl")
    except ConfigError as error:
        assert error.lines, text
        for line in error.lines:
            assert "\n" not in line and "\r" not in line, (text, line)
            if line.startswith("is "):  # about the file as a whole: only for what HCL itself refuses
                assert line.startswith(("is nested too deeply",)), (text, line)
                continue
            match = _NAMED.match(line)
            assert match and _named_key_is_known(match.group("key"), given_settings), (text, line)


# --- a few files that load, synthesized and validated by Terraform -----------------------------


def _good_settings() -> st.SearchStrategy[dict[str, Any]]:
    keys = [key for key in LEAVES if GOOD[key] and key != "name"]
    return st.dictionaries(st.sampled_from(keys), st.none(), min_size=1, max_size=4).flatmap(
        lambda chosen: st.fixed_dictionaries({key: st.sampled_from(GOOD[key]) for key in chosen})
    )


@pytest.mark.terraform
def test_sampled_files_that_load_synthesize_to_valid_terraform(terraform_cli, tmp_path_factory):
    from tests.harness.synth import synthesize
    from tests.test_terraform_validate import validate_stacks

    validated: list[str] = []

    @settings(max_examples=2, deadline=None, database=None, derandomize=True, phases=[Phase.generate])
    @given(_good_settings())
    def synthesize_and_validate(chosen):
        try:
            deployment = loads(NAME + _render(_nest(chosen)) + "\n", "sample.hcl")
        except ConfigError:
            assume(False)
            return
        outdir = tmp_path_factory.mktemp("sample") / "cdktf.out"
        synthesis = synthesize(deployment, outdir)
        stacks = {stack: synthesis.outdir / "stacks" / stack for stack in synthesis.order}
        reports = validate_stacks(terraform_cli, stacks, outdir.parent / "root")
        for stack, report in reports.items():
            assert report["valid"], f"{chosen}: {stack}: {json.dumps(report, indent=2)}"
        validated.append(json.dumps(chosen, default=str))

    synthesize_and_validate()
    assert validated
