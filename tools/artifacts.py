"""Stage the pinned artifacts a deployment's OMERO.servers fetch at start into its artifacts bucket.

    pipenv run artifacts stage --config FILE [--from DIR] [--bucket NAME] [--endpoint URL]
    pipenv run artifacts list  --config FILE

``stage`` takes each artifact the deployment's servers fetch from its artifacts bucket
(``config.artifacts.staged_artifacts``: the zarr add-on's pixel buffer JARs) from its upstream URL,
or from ``--from DIR`` (a file named as upstream, e.g. ``jzarr-0.4.2.jar``: for a machine that
cannot reach Maven Central, fill DIR where it can), checks its sha256 against the pin, and puts it
at ``<sha256>/<file>`` in the bucket, with S3 checking the same sha256 on arrival
(``ChecksumSHA256``). Every file is checked before any is uploaded: one wrong digest and nothing
is staged. An object already at its key is read back and checked, and replaced only if it is not
the pinned file. The bucket is ``<name>-artifacts-<account>-<region>``, which the zarr stack
makes (``--bucket`` names another); ``pipenv run deploy`` runs this before the services stack.

``list`` prints each artifact: its key, sha256, upstream URL and where the servers install it.

``--endpoint http://127.0.0.1:PORT`` talks to a local AWS API emulator instead of AWS. Exit
status: 0 staged (or nothing to stage), 1 a download or a digest failed (nothing uploaded), 2 bad
input, one line on stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from config import ConfigError, config_path, load
from tools.artifact_staging import InputError, StageError, listing, stage
from tools.common import Parser


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = Parser(prog="pipenv run artifacts", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (("stage", "download, check and upload the pinned artifacts"), ("list", "show the pins")):
        command = sub.add_parser(name, help=help_text)
        command.add_argument("--config", type=Path, help="deployment file (default: $OMERO_CONFIG, else config/default.hcl)")
        if name == "stage":
            command.add_argument("--from", dest="source_dir", type=Path, help="take the files from this directory")
            command.add_argument("--bucket", help="stage into this bucket (default: <name>-artifacts-<account>-<region>)")
            command.add_argument("--endpoint", metavar="URL", help="a local AWS API emulator: http://127.0.0.1:PORT")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    options = _parse(argv)
    path = options.config or config_path(os.environ)
    try:
        deployment = load(path)
    except ConfigError as error:
        print("; ".join(f"error: {error.source}: {line}" for line in error.lines), file=sys.stderr)
        return 2
    if options.command == "list":
        print("\n".join(listing(deployment)))
        return 0
    endpoint = options.endpoint
    if endpoint and not endpoint.startswith(("http://127.0.0.1", "http://localhost")):
        print(f"error: --endpoint {endpoint}: a local emulator only (http://127.0.0.1:PORT)", file=sys.stderr)
        return 2
    try:
        stage(deployment, source_dir=options.source_dir, bucket=options.bucket, endpoint=endpoint)
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except StageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
