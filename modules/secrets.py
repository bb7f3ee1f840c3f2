"""Secrets whose values Terraform generates during apply and never writes to plan or state."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import TerraformStack
from cdktf_cdktf_provider_aws.secretsmanager_secret import SecretsmanagerSecret
from cdktf_cdktf_provider_aws.secretsmanager_secret_version import SecretsmanagerSecretVersion
from constructs import Construct


@dataclass(frozen=True, kw_only=True)
class GeneratedSecretProps:
    description: str
    version: int  # bump to generate a new value
    # The secret's name in Secrets Manager; with name_prefix instead, a unique name is generated
    # (a deleted secret's name stays taken for its recovery window).
    name: str | None = None
    name_prefix: str | None = None
    length: int = 32  # letters and digits
    kms_key_arn: str | None = None


class GeneratedSecret(Construct):
    """A Secrets Manager secret whose value Terraform generates and never stores.

    ``value`` is an ephemeral reference, usable only in write-only arguments (``*_wo``) of the
    same stack during the apply that writes ``version``. Containers read the secret through ECS
    ``secrets`` (``arn``).
    """

    def __init__(self, scope: Construct, id: str, *, props: GeneratedSecretProps):
        super().__init__(scope, id)
        if (props.name is None) == (props.name_prefix is None):
            raise ValueError("GeneratedSecretProps: give exactly one of name and name_prefix")
        stack = TerraformStack.of(self)
        ephemeral_name = f"{id}_password".replace("-", "_")
        # cdktf 0.21 has no bindings for ephemeral resources: add the block by override.
        stack.add_override(
            f"ephemeral.aws_secretsmanager_random_password.{ephemeral_name}",
            {"password_length": props.length, "exclude_punctuation": True, "require_each_included_type": True},
        )
        self.value = f"${{ephemeral.aws_secretsmanager_random_password.{ephemeral_name}.random_password}}"
        self.version = props.version
        self.secret = SecretsmanagerSecret(
            self,
            "secret",
            name=props.name,
            name_prefix=props.name_prefix,
            description=props.description,
            kms_key_id=props.kms_key_arn,
            recovery_window_in_days=7,
        )
        self.written = SecretsmanagerSecretVersion(
            self,
            "value",
            secret_id=self.secret.id,
            secret_string_wo=self.value,
            secret_string_wo_version=props.version,
        )
        self.arn = self.secret.arn
