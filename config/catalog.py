"""Every stack a deployment can have, in deploy order: the one list the app, the tools and the
tests read.

A stack is named ``<deployment>-<role>``. The core stacks are wired by hand in ``stacks/app.py``
(each reads different outputs); the add-ons that build on the services stack are made from this
list, each loading its module only when its block is enabled. Nothing here loads cdktf.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from config.schema import Deployment


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


STACKS: tuple[StackKind, ...] = (
    StackKind("state", "stacks.state", "StateStack", _state_bucket),
    StackKind("network", "stacks.network", "NetworkStack", _always),
    StackKind("storage", "stacks.storage", "StorageStack", _always),
    StackKind("backup", "stacks.backup", "BackupStack", _enabled("backup")),
    # Before the services stack, which mounts its share.
    StackKind("file-gateway", "stacks.addons.file_gateway", "FileGatewayStack", _enabled("file_gateway")),
    StackKind("services", "stacks.services", "ServicesStack", _always),
    StackKind("datasync", "stacks.addons.datasync", "DataSyncStack", _enabled("datasync"), on_services=True),
    StackKind("uploader", "stacks.addons.uploader", "UploaderStack", _enabled("uploader"), on_services=True),
    StackKind("dropbox", "stacks.addons.dropbox", "DropBoxStack", _enabled("dropbox"), on_services=True),
    StackKind("appstream", "stacks.addons.appstream", "AppStreamStack", _enabled("appstream"), on_services=True),
    # Last, to watch the rest.
    StackKind("monitoring", "stacks.addons.monitoring", "MonitoringStack", _enabled("monitoring"), on_services=True),
)
ROLES: tuple[str, ...] = tuple(kind.role for kind in STACKS)
# The add-ons built on the services stack (the file gateway comes before it).
ON_SERVICES_ROLES: tuple[str, ...] = tuple(kind.role for kind in STACKS if kind.on_services)


def stack_kinds(deployment: Deployment) -> list[StackKind]:
    """The stacks ``deployment`` has, in deploy order."""
    return [kind for kind in STACKS if kind.present(deployment)]
