"""Configuration of the datasync add-on."""
from __future__ import annotations

from dataclasses import dataclass

from config.addons.base import Addon
from config.fields import key


@dataclass(frozen=True, kw_only=True)
class DataSync(Addon):
    """Copy files from an S3 bucket into /OMERO on a schedule (AWS DataSync)."""

    enabled: bool = key(False, "Copy files from an S3 bucket into /OMERO on a schedule (AWS DataSync).")
