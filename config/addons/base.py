"""What every add-on block shares."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, ClassVar

from config.fields import Block, Problem

if TYPE_CHECKING:  # the schema imports the add-ons, not the other way round
    from config.schema import Deployment


class Addon(Block):
    """An add-on block. Subclasses declare ``enabled`` (default false) with their own doc line, and
    their stack in the three class variables below; ``config.catalog`` makes its entry from them."""

    # The stack is named <deployment>-<role>, and its Terraform state key ends in <role>.tfstate:
    # renaming a role moves the state of a deployed add-on, so a role never changes.
    stack_role: ClassVar[str]
    stack_class: ClassVar[str]  # "<module>:<class name>"; the module loads only when the add-on is enabled
    # Deployed after the services stack, reading the core's outputs (stacks.addons.base.CoreOutputs);
    # False: before it, wired by hand in stacks/app.py (the file gateway, whose share the servers mount).
    on_services: ClassVar[bool] = True

    enabled: bool

    def cross_checks(self, given: frozenset[str]) -> Iterator[Problem]:
        """Keys other than ``enabled`` only in an enabled add-on; then its own rules."""
        if not self.enabled:
            for name in sorted(given - {"enabled"}):
                yield Problem(name, getattr(self, name), "only with enabled = true")
            return
        yield from self.enabled_checks(given)

    def enabled_checks(self, given: frozenset[str]) -> Iterator[Problem]:
        """Rules between this add-on's own keys, run when it is enabled."""
        return iter(())

    def deployment_checks(self, deployment: Deployment) -> Iterator[Problem]:
        """Rules between this add-on and the rest of the deployment.

        Runs once every block is built and valid on its own. Keys in the problems are full dotted
        names (``file_gateway.enabled``, ``cluster.launch_type``).
        """
        return iter(())
