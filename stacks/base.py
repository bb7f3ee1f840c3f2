"""What every stack of a deployment shares: the AWS provider, the state backend and the tags."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cdktf import LocalBackend, S3Backend, S3BackendEndpointConfig, TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_partition import DataAwsPartition
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags, AwsProviderEndpoints
from constructs import Construct

from config import Deployment

# Every AWS service the stacks call; a stack that calls a new one adds it here. In emulator mode
# each of them is pointed at the emulator: the provider does not honour AWS_ENDPOINT_URL for all
# services, and a plan then hangs on real AWS host names.
EMULATED_SERVICES = (
    "acm",
    "appstream",
    "applicationautoscaling",
    "autoscaling",
    "backup",
    "cloudwatch",
    "datasync",
    "ec2",
    "ecs",
    "efs",
    "elasticache",
    "elbv2",
    "events",
    "iam",
    "kms",
    "logs",
    "rds",
    "route53",
    "s3",
    "scheduler",
    "secretsmanager",
    "servicediscovery",
    "sns",
    "ssm",
    "storagegateway",
    "sts",
)


@dataclass(frozen=True, kw_only=True)
class SynthSettings:
    """How this synth is run (as opposed to what is deployed, which is the Deployment)."""

    outdir: Path  # where cdktf writes stacks/<stack>/cdk.tf.json
    local_state_dir: Path  # where local-backend state files live (outside outdir)
    # An AWS API emulator (LocalStack, moto) to point every provider and backend at.
    emulator_endpoint: str | None = None


class DeploymentStack(TerraformStack):
    """A stack of one deployment, named ``<deployment>-<role>``.

    Owns the AWS provider (region, default tags) and the backend: S3 at
    ``<prefix>/<deployment>/<role>.tfstate`` when the deployment has a state bucket, else a local
    file ``terraform.<stack>.tfstate`` in ``local_state_dir``.

    Gives its modules the AWS context (``modules.context.AwsContext``: ``region``, ``account_id``,
    ``partition``, ``dns_suffix``), which they read with ``stack_context(self)``.
    """

    def __init__(
        self,
        scope: Construct,
        role: str,
        *,
        deployment: Deployment,
        settings: SynthSettings,
        local_state: bool = False,
    ):
        self.stack_name = f"{deployment.name}-{role}"
        super().__init__(scope, self.stack_name)
        self.role = role
        self.deployment = deployment
        self._caller: DataAwsCallerIdentity | None = None
        self._partition: DataAwsPartition | None = None
        endpoint = settings.emulator_endpoint

        tags = {**deployment.tags, "project": "omero", "deployment": deployment.name}
        provider: dict[str, Any] = dict(region=deployment.region, default_tags=[AwsProviderDefaultTags(tags=tags)])
        if endpoint:
            provider.update(
                endpoints=[AwsProviderEndpoints(**{service: endpoint for service in EMULATED_SERVICES})],
                s3_use_path_style=True,
                skip_credentials_validation=True,
                skip_metadata_api_check="true",
                skip_region_validation=True,
            )
        AwsProvider(self, "aws", **provider)
        self._provider_settings = provider

        self._configure_backend(deployment, settings, role, endpoint, local_state)

    @property
    def region(self) -> str:
        """The region of the stack's AWS provider (``region`` of the deployment file)."""
        return self.deployment.region

    @property
    def account_id(self) -> str:
        """The account the stack deploys into: one ``aws_caller_identity`` data source per stack,
        ``data.aws_caller_identity.account``, made on first use."""
        if self._caller is None:
            self._caller = DataAwsCallerIdentity(self, "account")
        return self._caller.account_id

    @property
    def aws_partition(self) -> DataAwsPartition:
        """The stack's partition (``data.aws_partition.partition``, made on first use): its
        ``partition`` for ARNs, its ``dns_suffix`` for service host names."""
        if self._partition is None:
            self._partition = DataAwsPartition(self, "partition")
        return self._partition

    @property
    def partition(self) -> str:
        return self.aws_partition.partition

    @property
    def dns_suffix(self) -> str:
        return self.aws_partition.dns_suffix

    def output(self, key: str, value, description: str) -> TerraformOutput:
        """The stack's output ``key``, which later stacks and operators read."""
        return TerraformOutput(self, key, value=value, description=description)

    def regional_provider(self, region: str, *, alias: str) -> AwsProvider:
        """Another AWS provider, like the stack's own but for ``region``; resources pick it by ``provider``."""
        return AwsProvider(self, f"aws_{alias}", **{**self._provider_settings, "region": region}, alias=alias)

    def _configure_backend(
        self, deployment: Deployment, settings: SynthSettings, role: str, endpoint: str | None, local_state: bool
    ) -> None:
        state = deployment.state
        if state.remote and not local_state:
            backend: dict[str, Any] = dict(
                bucket=state.bucket,
                key=f"{state.prefix}/{deployment.name}/{role}.tfstate",
                region=deployment.region,
            )
            if state.kms_key_arn:
                backend.update(encrypt=True, kms_key_id=state.kms_key_arn)
            # Without a customer key the state objects get the bucket's default encryption
            # (SSE-KMS with aws/s3 for the bucket this project creates): "encrypt = true" alone
            # would ask for SSE-S3 on every write instead.
            if endpoint:
                backend.update(
                    endpoints=S3BackendEndpointConfig(s3=endpoint, sts=endpoint, iam=endpoint),
                    use_path_style=True,
                    skip_credentials_validation=True,
                    skip_metadata_api_check=True,
                    skip_region_validation=True,
                    skip_requesting_account_id=True,
                )
            S3Backend(self, **backend)
            # Terraform 1.11's S3-native state locking; cdktf 0.21's S3Backend has no field for it.
            self.add_override("terraform.backend.s3.use_lockfile", True)
        else:
            state_file = settings.local_state_dir / f"terraform.{self.stack_name}.tfstate"
            working_dir = settings.outdir / "stacks" / self.stack_name
            # Relative to the stack's working directory, so the output is the same on every machine.
            LocalBackend(self, path=os.path.relpath(state_file, working_dir))
