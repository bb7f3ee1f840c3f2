"""The uploader add-on stack: An EC2 host with the OMERO CLI and /OMERO mounted."""
from __future__ import annotations

from constructs import Construct

from config import Deployment
from stacks.addons.base import AddonStack, CoreOutputs
from stacks.base import SynthSettings


class UploaderStack(AddonStack):
    def __init__(self, scope: Construct, *, deployment: Deployment, settings: SynthSettings, core: CoreOutputs):
        super().__init__(scope, "uploader", deployment=deployment, settings=settings, core=core)
