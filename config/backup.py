"""Configuration of data protection: the AWS Backup plan, and restoring a deployment from it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from config import checks
from config.fields import Block, Problem, key

if TYPE_CHECKING:
    from config.schema import Deployment

# AWS Backup keeps a recovery point in cold storage for 90 days at least.
COLD_STORAGE_MINIMUM_DAYS = 90
# Words in a deployment's name or environment tag that mark it as production.
PRODUCTION_WORDS = frozenset({"prod", "production", "prd", "live"})

_FILE_SYSTEM_ID = checks.Pattern(r"fs-(?:[0-9a-f]{8}|[0-9a-f]{17})")
_ACCOUNT_ID = checks.Pattern(r"[0-9]{12}")
_SNAPSHOT_ID = checks.Pattern(r"[A-Za-z][A-Za-z0-9:-]{0,254}")
_SNAPSHOT_ARN = checks.Pattern(r"arn:aws(?:-cn|-us-gov)?:rds:([a-z0-9-]+):\d{12}:snapshot:([A-Za-z][A-Za-z0-9:-]{0,254})")
# IAM API Reference, CreateRole: RoleName [\w+=,.@-]{1,64}, Path "/" or /.../ of the same characters.
_ROLE_ARN = checks.Pattern(r"arn:aws(?:-cn|-us-gov)?:iam::\d{12}:role/(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}")
# AWS Backup API Reference, CreateBackupVault: BackupVaultName ^[a-zA-Z0-9\-\_]{2,50}$.
_VAULT_ARN = checks.Pattern(r"arn:aws(?:-cn|-us-gov)?:backup:([a-z0-9-]+):(\d{12}):backup-vault:[A-Za-z0-9_-]{2,50}")


def looks_like_production(deployment: Deployment) -> bool:
    """True when the name or the ``environment`` tag says production (omero-prod, live, ...)."""
    words = set(deployment.name.split("-"))
    words |= set(re.split(r"[^a-z0-9]+", deployment.tags.get("environment", "").lower()))
    return bool(words & PRODUCTION_WORDS)


def file_system_id(value: str) -> str | None:
    return None if _FILE_SYSTEM_ID.fullmatch(value) else "an EFS file system id (fs- and 8 or 17 hex digits)"


def db_snapshot(value: str) -> str | None:
    if value.startswith("arn:"):
        return None if _SNAPSHOT_ARN.fullmatch(value) else "an RDS DB snapshot ARN (arn:aws:rds:<region>:<account>:snapshot:<id>)"
    if "--" in value or value.endswith("-") or not _SNAPSHOT_ID.fullmatch(value):
        return "an RDS DB snapshot identifier (a letter, then letters, digits, hyphens or colons) or its ARN"
    return None


def role_arn(value: str) -> str | None:
    if _ROLE_ARN.fullmatch(value):
        return None
    return 'an IAM role ARN, e.g. "arn:aws:iam::111122223333:role/backup-break-glass"'


def vault_arn(value: str) -> str | None:
    if _VAULT_ARN.fullmatch(value):
        return None
    return 'a backup vault ARN, e.g. "arn:aws:backup:eu-west-1:444455556666:backup-vault:omero-copies"'


def region_of_arn(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[3] if arn.startswith("arn:") and len(parts) > 3 else None


@dataclass(frozen=True, kw_only=True)
class Backup(Block):
    """AWS Backup of the binary repository (EFS) and the database (RDS), in one plan."""

    enabled: bool = key(True, "Back up EFS and the database with AWS Backup: a vault, a daily and a monthly rule, one selection.")
    waiver: str | None = key(
        None,
        "Why this production deployment (prod, production, prd or live in its name or environment tag) runs without backups; needed there to set enabled = false.",
    )
    start_hour_utc: int = key(
        3,
        "Hour (UTC) the daily and monthly backups start: EFS and the database share this window (0-23).",
        checks=[checks.between(0, 23)],
    )
    # AWS Backup API Reference, BackupRuleInput: StartWindowMinutes at least 60,
    # CompletionWindowMinutes at least StartWindowMinutes + 60, Lifecycle DeleteAfterDays at most
    # 36500 and at least MoveToColdStorageAfterDays + 90; PutBackupVaultLockConfiguration
    # ChangeableForDays at least 3.
    start_window_minutes: int = key(
        60,
        "Minutes a job may wait to start before AWS Backup gives up on it (60-720).",
        checks=[checks.between(60, 720)],
    )
    completion_window_minutes: int = key(
        1440,
        "Minutes a started job has to finish (at least start_window_minutes + 60, at most 10080).",
        checks=[checks.between(120, 10080)],
    )
    daily_retention_days: int = key(35, "Days daily recovery points are kept (1-36500).", checks=[checks.between(1, 36500)])
    monthly_retention_days: int = key(
        365,
        "Days monthly recovery points (taken on the 1st) are kept; 0: no monthly rule.",
        checks=[checks.between(0, 36500)],
    )
    monthly_cold_storage_after_days: int = key(
        30,
        "Move monthly EFS recovery points to cold storage after this many days (they stay there 90 days at least; "
        "RDS snapshots have no cold tier); 0: never.",
        checks=[checks.between(0, 36500)],
    )
    kms_key_arn: str | None = key(
        None,
        "Customer KMS key for the vault, in the deployment's region; unset: a key made for the vault.",
        checks=[checks.kms_key_arn],
    )
    vault_lock: str = key(
        "none",
        "Vault Lock: governance (removable by privileged users) or compliance (after vault_lock_changeable_days nobody, AWS included, can remove it or shorten retention).",
        choices=("none", "governance", "compliance"),
    )
    vault_lock_changeable_days: int = key(
        3,
        'With vault_lock = "compliance": days the lock can still be removed before it becomes permanent (3-36500).',
        checks=[checks.between(3, 36500)],
    )
    copy_region: str | None = key(
        None,
        "Also copy every recovery point to a vault in this region (not the deployment's own); unset: no copy.",
        checks=[checks.region],
    )
    copy_kms_key_arn: str | None = key(
        None,
        "With copy_region: customer KMS key in that region for the copy vault; unset: a key made there.",
        checks=[checks.kms_key_arn],
    )
    copy_retention_days: int | None = key(
        None,
        "With copy_region: days copies are kept; unset: as long as the recovery point they copy.",
        checks=[checks.between(1, 36500)],
    )
    break_glass_role_arn: str | None = key(
        None,
        "IAM role that alone may delete recovery points, shorten their retention, lift the Vault Lock or change the vaults' "
        "access policy, which both vaults then get; unset: no access policy (IAM alone decides).",
        checks=[role_arn],
    )
    copy_account_vault_arn: str | None = key(
        None,
        "Also copy every recovery point to this vault in another account of the organization, which must admit "
        "backup:CopyIntoBackupVault from this one (needs database.kms_key_arn); unset: no cross-account copy.",
        checks=[vault_arn],
    )

    @property
    def retentions(self) -> tuple[int, ...]:
        """Retention, in days, of every rule (daily, then monthly if there is one)."""
        return (self.daily_retention_days,) + ((self.monthly_retention_days,) if self.monthly_retention_days else ())

    def cross_checks(self, given: frozenset[str]) -> Iterator[Problem]:
        if not self.enabled:
            for name in sorted(given - {"enabled", "waiver"}):
                yield Problem(name, getattr(self, name), "only with enabled = true")
            return
        if self.waiver is not None:
            yield Problem("waiver", self.waiver, "only with enabled = false")
        if self.completion_window_minutes < self.start_window_minutes + 60:
            yield Problem(
                "completion_window_minutes",
                self.completion_window_minutes,
                f"at least start_window_minutes + 60 ({self.start_window_minutes + 60})",
            )
        if self.monthly_retention_days and self.monthly_retention_days <= self.daily_retention_days:
            yield Problem(
                "monthly_retention_days",
                self.monthly_retention_days,
                f"0, or longer than daily_retention_days ({self.daily_retention_days})",
            )
        cold, monthly = self.monthly_cold_storage_after_days, self.monthly_retention_days
        if cold and "monthly_cold_storage_after_days" in given and not monthly:
            yield Problem("monthly_cold_storage_after_days", cold, "only with a monthly rule (monthly_retention_days > 0)")
        elif cold and monthly > self.daily_retention_days and monthly < cold + COLD_STORAGE_MINIMUM_DAYS:
            if "monthly_cold_storage_after_days" not in given:
                yield Problem(
                    "monthly_retention_days",
                    monthly,
                    f"at least monthly_cold_storage_after_days + {COLD_STORAGE_MINIMUM_DAYS} ({cold + COLD_STORAGE_MINIMUM_DAYS}), "
                    "or monthly_cold_storage_after_days = 0 (no cold storage)",
                )
            else:
                yield Problem(
                    "monthly_cold_storage_after_days",
                    cold,
                    f"0, or at most monthly_retention_days - {COLD_STORAGE_MINIMUM_DAYS} ({monthly - COLD_STORAGE_MINIMUM_DAYS}): "
                    f"AWS Backup keeps cold recovery points {COLD_STORAGE_MINIMUM_DAYS} days",
                )
        if "vault_lock_changeable_days" in given and self.vault_lock != "compliance":
            yield Problem("vault_lock_changeable_days", self.vault_lock_changeable_days, 'only with vault_lock = "compliance"')
        if self.copy_region is None:
            for name in ("copy_kms_key_arn", "copy_retention_days"):
                if name in given:
                    yield Problem(name, getattr(self, name), "only together with copy_region")
        elif self.copy_kms_key_arn and region_of_arn(self.copy_kms_key_arn) != self.copy_region:
            yield Problem("copy_kms_key_arn", self.copy_kms_key_arn, f"a key in copy_region ({self.copy_region})")

    def deployment_problems(self, deployment: Deployment) -> Iterator[Problem]:
        if not self.enabled:
            if looks_like_production(deployment) and not (self.waiver or "").strip():
                yield Problem(
                    "backup.enabled",
                    False,
                    f"true for a production deployment ({deployment.name}), or a backup.waiver saying why not",
                )
            return
        if self.copy_region == deployment.region:
            yield Problem("backup.copy_region", self.copy_region, f"a region other than the deployment's ({deployment.region})")
        if self.kms_key_arn and region_of_arn(self.kms_key_arn) != deployment.region:
            yield Problem("backup.kms_key_arn", self.kms_key_arn, f"a key in the deployment's region ({deployment.region})")
        if self.copy_account_vault_arn and not deployment.database.kms_key_arn:
            # RDS User Guide, "Sharing encrypted snapshots": "You can't share a snapshot that has
            # been encrypted using the default KMS key of the AWS account that shared the snapshot."
            yield Problem(
                "database.kms_key_arn",
                None,
                "",
                text="missing; backup.copy_account_vault_arn copies database snapshots to another "
                "account, which RDS refuses for the default aws/rds key: give a customer key that account may use",
            )
        if deployment.storage.automatic_backups:
            yield Problem(
                "storage.automatic_backups",
                True,
                "false or unset with backup.enabled (the backup plan covers EFS; both would pay for the same copies twice)",
            )


@dataclass(frozen=True, kw_only=True)
class RestoreFrom(Block):
    """Build this deployment's storage from recovery points: see "Restoring from a backup" in docs/backups-restores-upgrades.md."""

    file_system_id: str | None = key(
        None,
        "EFS file system restored from a recovery point (a new file system, creation token <name>-omero-data): the storage stack adopts it instead of making an empty one.",
        checks=[file_system_id],
    )
    db_snapshot: str | None = key(
        None,
        "RDS snapshot (identifier, or ARN of an AWS Backup recovery point) the database is created from; read only when the instance is created.",
        checks=[db_snapshot],
    )
    share_bucket: str | None = key(
        None,
        "S3 bucket restored from a recovery point of the file gateway's bucket, named as this deployment's "
        "(<name>-omero-share-<account>-<region>): the file gateway stack adopts it instead of making an empty one.",
        checks=[checks.bucket_name],
    )

    def deployment_problems(self, deployment: Deployment) -> Iterator[Problem]:
        if self.share_bucket:
            yield from self._share_bucket_problems(deployment)
        if self.db_snapshot and self.db_snapshot.startswith("arn:"):
            region = region_of_arn(self.db_snapshot)
            if region != deployment.region:
                yield Problem(
                    "restore_from.db_snapshot",
                    self.db_snapshot,
                    f"a snapshot in the deployment's region ({deployment.region}); restore a copy in {region} into a deployment there",
                )

    def _share_bucket_problems(self, deployment: Deployment) -> Iterator[Problem]:
        gateway, value = deployment.file_gateway, self.share_bucket or ""
        if not gateway.enabled or gateway.bucket_name:
            yield Problem(
                "restore_from.share_bucket",
                value,
                "only with file_gateway.enabled and without file_gateway.bucket_name (the gateway adopts it as the bucket it creates)",
            )
            return
        prefix, suffix = f"{deployment.name}-omero-share-", f"-{deployment.region}"
        account = value[len(prefix) : -len(suffix)] if value.startswith(prefix) and value.endswith(suffix) else ""
        if not _ACCOUNT_ID.fullmatch(account):
            yield Problem(
                "restore_from.share_bucket", value, f"the name this deployment's share bucket has: {prefix}<account>{suffix}"
            )


def share_bucket_under_backup(deployment: Deployment) -> bool:
    """Whether the backup plan selects the file gateway's bucket (AWS Backup for S3)."""
    gateway = deployment.file_gateway
    return deployment.backup.enabled and gateway.enabled and gateway.backup


def zarr_bucket_under_backup(deployment: Deployment) -> bool:
    """Whether the backup plan selects the bucket the zarr add-on makes (AWS Backup for S3)."""
    zarr = deployment.zarr
    return deployment.backup.enabled and zarr.enabled and zarr.creates_bucket and zarr.backup
