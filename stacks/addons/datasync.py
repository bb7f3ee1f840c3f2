"""The datasync add-on stack: DataSync copies an S3 bucket into /OMERO on a schedule."""
from __future__ import annotations

from constructs import Construct

from config import Deployment
from stacks.addons.base import AddonStack, CoreOutputs
from stacks.base import SynthSettings


class DataSyncStack(AddonStack):
    def __init__(self, scope: Construct, *, deployment: Deployment, settings: SynthSettings, core: CoreOutputs):
        super().__init__(scope, "datasync", deployment=deployment, settings=settings, core=core)
