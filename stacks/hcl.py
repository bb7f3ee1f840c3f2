"""HCL output (``SYNTH_HCL_OUTPUT=true``): each stack's ``cdk.tf`` rendered from its JSON configuration.

cdktf 0.21 renders HCL with its own renderer, which gets several things wrong for these stacks:
strings holding JSON or quotes (container definitions, policies) come out with unescaped quotes,
so the file does not parse; blocks added to a stack by override (the ephemeral passwords) are
dropped; lifecycle ``postcondition`` blocks come out as a list attribute; references in
``depends_on`` come out quoted. So in HCL mode each ``cdk.tf`` is written again here, from what the
JSON synth would hold (``stack.to_terraform()``): every value is the JSON value, so the two modes
describe the same configuration.

Terraform's JSON syntax does not tell nested blocks from object-valued arguments; that comes from
the provider bindings, which mark each argument ``isBlock`` in the fragments cdktf renders HCL
from (``element.to_hcl_terraform()``), and from Terraform's own meta-arguments (``lifecycle``,
``precondition``, ``postcondition``). A JSON string is a template in both syntaxes: its literal
text is escaped for a quoted HCL string (or written as a heredoc when it is several whole lines),
its ``${...}``/``%{...}`` sequences are kept as they are, and a string that is one interpolation
and nothing else is written as the bare expression. The layout is the one ``terraform fmt`` gives.

What JSON holds that this renderer does not know (``module``, ``variable``, ``moved``,
``check``, ``dynamic`` blocks, provisioners) fails the synth with :class:`HclRenderError` rather
than being written wrongly.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

# Block shape: for each argument that is a nested block, the shape of that block's own body.
Shape = dict[str, "Shape"]

INDENT = "  "
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
# Identifiers that mean something else where an object key is expected.
_KEYWORDS = {"true", "false", "null", "for", "in", "if"}
_REFERENCE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*|\[[0-9]+\])*\Z")
_SHORT_LIST = 100  # a list of plain values goes on one line when it fits in this many characters


class HclRenderError(ValueError):
    """The JSON configuration holds something this renderer cannot write as HCL faithfully."""


# ---------------------------------------------------------------------------------------------
# Strings: Terraform templates
# ---------------------------------------------------------------------------------------------


def _quoted_end(text: str, i: int) -> int:
    """Index just past the quote closing a string literal inside an expression; ``i`` follows the opening quote."""
    while i < len(text):
        if text[i] == "\\":
            i += 2
        elif text[i] == '"':
            return i + 1
        elif text.startswith(("$${", "%%{"), i):
            i += 3
        elif text.startswith(("${", "%{"), i):
            i = _sequence_end(text, i + 2)
        else:
            i += 1
    raise HclRenderError(f"unterminated string in template {text!r}")


def _sequence_end(text: str, i: int) -> int:
    """Index just past the ``}`` closing a template sequence; ``i`` follows its ``${`` or ``%{``."""
    depth = 0
    while i < len(text):
        char = text[i]
        if char == '"':
            i = _quoted_end(text, i + 1)
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            if depth == 0:
                return i + 1
            depth -= 1
        i += 1
    raise HclRenderError(f"unterminated template sequence in {text!r}")


def template_parts(text: str) -> list[tuple[bool, str]]:
    """``text`` split into (is_sequence, part): literal text and whole ``${...}``/``%{...}`` sequences.

    The escapes ``$${`` and ``%%{`` stay in the literal text: they mean the same in both syntaxes.
    """
    parts: list[tuple[bool, str]] = []
    literal_start = i = 0
    while i < len(text):
        if text.startswith(("$${", "%%{"), i):
            i += 3
        elif text.startswith(("${", "%{"), i):
            end = _sequence_end(text, i + 2)
            if literal_start < i:
                parts.append((False, text[literal_start:i]))
            parts.append((True, text[i:end]))
            literal_start = i = end
        else:
            i += 1
    if literal_start < len(text):
        parts.append((False, text[literal_start:]))
    return parts


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_literal(literal: str) -> str:
    out = []
    for char in literal:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F or char in "\u2028\u2029":
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return "".join(out)


def single_interpolation(text: str) -> str | None:
    """The expression of a template that is one ``${expr}`` and nothing else, or None."""
    parts = template_parts(text)
    if len(parts) != 1 or not parts[0][0] or not parts[0][1].startswith("${"):
        return None
    expression = parts[0][1][2:-1]
    if expression.startswith("~") or expression.endswith("~") or "\n" in expression or not expression.strip():
        return None
    return expression.strip()


def _heredoc(text: str) -> str | None:
    """``text`` as a heredoc when it is whole lines of printable text, else None."""
    if not text.endswith("\n") or text.count("\n") < 2 or "\r" in text:
        return None
    if any(ord(char) < 0x20 and char not in "\n\t" for char in text):
        return None
    marker = "EOT"
    while marker in text:
        marker += "_"
    return f"<<{marker}\n{text}{marker}"


def render_string(text: str, *, bare_expressions: bool = True) -> str:
    """A JSON string (a Terraform template) as an HCL expression with the same value."""
    if bare_expressions:
        expression = single_interpolation(text)
        if expression is not None:
            return expression
    heredoc = _heredoc(text)
    if heredoc is not None:
        return heredoc
    return '"' + "".join(part if sequence else _escape_literal(part) for sequence, part in template_parts(text)) + '"'


def _reference(text: str, where: str) -> str:
    """A reference written in JSON as a string (``depends_on``, ``provider``, ``ignore_changes``)."""
    expression = single_interpolation(text) or text
    if not _REFERENCE.match(expression):
        raise HclRenderError(f"{where}: {text!r} is not a reference")
    return expression


# ---------------------------------------------------------------------------------------------
# Expressions and bodies
# ---------------------------------------------------------------------------------------------


def _key(key: str) -> str:
    if _IDENTIFIER.match(key) and key not in _KEYWORDS:
        return key
    return render_string(key, bare_expressions=False)


def render_expression(value: Any, indent: str = "") -> str:
    """A JSON value as an HCL expression; nested lines are indented one step beyond ``indent``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, str):
        return render_string(value)
    inner = indent + INDENT
    if isinstance(value, list):
        if not value:
            return "[]"
        items = [render_expression(item, inner) for item in value]
        if not any(isinstance(item, (list, dict)) for item in value):
            one_line = "[" + ", ".join(items) + "]"
            if len(one_line) <= _SHORT_LIST and "\n" not in one_line:
                return one_line
        return "[\n" + "".join(f"{inner}{item},\n" for item in items) + f"{indent}]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        lines = [(_key(key), render_expression(item, inner)) for key, item in value.items()]
        return "{\n" + "".join(_aligned(lines, inner)) + f"{indent}}}"
    raise HclRenderError(f"cannot render {type(value).__name__} {value!r}")


def _aligned(attributes: list[tuple[str, str]], indent: str) -> Iterable[str]:
    """``key = value`` lines, the ``=`` aligned over runs of one-line values as ``terraform fmt`` does."""
    run: list[tuple[str, str]] = []

    def flush() -> Iterable[str]:
        width = max((len(key) for key, _ in run), default=0)
        for key, value in run:
            yield f"{indent}{key.ljust(width)} = {value}\n"
        run.clear()

    for key, value in attributes:
        first_line = value.split("\n", 1)[0]
        if "\n" not in value or first_line.startswith("<<"):  # a heredoc's lines do not end the run
            run.append((key, value))
        else:
            yield from flush()
            yield f"{indent}{key} = {value}\n"
    yield from flush()


class _Body:
    """The lines of one block body: attributes (aligned in runs) and nested blocks, in order."""

    def __init__(self, indent: str):
        self.indent = indent
        self.items: list[tuple[str, Any]] = []  # ("attribute", (key, text)) or ("block", text)

    def attribute(self, key: str, expression: str) -> None:
        self.items.append(("attribute", (key, expression)))

    def block(self, header: str, body: _Body) -> None:
        self.items.append(("block", f"{self.indent}{header} {{\n{body.text()}{self.indent}}}\n"))

    def text(self) -> str:
        out: list[str] = []
        run: list[tuple[str, str]] = []
        for kind, item in self.items + [("end", None)]:
            if kind == "attribute":
                run.append(item)
                continue
            out.extend(_aligned(run, self.indent))
            run = []
            if kind == "block":
                out.append(item)
        return "".join(out)


def _body(values: dict, shape: Shape, indent: str, where: str) -> _Body:
    """A block body from its JSON object: arguments in ``shape`` are nested blocks, the rest attributes."""
    body = _Body(indent)
    blocks = []
    for key, value in values.items():
        if key == "//":
            continue
        if key in ("dynamic", "provisioner", "connection"):
            raise HclRenderError(f"{where}: {key} blocks are not supported in HCL output")
        if key in shape and isinstance(value, (dict, list)):
            blocks.append((key, value))
        else:
            body.attribute(_key(key), render_expression(value, indent))
    for key, value in blocks:
        for item in value if isinstance(value, list) else [value]:
            if not isinstance(item, dict):
                raise HclRenderError(f"{where}.{key}: a block, but the JSON holds {item!r}")
            body.block(key, _body(item, shape[key], indent + INDENT, f"{where}.{key}"))
    return body


def _conditions(body: _Body, values: dict, where: str) -> None:
    """``precondition``/``postcondition`` blocks (a list of them in JSON) into ``body``."""
    for kind in ("precondition", "postcondition"):
        for condition in values.get(kind, []):
            body.block(kind, _body(condition, {}, body.indent + INDENT, f"{where}.{kind}"))


def _lifecycle(values: dict, indent: str, where: str) -> _Body:
    body = _Body(indent)
    for key, value in values.items():
        if key in ("precondition", "postcondition"):
            continue
        if key == "ignore_changes" and value == "all":
            body.attribute(key, "all")
        elif key in ("ignore_changes", "replace_triggered_by"):
            body.attribute(key, "[" + ", ".join(_reference(item, f"{where}.{key}") for item in value) + "]")
        else:
            body.attribute(key, render_expression(value, indent))
    _conditions(body, values, where)
    return body


def _resource_body(values: dict, shape: Shape, where: str) -> _Body:
    """A resource, data source or ephemeral resource: its arguments, then the meta-arguments."""
    meta = {key: values[key] for key in ("count", "for_each", "provider", "depends_on", "lifecycle") if key in values}
    arguments = {key: value for key, value in values.items() if key not in meta}
    leading = _Body(INDENT)
    for key in ("count", "for_each"):
        if key in meta:
            leading.attribute(key, render_expression(meta[key], INDENT))
    if "provider" in meta:
        leading.attribute("provider", _reference(meta["provider"], f"{where}.provider"))
    body = _body(arguments, shape, INDENT, where)
    body.items = leading.items + body.items
    if "depends_on" in meta:
        body.attribute("depends_on", _reference_list(meta["depends_on"], f"{where}.depends_on"))
    if "lifecycle" in meta:
        body.block("lifecycle", _lifecycle(meta["lifecycle"], INDENT * 2, f"{where}.lifecycle"))
    return body


def _reference_list(values: list, where: str) -> str:
    references = [_reference(value, where) for value in values]
    one_line = "[" + ", ".join(references) + "]"
    if len(one_line) <= _SHORT_LIST:
        return one_line
    return "[\n" + "".join(f"{INDENT * 2}{reference},\n" for reference in references) + f"{INDENT}]"


def _label(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


# ---------------------------------------------------------------------------------------------
# Whole configurations
# ---------------------------------------------------------------------------------------------

_KNOWN = ("//", "terraform", "locals", "provider", "data", "ephemeral", "resource", "import", "output")


def render_config(config: dict, shapes: dict[tuple[str, ...], Shape] | None = None) -> str:
    """A Terraform JSON configuration (as cdktf synthesizes it) as HCL.

    ``shapes`` gives the nested blocks of each resource, data source and provider, keyed by
    ``("resource", type, name)``, ``("data", type, name)`` and ``("provider", name, alias or "")``;
    anything without a shape has attributes only.
    """
    shapes = shapes or {}
    unknown = sorted(set(config) - set(_KNOWN))
    if unknown:
        raise HclRenderError(f"top-level {', '.join(unknown)} not supported in HCL output")
    blocks: list[str] = []

    def add(header: str, body: _Body) -> None:
        blocks.append(f"{header} {{\n{body.text()}}}\n")

    if "terraform" in config:
        add("terraform", _terraform(config["terraform"]))
    if config.get("locals"):
        locals_ = _Body(INDENT)
        for name, value in config["locals"].items():
            locals_.attribute(_key(name), render_expression(value, INDENT))
        add("locals", locals_)
    for name, instances in config.get("provider", {}).items():
        for instance in instances if isinstance(instances, list) else [instances]:
            shape = shapes.get(("provider", name, instance.get("alias") or ""), {})
            add(f"provider {_label(name)}", _body(instance, shape, INDENT, f"provider.{name}"))
    for kind in ("data", "ephemeral", "resource"):
        for type_, named in config.get(kind, {}).items():
            for name, values in named.items():
                body = _resource_body(values, shapes.get((kind, type_, name), {}), f"{kind}.{type_}.{name}")
                add(f"{kind} {_label(type_)} {_label(name)}", body)
    for index, values in enumerate(config.get("import", [])):
        # import blocks (restore_from adopts a restored file system): a target address, an id.
        where = f"import[{index}]"
        unknown_keys = sorted(set(values) - {"to", "id", "provider"})
        if unknown_keys:
            raise HclRenderError(f"{where}: {', '.join(unknown_keys)} not supported in HCL output")
        body = _Body(INDENT)
        body.attribute("to", _reference(values["to"], f"{where}.to"))
        body.attribute("id", render_expression(values["id"], INDENT))
        if "provider" in values:
            body.attribute("provider", _reference(values["provider"], f"{where}.provider"))
        add("import", body)
    for name, values in config.get("output", {}).items():
        where = f"output.{name}"
        body = _body({k: v for k, v in values.items() if k not in ("depends_on", "precondition")}, {}, INDENT, where)
        if "depends_on" in values:
            body.attribute("depends_on", _reference_list(values["depends_on"], f"{where}.depends_on"))
        _conditions(body, values, where)
        add(f"output {_label(name)}", body)
    return "\n".join(blocks)


def _terraform(values: dict) -> _Body:
    body = _Body(INDENT)
    for key, value in values.items():
        if key == "required_providers":
            providers = _Body(INDENT * 2)
            for name, requirement in value.items():
                providers.attribute(_key(name), render_expression(requirement, INDENT * 2))
            body.block("required_providers", providers)
        elif key == "backend":
            for backend, settings in value.items():
                body.block(f"backend {_label(backend)}", _body(settings, {}, INDENT * 2, f"terraform.backend.{backend}"))
        elif key == "cloud":
            raise HclRenderError("terraform.cloud is not supported in HCL output")
        else:
            body.attribute(_key(key), render_expression(value, INDENT))
    return body


# ---------------------------------------------------------------------------------------------
# Block shapes from the provider bindings, and the hook into synthesis
# ---------------------------------------------------------------------------------------------


def shape_of(attributes: Any) -> Shape:
    """The nested blocks in a fragment of ``to_hcl_terraform()``: arguments marked ``isBlock``."""
    shape: Shape = {}
    if not isinstance(attributes, dict):
        return shape
    for name, argument in attributes.items():
        if not isinstance(argument, dict) or not (argument.get("isBlock") or argument.get("is_block")):
            continue
        inner = argument.get("value")
        merged: Shape = {}
        for item in inner if isinstance(inner, list) else [inner]:
            _merge(merged, shape_of(item))
        shape[name] = merged
    return shape


def _merge(into: Shape, other: Shape) -> None:
    for name, inner in other.items():
        _merge(into.setdefault(name, {}), inner)


def stack_shapes(stack) -> dict[tuple[str, ...], Shape]:
    """The nested blocks of every resource, data source and provider of a cdktf stack."""
    from cdktf import TerraformElement

    shapes: dict[tuple[str, ...], Shape] = {}
    for construct in stack.node.find_all():
        if not isinstance(construct, TerraformElement):
            continue
        fragment = construct.to_hcl_terraform()
        if not isinstance(fragment, dict):
            continue
        for kind in ("resource", "data"):
            for type_, named in (fragment.get(kind) or {}).items():
                for name, attributes in named.items():
                    shapes[(kind, type_, name)] = shape_of(attributes)
        for name, instances in (fragment.get("provider") or {}).items():
            for attributes in instances if isinstance(instances, list) else [instances]:
                alias = attributes.get("alias") or ""
                if isinstance(alias, dict):
                    alias = alias.get("value") or ""
                shapes[("provider", name, alias)] = shape_of(attributes)
    return shapes


def rewrite_stacks(stacks: Iterable, synth_dir: Path) -> None:
    """Write every stack's ``cdk.tf`` in ``synth_dir`` again, rendered from its JSON configuration."""
    manifest = json.loads((synth_dir / "manifest.json").read_text())
    for stack in stacks:
        entry = manifest["stacks"][stack.node.id]
        path = synth_dir / entry["synthesizedStackPath"]
        if path.suffix != ".tf":
            raise HclRenderError(f"{stack.node.id}: cdktf wrote {path.name}, not HCL")
        path.write_text(render_config(stack.to_terraform(), stack_shapes(stack)), encoding="utf-8")
