"""The storage stack: what OMERO keeps, on its own so that redeploying services never touches it.

EFS (the binary repository, /OMERO) and RDS PostgreSQL (the metadata), each in its own security
group with no ingress: the services stack grants its OMERO servers access. With
``server.snapshot_before_upgrade``, also the manual database snapshot taken before each
OMERO.server image first starts (``modules/upgrade.py``): here, it outlives a destroy of the
services stack.
"""

from __future__ import annotations

from cdktf import TerraformOutput
from constructs import Construct

from config import Deployment
from modules.database import OmeroDatabase, OmeroDatabaseOutputs, OmeroDatabaseProps
from modules.efs import OmeroFileSystem, OmeroFileSystemOutputs, OmeroFileSystemProps
from modules.network import NetworkOutputs
from modules.upgrade import UpgradeSnapshot, UpgradeSnapshotProps
from stacks.base import DeploymentStack, SynthSettings


class StorageStack(DeploymentStack):
    def __init__(self, scope: Construct, *, deployment: Deployment, settings: SynthSettings, network: NetworkOutputs):
        super().__init__(scope, "storage", deployment=deployment, settings=settings)
        efs, db = deployment.storage, deployment.database
        file_system = OmeroFileSystem(
            self,
            "efs",
            props=OmeroFileSystemProps(
                name=deployment.name,
                vpc_id=network.vpc_id,
                subnet_ids=network.private_subnet_ids,
                subnet_count=network.zone_count,
                transition_to_ia=efs.transition_to_ia,
                transition_to_archive=efs.transition_to_archive,
                performance_mode=efs.performance_mode,
                throughput_mode=efs.throughput_mode,
                provisioned_throughput_mibps=efs.provisioned_throughput_mibps,
                kms_key_arn=efs.kms_key_arn,
                automatic_backups=deployment.efs_automatic_backups,
                restored_file_system_id=deployment.restore_from.file_system_id,
            ),
        )
        backup_window, maintenance_window = db.windows(deployment.backup.start_hour_utc)
        database = OmeroDatabase(
            self,
            "database",
            props=OmeroDatabaseProps(
                name=deployment.name,
                vpc_id=network.vpc_id,
                subnet_ids=network.private_subnet_ids,
                engine_version=db.engine_version,
                instance_class=db.instance_class,
                allocated_storage_gb=db.allocated_storage_gb,
                max_allocated_storage_gb=db.max_allocated_storage_gb,
                storage_type=db.storage_type,
                multi_az=db.multi_az,
                backup_retention_days=db.backup_retention_days,
                backup_window=backup_window,
                maintenance_window=maintenance_window,
                deletion_protection=db.deletion_protection,
                performance_insights=db.performance_insights,
                monitoring_interval_seconds=db.monitoring_interval_seconds,
                log_exports=db.log_exports,
                log_retention_days=db.log_retention_days,
                apply_immediately=db.apply_immediately,
                kms_key_arn=db.kms_key_arn,
                password_version=db.password_version,
                restore_snapshot=deployment.restore_from.db_snapshot,
                read_only_role=deployment.server.read_only_count > 0,
            ),
        )
        self.file_system: OmeroFileSystemOutputs = file_system.outputs
        self.database: OmeroDatabaseOutputs = database.outputs
        # The snapshot a new server image starts after (the services stack checks it is there).
        self.upgrade_snapshot: str | None = None
        if deployment.server.snapshot_before_upgrade:
            upgrade = UpgradeSnapshot(
                self,
                "upgrade_snapshot",
                props=UpgradeSnapshotProps(
                    name=deployment.name, image=deployment.server.image, db_instance_id=database.outputs.instance_id
                ),
            )
            self.upgrade_snapshot = upgrade.identifier
            TerraformOutput(
                self,
                "upgrade_snapshot_id",
                value=upgrade.identifier,
                description="Manual RDS snapshot taken before server.image first started: the way back from its schema upgrade.",
            )

        fs, d = self.file_system, self.database
        TerraformOutput(self, "efs_id", value=fs.file_system_id, description="EFS file system holding /OMERO.")
        TerraformOutput(
            self,
            "efs_access_point_id",
            value=fs.access_point_id,
            description="Access point OMERO.server mounts (uid/gid 1000, /omero).",
        )
        TerraformOutput(self, "db_address", value=d.address, description="Host name of the OMERO PostgreSQL instance.")
        TerraformOutput(self, "db_instance_id", value=d.instance_id, description="RDS instance identifier.")
        TerraformOutput(
            self,
            "db_final_snapshot_id",
            value=d.final_snapshot_identifier,
            description="Snapshot RDS takes when the instance is deleted: pass it to aws rds delete-db-instance.",
        )
        TerraformOutput(
            self,
            "db_password_secret_arn",
            value=d.password_secret_arn,
            description="Secrets Manager secret holding the database password.",
        )
        TerraformOutput(
            self,
            "root_password_secret_arn",
            value=d.root_password_secret_arn,
            description="Secrets Manager secret holding OMERO's initial root password.",
        )
