"""The config's default images and versions as tests use them: a test names the default through
these, never by its value, so a new default is one line in ``config/`` (plus ``pipenv run docs``),
and "the upgrade" a test needs is always another version than the default."""

from __future__ import annotations

import re

from config.checks import POSTGRES_MAJORS
from config.schema import DatabaseConfig
from config.services import SERVER_IMAGE, WEB_IMAGE

__all__ = ["POSTGRES", "POSTGRES_UPGRADE", "SERVER_IMAGE", "SERVER_UPGRADE", "WEB_IMAGE", "label", "next_patch"]

# repository:tag where the tag ends in a number ("5.6.18", "5.33.0-1"): no digest
_VERSIONED = re.compile(r"(?P<head>[^@]+:[^:@/]*?)(?P<last>\d+)")

POSTGRES = DatabaseConfig().engine_version  # the default major version, e.g. "16"


def next_patch(image: str) -> str:
    """``image`` with the last number of its tag one higher: "omero-server:5.6.18" gives
    "omero-server:5.6.19", "omero-web-standalone:5.33.0-1" gives "...:5.33.0-2"."""
    found = _VERSIONED.fullmatch(image)
    assert found, f"{image}: the default is not repository:tag with a tag ending in a number; teach next_patch its form"
    return f"{found['head']}{int(found['last']) + 1}"


def label(image: str) -> str:
    """The tag as the upgrade snapshot's identifier carries it: "...:5.6.18" gives "5-6-18" (the
    product's image_label, for a plain version tag; tests/test_backup.py holds it to a table)."""
    return image.rsplit(":", 1)[1].replace(".", "-")


def _next_major(major: str) -> str:
    """The supported PostgreSQL major after ``major`` (config/checks.py POSTGRES_MAJORS)."""
    at = POSTGRES_MAJORS.index(major) + 1
    assert at < len(POSTGRES_MAJORS), f"PostgreSQL {major} is the newest major allowed: no upgrade to test"
    return POSTGRES_MAJORS[at]


SERVER_UPGRADE = next_patch(SERVER_IMAGE)  # "the upgrade": never the default itself
POSTGRES_UPGRADE = _next_major(POSTGRES)  # a major upgrade from the default, e.g. "17"
