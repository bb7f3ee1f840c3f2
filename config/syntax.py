"""What python-hcl2 does not say about a deployment file's syntax: where a bracket was opened
that is never closed, and which string escapes HCL does not have.

The parser reports an unclosed block at the end of the file, where it notices; a reader needs
the line that opened it. And python-hcl2 keeps an escape it does not know (``"\\q"``) as the two
characters it was written with, where Terraform refuses the file: the escapes HCL has are
``\\n \\r \\t \\" \\\\ \\uNNNN \\UNNNNNNNN`` (hashicorp/hcl, hclsyntax/spec.md, "Template
Literals"), ``$${`` and ``%%{`` aside, which the parser reads as tokens of their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

_CLOSING = {"{": "}", "[": "]", "(": ")"}
ESCAPES_ALLOWED = 'allowed: \\n \\r \\t \\" \\\\ \\uNNNN \\UNNNNNNNN (a character, not a lone surrogate)'


@dataclass(frozen=True)
class _Opened:
    kind: str  # "bracket", "string" or "interpolation" (``${`` inside a string)
    char: str
    line: int
    column: int
    text: str  # the line up to and including the opening character


class _Scanner:
    """Walks HCL text by character, skipping comments and heredocs, keeping what is open."""

    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")
        self.stack: list[_Opened] = []

    def problem(self) -> str | None:
        number = 0
        while number < len(self.lines):
            skip_to = self._line(number)
            if isinstance(skip_to, str):
                return skip_to
            number = skip_to
        if self.stack:
            opened = self.stack[-1]
            what = "a string" if opened.kind == "string" else f'"{opened.text}"'
            return f"{what} opened at line {opened.line}, column {opened.column} is never closed"
        return None

    def _open(self, kind: str, line: str, number: int, index: int) -> None:
        self.stack.append(_Opened(kind, line[index], number + 1, index + 1, line[: index + 1].strip()))

    def _line(self, number: int) -> int | str:
        """Scan line ``number``; the next line to scan, or what is wrong."""
        line, index = self.lines[number], 0
        while index < len(line):
            top = self.stack[-1] if self.stack else None
            if top is not None and top.kind == "string":
                index = self._in_string(line, number, index)
                continue
            char, pair = line[index], line[index : index + 2]
            if char == "#" or pair == "//":
                break
            if pair == "/*":
                return self._after_comment(number, index + 2)
            if pair == "<<":
                heredoc = self._after_heredoc(number, line[index + 2 :])
                if heredoc is not None:
                    return heredoc
            if char == '"':
                self._open("string", line, number, index)
            elif char in _CLOSING:
                self._open("bracket", line, number, index)
            elif char in _CLOSING.values():
                wrong = self._close(char, number + 1, index + 1)
                if wrong:
                    return wrong
            index += 1
        if self.stack and self.stack[-1].kind == "string":
            opened = self.stack[-1]
            return f"the string opened at line {opened.line}, column {opened.column} is not closed on its line"
        return number + 1

    def _in_string(self, line: str, number: int, index: int) -> int:
        if line.startswith(("$${", "%%{"), index):
            return index + 3
        if line.startswith(("${", "%{"), index):
            self._open("interpolation", line, number, index + 1)
            return index + 2
        if line[index] == "\\":
            return index + 2
        if line[index] == '"':
            self.stack.pop()
        return index + 1

    def _close(self, char: str, line: int, column: int) -> str | None:
        if not self.stack:
            return f'"{char}" at line {line}, column {column} closes nothing'
        opened = self.stack[-1]
        if opened.kind == "interpolation" and char == "}":
            self.stack.pop()
            return None
        if _CLOSING.get(opened.char) != char or opened.kind != "bracket":
            return (
                f'"{opened.text}" opened at line {opened.line}, column {opened.column} '
                f'is closed by "{char}" at line {line}, column {column}'
            )
        self.stack.pop()
        return None

    def _after_comment(self, number: int, index: int) -> int | str:
        """The line after the one that ends the ``/* ... */`` comment begun at ``index``."""
        for later in range(number, len(self.lines)):
            end = self.lines[later].find("*/", index if later == number else 0)
            if end >= 0:  # scan on after the comment: blank the line up to its end
                self.lines[later] = " " * (end + 2) + self.lines[later][end + 2 :]
                return later
        return f"the comment opened at line {number + 1}, column {index - 1} is never closed"

    def _after_heredoc(self, number: int, rest: str) -> int | None:
        """The line after a heredoc's closing marker, or None when ``<<`` does not start one."""
        marker = rest[1:] if rest.startswith("-") else rest
        marker = marker.strip()
        if not marker or not (marker[0].isalpha() or marker[0] == "_") or not marker.replace("_", "").replace("-", "").isalnum():
            return None
        for later in range(number + 1, len(self.lines)):
            if self.lines[later].strip() == marker:
                return later + 1
        return len(self.lines)  # an unclosed heredoc: the parser's own message says where


def bracket_problem(text: str) -> str | None:
    """Where the brackets of HCL ``text`` do not pair up, or None when they do."""
    return _Scanner(text).problem()


def _escape_at(value: str, index: int) -> tuple[str, bool]:
    """The escape beginning with the backslash at ``index``: its text and whether HCL has it."""
    marker = value[index + 1 : index + 2]
    if marker in ("n", "r", "t", '"', "\\"):
        return "\\" + marker, True
    if marker in ("u", "U"):
        width = 4 if marker == "u" else 8
        digits = value[index + 2 : index + 2 + width]
        digits = digits[: len(digits) - len(digits.lstrip("0123456789abcdefABCDEF"))]  # the hex digits it has
        if len(digits) != width:
            return f"\\{marker}{digits}", False
        code = int(digits, 16)
        return f"\\{marker}{digits}", code <= 0x10FFFF and not 0xD800 <= code < 0xE000
    return "\\" + marker, False


def _bad_escapes_in(token: Any) -> Iterator[tuple[str, int]]:
    value, index = str(token), 0
    while index < len(value):
        if value[index] != "\\":
            index += 1
            continue
        escape, known = _escape_at(value, index)
        if not known:
            yield escape, index
        index += len(escape)


def bad_escapes(tree: Any, prefix: str = "") -> list[str]:
    """One message per escape HCL does not have, in the quoted strings of the parse tree, in file
    order, naming the key whose value holds it."""
    from lark import Token, Tree

    found: list[str] = []
    for body in (c for c in getattr(tree, "children", []) if getattr(c, "data", None) == "body"):
        for child in body.children:
            kind = getattr(child, "data", None)
            if kind == "block":
                found += bad_escapes(child, f"{prefix}{child.children[0].children[0]}.")
            if kind != "attribute" or not isinstance(child.children[-1], Tree):
                continue
            name = f"{prefix}{child.children[0].children[0]}"
            strings = child.children[-1].scan_values(lambda v: isinstance(v, Token) and v.type == "STRING_CHARS")
            for token in strings:
                for escape, index in _bad_escapes_in(token):
                    where = f"line {token.line}, column {token.column + index}"
                    found.append(f'{name}: "{escape}" at {where} is not an HCL escape; {ESCAPES_ALLOWED}')
    return found
