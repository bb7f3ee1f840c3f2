"""Configuration of the appstream add-on."""
from __future__ import annotations

from dataclasses import dataclass

from config.addons.base import Addon
from config.fields import key


@dataclass(frozen=True, kw_only=True)
class AppStream(Addon):
    """Stream OMERO.insight to browsers from an AppStream 2.0 fleet."""

    enabled: bool = key(False, "Stream OMERO.insight to browsers from an AppStream 2.0 fleet.")
