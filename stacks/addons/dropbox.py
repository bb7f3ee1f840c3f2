"""The dropbox add-on stack: Automated import: a scheduled in-place import into OMERO."""
from __future__ import annotations

from constructs import Construct

from config import Deployment
from stacks.addons.base import AddonStack, CoreOutputs
from stacks.base import SynthSettings


class DropBoxStack(AddonStack):
    def __init__(self, scope: Construct, *, deployment: Deployment, settings: SynthSettings, core: CoreOutputs):
        super().__init__(scope, "dropbox", deployment=deployment, settings=settings, core=core)
