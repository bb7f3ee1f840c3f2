"""Destroy a deployment's stacks in reverse dependency order (``pipenv run destroy``); see tools/deploy.py.

Stacks that refuse destroy (``prevent_destroy`` on what OMERO keeps, a load balancer with deletion
protection) are kept and named, with the stacks they need.
"""

from __future__ import annotations

import sys

from tools.deploy import main

if __name__ == "__main__":
    sys.exit(main(destroy=True))
