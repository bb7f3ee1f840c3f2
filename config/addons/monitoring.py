"""Configuration of the monitoring add-on."""
from __future__ import annotations

from dataclasses import dataclass

from config.addons.base import Addon
from config.fields import key


@dataclass(frozen=True, kw_only=True)
class Monitoring(Addon):
    """A CloudWatch dashboard and alarms to an SNS topic."""

    enabled: bool = key(False, "A CloudWatch dashboard and alarms to an SNS topic.")
