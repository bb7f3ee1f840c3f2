"""moto's server, with the emulator gaps that block our stacks closed. Run as a script:
``python -m emulator.server -H 127.0.0.1 -p PORT``.

The patches are in ``emulator.patches``, one module per AWS service; ``EMULATOR_PATCHES`` says what
each changes and why. Nothing here changes what the product deploys.
"""

from __future__ import annotations

import sys

from emulator.patches import EMULATOR_PATCHES, apply

__all__ = ["EMULATOR_PATCHES", "main"]


def main(argv: list[str]) -> None:
    apply()  # every patch, after checking moto's version
    from moto.server import main as moto_main

    moto_main(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
