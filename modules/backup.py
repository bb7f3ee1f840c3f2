"""AWS Backup of OMERO's binary repository (EFS) and database (RDS): vault, plan, selection, copy.

One plan holds both resources, so each rule backs up the file system and the database in the
same window: the nearest thing to a consistent point AWS Backup offers without stopping OMERO
(see "Backups" in docs/backups-restores-upgrades.md). The vault is encrypted with a key made for it (or a customer key),
can be locked, and is never destroyed by a plan; recovery points outlive the stack anyway, since
AWS refuses to delete a vault that holds any. The copy vault in another region is locked like it;
with a break-glass role, both vaults get an access policy that lets only that role delete recovery
points, shorten them, lift the lock or change the policy; a copy can also go to a vault in another
account.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from cdktf import TerraformProvider, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.backup_plan import (
    BackupPlan,
    BackupPlanRule,
    BackupPlanRuleCopyAction,
    BackupPlanRuleCopyActionLifecycle,
    BackupPlanRuleLifecycle,
)
from cdktf_cdktf_provider_aws.backup_selection import BackupSelection
from cdktf_cdktf_provider_aws.backup_vault import BackupVault
from cdktf_cdktf_provider_aws.backup_vault_lock_configuration import BackupVaultLockConfiguration
from cdktf_cdktf_provider_aws.backup_vault_policy import BackupVaultPolicy
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from constructs import Construct

from modules.context import stack_context
from modules.iam import service_trust
from modules.kms import account_statement

# AWS's managed policies for the AWS Backup service role: what it needs to snapshot EFS and RDS
# (and to copy, tag and delete recovery points) and to restore them.
BACKUP_POLICIES = ("AWSBackupServiceRolePolicyForBackup", "AWSBackupServiceRolePolicyForRestores")
# And, with an S3 bucket in the selection, AWS's S3 policies (AWS Backup Developer Guide, "Amazon S3
# backups" and "Restore S3 data"): read every object version and decrypt through S3 to back up,
# create a bucket and write it to restore. They sit at the root path, not under service-role/
# (AWS Managed Policy Reference, AWSBackupServiceRolePolicyForS3Backup / ...ForS3Restore).
S3_BACKUP_POLICIES = ("AWSBackupServiceRolePolicyForS3Backup", "AWSBackupServiceRolePolicyForS3Restore")

# What a vault access policy denies to every principal but the break-glass role: deleting a
# recovery point or shortening its retention (the two AWS's Config rule
# backup-recovery-point-manual-deletion-disabled asks a vault policy to deny, with
# PutBackupVaultAccessPolicy), lifting a governance Vault Lock, and replacing, deleting the policy
# or the vault itself. AWS Backup access policies take no wildcard in Action (AWS Backup Developer
# Guide, "Vault access policies"), hence the list.
PROTECTED_ACTIONS = (
    "backup:DeleteRecoveryPoint",
    "backup:UpdateRecoveryPointLifecycle",
    "backup:DeleteBackupVaultLockConfiguration",
    "backup:PutBackupVaultAccessPolicy",
    "backup:DeleteBackupVaultAccessPolicy",
    "backup:DeleteBackupVault",
)


@dataclass(frozen=True, kw_only=True)
class BackupRule:
    name: str  # daily, monthly
    schedule: str  # cron(...) in UTC
    retention_days: int
    cold_storage_after_days: int = 0  # 0: never


@dataclass(frozen=True, kw_only=True)
class BackupCopy:
    """A second vault, in another region, that receives a copy of every recovery point."""

    provider: TerraformProvider  # the AWS provider of that region (the regional provider of the stack)
    kms_key_arn: str | None = None  # None: a key made there
    retention_days: int | None = None  # None: as the recovery point copied


@dataclass(frozen=True, kw_only=True)
class OmeroBackupProps:
    name: str  # the deployment name; prefixes every name
    resources: tuple[str, ...]  # ARNs: the EFS file system, the RDS instance (and the share bucket)
    s3: bool = False  # an S3 bucket is among the resources
    rules: tuple[BackupRule, ...]
    start_window_minutes: int = 60
    completion_window_minutes: int = 1440
    kms_key_arn: str | None = None  # None: a key made for the vault
    vault_lock: str = "none"  # none, governance, compliance
    vault_lock_changeable_days: int = 3
    copy: BackupCopy | None = None
    # The only principal that may delete or shorten recovery points, lift a lock or change the
    # vaults' access policy; None: no access policy.
    break_glass_role_arn: str | None = None
    account_copy_vault_arn: str | None = None  # a vault in another account also receiving every point


@dataclass(frozen=True, kw_only=True)
class OmeroBackupOutputs:
    vault_name: str
    vault_arn: str
    plan_id: str
    role_arn: str  # also the role restore jobs run with
    copy_vault_arn: str | None
    # DeleteAfterDays a job into the vault may use (a locked vault fails any other, and a job
    # without a lifecycle): the rules' shortest and longest retention, the lock's bounds.
    retention_days: tuple[int, int] = (1, 36500)


class OmeroBackup(Construct):
    def __init__(self, scope: Construct, id: str, *, props: OmeroBackupProps):
        super().__init__(scope, id)
        prefix = f"{props.name}-omero"
        aws = stack_context(self)
        key_arn = props.kms_key_arn or self._make_key("key", prefix, props).arn
        self.vault = BackupVault(
            self,
            "vault",
            name=prefix,
            kms_key_arn=key_arn,
            force_destroy=False,
            lifecycle=TerraformResourceLifecycle(prevent_destroy=True),
        )
        retentions = [rule.retention_days for rule in props.rules]
        self._protect("vault", self.vault, retentions, props)
        copy_vault = None
        if props.copy is not None:
            copy = props.copy
            copy_key_arn = copy.kms_key_arn or self._make_key("copy_key", f"{prefix}-copy", props, provider=copy.provider).arn
            copy_vault = BackupVault(
                self,
                "copy_vault",
                provider=copy.provider,
                name=f"{prefix}-copy",
                kms_key_arn=copy_key_arn,
                force_destroy=False,
                lifecycle=TerraformResourceLifecycle(prevent_destroy=True),
            )
            # Locked like the home vault, within the retentions of the copies it receives.
            copies = [copy.retention_days or days for days in retentions]
            self._protect("copy_vault", copy_vault, copies, props, provider=copy.provider)
        self.role = IamRole(
            self,
            "role",
            name=f"{prefix}-backup",
            description=f"AWS Backup backs up and restores the EFS file system and database of {props.name}.",
            assume_role_policy=service_trust(self, "trust", "backup.amazonaws.com", source_account=aws.account_id),
        )
        for policy in BACKUP_POLICIES:
            IamRolePolicyAttachment(
                self,
                f"role_{policy}",
                role=self.role.name,
                policy_arn=f"arn:{aws.partition}:iam::aws:policy/service-role/{policy}",
            )
        for policy in S3_BACKUP_POLICIES if props.s3 else ():
            IamRolePolicyAttachment(
                self,
                f"role_{policy}",
                role=self.role.name,
                policy_arn=f"arn:{aws.partition}:iam::aws:policy/{policy}",
            )
        self.plan = BackupPlan(
            self,
            "plan",
            name=prefix,
            rule=[self._rule(rule, props, copy_vault) for rule in props.rules],
        )
        BackupSelection(
            self,
            "selection",
            name=prefix,
            plan_id=self.plan.id,
            iam_role_arn=self.role.arn,
            resources=list(props.resources),
        )
        self.outputs = OmeroBackupOutputs(
            vault_name=self.vault.name,
            vault_arn=self.vault.arn,
            plan_id=self.plan.id,
            role_arn=self.role.arn,
            copy_vault_arn=copy_vault.arn if copy_vault else None,
            retention_days=(min(retentions), max(retentions)),
        )

    def _protect(
        self,
        id: str,
        vault: BackupVault,
        retentions: list[int],
        props: OmeroBackupProps,
        *,
        provider: TerraformProvider | None = None,
    ) -> None:
        """The vault's Vault Lock (with vault_lock) and access policy (with a break-glass role)."""
        if props.vault_lock != "none":
            BackupVaultLockConfiguration(
                self,
                f"{id}_lock" if id != "vault" else "vault_lock",
                provider=provider,
                backup_vault_name=vault.name,
                # Every backup or copy job into the vault must then have a lifecycle within these
                # (AWS Backup API Reference, PutBackupVaultLockConfiguration MinRetentionDays and
                # MaxRetentionDays): the retentions of the jobs it receives.
                min_retention_days=min(retentions),
                max_retention_days=max(retentions),
                # Compliance mode: after this many days the lock, and every retention under it,
                # can no longer be changed by anyone. Without it, governance mode.
                changeable_for_days=props.vault_lock_changeable_days if props.vault_lock == "compliance" else None,
            )
        if props.break_glass_role_arn is None:
            return
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "OnlyTheBreakGlassRoleDeletesShortensOrUnlocks",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": list(PROTECTED_ACTIONS),
                    "Resource": "*",
                    # aws:PrincipalArn is the role's ARN for every session of the role (IAM User
                    # Guide, "AWS global condition context keys").
                    "Condition": {"ArnNotEquals": {"aws:PrincipalArn": props.break_glass_role_arn}},
                }
            ],
        }
        BackupVaultPolicy(self, f"{id}_policy", provider=provider, backup_vault_name=vault.name, policy=json.dumps(policy))

    def _rule(self, rule: BackupRule, props: OmeroBackupProps, copy_vault: BackupVault | None) -> BackupPlanRule:
        cold = rule.cold_storage_after_days or None
        copy_action = []
        if copy_vault is not None and props.copy is not None:  # the vault exists only with a copy
            copy_days = props.copy.retention_days or rule.retention_days
            copy_action.append(
                BackupPlanRuleCopyAction(
                    destination_vault_arn=copy_vault.arn,
                    lifecycle=BackupPlanRuleCopyActionLifecycle(
                        delete_after=copy_days,
                        # Copies move to cold storage as their source does, when they stay long enough.
                        cold_storage_after=cold if cold and copy_days >= cold + 90 else None,
                    ),
                )
            )
        if props.account_copy_vault_arn is not None:
            # Another account's copy is kept as long as its source (that vault's lock, if any,
            # must admit the rules' retentions).
            copy_action.append(
                BackupPlanRuleCopyAction(
                    destination_vault_arn=props.account_copy_vault_arn,
                    lifecycle=BackupPlanRuleCopyActionLifecycle(delete_after=rule.retention_days, cold_storage_after=cold),
                )
            )
        return BackupPlanRule(
            rule_name=rule.name,
            target_vault_name=self.vault.name,
            schedule=rule.schedule,
            schedule_expression_timezone="Etc/UTC",
            start_window=props.start_window_minutes,
            completion_window=props.completion_window_minutes,
            lifecycle=BackupPlanRuleLifecycle(delete_after=rule.retention_days, cold_storage_after=cold),
            copy_action=copy_action or None,
            recovery_point_tags={"deployment": props.name, "rule": rule.name},
        )

    def _make_key(self, id: str, name: str, props: OmeroBackupProps, *, provider: TerraformProvider | None = None) -> KmsKey:
        # AWS Backup uses the key through the backup role's grants, which IAM allows: the key policy
        # only delegates to the account. "*" in a key policy means this key.
        aws = stack_context(self)
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                account_statement(aws.partition, aws.account_id),
            ],
        }
        key = KmsKey(
            self,
            id,
            provider=provider,
            description=f"Encrypts the recovery points in the AWS Backup vault {name}.",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=json.dumps(policy),
            # Every recovery point in the vault is encrypted with it: a plan never deletes it.
            lifecycle=TerraformResourceLifecycle(prevent_destroy=True),
        )
        KmsAlias(self, f"{id}_alias", provider=provider, name=f"alias/{name}-backup", target_key_id=key.key_id)
        return key
