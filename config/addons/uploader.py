"""Configuration of the uploader add-on."""
from __future__ import annotations

from dataclasses import dataclass

from config.addons.base import Addon
from config.fields import key


@dataclass(frozen=True, kw_only=True)
class Uploader(Addon):
    """An EC2 host with the OMERO CLI and /OMERO mounted, reached through Session Manager."""

    enabled: bool = key(False, "An EC2 host with the OMERO CLI and /OMERO mounted, reached through Session Manager.")
