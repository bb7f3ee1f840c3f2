"""Configuration of the file gateway add-on."""
from __future__ import annotations

from dataclasses import dataclass

from config.addons.base import Addon
from config.fields import key


@dataclass(frozen=True, kw_only=True)
class FileGateway(Addon):
    """Keep OMERO's binary repository on S3 through an S3 File Gateway (needs the EC2 launch type)."""

    enabled: bool = key(False, "Keep OMERO's binary repository on S3 through an S3 File Gateway (needs the EC2 launch type).")
