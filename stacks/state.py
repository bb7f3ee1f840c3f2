"""The bootstrap stack: creates the S3 bucket every other stack keeps its state in.

Its own state stays local (the bucket cannot hold the state of its own creation); deploy it
once, before the other stacks.
"""

from __future__ import annotations

from cdktf import TerraformOutput
from constructs import Construct

from config import Deployment
from modules.state_bucket import StateBucket, StateBucketProps
from stacks.base import DeploymentStack, SynthSettings


class StateStack(DeploymentStack):
    def __init__(self, scope: Construct, *, deployment: Deployment, settings: SynthSettings):
        super().__init__(scope, "state", deployment=deployment, settings=settings, local_state=True)
        state = deployment.state
        assert state.bucket is not None  # the loader requires state.bucket with remote state
        bucket = StateBucket(
            self,
            "bucket",
            props=StateBucketProps(
                bucket=state.bucket,
                kms_key_arn=state.kms_key_arn,
                noncurrent_version_days=state.noncurrent_version_days,
            ),
        )
        TerraformOutput(
            self, "state_bucket", value=bucket.outputs.bucket, description="S3 bucket holding the deployment's Terraform state."
        )
        TerraformOutput(self, "state_bucket_arn", value=bucket.outputs.arn, description="ARN of the state bucket.")
