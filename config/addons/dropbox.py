"""Configuration of the dropbox add-on."""
from __future__ import annotations

from dataclasses import dataclass

from config.addons.base import Addon
from config.fields import key


@dataclass(frozen=True, kw_only=True)
class DropBox(Addon):
    """Automated import: OMERO DropBox settings and a scheduled in-place import."""

    enabled: bool = key(False, "Automated import: OMERO DropBox settings and a scheduled in-place import.")

    def server_properties(self) -> dict[str, str]:
        """OMERO properties the read-write OMERO.server gets from this add-on (none when off)."""
        return {}

    def watch_directories(self) -> tuple[str, ...]:
        """Directories under /OMERO the read-write server creates before it starts."""
        return ()
