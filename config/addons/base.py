"""What every add-on block shares."""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from config.fields import Block, Problem

if TYPE_CHECKING:  # the schema imports the add-ons, not the other way round
    from config.schema import Deployment


class Addon(Block):
    """An add-on block. Subclasses declare ``enabled`` (default false) with their own doc line."""

    enabled: bool

    def deployment_checks(self, deployment: "Deployment") -> Iterator[Problem]:
        """Rules between this add-on and the rest of the deployment.

        Runs once every block is built and valid on its own. Keys in the problems are full dotted
        names (``file_gateway.enabled``, ``cluster.launch_type``).
        """
        return iter(())
