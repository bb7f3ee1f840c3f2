"""Reusable constructs, one concern each: typed props in, resources and typed outputs out.

Importing this package registers the AWS provider bindings for per-submodule loading (see
:mod:`modules._provider`); import ``modules`` before any ``cdktf_cdktf_provider_aws`` submodule.
"""

from modules import _provider

_provider.register()
