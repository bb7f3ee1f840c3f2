"""A deployment file edited as text, so that its comments and layout stay: its top-level attributes
and blocks found line by line (strings, comments and heredocs skipped, as config/syntax.py skips
them), a one-line value replaced, a key set or commented out inside a top-level block, whole
blocks removed with the comment lines above them.

The loader (config/loader.py) reads a file into the schema; this changes the file a person keeps.
``pipenv run restore`` writes the restored deployment's file with it, then has the loader read the
result back before it is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


class TextEditError(ValueError):
    """An edit the file's layout does not allow (a value over several lines, a block on one line,
    a block that is not there): one line naming the key."""


@dataclass(frozen=True)
class TopLevelSpan:
    """A top-level attribute or block of an HCL file: its name and its lines [start, end]."""

    name: str
    kind: str  # "attribute" or "block"
    start: int
    end: int


# Matched whole (as every pattern under config/ is): the rest of the line is part of the pattern.
_TOP = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*)\s*(=|\{).*", re.ASCII | re.DOTALL)
_HEREDOC = re.compile(r"<<-?([A-Za-z_]+)\s*", re.ASCII)
_ONE_LINE_VALUE = re.compile(r'(\s*[A-Za-z_][A-Za-z0-9_-]*\s*=\s*)("(?:[^"\\]|\\.)*"|[^#/\s]+)(.*)', re.ASCII | re.DOTALL)


def _line_depths(lines: list[str]) -> list[tuple[int, int]]:
    """For each line, the brace/bracket depth at its start and at its end (strings, comments and
    heredocs skipped)."""
    depths, depth, block_comment, heredoc = [], 0, False, None
    for line in lines:
        start, i, in_string = depth, 0, False
        if heredoc is not None:
            if line.strip() == heredoc:
                heredoc = None
            depths.append((start, depth))
            continue
        while i < len(line):
            c, pair = line[i], line[i : i + 2]
            if block_comment:
                if pair == "*/":
                    block_comment, i = False, i + 2
                    continue
            elif in_string:
                if c == "\\":
                    i += 1
                elif c == '"':
                    in_string = False
            elif c == '"':
                in_string = True
            elif c == "#" or pair == "//":
                break
            elif pair == "/*":
                block_comment, i = True, i + 2
                continue
            elif pair == "<<":
                match = _HEREDOC.fullmatch(line[i:])
                if match:
                    heredoc = match.group(1)
                    break
            elif c in "{[(":
                depth += 1
            elif c in "}])":
                depth -= 1
            i += 1
        depths.append((start, depth))
    return depths


def top_level_spans(text: str) -> list[TopLevelSpan]:
    """Every top-level attribute and block of ``text``, in order, with the lines it spans."""
    lines = text.splitlines()
    depths = _line_depths(lines)
    spans: list[TopLevelSpan] = []
    index = 0
    while index < len(lines):
        start_depth, _ = depths[index]
        match = _TOP.fullmatch(lines[index]) if start_depth == 0 else None
        if not match:
            index += 1
            continue
        end = index
        while depths[end][1] > 0 and end + 1 < len(lines):
            end += 1
        spans.append(TopLevelSpan(match.group(1), "attribute" if match.group(2) == "=" else "block", index, end))
        index = end + 1
    return spans


def hcl_string(value: str) -> str:
    """``value`` as an HCL string literal (``${`` written ``$${``, so nothing is interpolated)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("${", "$${") + '"'


class HclText:
    """A file's lines, edited in place; each edit finds the top level afresh, so edits compose."""

    def __init__(self, text: str):
        self.lines = text.splitlines()

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"

    def find(self, name: str, kind: str | None = None) -> TopLevelSpan | None:
        """The first top-level ``name`` (``kind``: "attribute" or "block"), or None."""
        spans = top_level_spans("\n".join(self.lines))
        return next((s for s in spans if s.name == name and (kind is None or s.kind == kind)), None)

    def remove(self, name: str) -> None:
        """Every top-level ``name``, with the comment lines right above it (they describe it)."""
        while (span := self.find(name)) is not None:
            start = span.start
            while start > 0 and self.lines[start - 1].lstrip().startswith(("#", "//")):
                start -= 1
            del self.lines[start : span.end + 1]

    def set_attribute(self, name: str, value: str, *, after: str | None = None) -> None:
        """``name = value`` at the top level: the one-line attribute's value replaced, its
        alignment and comment kept; when there is none, a new line after the attribute ``after``."""
        span = self.find(name, "attribute")
        if span is None:
            anchor = self.find(after, "attribute") if after else None
            if anchor is None:
                raise TextEditError(f"no top-level {name} = ... to set")
            self.lines.insert(anchor.end + 1, f"{name} = {value}")
            return
        match = _ONE_LINE_VALUE.fullmatch(self.lines[span.start])
        if not match or span.end != span.start:
            raise TextEditError(f'cannot rewrite {name} at line {span.start + 1}: expected {name} = "..." on one line')
        self.lines[span.start] = match.group(1) + value + match.group(3)

    def set_in_block(self, block_name: str, key: str, value: str, comment: str) -> None:
        """``key = value  # comment`` inside the top-level block: its line replaced (an old comment
        described the old value), or two lines added before the closing brace."""
        block = self.find(block_name, "block")
        if block is None:
            raise TextEditError(f"cannot set {block_name}.{key}: the file has no {block_name} block; add one and run again")
        pattern = re.compile(rf"(\s*{re.escape(key)}\s*=\s*)(\S+)(.*)", re.ASCII | re.DOTALL)
        for index in range(block.start + 1, block.end):
            match = pattern.fullmatch(self.lines[index])
            if match:
                self.lines[index] = f"{match.group(1)}{value}  # {comment}"
                return
        if block.start == block.end:
            raise TextEditError(
                f"cannot add {key} to the one-line {block_name} block at line {block.start + 1}; write it over several lines"
            )
        inside = [line for line in self.lines[block.start + 1 : block.end] if line.strip()]
        indent = inside[0][: len(inside[0]) - len(inside[0].lstrip())] if inside else "  "
        self.lines[block.end : block.end] = [f"{indent}# {comment}", f"{indent}{key} = {value}"]

    def comment_out_in_block(self, block_name: str, key: str, why: str) -> None:
        """A one-line ``key = ...`` inside the top-level block turned into a comment saying why
        (nothing when the block or the key is not there)."""
        block = self.find(block_name, "block")
        if block is None:
            return
        pattern = re.compile(rf"(\s*)({re.escape(key)}\s*=.*)", re.ASCII | re.DOTALL)
        for index in range(block.start + 1, block.end):
            match = pattern.fullmatch(self.lines[index])
            if match:
                self.lines[index] = f"{match.group(1)}# {match.group(2)}  ({why})"

    def block_lines(self, block_name: str) -> range:
        """The line numbers of the top-level block (empty when there is none)."""
        block = self.find(block_name, "block")
        return range(block.start, block.end + 1) if block else range(0)

    def append(self, new_lines: list[str]) -> None:
        """``new_lines`` at the end, after one blank line (trailing blank lines dropped first)."""
        while self.lines and not self.lines[-1].strip():
            self.lines.pop()
        self.lines += ["", *new_lines]
