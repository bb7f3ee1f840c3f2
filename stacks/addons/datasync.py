"""The datasync add-on stack: DataSync copies an S3 bucket into /OMERO on a schedule.

The bucket is new (encrypted, private, TLS only) unless ``datasync.bucket_name`` names one. The
files land in ``datasync.destination_path`` under /OMERO, written through the OMERO server's EFS
access point, from where they can be imported in place.
"""

from __future__ import annotations

from constructs import Construct

from config import Deployment
from modules.addons.datasync import LandingBucket, LandingBucketProps, OmeroDataSync, OmeroDataSyncProps
from stacks.addons.base import AddonStack, CoreOutputs
from stacks.base import SynthSettings


class DataSyncStack(AddonStack):
    def __init__(self, scope: Construct, *, deployment: Deployment, settings: SynthSettings, core: CoreOutputs):
        super().__init__(scope, deployment=deployment, settings=settings, core=core)
        config, name, region = deployment.datasync, deployment.name, deployment.region

        if config.creates_bucket:
            landing = LandingBucket(
                self,
                "bucket",
                props=LandingBucketProps(
                    bucket_prefix=f"{name}-omero-datasync-",
                    kms_key_arn=config.kms_key_arn,
                    noncurrent_version_days=config.noncurrent_version_days,
                    expire_after_days=config.expire_after_days,
                ),
            ).outputs
            bucket, bucket_arn = landing.bucket, landing.arn
        else:
            assert config.bucket_name is not None  # the loader requires it unless the bucket is made here
            bucket, bucket_arn = config.bucket_name, f"arn:{self.partition}:s3:::{config.bucket_name}"

        transfer = OmeroDataSync(
            self,
            "datasync",
            props=OmeroDataSyncProps(
                name=name,
                vpc_id=self.core.network.vpc_id,
                # Every private subnet has an EFS mount target; DataSync needs one in its AZ.
                subnet_id=self.core.network.private_subnet_ids[0],
                file_system=self.core.file_system,
                bucket=bucket,
                bucket_arn=bucket_arn,
                bucket_kms_key_arn=config.kms_key_arn,
                source_prefix=config.source_prefix,
                destination_path=config.destination_path,
                schedule=config.schedule,
                verify_mode=config.verify_mode,
                overwrite_mode=config.overwrite_mode,
                preserve_deleted_files=config.preserve_deleted_files,
                excludes=config.excludes,
                includes=config.includes,
                bandwidth_limit_mibps=config.bandwidth_limit_mibps,
                log_level=config.log_level,
                log_retention_days=config.log_retention_days,
                logs_kms_key_arn=deployment.cluster.logs_kms_key_arn,
            ),
        ).outputs

        prefix = config.source_prefix.strip("/")
        start = f"aws datasync start-task-execution --region {region} --task-arn {transfer.task_arn}"
        out = self.output
        out("bucket_name", bucket, "S3 bucket DataSync copies from.")
        out(
            "upload_uri",
            f"s3://{bucket}/{prefix + '/' if prefix else ''}",
            "Where to put files for OMERO (aws s3 cp/sync target).",
        )
        out(
            "destination_path",
            f"/OMERO{config.destination_path.rstrip('/')}",
            "Where the files appear in the OMERO.server containers.",
        )
        out("task_arn", transfer.task_arn, "The DataSync task.")
        out("log_group", transfer.log_group_name, "Log group of the DataSync task.")
        out("start_command", start, "Run the copy now instead of waiting for the schedule.")
