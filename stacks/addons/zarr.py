"""The zarr add-on stack: the bucket OMERO.server reads OME-Zarr images from, and the deployment's
artifacts bucket its pixel buffer JARs are staged in.

Deployed before the services stack, which grants its servers' task roles read access to both
(the images bucket whole, the artifacts bucket by staged key) and installs the pixel buffer at
every start; ``pipenv run deploy`` stages the JARs in between (``pipenv run artifacts stage``).
"""

from __future__ import annotations

from constructs import Construct

from config import Deployment
from config.artifacts import staged_artifacts, staged_key
from config.catalog import role_of
from modules.addons.zarr import ZarrBuckets, ZarrBucketsProps, ZarrOutputs
from stacks.base import DeploymentStack, SynthSettings


class ZarrStack(DeploymentStack):
    outputs: ZarrOutputs

    def __init__(self, scope: Construct, *, deployment: Deployment, settings: SynthSettings):
        super().__init__(scope, role_of(ZarrStack), deployment=deployment, settings=settings)
        config = deployment.zarr
        self.outputs = ZarrBuckets(
            self,
            "zarr",
            props=ZarrBucketsProps(
                name=deployment.name,
                bucket_name=config.bucket_name,
                kms_key_arn=config.kms_key_arn,
                noncurrent_version_days=config.noncurrent_version_days,
            ),
        ).outputs
        out = self.outputs
        endpoint = f"https://s3.{out.bucket_region}.{self.aws_partition.dns_suffix}"
        self.output("bucket_name", out.bucket_name, "S3 bucket OMERO.server reads OME-Zarr images from.")
        self.output(
            "upload_uri", f"s3://{out.bucket_name}/", "Where to copy OME-Zarr images (aws s3 cp --recursive / sync target)."
        )
        self.output(
            "s3_endpoint",
            endpoint,
            "The bucket's regional S3 endpoint: omero zarr import --endpoint (the pixel buffer reads it from each image's URI).",
        )
        self.output(
            "import_command",
            f"omero zarr import s3://{out.bucket_name}/<path>.ome.zarr --endpoint {endpoint} --parseuri",
            "Register an OME-Zarr of the bucket in OMERO, from the uploader host (docs/addons.md, zarr).",
        )
        self.output(
            "artifacts_bucket", out.artifacts_bucket_name, "Where pipenv run artifacts stage puts the pinned pixel buffer JARs."
        )
        self.output(
            "staged_keys",
            [staged_key(a) for a in staged_artifacts(deployment)],
            "The objects the OMERO.server tasks fetch from the artifacts bucket at start (<sha256>/<file>).",
        )
