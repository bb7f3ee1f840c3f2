"""The monitoring add-on stack: CloudWatch dashboard and alarms for a deployment."""
from __future__ import annotations

from constructs import Construct

from config import Deployment
from stacks.addons.base import AddonStack, CoreOutputs
from stacks.base import SynthSettings


class MonitoringStack(AddonStack):
    def __init__(self, scope: Construct, *, deployment: Deployment, settings: SynthSettings, core: CoreOutputs):
        super().__init__(scope, "monitoring", deployment=deployment, settings=settings, core=core)
