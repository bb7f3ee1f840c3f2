"""Load the AWS provider bindings one submodule at a time.

``cdktf_cdktf_provider_aws/__init__.py`` imports all of the package's ~2,100 submodules (one per
resource and data source), which costs about ten seconds on every synth, whatever is used. Its
submodules need only the package's ``_jsii`` module, so we register the package in
``sys.modules`` without running its ``__init__``; a later
``from cdktf_cdktf_provider_aws.vpc import Vpc`` then loads just ``_jsii`` and ``vpc``. The
synthesized output is the same either way (``tests/test_speed.py`` compares the bytes).
"""

from __future__ import annotations

import importlib.util
import sys

PACKAGE = "cdktf_cdktf_provider_aws"


def register() -> None:
    """Make ``cdktf_cdktf_provider_aws`` importable without importing all of it. Idempotent."""
    if PACKAGE in sys.modules:
        return  # already registered, or fully imported by someone else: both work
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.submodule_search_locations is None:
        raise ImportError(f"{PACKAGE} is not installed; run: pipenv sync --dev")
    package = importlib.util.module_from_spec(spec)  # sets __path__, runs nothing
    sys.modules[PACKAGE] = package
