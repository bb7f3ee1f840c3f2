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
import base64
import hashlib
import sys
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DOWNLOAD_TIMEOUT = 120.0  # seconds per upstream download


class StageError(Exception):
    """A download or a digest that failed: nothing is uploaded (exit status 1)."""


class InputError(Exception):
    """Bad input: a config, a directory, a bucket that is not there (exit status 2)."""


@dataclass(frozen=True)
class Checked:
    """An artifact's bytes, checked against its pin."""

    key: str  # <sha256>/<file>
    body: bytes


def sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def obtain(artifact, source_dir: Path | None) -> bytes:
    """The artifact's bytes: from ``source_dir`` when given, else downloaded from its URL."""
    from config.artifacts import staged_file

    name = staged_file(artifact)
    if source_dir is not None:
        path = source_dir / name
        if not path.is_file():
            raise StageError(f"{name}: not in {source_dir} (download it from {artifact.url})")
        return path.read_bytes()
    try:
        with urllib.request.urlopen(artifact.url, timeout=DOWNLOAD_TIMEOUT) as answer:
            return answer.read()
    except OSError as error:
        raise StageError(f"{name}: download from {artifact.url} failed: {error}; or pass --from DIR") from None


def check(artifacts: Sequence, source_dir: Path | None) -> list[Checked]:
    """Every artifact's bytes, each with the sha256 of its pin; a StageError at the first that is not."""
    from config.artifacts import staged_file, staged_key

    checked = []
    for artifact in artifacts:
        body = obtain(artifact, source_dir)
        digest = sha256(body)
        if digest != artifact.sha256:
            raise StageError(
                f"{staged_file(artifact)}: sha256 {digest} is not the pinned {artifact.sha256} "
                f"({artifact.source}); refused, nothing staged"
            )
        checked.append(Checked(staged_key(artifact), body))
    return checked


def client(service: str, region: str, endpoint: str | None, keys: dict[str, str] | None = None) -> Any:
    """A boto3 client: this environment's credentials, or ``keys`` (an emulator's fake ones)."""
    import boto3

    return boto3.client(service, region_name=region, endpoint_url=endpoint, **(keys or {}))


def default_bucket(deployment, endpoint: str | None, keys: dict[str, str] | None = None) -> str:
    """The deployment's artifacts bucket, named with the account these credentials are in."""
    from config.addons.zarr import artifacts_bucket_name

    account = client("sts", deployment.region, endpoint, keys).get_caller_identity()["Account"]
    return artifacts_bucket_name(deployment.name, account, deployment.region)


def already_there(s3, bucket: str, item: Checked) -> bool:
    """Whether the object at the item's key is the pinned file (read back and checked)."""
    from botocore.exceptions import ClientError

    try:
        body = s3.get_object(Bucket=bucket, Key=item.key)["Body"].read()
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return False
        raise
    return sha256(body) == item.key.split("/", 1)[0]


def upload(s3, bucket: str, items: Sequence[Checked], log) -> None:
    """Put each item at its key (S3 checks ``ChecksumSHA256`` on arrival), unless it is there already."""
    from botocore.exceptions import ClientError

    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as error:
        raise InputError(
            f"bucket {bucket}: {error.response.get('Error', {}).get('Code', error)}; deploy the zarr stack first "
            "(pipenv run deploy --stacks zarr), or name the bucket with --bucket"
        ) from None
    for item in items:
        if already_there(s3, bucket, item):
            log(f"s3://{bucket}/{item.key}: there already, checked")
            continue
        checksum = base64.b64encode(hashlib.sha256(item.body).digest()).decode()
        s3.put_object(Bucket=bucket, Key=item.key, Body=item.body, ChecksumAlgorithm="SHA256", ChecksumSHA256=checksum)
        log(f"s3://{bucket}/{item.key}: staged ({len(item.body)} bytes)")


def stage(
    deployment,
    *,
    source_dir: Path | None = None,
    bucket: str | None = None,
    endpoint: str | None = None,
    artifacts: Sequence | None = None,
    keys: dict[str, str] | None = None,
    log=print,
) -> list[str]:
    """Stage ``artifacts`` (default: what the deployment's servers fetch) and return their keys;
    ``keys``: boto3 credential arguments instead of this environment's (an emulator's)."""
    from config.artifacts import staged_artifacts

    chosen = staged_artifacts(deployment) if artifacts is None else tuple(artifacts)
    if not chosen:
        log(f"{deployment.name}: nothing to stage (no add-on fetches artifacts: zarr is off)")
        return []
    if source_dir is not None and not source_dir.is_dir():
        raise InputError(f"--from {source_dir}: not a directory")
    items = check(chosen, source_dir)  # all checked before any is uploaded
    target = bucket or default_bucket(deployment, endpoint, keys)
    upload(client("s3", deployment.region, endpoint, keys), target, items, log)
    return [item.key for item in items]


def listing(deployment) -> list[str]:
    from config.artifacts import staged_artifacts, staged_key

    return [f"{staged_key(a)}  {a.version}  -> OMERO.server/{a.path}  from {a.url}" for a in staged_artifacts(deployment)] or [
        f"{deployment.name}: nothing to stage (zarr is off)"
    ]


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="artifacts", description=__doc__.split("\n\n")[0])
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
    import os

    from config import ConfigError, config_path, load

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
