"""``pipenv run destroy``: a deployment's stacks destroyed in reverse dependency order; the
options, the exit status and how it works: tools/deploying.py, which ``pipenv run deploy`` shares.

Stacks that refuse destroy (``prevent_destroy`` on what OMERO keeps, a load balancer with deletion
protection) are kept and named, with the stacks they need.
"""

from __future__ import annotations

import sys

from tools.deploying import main

if __name__ == "__main__":
    sys.exit(main(destroy=True))
