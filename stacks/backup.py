"""The backup stack: AWS Backup of what the storage stack keeps, in its own stack after it.

Its vault (and the copy vault, with ``backup.copy_region``) refuse destruction like the storage
they protect; the plan and the selection can change freely.
"""

from __future__ import annotations

from cdktf import TerraformOutput
from constructs import Construct

from config import Deployment
from config.addons.file_gateway import share_bucket_name
from config.addons.zarr import zarr_bucket_name
from config.backup import share_bucket_under_backup, zarr_bucket_under_backup
from modules.backup import BackupCopy, BackupRule, OmeroBackup, OmeroBackupOutputs, OmeroBackupProps
from modules.database import OmeroDatabaseOutputs
from modules.efs import OmeroFileSystemOutputs
from stacks.base import DeploymentStack, SynthSettings


def backup_rules(deployment: Deployment) -> tuple[BackupRule, ...]:
    """The plan's rules: daily, and monthly on the 1st, both starting at ``start_hour_utc``."""
    backup = deployment.backup
    hour = backup.start_hour_utc
    rules = [BackupRule(name="daily", schedule=f"cron(0 {hour} ? * * *)", retention_days=backup.daily_retention_days)]
    if backup.monthly_retention_days:
        rules.append(
            BackupRule(
                name="monthly",
                schedule=f"cron(0 {hour} 1 * ? *)",
                retention_days=backup.monthly_retention_days,
                cold_storage_after_days=backup.monthly_cold_storage_after_days,
            )
        )
    return tuple(rules)


def share_bucket_arn(stack: DeploymentStack, deployment: Deployment) -> str:
    """The file gateway's bucket, by its name: the file-gateway stack is deployed after this one, and
    a selection may name a resource that does not exist yet (AWS Backup skips it until it does)."""
    gateway = deployment.file_gateway
    name = gateway.bucket_name or share_bucket_name(deployment.name, stack.account_id, deployment.region)
    return f"arn:{stack.partition}:s3:::{name}"


def zarr_bucket_arn(stack: DeploymentStack, deployment: Deployment) -> str:
    """The zarr add-on's bucket, by its name (its stack is deployed after this one, as the gateway's)."""
    return f"arn:{stack.partition}:s3:::{zarr_bucket_name(deployment.name, stack.account_id, deployment.region)}"


class BackupStack(DeploymentStack):
    def __init__(
        self,
        scope: Construct,
        *,
        deployment: Deployment,
        settings: SynthSettings,
        file_system: OmeroFileSystemOutputs,
        database: OmeroDatabaseOutputs,
    ):
        super().__init__(scope, "backup", deployment=deployment, settings=settings)
        backup = deployment.backup
        copy = None
        if backup.copy_region:
            copy = BackupCopy(
                provider=self.regional_provider(backup.copy_region, alias="copy"),
                kms_key_arn=backup.copy_kms_key_arn,
                retention_days=backup.copy_retention_days,
            )
        buckets: tuple[str, ...] = (share_bucket_arn(self, deployment),) if share_bucket_under_backup(deployment) else ()
        buckets += (zarr_bucket_arn(self, deployment),) if zarr_bucket_under_backup(deployment) else ()
        protection = OmeroBackup(
            self,
            "backup",
            props=OmeroBackupProps(
                name=deployment.name,
                resources=(file_system.file_system_arn, database.instance_arn, *buckets),
                s3=bool(buckets),
                rules=backup_rules(deployment),
                start_window_minutes=backup.start_window_minutes,
                completion_window_minutes=backup.completion_window_minutes,
                kms_key_arn=backup.kms_key_arn,
                vault_lock=backup.vault_lock,
                vault_lock_changeable_days=backup.vault_lock_changeable_days,
                copy=copy,
                break_glass_role_arn=backup.break_glass_role_arn,
                account_copy_vault_arn=backup.copy_account_vault_arn,
            ),
        )
        self.outputs: OmeroBackupOutputs = protection.outputs
        out = self.outputs
        TerraformOutput(
            self,
            "vault_name",
            value=out.vault_name,
            description="AWS Backup vault holding the recovery points of EFS and the database.",
        )
        TerraformOutput(self, "vault_arn", value=out.vault_arn, description="ARN of the backup vault.")
        TerraformOutput(self, "plan_id", value=out.plan_id, description="AWS Backup plan (daily and monthly rules).")
        TerraformOutput(
            self, "backup_role_arn", value=out.role_arn, description="Role AWS Backup runs backup and restore jobs with."
        )
        if out.copy_vault_arn:
            TerraformOutput(
                self,
                "copy_vault_arn",
                value=out.copy_vault_arn,
                description=f"Vault in {backup.copy_region} receiving a copy of every recovery point.",
            )
        shortest, longest = out.retention_days
        TerraformOutput(
            self,
            "manual_backup_retention_days",
            value={"min": shortest, "max": longest},
            description=(
                "DeleteAfterDays a manual backup job into the vault must use (aws backup start-backup-job --lifecycle): "
                + (
                    "the Vault Lock's minimum and maximum retention."
                    if backup.vault_lock != "none"
                    else "the rules' own retentions."
                )
            ),
        )
