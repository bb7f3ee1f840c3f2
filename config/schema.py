"""The deployment configuration: every key, its type, default and one-line doc.

One HCL file describes one deployment (dev, prod, ...). Blocks in the file map to the classes
below; :func:`config.loader.load` turns the file into a :class:`Deployment` and rejects anything
that does not fit before any infrastructure code runs.
"""

from __future__ import annotations

import dataclasses
import functools
import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from config import checks, rds_windows
from config.addons.appstream import AppStream
from config.addons.base import Addon
from config.addons.datasync import DataSync
from config.addons.dropbox import DropBox
from config.addons.file_gateway import FileGatewayConfig
from config.addons.monitoring import Monitoring
from config.addons.uploader import Uploader
from config.addons.zarr import Zarr
from config.backup import Backup, RestoreFrom
from config.db_pool import pool_problems
from config.fields import Block, Problem, key
from config.images import Images
from config.instances import CONTAINER_INSTANCE_TYPES, Task, placement_problem
from config.network_plan import capacity_problems, endpoint_services_check
from config.production import production_problems
from config.services import (
    Cluster,
    LoadBalancer,
    Server,
    ServerLoadBalancerConfig,
    Web,
    fargate_problems,
    transport_problems,
)


@dataclass(frozen=True, kw_only=True)
class FlowLogsConfig(Block):
    """VPC flow logs to CloudWatch Logs."""

    enabled: bool = key(True, "Send VPC flow logs to a CloudWatch Logs group.")
    traffic_type: str = key("ALL", "Which traffic to log.", choices=("ACCEPT", "REJECT", "ALL"))
    retention_days: int = key(365, "Days CloudWatch Logs keeps flow log records.", choices=checks.LOG_RETENTION_DAYS)
    kms_key_arn: str | None = key(
        None,
        "Customer KMS key for the log group (its policy must let logs.<region>.amazonaws.com use it); unset uses CloudWatch Logs' own encryption.",
        checks=[checks.kms_key_arn],
    )


# Keys that only apply to a VPC this project creates.
NEW_VPC_KEYS = (
    "vpc_cidr",
    "az_count",
    "availability_zones",
    "public_subnet_cidrs",
    "private_subnet_cidrs",
    "nat_gateways",
    "s3_gateway_endpoint",
)
# Keys that only apply to an existing VPC.
EXISTING_VPC_KEYS = ("vpc_id", "public_subnet_ids", "private_subnet_ids")


@dataclass(frozen=True, kw_only=True)
class NetworkConfig(Block):
    """The VPC: a new one (default) or an existing one given by id."""

    vpc_cidr: str = key("10.192.0.0/16", "CIDR block of the new VPC (/16 to /24).", checks=[checks.vpc_cidr])
    az_count: int = key(2, "Availability zones the new VPC spans (2-6).", checks=[checks.between(2, 6)])
    availability_zones: tuple[str, ...] = key(
        (),
        "Explicit AZ names (e.g. eu-west-1a); unset takes the region's first az_count zones.",
        checks=[checks.availability_zones],
    )
    public_subnet_cidrs: tuple[str, ...] = key(
        (),
        "One CIDR per AZ for the public subnets; unset carves /20s (for a /16) from the VPC.",
        checks=[checks.subnet_cidrs],
    )
    private_subnet_cidrs: tuple[str, ...] = key(
        (),
        "One CIDR per AZ for the private subnets; unset carves them after the public ones.",
        checks=[checks.subnet_cidrs],
    )
    nat_gateways: str = key(
        "one_per_az",
        "NAT gateways for the private subnets: one per AZ (resilient) or a single one (cheaper).",
        choices=("one_per_az", "single"),
    )
    s3_gateway_endpoint: bool = key(
        True,
        "Route S3 traffic from the private subnets through a gateway endpoint (free) instead of the NAT gateways.",
    )
    interface_endpoints: tuple[str, ...] | None = key(
        None,
        "AWS services the private subnets reach through interface endpoints (private DNS on), e.g. "
        '["ecr.api", "ecr.dkr", "logs"]; unset: those the deployment uses if it is production in a new VPC, '
        "else none (docs/architecture-and-cost.md).",
        checks=[endpoint_services_check],
    )
    vpc_id: str | None = key(None, "Use this existing VPC instead of creating one.", checks=[checks.vpc_id])
    public_subnet_ids: tuple[str, ...] = key(
        (),
        "With vpc_id: public subnets (2+, in different AZs) for load balancers.",
        checks=[checks.subnet_ids],
    )
    private_subnet_ids: tuple[str, ...] = key(
        (),
        "With vpc_id: private subnets (2+, in different AZs) for services and data.",
        checks=[checks.subnet_ids],
    )
    flow_logs: FlowLogsConfig = key(doc="VPC flow logs.", factory=FlowLogsConfig)

    @property
    def creates_vpc(self) -> bool:
        return self.vpc_id is None

    @property
    def zone_count(self) -> int:
        return len(self.availability_zones) or self.az_count

    def subnet_plan(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Public and private subnet CIDRs of a new VPC, one of each per AZ.

        Unless given, subnets are four bits longer than the VPC (a /16 gives /20s): public ones
        from the start of the range, private ones from its second half.
        """
        if self.public_subnet_cidrs and self.private_subnet_cidrs:
            return self.public_subnet_cidrs, self.private_subnet_cidrs
        vpc = ipaddress.IPv4Network(self.vpc_cidr)
        blocks = list(vpc.subnets(prefixlen_diff=4))
        half = len(blocks) // 2
        public = self.public_subnet_cidrs or tuple(str(b) for b in blocks[: self.zone_count])
        private = self.private_subnet_cidrs or tuple(str(b) for b in blocks[half : half + self.zone_count])
        return public, private

    def cross_checks(self, given: frozenset[str]) -> Iterator[Problem]:
        if self.vpc_id is not None:
            for name in NEW_VPC_KEYS:
                if name in given:
                    yield Problem(name, getattr(self, name), "not set together with vpc_id (it applies to a new VPC only)")
            for name in ("public_subnet_ids", "private_subnet_ids"):
                value = getattr(self, name)
                if len(value) < 2:
                    yield Problem(name, value, "with vpc_id: at least 2 subnet ids, in different AZs")
            overlap = set(self.public_subnet_ids) & set(self.private_subnet_ids)
            if overlap:
                yield Problem(
                    "private_subnet_ids",
                    self.private_subnet_ids,
                    f"subnets not also listed as public ({', '.join(sorted(overlap))})",
                )
            return
        for name in ("public_subnet_ids", "private_subnet_ids"):
            if name in given:
                yield Problem(name, getattr(self, name), "only together with vpc_id (an existing VPC)")
        if self.availability_zones and "az_count" in given and len(self.availability_zones) != self.az_count:
            yield Problem(
                "availability_zones",
                self.availability_zones,
                f"{self.az_count} zones, as az_count says (or leave one of them unset)",
            )
        if self.availability_zones and not 2 <= len(self.availability_zones) <= 6:
            yield Problem("availability_zones", self.availability_zones, "2 to 6 availability zones")
        yield from self._subnet_checks()

    def _subnet_checks(self) -> Iterator[Problem]:
        if checks.vpc_cidr(self.vpc_cidr):
            return  # already reported; nothing to fit subnets into
        given = {name: getattr(self, name) for name in ("public_subnet_cidrs", "private_subnet_cidrs")}
        if not any(given.values()) or any(v and checks.subnet_cidrs(v) for v in given.values()):
            return  # all planned by us, or malformed (already reported)
        for name, values in given.items():
            if values and len(values) != self.zone_count:
                yield Problem(name, values, f"one CIDR per availability zone ({self.zone_count})")
                return
        vpc = ipaddress.IPv4Network(self.vpc_cidr)
        seen: list[tuple[str, ipaddress.IPv4Network]] = []
        # A list left unset is planned around the given one: check them together.
        for name, values in zip(given, self.subnet_plan(), strict=False):
            for value in values:
                net = ipaddress.IPv4Network(value)
                if not net.subnet_of(vpc):
                    yield Problem(name, values, f"subnets inside vpc_cidr {self.vpc_cidr} ({value} is not)")
                    break
                clash = next((other for other, o in seen if net.overlaps(o)), None)
                if clash:
                    planned = "" if given[name] else " (planned, as the other list is set: set both)"
                    yield Problem(name, values, f"subnets that do not overlap ({value} overlaps {clash}){planned}")
                    break
                seen.append((value, net))


@dataclass(frozen=True, kw_only=True)
class State(Block):
    """Where Terraform keeps state: local files (default) or an S3 bucket."""

    bucket: str | None = key(
        None,
        "S3 bucket for remote state; unset keeps state in local files where the synth runs.",
        checks=[checks.bucket_name],
    )
    prefix: str = key(
        "omero",
        "Key prefix: state lives at <prefix>/<name>/<role>.tfstate (role: network, storage, services, ...).",
        checks=[checks.state_prefix],
    )
    create_bucket: bool = key(True, "Add the bootstrap stack that creates the bucket (false if it exists already).")
    kms_key_arn: str | None = key(
        None,
        "Customer KMS key for the bucket and the state objects; unset uses the AWS-managed aws/s3 key.",
        checks=[checks.kms_key_or_alias_arn],
    )
    noncurrent_version_days: int = key(90, "Days the bucket keeps superseded state versions.", checks=[checks.at_least(1)])

    @property
    def remote(self) -> bool:
        return self.bucket is not None

    def cross_checks(self, given: frozenset[str]) -> Iterator[Problem]:
        if self.bucket is None:
            for name in sorted(given - {"bucket"}):
                yield Problem(name, getattr(self, name), "only together with state.bucket (remote state)")


@dataclass(frozen=True, kw_only=True)
class Storage(Block):
    """The EFS file system that holds OMERO's binary repository (/OMERO)."""

    transition_to_ia: str = key(
        "AFTER_30_DAYS",
        "Move files not read for this long to Infrequent Access (they come back on first read).",
        choices=checks.EFS_TRANSITIONS,
    )
    transition_to_archive: str | None = key(
        None,
        "Move files not read for this long to Archive (needs elastic throughput); unset: never.",
        choices=checks.EFS_TRANSITIONS,
    )
    performance_mode: str = key("generalPurpose", "EFS performance mode.", choices=("generalPurpose", "maxIO"))
    throughput_mode: str = key("elastic", "EFS throughput mode.", choices=("elastic", "bursting", "provisioned"))
    # EFS API Reference, CreateFileSystem ProvisionedThroughputInMibps: 1-3414 MiB/s in most
    # Regions (a lower ceiling in some, which AWS then refuses at apply).
    provisioned_throughput_mibps: int | None = key(
        None, 'With throughput_mode = "provisioned": MiB/s to provision (1-3414).', checks=[checks.between(1, 3414)]
    )
    kms_key_arn: str | None = key(
        None,
        "Customer KMS key for the file system; unset uses the AWS-managed aws/elasticfilesystem key.",
        checks=[checks.kms_key_arn],
    )
    automatic_backups: bool | None = key(
        None,
        "EFS automatic daily backups (AWS Backup's default plan, 35 days); unset: on only when backup.enabled is false.",
    )

    def cross_checks(self, given: frozenset[str]) -> Iterator[Problem]:
        if self.transition_to_archive is not None:
            if self.throughput_mode != "elastic":
                yield Problem("transition_to_archive", self.transition_to_archive, 'only with throughput_mode = "elastic"')
            elif checks.efs_days(self.transition_to_archive) <= checks.efs_days(self.transition_to_ia):
                yield Problem(
                    "transition_to_archive",
                    self.transition_to_archive,
                    f"a later transition than transition_to_ia ({self.transition_to_ia})",
                )
        if self.performance_mode == "maxIO" and self.throughput_mode == "elastic":
            yield Problem(
                "performance_mode",
                self.performance_mode,
                'generalPurpose with elastic throughput (maxIO needs "bursting" or "provisioned")',
            )
        if (self.throughput_mode == "provisioned") != (self.provisioned_throughput_mibps is not None):
            yield Problem(
                "provisioned_throughput_mibps",
                self.provisioned_throughput_mibps,
                'set exactly when throughput_mode = "provisioned"',
            )


@dataclass(frozen=True, kw_only=True)
class DatabaseConfig(Block):
    """The RDS PostgreSQL instance holding OMERO's metadata."""

    engine_version: str = key(
        "16",
        'PostgreSQL major version: "15", "16" or "17" (minor versions are upgraded automatically).',
        checks=[checks.postgres_version],
    )
    instance_class: str = key("db.t4g.medium", "RDS instance class.", checks=[checks.db_instance_class])
    # RDS API Reference, CreateDBInstance AllocatedStorage for PostgreSQL on gp2/gp3: 20-65536 GiB;
    # BackupRetentionPeriod 0-35 days (1 at least here: point-in-time recovery stays on).
    allocated_storage_gb: int = key(50, "Initial storage in GiB (20-65536).", checks=[checks.between(20, 65536)])
    max_allocated_storage_gb: int = key(
        200, "Storage autoscaling ceiling in GiB; 0 turns autoscaling off.", checks=[checks.between(0, 65536)]
    )
    storage_type: str = key("gp3", "Storage type.", choices=("gp3", "gp2"))
    multi_az: bool = key(False, "Keep a synchronous standby in a second AZ (about twice the cost).")
    single_az_waiver: str | None = key(
        None,
        "Why this production deployment (prod, production, prd or live in its name or environment tag) runs its database "
        "in one AZ; needed there to keep multi_az = false.",
    )
    backup_retention_days: int = key(
        7, "Days of automated backups and point-in-time recovery (1-35).", checks=[checks.between(1, 35)]
    )
    backup_window: str | None = key(
        None,
        'Daily window of RDS\'s automated backup, "hh:mm-hh:mm" UTC, 30 minutes at least, outside the AWS Backup '
        "window and the maintenance window; unset: from 90 to 60 minutes before backup.start_hour_utc.",
        checks=[rds_windows.backup_window_problem],
    )
    maintenance_window: str | None = key(
        None,
        'Weekly RDS maintenance window (minor upgrades, reboots), "ddd:hh:mm-ddd:hh:mm" UTC, ddd mon-sun, 30 minutes at '
        "least, outside the backup windows; unset: Sunday, from 150 to 120 minutes before backup.start_hour_utc.",
        checks=[rds_windows.maintenance_window_problem],
    )
    deletion_protection: bool = key(True, "Refuse to delete the instance until this is turned off.")
    performance_insights: bool = key(True, "Turn on Performance Insights (7 days free).")
    monitoring_interval_seconds: int = key(60, "Enhanced Monitoring interval; 0 turns it off.", choices=(0, 1, 5, 10, 15, 30, 60))
    log_exports: tuple[str, ...] = key(
        ("postgresql", "upgrade"),
        "PostgreSQL logs to export to CloudWatch Logs (postgresql, upgrade).",
        checks=[lambda v: None if set(v) <= {"postgresql", "upgrade"} else 'a subset of ["postgresql", "upgrade"]'],
    )
    kms_key_arn: str | None = key(
        None,
        "Customer KMS key for storage, Performance Insights and the password secret; unset: AWS-managed keys.",
        checks=[checks.kms_key_arn],
    )
    password_version: int = key(
        1, "Bump to give the database and its secret a new random password on the next apply.", checks=[checks.at_least(1)]
    )
    apply_immediately: bool = key(
        False,
        "Apply instance changes now, not in the maintenance window; needed for the apply that changes engine_version.",
    )
    log_retention_days: int = key(
        365,
        "Days CloudWatch Logs keeps the exported PostgreSQL and upgrade logs.",
        choices=checks.LOG_RETENTION_DAYS,
    )

    def cross_checks(self, given: frozenset[str]) -> Iterator[Problem]:
        least = -(-self.allocated_storage_gb * 11 // 10)  # RDS wants 10% headroom at least
        if self.max_allocated_storage_gb and self.max_allocated_storage_gb < least:
            yield Problem(
                "max_allocated_storage_gb",
                self.max_allocated_storage_gb,
                f"0, or at least {least} (allocated_storage_gb plus 10%)",
            )

    def windows(self, start_hour_utc: int) -> tuple[str, str]:
        """The backup and maintenance windows RDS gets: as configured, else placed before AWS Backup's."""
        return (
            self.backup_window or rds_windows.default_backup_window(start_hour_utc),
            (self.maintenance_window or rds_windows.default_maintenance_window(start_hour_utc)).lower(),
        )

    def deployment_problems(self, deployment: Deployment) -> Iterator[Problem]:
        """The two RDS windows must not meet each other (RDS) nor AWS Backup's start window."""
        backup = deployment.backup
        backup_window, maintenance_window = self.windows(backup.start_hour_utc)
        daily, weekly = rds_windows.backup_spans(backup_window), [rds_windows.maintenance_span(maintenance_window)]
        if rds_windows.overlap(daily, weekly, touching=True):
            where = "maintenance_window" if self.maintenance_window else "backup_window"
            yield Problem(
                f"database.{where}",
                getattr(self, where),
                f"a window apart from the {'backup' if where == 'maintenance_window' else 'maintenance'} window "
                f"({backup_window if where == 'maintenance_window' else maintenance_window}): RDS refuses overlapping windows",
            )
        if not backup.enabled:
            return
        start = backup.start_hour_utc * 60
        aws_backup = rds_windows.daily_spans(start, backup.start_window_minutes)
        described = rds_windows.describe_daily(start, backup.start_window_minutes)
        for name, spans, value in (("backup_window", daily, backup_window), ("maintenance_window", weekly, maintenance_window)):
            if rds_windows.overlap(spans, aws_backup):
                yield Problem(
                    f"database.{name}" if getattr(self, name) else "backup.start_hour_utc",
                    getattr(self, name) or backup.start_hour_utc,
                    f"no overlap of the RDS {name.replace('_', ' ')} ({value}) with AWS Backup's start window "
                    f"({described}: backup.start_hour_utc and start_window_minutes)",
                )


@dataclass(frozen=True, kw_only=True)
class Deployment(Block):
    """One OMERO deployment (an environment such as dev or prod)."""

    name: str = key(
        doc=(
            "Deployment name, 2-20 lowercase letters, digits and single hyphens: prefixes every stack and named resource, so "
            "deployments can share an account. A name that makes one AWS refuses is refused (config/names.py): none starting "
            'with "aws", "ecs" or "fargate" (ECS capacity provider), nor one whose first words are "sg", "internal", '
            '"sthree" or "amzn-s3-demo" (security group, load balancer, S3 bucket).'
        ),
        checks=[checks.deployment_name],
    )
    region: str = key("us-east-1", "AWS region to deploy to.", checks=[checks.region])
    tags: dict[str, str] = key(
        None,
        "Extra tags on every resource (project and deployment tags are always set).",
        checks=[checks.tags],
        factory=dict,
    )
    network: NetworkConfig = key(doc="The VPC.", factory=NetworkConfig)
    state: State = key(doc="Terraform state storage.", factory=State)
    storage: Storage = key(doc="OMERO's binary repository on EFS.", factory=Storage)
    database: DatabaseConfig = key(doc="OMERO's PostgreSQL database on RDS.", factory=DatabaseConfig)
    cluster: Cluster = key(doc="The ECS cluster the OMERO services run in.", factory=Cluster)
    server: Server = key(doc="OMERO.server: one read-write task and optional read-only ones.", factory=Server)
    web: Web = key(doc="OMERO.web behind the application load balancer.", factory=Web)
    load_balancer: LoadBalancer = key(doc="The application load balancer (HTTP, or HTTPS with a domain).", factory=LoadBalancer)
    server_load_balancer: ServerLoadBalancerConfig = key(
        doc="Optional NLB for OMERO.insight and the CLI.", factory=ServerLoadBalancerConfig
    )
    images: Images = key(doc="Where the tasks pull the OMERO images from (ECR pull-through cache of Docker Hub).", factory=Images)
    backup: Backup = key(doc="AWS Backup of EFS and the database.", factory=Backup)
    restore_from: RestoreFrom = key(doc="Recovery points this deployment's storage is built from.", factory=RestoreFrom)
    # Add-ons, each off until enabled, in deploy order (config.catalog places each before or after
    # the services stack as its class says): the fields are the one list of them.
    file_gateway: FileGatewayConfig = key(doc="S3 File Gateway as OMERO's data store (add-on).", factory=FileGatewayConfig)
    zarr: Zarr = key(doc="OME-Zarr images read in place from S3 by OMERO.server (add-on).", factory=Zarr)
    datasync: DataSync = key(doc="DataSync from an S3 bucket into /OMERO (add-on).", factory=DataSync)
    uploader: Uploader = key(doc="OMERO CLI uploader host (add-on).", factory=Uploader)
    dropbox: DropBox = key(doc="Automated import: DropBox and scheduled in-place import (add-on).", factory=DropBox)
    appstream: AppStream = key(doc="AppStream 2.0 fleet for OMERO.insight (add-on).", factory=AppStream)
    monitoring: Monitoring = key(doc="CloudWatch dashboard and alarms (add-on).", factory=Monitoring)

    def addons(self) -> tuple[Addon, ...]:
        """Every add-on block, enabled or not, in the order of their fields."""
        return tuple(getattr(self, name) for name in addon_blocks())

    @property
    def efs_automatic_backups(self) -> bool:
        """Whether EFS's own daily backups are on: as configured, else only without a backup plan."""
        if self.storage.automatic_backups is None:
            return not self.backup.enabled
        return self.storage.automatic_backups

    def _placement_problems(self) -> Iterator[Problem]:
        """The server tasks (and the scheduled import) must fit the container instances."""
        ec2 = self.cluster.ec2
        if ec2.instance_type not in CONTAINER_INSTANCE_TYPES:
            return  # refused by the key's own check
        server = self.server
        tasks = [Task("server.", server.cpu, server.memory)]
        tasks += [Task("server.read_only_", server.read_only_cpu, server.read_only_memory)] * server.read_only_count
        if self.dropbox.enabled and self.dropbox.scheduled_import:
            tasks.append(Task("dropbox.", self.dropbox.cpu, self.dropbox.memory))
        found = placement_problem(ec2.instance_type, ec2.max_instances, tasks)
        if found:
            where, allowed = found
            value = ec2.max_instances if where == "cluster.ec2.max_instances" else _dotted(self, where)
            yield Problem(where, value, allowed)

    @staticmethod
    def partial_checks(valid: dict[str, Any]) -> Iterator[Problem]:
        """The checks across blocks that need only the blocks in ``valid`` (those whose own keys are
        right): the loader runs them when other keys are wrong, so one round reports every problem."""
        yield from _fargate_pair_problems(valid.get("web"), valid.get("cluster"), valid.get("server"))

    def cross_checks(self, given: frozenset[str]) -> Iterator[Problem]:
        yield from _fargate_pair_problems(self.web, self.cluster, self.server)
        if self.cluster.launch_type == "ec2":
            yield from self._placement_problems()
        for zone in self.network.availability_zones:
            if checks.az_region(zone) and checks.az_region(zone) != self.region:
                yield Problem(
                    "network.availability_zones",
                    self.network.availability_zones,
                    f"zones of region {self.region} ({zone} is not)",
                )
                break
        if self.load_balancer.wss and "omero.client.icetransports" in self.server.properties:
            yield Problem(
                "server.properties",
                "omero.client.icetransports",
                "",
                text=('sets "omero.client.icetransports", which load_balancer.websockets manages (turn it off to set your own)'),
            )
        else:
            nlb = self.server_load_balancer
            yield from transport_problems(self.server, plain_port=nlb.enabled and nlb.plain_port)
        yield from capacity_problems(self)
        yield from self.backup.deployment_problems(self)
        yield from self.database.deployment_problems(self)
        yield from production_problems(self)
        yield from pool_problems(self)
        yield from self.images.deployment_problems(self)
        yield from self.web.read_only_pool.deployment_problems(self)
        yield from self.restore_from.deployment_problems(self)
        for addon in self.addons():
            yield from addon.deployment_checks(self)


@functools.cache
def addon_blocks() -> dict[str, type[Addon]]:
    """The add-on blocks of :class:`Deployment`, block name -> class, in the order of their fields."""
    blocks: dict[str, type[Addon]] = {}
    for field in dataclasses.fields(Deployment):
        block = field.default_factory
        if isinstance(block, type) and issubclass(block, Addon):
            blocks[field.name] = block
    return blocks


def _fargate_pair_problems(web: Any, cluster: Any, server: Any) -> Iterator[Problem]:
    """Fargate takes fixed CPU/memory pairs; OMERO.web always runs there, the servers with
    cluster.launch_type = "fargate". A block that is None (not valid) is skipped."""
    if web is not None:
        yield from fargate_problems("web.", web.cpu, web.memory)
    if cluster is None or server is None or cluster.launch_type != "fargate":
        return
    yield from fargate_problems("server.", server.cpu, server.memory)
    if server.read_only_count:
        yield from fargate_problems("server.read_only_", server.read_only_cpu, server.read_only_memory)


def _dotted(block: object, dotted: str) -> object:
    """The value of a dotted key such as "server.read_only_memory"."""
    for name in dotted.split("."):
        block = getattr(block, name)
    return block
