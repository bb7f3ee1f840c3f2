"""Configuration of the zarr add-on: OMERO.server reads OME-Zarr images in place from S3.

The servers get Glencoe Software's omero-zarr-pixel-buffer (its JARs pinned in
``config/artifacts.py``, staged once into the deployment's artifacts bucket and installed at every
start), read access to one bucket, and ``omero.pixeldata.zarr_cache_size``; the uploader host, if
the deployment has one, may read the bucket too and has omero-cli-zarr to register images.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from config import checks
from config.addons.base import Addon
from config.fields import Problem, key

if TYPE_CHECKING:
    from config.schema import Deployment

# The pixel buffer's own default (glencoesoftware/omero-zarr-pixel-buffer v0.6.1,
# src/main/resources/blitz/blitz-ZarrPixelBuffer.xml: "${omero.pixeldata.zarr_cache_size:500}"):
# the most entries each of its two Caffeine caches keeps, Zarr groups' metadata and opened arrays
# (ZarrPixelsService.java, Caffeine.newBuilder().maximumSize(zarrCacheSize)).
CACHE_SIZE_DEFAULT = 500
CACHE_SIZE_PROPERTY = "omero.pixeldata.zarr_cache_size"


def zarr_bucket_name(name: str, account_id: str, region: str) -> str:
    """The bucket the add-on makes when bucket_name is unset (at most 59 characters: NAME_MAX 20,
    a 12-digit account, a region of at most 14)."""
    return f"{name}-omero-zarr-{account_id}-{region}"


def artifacts_bucket_name(name: str, account_id: str, region: str) -> str:
    """The deployment's artifacts bucket, where ``pipenv run artifacts stage`` puts the pinned JARs
    the servers install (at most 58 characters)."""
    return f"{name}-artifacts-{account_id}-{region}"


def bucket_name(value: str) -> str | None:
    """An S3 bucket name the pixel buffer can reach: AWS's rules, and no dots.

    The pixel buffer's S3 client (AWS SDK for Java 1.12, AmazonS3ClientBuilder.standard(), which
    addresses buckets virtual-hosted style over https://, OmeroAmazonS3ClientFactory.java) cannot
    validate the TLS certificate of a name with dots: "If you include periods in a bucket's name,
    you can't use virtual-host-style addressing over HTTPS" (Amazon S3 User Guide, "General purpose
    bucket naming rules")."""
    problem = checks.bucket_name(value)
    if problem:
        return problem
    if "." in value:
        return (
            "an S3 bucket name without dots (the pixel buffer reaches the bucket virtual-hosted style over HTTPS, "
            "whose certificate does not cover a name with dots)"
        )
    return None


@dataclass(frozen=True, kw_only=True)
class Zarr(Addon):
    """OMERO.server reads OME-Zarr images (NGFF 0.4) in place from an S3 bucket."""

    stack_role = "zarr"
    stack_class = "stacks.addons.zarr:ZarrStack"
    # Before the services stack: the servers' task roles read its buckets from their first start,
    # and their pixel buffer JARs are staged into its artifacts bucket before the servers start.
    on_services = False

    enabled: bool = key(False, "OMERO.server reads OME-Zarr images (NGFF 0.4) in place from an S3 bucket.")
    bucket_name: str | None = key(
        None,
        "Read OME-Zarr images from this existing bucket; unset: a new bucket <name>-omero-zarr-<account>-<region> "
        "(versioned, encrypted, private, TLS only, under AWS Backup with backup.enabled).",
        checks=[bucket_name],
    )
    kms_key_arn: str | None = key(
        None,
        "Customer KMS key that encrypts the new bucket (or that the existing bucket's objects use): the servers and "
        "the uploader may decrypt with it through S3; unset: the AWS-managed aws/s3 key.",
        checks=[checks.kms_key_arn],
    )
    cache_size: int = key(
        CACHE_SIZE_DEFAULT,
        "omero.pixeldata.zarr_cache_size: how many Zarr metadata entries and opened arrays the pixel buffer keeps "
        "cached (1-100000; its own default 500).",
        checks=[checks.between(1, 100_000)],
    )
    noncurrent_version_days: int = key(
        90,
        "New bucket: days a replaced or deleted object version is kept before it expires (1-3650).",
        checks=[checks.between(1, 3650)],
    )
    backup: bool = key(
        True,
        "Back up the new bucket in the deployment's AWS Backup plan (with backup.enabled); false in production "
        "needs backup_waiver. An existing bucket is backed up by whoever owns it.",
    )
    backup_waiver: str | None = key(
        None,
        "Why this production deployment keeps the new bucket out of AWS Backup; needed there to set backup = false.",
    )

    @property
    def creates_bucket(self) -> bool:
        return self.bucket_name is None

    def server_properties(self) -> dict[str, str]:
        """The OMERO properties the add-on sets on every OMERO.server (read by the pixel buffer's
        ZarrPixelsService bean in Blitz); none when it is off."""
        return {CACHE_SIZE_PROPERTY: str(self.cache_size)} if self.enabled else {}

    def enabled_checks(self, given: frozenset[str]) -> Iterator[Problem]:
        if not self.creates_bucket:
            for name in ("noncurrent_version_days", "backup", "backup_waiver"):
                if name in given:
                    yield Problem(name, getattr(self, name), "only without bucket_name (for the bucket this add-on creates)")
        if self.backup_waiver is not None and self.backup:
            yield Problem("backup_waiver", self.backup_waiver, "only with backup = false")

    def deployment_checks(self, deployment: Deployment) -> Iterator[Problem]:
        if not self.enabled:
            return
        from config.backup import looks_like_production

        key_region = (self.kms_key_arn or "").split(":")[3:4]
        if self.creates_bucket and key_region and key_region[0] != deployment.region:
            # SSE-KMS takes a key of the bucket's own region (Amazon S3 User Guide, "Specifying
            # server-side encryption with AWS KMS": "the KMS key must be in the same Region as the bucket").
            yield Problem(
                "zarr.kms_key_arn",
                self.kms_key_arn,
                f"a key in {deployment.region}, the region of the bucket this add-on creates",
            )
        if CACHE_SIZE_PROPERTY in deployment.server.properties:
            yield Problem(
                "server.properties",
                CACHE_SIZE_PROPERTY,
                "",
                text=f'sets "{CACHE_SIZE_PROPERTY}", which zarr.cache_size sets with the zarr add-on (set the value there)',
            )
        production = looks_like_production(deployment) and deployment.backup.enabled
        if production and self.creates_bucket and not self.backup and not (self.backup_waiver or "").strip():
            yield Problem(
                "zarr.backup",
                False,
                f"true for a production deployment ({deployment.name}), whose zarr bucket holds the only copy of the "
                "images OMERO reads in place; or a zarr.backup_waiver saying why not",
            )
