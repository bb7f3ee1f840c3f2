"""``pipenv run deploy``: every stack of a deployment in dependency order, each plan shown and
confirmed, the saved plan applied as shown, then ``pipenv run verify``. The options, the exit
status and how it works: tools/deploying.py, which ``pipenv run destroy`` shares.
"""

from __future__ import annotations

import sys

from tools.deploying import main

if __name__ == "__main__":
    sys.exit(main())
