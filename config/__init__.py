"""Deployment configuration: schema, loader and validation (no cdktf imports here)."""

from config.loader import CONFIG_ENV, DEFAULT_CONFIG, ConfigError, config_path, load, loads
from config.schema import Deployment, FlowLogsConfig, NetworkConfig, State

__all__ = [
    "CONFIG_ENV",
    "DEFAULT_CONFIG",
    "ConfigError",
    "Deployment",
    "FlowLogsConfig",
    "NetworkConfig",
    "State",
    "config_path",
    "load",
    "loads",
]
