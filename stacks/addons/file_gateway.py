"""The file-gateway add-on stack: an S3 File Gateway whose NFS share holds /OMERO.

Deployed before the services stack, which mounts the share on its container instances.
"""
from __future__ import annotations

from constructs import Construct

from config import Deployment
from modules.network import NetworkOutputs
from modules.omero_server import NfsShare
from stacks.base import DeploymentStack, SynthSettings


class FileGatewayStack(DeploymentStack):
    share: NfsShare

    def __init__(self, scope: Construct, *, deployment: Deployment, settings: SynthSettings, network: NetworkOutputs):
        super().__init__(scope, "file-gateway", deployment=deployment, settings=settings)
