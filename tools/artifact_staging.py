"""Staging the pinned artifacts a deployment's OMERO.servers fetch at start (config/artifacts.py)
into its artifacts bucket: each taken from its upstream URL or a directory, checked against its
sha256 before any is uploaded, put at ``<sha256>/<file>`` with S3 checking the same digest.

``pipenv run artifacts stage`` (tools/artifacts.py) and ``pipenv run deploy``, right before the
services stack (tools/deploying.py), stage through here.
"""

from __future__ import annotations

import base64
import hashlib
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from config.addons.zarr import artifacts_bucket_name
from config.artifacts import staged_artifacts, staged_file, staged_key

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
    return [f"{staged_key(a)}  {a.version}  -> OMERO.server/{a.path}  from {a.url}" for a in staged_artifacts(deployment)] or [
        f"{deployment.name}: nothing to stage (zarr is off)"
    ]
