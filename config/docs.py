"""The table of configuration keys in docs/configuration.md, generated from the schema, and the
default images the HCL samples in the README and that page show.

    pipenv run python -m config.docs          # print the table
    pipenv run python -m config.docs --write  # refresh it in docs/configuration.md (between the markers),
                                              # and the samples' images in both pages

tests/test_docs.py fails when that page's table differs from what this prints, or a sample shows
another image than the default.
"""

from __future__ import annotations

import dataclasses
import re
import sys
import typing
from pathlib import Path

from config.fields import choices_of, doc_of
from config.schema import Deployment
from config.services import SERVER_IMAGE, WEB_IMAGE

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "configuration.md"  # the page holding the table
START, END = "<!-- config-keys:start -->", "<!-- config-keys:end -->"
SAMPLE_PAGES = (ROOT / "README.md", PAGE)  # pages whose HCL samples set an image: the default
DEFAULT_IMAGES = (SERVER_IMAGE, WEB_IMAGE)


def _hcl(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_hcl(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_hcl(v)}" for k, v in value.items()) + "}"
    return str(value)


def _type(hint) -> str:
    origin = typing.get_origin(hint)
    if origin is tuple and dataclasses.is_dataclass(typing.get_args(hint)[0]):
        return "list(block)"
    if origin is tuple:
        return f"list({_type(typing.get_args(hint)[0])})"
    if origin is dict:
        return "map(string)"
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if args and origin is not None:
        return _type(args[0])
    return {str: "string", int: "number", bool: "bool"}.get(hint, str(hint))


def rows(cls=Deployment, prefix: str = ""):
    hints = typing.get_type_hints(cls)
    for field in dataclasses.fields(cls):
        name = prefix + field.name
        hint = hints[field.name]
        if dataclasses.is_dataclass(hint):
            yield name, "block", "", doc_of(field)
            yield from rows(hint, name + ".")
            continue
        if field.default is not dataclasses.MISSING:
            default = "unset" if field.default is None else _hcl(field.default)
        elif field.default_factory is not dataclasses.MISSING:
            default = _hcl(field.default_factory())
        else:
            default = "required"
        choices = choices_of(field)
        doc = doc_of(field)
        if choices and len(choices) <= 6:
            doc += " One of " + ", ".join(f"`{_hcl(c)}`" for c in choices) + "."
        elif choices:
            doc += f" One of `{_hcl(choices[0])}`, `{_hcl(choices[1])}` ... `{_hcl(choices[-1])}`."
        yield name, _type(hint), default, doc
        item = typing.get_args(hint)[0] if typing.get_origin(hint) is tuple else None
        if dataclasses.is_dataclass(item):  # a list of blocks: the keys of each item
            yield from rows(item, name + "[].")


def table() -> str:
    lines = ["| key | type | default | what it does |", "|---|---|---|---|"]
    for name, kind, default, doc in rows():
        shown = f"`{default}`" if default not in ("", "unset", "required") else default
        shown = shown.replace("|", "\\|")  # a pipe ends a table cell, in a code span too (GFM tables)
        lines.append(f"| `{name}` | {kind} | {shown} | {doc.replace('|', '/').replace('<', '&lt;')} |")
    return "\n".join(lines)


def refreshed(readme: str) -> str:
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{table()}\n{END}{tail}"


def with_default_images(text: str) -> str:
    """``text`` with every ``image = "<repository>:<tag>"`` of a default image's repository set to
    the default (config/services.py SERVER_IMAGE, WEB_IMAGE)."""
    for image in DEFAULT_IMAGES:
        repository = image.rsplit(":", 1)[0]
        pattern = rf'(\bimage\s*=\s*"){re.escape(repository)}[:@][^"]*"'
        text = re.sub(pattern, rf'\g<1>{image}"', text)  # an image reference holds no backslash
    return text


def main(argv: list[str]) -> int:
    if argv == ["--write"]:
        PAGE.write_text(refreshed(PAGE.read_text()))
        for page in SAMPLE_PAGES:
            page.write_text(with_default_images(page.read_text()))
        return 0
    print(table())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
