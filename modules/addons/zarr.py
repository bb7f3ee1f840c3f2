"""The zarr add-on: the bucket OMERO reads OME-Zarr images from, the bucket its pixel buffer JARs
are staged in, who may read them, and the init container that brings the JARs into a server task.

OMERO.server reads an image registered with an ``s3://`` ExternalInfo through Glencoe Software's
omero-zarr-pixel-buffer, which signs its requests with the credentials of a profile file or of
the container (the ECS task role; OmeroAmazonS3ClientFactory.java: ProfileCredentialsProvider,
then EC2ContainerCredentialsProviderWrapper) and refuses keys in environment variables. So the
task roles of the read-write and read-only servers get read access to that bucket alone:
s3:ListBucket on the bucket, s3:GetObject on its objects, kms:Decrypt through S3 with a customer key.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import DataAwsIamPolicyDocumentStatement
from cdktf_cdktf_provider_aws.data_aws_s3_bucket import DataAwsS3Bucket
from constructs import Construct

from config.addons.zarr import artifacts_bucket_name, zarr_bucket_name
from config.artifacts import Artifact, staged_key
from modules.buckets import Versions, hardened_bucket
from modules.context import stack_context
from modules.iam import allow, when

if TYPE_CHECKING:
    from modules.server_extras import Stager

FETCH_PROGRAM = Path(__file__).resolve().parents[1] / "artifact_fetch.py"
ARTIFACT_VERSION_DAYS = 30  # a replaced or deleted staged file's old version, kept this long


@dataclass(frozen=True, kw_only=True)
class ZarrBucketsProps:
    name: str  # the deployment name; prefixes bucket names
    bucket_name: str | None = None  # an existing bucket of images; None: one is made here
    kms_key_arn: str | None = None  # encrypts the bucket made here, or the existing bucket's objects
    noncurrent_version_days: int = 90  # the bucket made here: how long replaced versions are kept


@dataclass(frozen=True, kw_only=True)
class ZarrOutputs:
    """What the servers and the uploader need: the buckets, as references to this stack."""

    bucket_name: str
    bucket_arn: str
    bucket_region: str  # where the bucket lives (its S3 endpoint is s3.<region>.<dns suffix>)
    kms_key_arn: str | None
    artifacts_bucket_name: str
    artifacts_bucket_arn: str
    artifacts_url: str  # https://<artifacts bucket>.s3.<region>.<dns suffix>, virtual-hosted style

    def read_statements(self, sid: str = "ZarrImages") -> list[DataAwsIamPolicyDocumentStatement]:
        return bucket_read_statements(self.bucket_arn, self.kms_key_arn, sid=sid)

    def artifacts_statement(self, artifacts: Sequence[Artifact]) -> DataAwsIamPolicyDocumentStatement:
        """s3:GetObject on exactly the staged keys ``artifacts`` are fetched from, nothing else."""
        return allow(
            ["s3:GetObject"],
            [f"{self.artifacts_bucket_arn}/{staged_key(a)}" for a in artifacts],
            sid="StagedArtifacts",
        )


def bucket_read_statements(
    bucket_arn: str, kms_key_arn: str | None, *, sid: str = "ZarrImages"
) -> list[DataAwsIamPolicyDocumentStatement]:
    """Read one bucket and nothing else: list it (s3:ListBucket, on the bucket), read its objects
    (s3:GetObject, on its objects), and with a customer key decrypt them through S3 in the key's
    region only (AWS KMS Developer Guide, kms:ViaService)."""
    statements = [
        allow(["s3:ListBucket"], [bucket_arn], sid=f"List{sid}"),
        allow(["s3:GetObject"], [f"{bucket_arn}/*"], sid=f"Read{sid}"),
    ]
    if kms_key_arn:
        region = kms_key_arn.split(":")[3]
        statements.append(
            allow(
                ["kms:Decrypt"],
                [kms_key_arn],
                sid=f"Decrypt{sid}",
                condition=[when("StringEquals", "kms:ViaService", f"s3.{region}.amazonaws.com")],
            )
        )
    return statements


class ZarrBuckets(Construct):
    """The bucket of images (an existing one, checked to exist at plan time, or one made here:
    versioned, SSE-KMS, private, TLS only, never destroyed with the stack) and the deployment's
    artifacts bucket (versioned, SSE-S3, private, TLS only), named from the deployment so that
    ``pipenv run artifacts stage`` and AWS Backup find them without reading this stack's state."""

    def __init__(self, scope: Construct, id: str, *, props: ZarrBucketsProps):
        super().__init__(scope, id)
        aws = stack_context(self)
        if props.bucket_name is not None:
            existing = DataAwsS3Bucket(self, "existing", bucket=props.bucket_name)
            bucket_name, bucket_arn, bucket_region = existing.bucket, existing.arn, existing.region
        else:
            bucket = hardened_bucket(
                Construct(self, "images"),
                name=zarr_bucket_name(props.name, aws.account_id, aws.region),
                versions=Versions(rule_id="expire-replaced-versions", noncurrent_days=props.noncurrent_version_days),
                # The only copy of the images OMERO reads in place: never deleted by a destroy.
                prevent_destroy=True,
                kms_key_arn=props.kms_key_arn,
            ).bucket
            bucket_name, bucket_arn, bucket_region = bucket.bucket, bucket.arn, aws.region

        artifacts = hardened_bucket(
            Construct(self, "artifacts"),
            name=artifacts_bucket_name(props.name, aws.account_id, aws.region),
            versions=Versions(rule_id="expire-replaced-versions", noncurrent_days=ARTIFACT_VERSION_DAYS),
            # Only copies of published files, staged again by one command: it may go with the stack.
            prevent_destroy=False,
            force_destroy=True,
            # SSE-S3: the init containers read it with s3:GetObject alone, no key policy to keep in step.
            sse_algorithm="AES256",
        ).bucket

        self.outputs = ZarrOutputs(
            bucket_name=bucket_name,
            bucket_arn=bucket_arn,
            bucket_region=bucket_region,
            kms_key_arn=props.kms_key_arn,
            artifacts_bucket_name=artifacts.bucket,
            artifacts_bucket_arn=artifacts.arn,
            artifacts_url=f"https://{artifacts.bucket}.s3.{aws.region}.{aws.dns_suffix}",
        )


def fetch_program() -> str:
    """The program of ``modules/artifact_fetch.py`` as the init container runs it: its module
    docstring left out (the task definition, and so the plan, shows the code itself)."""
    source = FETCH_PROGRAM.read_text()
    _, docstring, code = source.split('"""', 2)
    assert docstring and not source.split('"""', 1)[0].strip()  # the file starts with its docstring
    return "# modules/artifact_fetch.py: fetch staged artifacts with the task role, verify, write" + code


def fetch_command(python: str, base_url: str, region: str, dest: str, artifacts: Sequence[Artifact]) -> str:
    """Shell that fetches ``artifacts`` from ``base_url`` into ``dest`` (their paths below OMERO.server)."""
    pairs = " ".join(shlex.quote(f"{staged_key(a)}={a.path}") for a in artifacts)
    return (
        f"exec {shlex.quote(python)} -B -c {shlex.quote(fetch_program())} "
        f"{shlex.quote(base_url)} {shlex.quote(region)} {shlex.quote(dest)} {pairs}"
    )


def pixel_buffer_stager(image: str, base_url: str, region: str, artifacts: Sequence[Artifact]) -> Stager:
    """The init container that fetches the pixel buffer's JARs from the artifacts bucket with the
    task role, checks each against its pin, and writes it into the staging volume, where the
    server's start step checks it again before installing it (``modules.server_extras``). It runs
    the server's own image, whose OMERO virtualenv has Python (and no AWS CLI)."""
    from modules.server_extras import STAGING_DIR, Stager
    from modules.server_start import IMAGE

    return Stager(
        name="stage-zarr-pixel-buffer",
        image=image,
        script=fetch_command(IMAGE.python, base_url, region, STAGING_DIR, artifacts),
    )
