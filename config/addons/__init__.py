"""Add-on configuration: one block per add-on, each off until ``enabled = true``.

Each block is a :class:`config.addons.base.Addon`: its own keys and rules, plus rules that look at
the rest of the deployment (``deployment_checks``), which the deployment runs after every block
is built.
"""

from config.addons.appstream import AppStream
from config.addons.base import Addon
from config.addons.datasync import DataSync
from config.addons.dropbox import DropBox
from config.addons.file_gateway import FileGatewayConfig
from config.addons.monitoring import Monitoring
from config.addons.uploader import Uploader

__all__ = ["Addon", "AppStream", "DataSync", "DropBox", "FileGatewayConfig", "Monitoring", "Uploader"]
