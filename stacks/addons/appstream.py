"""The appstream add-on stack: OMERO.insight streamed from an AppStream 2.0 fleet."""
from __future__ import annotations

from constructs import Construct

from config import Deployment
from stacks.addons.base import AddonStack, CoreOutputs
from stacks.base import SynthSettings


class AppStreamStack(AddonStack):
    def __init__(self, scope: Construct, *, deployment: Deployment, settings: SynthSettings, core: CoreOutputs):
        super().__init__(scope, "appstream", deployment=deployment, settings=settings, core=core)
