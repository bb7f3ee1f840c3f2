"""OMERO's PostgreSQL database on RDS, and the secret holding its password.

The password is generated during ``terraform apply`` (an ephemeral
``aws_secretsmanager_random_password``) and written only to the database and to Secrets Manager
through write-only arguments, so it never appears in the plan, the synthesized JSON or the state.
It changes only when ``password_version`` does: OMERO reads ``omero.db.pass`` once at start, so
nothing rotates it behind the running servers' backs. Containers get it through ECS ``secrets``.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import Fn, TerraformResource, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.db_instance import DbInstance
from cdktf_cdktf_provider_aws.db_parameter_group import DbParameterGroup, DbParameterGroupParameter
from cdktf_cdktf_provider_aws.db_subnet_group import DbSubnetGroup
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from modules.access import security_group
from modules.context import stack_context
from modules.iam import service_trust
from modules.logs import log_group
from modules.secrets import GeneratedSecret, GeneratedSecretProps

DB_NAME = "omero"
DB_USER = "omero"
READ_ONLY_USER = "omero_ro"
DB_PORT = 5432


@dataclass(frozen=True, kw_only=True)
class OmeroDatabaseProps:
    name: str  # prefixes names
    vpc_id: str
    subnet_ids: list[str]  # private subnets, 2+ AZs
    engine_version: str = "16"
    instance_class: str = "db.t4g.medium"
    allocated_storage_gb: int = 50
    max_allocated_storage_gb: int = 200  # 0: no storage autoscaling
    storage_type: str = "gp3"
    multi_az: bool = False
    backup_retention_days: int = 7
    # UTC, RDS's formats: "hh:mm-hh:mm" daily and "ddd:hh:mm-ddd:hh:mm" weekly, 30 minutes at least
    # each, never overlapping (RDS API Reference, CreateDBInstance PreferredBackupWindow and
    # PreferredMaintenanceWindow); config.rds_windows places them and checks them against AWS Backup.
    backup_window: str = "01:30-02:00"
    maintenance_window: str = "sun:00:30-sun:01:00"
    deletion_protection: bool = True
    performance_insights: bool = True
    monitoring_interval_seconds: int = 60  # Enhanced Monitoring; 0 turns it off
    log_exports: tuple[str, ...] = ("postgresql", "upgrade")
    log_retention_days: int = 365
    # A major upgrade (engine_version 15 -> 16) must be applied at once: RDS refuses a parameter
    # group of the new family while the upgrade waits for the maintenance window
    # (ModifyDBInstance: DBParameterGroupName must be of the instance's current family).
    apply_immediately: bool = False
    kms_key_arn: str | None = None
    password_version: int = 1
    # Create the instance from this snapshot (identifier or ARN, e.g. an AWS Backup recovery
    # point); read only when the instance is created.
    restore_snapshot: str | None = None
    # A password for READ_ONLY_USER, the role the read-only OMERO.servers log in as (the
    # read-write server creates the role and keeps its grants; modules.server_start).
    read_only_role: bool = False


@dataclass(frozen=True, kw_only=True)
class OmeroDatabaseOutputs:
    address: str
    port: int
    db_name: str
    username: str
    instance_id: str  # the DB instance identifier
    instance_arn: str
    password_secret_arn: str  # the secret's value is the bare password
    root_password_secret_arn: str  # OMERO's initial root password (a bare string)
    kms_key_arn: str | None  # the key encrypting both secrets (None: aws/secretsmanager)
    # Clients get access by adding an ingress rule from their own security group to this one.
    security_group_id: str
    # The snapshot RDS takes when the instance is deleted (unique per instance).
    final_snapshot_identifier: str = ""
    read_only_username: str | None = None  # a SELECT-only role for the read-only servers
    read_only_password_secret_arn: str | None = None


class OmeroDatabase(Construct):
    def __init__(self, scope: Construct, id: str, *, props: OmeroDatabaseProps):
        super().__init__(scope, id)
        major = props.engine_version.split(".")[0]
        identifier = f"{props.name}-omero"

        def secret(id: str, name: str, description: str, version: int) -> GeneratedSecret:
            return GeneratedSecret(
                self,
                id,
                props=GeneratedSecretProps(
                    name=f"{props.name}/omero/{name}",
                    description=description,
                    version=version,
                    kms_key_arn=props.kms_key_arn,
                ),
            )

        self.password = secret(
            "db", "db-password", f"Password of the {DB_USER} user of the OMERO database {identifier}.", props.password_version
        )
        # Read once, by the read-write OMERO.server when it initialises an empty database; later
        # changes of the OMERO root password are made in OMERO (omero user password).
        self.root_password = secret("root", "root-password", f"Initial password of OMERO's root user in {identifier}.", 1)
        self.read_only_password = (
            secret(
                "readonly",
                "db-readonly-password",
                f"Password of {READ_ONLY_USER}, the SELECT-only role of the read-only OMERO.servers, in {identifier}.",
                props.password_version,
            )
            if props.read_only_role
            else None
        )
        self.security_group = security_group(
            self,
            "security_group",
            name=f"{props.name}-omero-db",
            vpc_id=props.vpc_id,
            description="OMERO PostgreSQL; 5432 only from the OMERO servers.",
        )
        subnets = DbSubnetGroup(
            self,
            "subnets",
            name=identifier,
            description="Private subnets of the OMERO database.",
            subnet_ids=props.subnet_ids,
        )
        parameters = DbParameterGroup(
            self,
            "parameters",
            name=f"{identifier}-pg{major}",
            family=f"postgres{major}",
            description="OMERO PostgreSQL: TLS only, DDL and slow statements logged.",
            parameter=[
                DbParameterGroupParameter(name="rds.force_ssl", value="1"),
                DbParameterGroupParameter(name="log_statement", value="ddl"),
                DbParameterGroupParameter(name="log_min_duration_statement", value="5000"),
            ],
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
        )
        monitoring_role = None
        if props.monitoring_interval_seconds:
            monitoring_role = IamRole(
                self,
                "monitoring_role",
                name=f"{identifier}-monitoring",
                description="Lets RDS Enhanced Monitoring publish OS metrics of the OMERO database.",
                assume_role_policy=service_trust(self, "monitoring_trust", "monitoring.rds.amazonaws.com"),
            )
            IamRolePolicyAttachment(
                self,
                "monitoring_policy",
                role=monitoring_role.name,
                policy_arn=f"arn:{stack_context(self).partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
            )
        # RDS writes exported logs to /aws/rds/instance/<id>/<log> (RDS User Guide, "Publishing
        # PostgreSQL logs to Amazon CloudWatch Logs") and, creating the group itself, keeps them
        # for ever: made here first, with a retention (as terraform-aws-modules/rds does).
        exported_logs = [
            log_group(
                self,
                f"log_{export}",
                name=f"/aws/rds/instance/{identifier}/{export}",
                retention_days=props.log_retention_days,
                kms_key_arn=None,
            )
            for export in props.log_exports
        ]
        self.instance = DbInstance(
            self,
            "instance",
            identifier=identifier,
            engine="postgres",
            engine_version=props.engine_version,
            # The major version changes only when the config says so (15 -> 16).
            allow_major_version_upgrade=True,
            # No paid RDS Extended Support by surprise when the major version ages out.
            engine_lifecycle_support="open-source-rds-extended-support-disabled",
            instance_class=props.instance_class,
            allocated_storage=props.allocated_storage_gb,
            max_allocated_storage=props.max_allocated_storage_gb,
            storage_type=props.storage_type,
            storage_encrypted=True,
            kms_key_id=props.kms_key_arn,
            db_name=DB_NAME,
            username=DB_USER,
            password_wo=self.password.value,
            password_wo_version=self.password.version,
            port=DB_PORT,
            db_subnet_group_name=subnets.name,
            vpc_security_group_ids=[self.security_group.id],
            parameter_group_name=parameters.name,
            publicly_accessible=False,
            multi_az=props.multi_az,
            backup_retention_period=props.backup_retention_days,
            backup_window=props.backup_window,
            maintenance_window=props.maintenance_window,
            copy_tags_to_snapshot=True,
            deletion_protection=props.deletion_protection,
            skip_final_snapshot=False,
            final_snapshot_identifier=final_snapshot_identifier(self, identifier),
            auto_minor_version_upgrade=True,
            iam_database_authentication_enabled=True,
            # Performance Insights on every class: AWS's support table ("Amazon RDS DB engine, Region,
            # and instance class support for Performance Insights", RDS User Guide,
            # USER_PerfInsights.Overview.Engines) restricts db.t2/t3/t4g .micro and .small for RDS
            # for MariaDB and MySQL only; its RDS for PostgreSQL row says N/A (no restriction).
            performance_insights_enabled=props.performance_insights,
            performance_insights_kms_key_id=props.kms_key_arn if props.performance_insights else None,
            performance_insights_retention_period=7 if props.performance_insights else None,
            enabled_cloudwatch_logs_exports=list(props.log_exports),
            monitoring_interval=props.monitoring_interval_seconds,
            monitoring_role_arn=monitoring_role.arn if monitoring_role else None,
            apply_immediately=props.apply_immediately,
            snapshot_identifier=props.restore_snapshot,
            tags={"Name": identifier},
            # OMERO's metadata: never destroyed by a plan (deletion_protection guards the API too).
            # The snapshot it was made from matters only at creation: changing or dropping
            # restore_from later must not replace the instance.
            lifecycle=TerraformResourceLifecycle(prevent_destroy=True, ignore_changes=["snapshot_identifier"]),
            depends_on=exported_logs or None,
        )
        self.outputs = OmeroDatabaseOutputs(
            address=self.instance.address,
            port=DB_PORT,
            db_name=DB_NAME,
            username=DB_USER,
            instance_id=self.instance.identifier,
            instance_arn=self.instance.arn,
            final_snapshot_identifier=self.instance.final_snapshot_identifier,
            password_secret_arn=self.password.arn,
            root_password_secret_arn=self.root_password.arn,
            kms_key_arn=props.kms_key_arn,
            security_group_id=self.security_group.id,
            read_only_username=READ_ONLY_USER if self.read_only_password else None,
            read_only_password_secret_arn=self.read_only_password.arn if self.read_only_password else None,
        )


def final_snapshot_identifier(scope: Construct, identifier: str) -> str:
    """``<identifier>-final-<YYYYMMDDhhmmss>``: the UTC time of the first plan that made the instance.

    DeleteDBInstance fails with DBSnapshotAlreadyExists when FinalDBSnapshotIdentifier names a
    snapshot that exists (RDS API Reference, DeleteDBInstance), so a fixed name lets only the first
    destroy of a deployment name succeed. Terraform's built-in ``terraform_data`` (no provider)
    keeps ``plantimestamp()`` of its first plan in state and ignores it afterwards, so the name is
    new for every instance a deployment name gets and stable for the life of each: later plans
    show no change. An RDS snapshot identifier is 1-255 letters, digits and hyphens, starting with a
    letter, without two hyphens in a row or a trailing one (RDS User Guide, "Naming constraints in
    Amazon RDS"): ``<name>-omero-final-`` plus 14 digits fits (NAME_MAX is 20).
    """
    created = TerraformResource(
        scope,
        "created",
        terraform_resource_type="terraform_data",
        lifecycle=TerraformResourceLifecycle(ignore_changes=["input"]),
    )
    created.add_override("input", Fn.plantimestamp())
    return f"{identifier}-final-{Fn.formatdate('YYYYMMDDhhmmss', created.get_string_attribute('output'))}"
