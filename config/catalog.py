"""Every stack a deployment can have, in deploy order: the one list the app, the tools and the
tests read.

A stack is named ``<deployment>-<role>``. The core stacks are listed here and wired by hand in
``stacks/app.py`` (each reads different outputs). The add-ons' entries are made from their config
classes (``config.addons.base.Addon``: role, stack class, before or after the services stack), in
the order of their fields in ``config.schema.Deployment``; the app makes those on the services stack
from this list, each loading its module only when its block is enabled. Nothing here loads cdktf.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from config.addons.base import Addon
from config.schema import Deployment, addon_blocks


@dataclass(frozen=True)
class StackKind:
    role: str  # the stack is named <deployment>-<role>
    module: str  # the module holding its class
    class_name: str
    present: Callable[[Deployment], bool]  # whether a deployment has this stack
    on_services: bool = False  # an add-on deployed after the services stack, reading the core's outputs


def _enabled(block: str) -> Callable[[Deployment], bool]:
    return lambda deployment: bool(getattr(deployment, block).enabled)


def _always(deployment: Deployment) -> bool:
    return True


def _state_bucket(deployment: Deployment) -> bool:
    return deployment.state.remote and deployment.state.create_bucket


def _addon(block: str, addon: type[Addon]) -> StackKind:
    """The stack of the add-on block ``block``, as its config class declares it."""
    module, _, class_name = addon.stack_class.partition(":")
    return StackKind(addon.stack_role, module, class_name, _enabled(block), on_services=addon.on_services)


# Every add-on in the order of its field in Deployment (monitoring last, to watch the rest).
ADDONS: tuple[StackKind, ...] = tuple(_addon(block, addon) for block, addon in addon_blocks().items())
STACKS: tuple[StackKind, ...] = (
    StackKind("state", "stacks.state", "StateStack", _state_bucket),
    StackKind("network", "stacks.network", "NetworkStack", _always),
    StackKind("storage", "stacks.storage", "StorageStack", _always),
    StackKind("backup", "stacks.backup", "BackupStack", _enabled("backup")),
    # Before the services stack: the add-ons it builds on (the file gateway, whose share it mounts).
    *(kind for kind in ADDONS if not kind.on_services),
    StackKind("services", "stacks.services", "ServicesStack", _always),
    *(kind for kind in ADDONS if kind.on_services),
)
ROLES: tuple[str, ...] = tuple(kind.role for kind in STACKS)
# The add-ons built on the services stack (the file gateway comes before it).
ON_SERVICES_ROLES: tuple[str, ...] = tuple(kind.role for kind in STACKS if kind.on_services)


def stack_kinds(deployment: Deployment) -> list[StackKind]:
    """The stacks ``deployment`` has, in deploy order."""
    return [kind for kind in STACKS if kind.present(deployment)]


def role_of(stack_class: type) -> str:
    """The role of the stack class ``stack_class`` (an add-on's stack takes its name from here)."""
    found = [kind.role for kind in STACKS if (kind.module, kind.class_name) == (stack_class.__module__, stack_class.__name__)]
    if len(found) != 1:
        raise LookupError(f"{stack_class.__module__}:{stack_class.__name__} is not one stack of config.catalog.STACKS")
    return found[0]
