"""Build the cdktf App for one deployment: its stacks (``config.catalog``), wired to each other."""

from __future__ import annotations

import importlib
from pathlib import Path

from cdktf import App

from config import Deployment
from config.catalog import stack_kinds
from stacks.addons.base import CoreOutputs
from stacks.base import DeploymentStack, SynthSettings
from stacks.network import NetworkStack
from stacks.services import ServicesStack
from stacks.state import StateStack
from stacks.storage import StorageStack


def build_app(
    deployment: Deployment, settings: SynthSettings, *, synth_dir: Path | None = None
) -> tuple[App, list[DeploymentStack]]:
    """The App with every stack of ``deployment``, in deployment order.

    ``synth_dir`` is where ``app.synth()`` writes (default ``settings.outdir``); paths inside the
    output are computed for ``settings.outdir``, where the result is meant to end up.
    """
    app = App(outdir=str(synth_dir or settings.outdir))
    kinds = stack_kinds(deployment)
    present = {kind.role for kind in kinds}
    stacks: list[DeploymentStack] = []
    if "state" in present:
        stacks.append(StateStack(app, deployment=deployment, settings=settings))
    network = NetworkStack(app, deployment=deployment, settings=settings)
    stacks.append(network)
    storage = StorageStack(app, deployment=deployment, settings=settings, network=network.outputs)
    stacks.append(storage)
    if "backup" in present:
        from stacks.backup import BackupStack

        stacks.append(
            BackupStack(app, deployment=deployment, settings=settings, file_system=storage.file_system, database=storage.database)
        )
    share = gateway_outputs = None
    if deployment.file_gateway.enabled:  # before the services, which mount its share
        from stacks.addons.file_gateway import FileGatewayStack

        gateway = FileGatewayStack(app, deployment=deployment, settings=settings, network=network.outputs)
        stacks.append(gateway)
        share, gateway_outputs = gateway.share, gateway.outputs
    zarr = None
    if deployment.zarr.enabled:  # before the services, whose task roles read its buckets
        from stacks.addons.zarr import ZarrStack

        zarr_stack = ZarrStack(app, deployment=deployment, settings=settings)
        stacks.append(zarr_stack)
        zarr = zarr_stack.outputs
    services = ServicesStack(
        app,
        deployment=deployment,
        settings=settings,
        network=network.outputs,
        file_system=storage.file_system,
        database=storage.database,
        data_share=share,
        upgrade_snapshot=storage.upgrade_snapshot,
        zarr=zarr,
    )
    stacks.append(services)
    core = CoreOutputs(
        network=network.outputs,
        file_system=storage.file_system,
        database=storage.database,
        services=services.outputs,
        data_share=share,
        file_gateway=gateway_outputs,
        zarr=zarr,
    )
    # The add-ons built on the services, each in its own stack, in the catalog's order (monitoring
    # last, to watch the rest). Each add-on's module (and the provider bindings it uses) loads
    # only when it is enabled.
    for kind in kinds:
        if kind.on_services:
            stack_class = getattr(importlib.import_module(kind.module), kind.class_name)
            stacks.append(stack_class(app, deployment=deployment, settings=settings, core=core))
    roles = [stack.role for stack in stacks]
    assert roles == [kind.role for kind in kinds], f"stacks {roles} differ from config.catalog"
    # Each stack after the bootstrap one needs the state bucket to exist first.
    for stack in stacks[1:]:
        if isinstance(stacks[0], StateStack):
            stack.add_dependency(stacks[0])
    return app, stacks
