"""What the commands of ``tools/`` share: the one-line error, the argument parser that reports a
bad argument the same way, and two readings of what Terraform printed.

A library: no command imports another command, they all import this (and the other libraries;
docs/development.md, "Layout").
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import NoReturn


class ToolError(Exception):
    """Bad input, a missing tool or an unusable directory: reported as one line, exit status 2."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit status 2, as every other bad input of
    the tools (not the usage: the command is usually pasted from the docs)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


def last_error(text: str) -> str:
    """The first line of Terraform's error message (after 'Error:'), for a one-line report; else
    the last line it printed."""
    for line in text.splitlines():
        line = line.strip(" │╷╵")
        if line.startswith("Error:"):
            return line
    stripped = [line.strip(" │╷╵") for line in text.splitlines() if line.strip(" │╷╵")]
    return stripped[-1] if stripped else "failed"


def counted(addresses: Sequence[str]) -> str:
    """ "23 resources, 4 data sources": what a state list holds, data sources apart."""
    data = sum(address.startswith("data.") or ".data." in address for address in addresses)
    return f"{len(addresses) - data} resources, {data} data sources"
