"""What every add-on stack shares: the core stacks' outputs it builds on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from constructs import Construct

from config import Deployment
from config.catalog import role_of
from modules.database import OmeroDatabaseOutputs
from modules.efs import OmeroFileSystemOutputs
from modules.network import NetworkOutputs
from modules.omero_facts import NfsShare
from stacks.base import DeploymentStack, SynthSettings
from stacks.services import ServicesOutputs

if TYPE_CHECKING:  # the add-on's module (and its provider bindings) loads only when it is on
    from modules.addons.file_gateway import FileGatewayOutputs
    from modules.addons.zarr import ZarrOutputs


@dataclass(frozen=True, kw_only=True)
class CoreOutputs:
    """The core stacks' outputs; values an add-on reads become cross-stack references."""

    network: NetworkOutputs
    file_system: OmeroFileSystemOutputs
    database: OmeroDatabaseOutputs
    services: ServicesOutputs
    # With the S3 File Gateway add-on: the NFS share the OMERO servers mount (at its
    # container_path; when that is /OMERO, EFS does not hold the repository).
    data_share: NfsShare | None = None
    file_gateway: FileGatewayOutputs | None = None  # the gateway itself, for the monitoring add-on
    zarr: ZarrOutputs | None = None  # the zarr add-on's buckets (its stack comes before the services)


class AddonStack(DeploymentStack):
    """The stack ``<deployment>-<role>`` of one add-on, deployed after the services stack; its role
    is the one its config class declares (``config.catalog.role_of``)."""

    def __init__(self, scope: Construct, *, deployment: Deployment, settings: SynthSettings, core: CoreOutputs):
        super().__init__(scope, role_of(type(self)), deployment=deployment, settings=settings)
        self.core = core
