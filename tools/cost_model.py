"""The monthly cost model of a deployment: what it runs, from its (validated, defaulted) config,
each priced from tools/prices.json as quantity x unit price.

``pipenv run cost`` prints it line by line; the synthesized diff and the plan report give the
monthly estimate before and after a change (:mod:`tools.change_cost`); the README's examples
table is held to :func:`example_figures` by tests/test_cost.py.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from config import load
from config.network_plan import interface_endpoint_services
from tools.common import ToolError

ROOT = Path(__file__).resolve().parents[1]
PRICES = Path(__file__).with_name("prices.json")
HOURS = 730  # hours in a month, as AWS's pricing pages count them
SECRETS = 3  # database password, OMERO root password, OMERO.web secret key
SESSION_STORE_SECRETS = 2  # the session store's token, and OMERO.web's cache settings holding it
# (and with read-only servers, the password of their read-only database role)

# The appliance's root disk: modules/addons/file_gateway.py ROOT_VOLUME_GB, the size AWS gives it
# (tests/test_cost.py holds the two to the same number).
GATEWAY_ROOT_VOLUME_GB = 80


@dataclass(frozen=True)
class Assumptions:
    """What the config cannot say: usage, stated on every line it drives."""

    data_gb: float = 1000  # OMERO binary repository on EFS
    ia_percent: float = 80  # share of it in Infrequent Access (files not read for transition_to_ia)
    archive_percent: float = 0  # share in Archive (only with storage.transition_to_archive)
    efs_read_gb: float = 200  # elastic throughput: GB read per month
    efs_write_gb: float = 50  # elastic throughput: GB written per month
    nat_gb: float = 100  # GB through the NAT gateways per month (the internet, AWS APIs; image layers use the S3 endpoint)
    endpoint_gb: float = 10  # of which to AWS APIs the interface endpoints serve (logs, manifests, secrets, agents)
    alb_lcu: float = 1  # average application load balancer capacity units
    nlb_lcu: float = 1  # average network load balancer capacity units
    logs_gb: float = 20  # CloudWatch Logs ingested per month (containers, flow logs, RDS)
    datasync_gb: float = 100  # GB copied by DataSync per month
    appstream_hours: float = 160  # streaming hours per instance per month (on-demand fleet)
    gateway_s3_gb: float | None = None  # S3 behind a file gateway; default: data_gb


@dataclass(frozen=True)
class Charge:
    """One line of the estimate: quantity (a range low..high) x unit price = monthly cost."""

    group: str
    name: str
    low: float
    unit: str
    price: float | None  # None: not in the price table
    high: float | None = None  # when the quantity ranges (autoscaling)
    note: str = ""

    @property
    def cost(self) -> tuple[float, float] | None:
        if self.price is None:
            return None
        high = self.low if self.high is None else self.high
        return self.low * self.price, high * self.price


def load_prices(region: str, path: Path = PRICES) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the region's prices, the table's metadata); a region not in the table is a ToolError."""
    table = json.loads(path.read_text())
    regions = table["regions"]
    if region not in regions:
        raise ToolError(
            f"no prices for region {region} in {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} "
            f"(regions priced: {', '.join(sorted(regions))}); pass --region to price it as one of those, "
            "or regenerate the table with pipenv run prices"
        )
    return regions[region], table


def core_charges(deployment, prices: dict[str, Any], assume: Assumptions) -> list[Charge]:
    """Network, load balancers, OMERO services, database, storage, backups, logs and secrets."""
    return [
        *_network_charges(deployment, prices, assume),
        *_service_charges(deployment, prices, assume),
        *_database_charges(deployment, prices, assume),
        *_storage_charges(deployment, prices, assume),
        *backup_charges(deployment, prices, assume),
        *_operations_charges(deployment, prices, assume),
    ]


def _network_charges(deployment, prices: dict[str, Any], assume: Assumptions) -> list[Charge]:
    """The NAT gateways and the load balancers."""
    items: list[Charge] = []
    network = deployment.network
    if network.creates_vpc:
        nats = 1 if network.nat_gateways == "single" else network.zone_count
        items.append(Charge("network", f"NAT gateway hours ({nats} x {HOURS} h)", nats * HOURS, "h", prices["nat_gateway_hour"]))
        items.append(
            Charge(
                "network", "NAT gateway data processed", assume.nat_gb, "GB", prices["nat_gateway_gb"], note="assumed, --nat-gb"
            )
        )
    else:
        items.append(Charge("network", "NAT gateways (existing VPC: not ours)", 0, "h", prices["nat_gateway_hour"]))
    items += _endpoint_charges(deployment, prices, assume)

    items.append(Charge("load balancers", "ALB hours", HOURS, "h", prices["alb_hour"]))
    items.append(
        Charge(
            "load balancers",
            f"ALB capacity units ({assume.alb_lcu:g} LCU)",
            assume.alb_lcu * HOURS,
            "LCU-h",
            prices["alb_lcu_hour"],
            note="assumed, --alb-lcu",
        )
    )
    if deployment.server_load_balancer.enabled:
        items.append(Charge("load balancers", "NLB hours", HOURS, "h", prices["nlb_hour"]))
        items.append(
            Charge(
                "load balancers",
                f"NLB capacity units ({assume.nlb_lcu:g} NLCU)",
                assume.nlb_lcu * HOURS,
                "NLCU-h",
                prices["nlb_lcu_hour"],
                note="assumed, --nlb-lcu",
            )
        )
    return items


def _endpoint_charges(deployment, prices: dict[str, Any], assume: Assumptions) -> list[Charge]:
    """Interface endpoints: hours per endpoint and zone, the GB they carry, and the NAT processing
    of that traffic they save (a negative line; with an existing VPC the NAT is not ours)."""
    services = interface_endpoint_services(deployment)
    if not services:
        return []
    network = deployment.network
    zones = network.zone_count if network.creates_vpc else len(network.private_subnet_ids)
    items = [
        Charge(
            "network",
            f"interface endpoints ({len(services)} services x {zones} AZs x {HOURS} h)",
            len(services) * zones * HOURS,
            "endpoint-h",
            prices["interface_endpoint_hour"],
        ),
        Charge(
            "network",
            "interface endpoint data processed",
            assume.endpoint_gb,
            "GB",
            prices["interface_endpoint_gb"],
            note="assumed, --endpoint-gb",
        ),
    ]
    if network.creates_vpc:
        items.append(
            Charge(
                "network",
                "NAT data processing the endpoints save",
                assume.endpoint_gb,
                "GB",
                -prices["nat_gateway_gb"],
                note="the --endpoint-gb no longer through NAT",
            )
        )
    return items


def _service_charges(deployment, prices: dict[str, Any], assume: Assumptions) -> list[Charge]:
    """OMERO's tasks on Fargate or EC2, and OMERO.web's session store."""
    items: list[Charge] = []
    cluster, server, web = deployment.cluster, deployment.server, deployment.web

    # Fargate: vCPU-hours and GB-hours per task, times tasks.
    def fargate(name: str, cpu: int, memory: int, low: int, high: int | None = None) -> None:
        vcpu, gb = cpu / 1024, memory / 1024
        span = "" if high is None else f"..{high}"
        items.append(
            Charge(
                "services",
                f"{name}: {low}{span} x {vcpu:g} vCPU",
                low * vcpu * HOURS,
                "vCPU-h",
                prices["fargate_vcpu_hour"],
                None if high is None else high * vcpu * HOURS,
            )
        )
        items.append(
            Charge(
                "services",
                f"{name}: {low}{span} x {gb:g} GB",
                low * gb * HOURS,
                "GB-h",
                prices["fargate_gb_hour"],
                None if high is None else high * gb * HOURS,
            )
        )

    if cluster.launch_type == "fargate":
        fargate("read-write OMERO.server", server.cpu, server.memory, 1)
        if server.read_only_count:
            fargate("read-only OMERO.servers", server.read_only_cpu, server.read_only_memory, server.read_only_count)
    else:
        ec2 = cluster.ec2
        items.append(
            Charge(
                "services",
                f"EC2 container instances {ec2.instance_type} ({ec2.min_instances}..{ec2.max_instances})",
                ec2.min_instances * HOURS,
                "h",
                prices["ec2_instance_hour"].get(ec2.instance_type),
                ec2.max_instances * HOURS,
                note="" if ec2.instance_type in prices["ec2_instance_hour"] else "price not in table",
            )
        )
        items.append(
            Charge(
                "services",
                f"container instance root volumes ({ec2.root_volume_gb} GB gp3 each)",
                ec2.min_instances * ec2.root_volume_gb,
                "GB-month",
                prices["ebs_gp3_gb_month"],
                ec2.max_instances * ec2.root_volume_gb,
            )
        )
    fargate("OMERO.web", web.cpu, web.memory, web.min_tasks, web.max_tasks if web.max_tasks != web.min_tasks else None)
    pool = web.read_only_pool
    if pool.enabled:
        fargate(
            "read-only OMERO.web",
            web.cpu,
            web.memory,
            pool.min_tasks,
            pool.max_tasks if pool.max_tasks != pool.min_tasks else None,
        )
    store = web.session_store
    if store.enabled:
        nodes = 1 + store.replicas
        node_price = prices["elasticache_valkey_node_hour"].get(store.node_type)
        items.append(
            Charge(
                "services",
                f"OMERO.web session store: Valkey {store.node_type} x {nodes}",
                nodes * HOURS,
                "h",
                node_price,
                note="" if node_price is not None else "price not in table",
            )
        )
    return items


def _database_charges(deployment, prices: dict[str, Any], assume: Assumptions) -> list[Charge]:
    """The RDS instance (twice with Multi-AZ) and its storage."""
    items: list[Charge] = []
    database = deployment.database
    copies = 2 if database.multi_az else 1
    rds_price = prices["rds_postgres_instance_hour"].get(database.instance_class)
    items.append(
        Charge(
            "database",
            f"RDS PostgreSQL {database.instance_class}" + (" Multi-AZ (x 2)" if copies == 2 else ""),
            copies * HOURS,
            "h",
            rds_price,
            note="" if rds_price is not None else "price not in table",
        )
    )
    items.append(
        Charge(
            "database",
            f"RDS storage {database.storage_type} ({database.allocated_storage_gb} GB" + (" x 2" if copies == 2 else "") + ")",
            copies * database.allocated_storage_gb,
            "GB-month",
            prices["rds_storage_gb_month"].get(database.storage_type),
            note="allocated size; autoscaling may grow it",
        )
    )
    return items


def _storage_charges(deployment, prices: dict[str, Any], assume: Assumptions) -> list[Charge]:
    """EFS by storage class, and its elastic throughput."""
    items: list[Charge] = []
    storage = deployment.storage
    archive = assume.archive_percent if storage.transition_to_archive else 0
    ia = min(assume.ia_percent, 100 - archive)
    standard = 100 - ia - archive
    note = f"assumed, --data-gb {assume.data_gb:g} with {ia:g}% IA" + (f", {archive:g}% Archive" if archive else "")
    items.append(
        Charge(
            "storage",
            f"EFS Standard ({standard:g}% of data)",
            assume.data_gb * standard / 100,
            "GB-month",
            prices["efs_standard_gb_month"],
            note=note,
        )
    )
    items.append(
        Charge(
            "storage",
            f"EFS Infrequent Access ({ia:g}% of data)",
            assume.data_gb * ia / 100,
            "GB-month",
            prices["efs_ia_gb_month"],
            note=note,
        )
    )
    if archive:
        items.append(
            Charge(
                "storage",
                f"EFS Archive ({archive:g}% of data)",
                assume.data_gb * archive / 100,
                "GB-month",
                prices["efs_archive_gb_month"],
                note=note,
            )
        )
    if storage.throughput_mode == "elastic":
        items.append(
            Charge(
                "storage",
                "EFS elastic throughput, reads",
                assume.efs_read_gb,
                "GB",
                prices["efs_elastic_read_gb"],
                note="assumed, --efs-read-gb",
            )
        )
        items.append(
            Charge(
                "storage",
                "EFS elastic throughput, writes",
                assume.efs_write_gb,
                "GB",
                prices["efs_elastic_write_gb"],
                note="assumed, --efs-write-gb",
            )
        )
    return items


def _operations_charges(deployment, prices: dict[str, Any], assume: Assumptions) -> list[Charge]:
    """Logs, Container Insights, secrets and the Cloud Map namespace."""
    items: list[Charge] = []
    cluster, server, web = deployment.cluster, deployment.server, deployment.web

    items.append(
        Charge(
            "operations", "CloudWatch Logs ingested", assume.logs_gb, "GB", prices["logs_ingest_gb"], note="assumed, --logs-gb"
        )
    )
    items.append(
        Charge(
            "operations",
            "CloudWatch Logs stored (one month's worth)",
            assume.logs_gb,
            "GB-month",
            prices["logs_storage_gb_month"],
            note="grows with retention",
        )
    )
    if cluster.container_insights != "disabled":
        services = 2 + (1 if server.read_only_count else 0)
        metrics = 10 * services * (2 if cluster.container_insights == "enhanced" else 1)
        items.append(
            Charge(
                "operations",
                f"Container Insights ({cluster.container_insights}), ~{metrics} metrics",
                metrics,
                "metric-month",
                prices["metric_month"],
                note="rough: ~10 per service, x 2 enhanced",
            )
        )
    secrets = SECRETS + (SESSION_STORE_SECRETS if web.session_store.enabled else 0) + (1 if server.read_only_count else 0)
    items.append(Charge("operations", f"Secrets Manager secrets ({secrets})", secrets, "secret-month", prices["secret_month"]))
    instances = 1 + server.read_only_count
    items.append(Charge("operations", "Cloud Map namespace (private hosted zone)", 1, "zone-month", prices["hosted_zone_month"]))
    items.append(
        Charge(
            "operations",
            f"Cloud Map registered server tasks ({instances})",
            instances,
            "instance-month",
            prices["cloud_map_instance_month"],
        )
    )
    return items


def backup_charges(deployment, prices: dict[str, Any], assume: Assumptions) -> list[Charge]:
    """Recovery points of EFS and the database: the backup plan (and its copies), or EFS's own backups."""
    backup, database = deployment.backup, deployment.database
    efs_note = "assumed: the incremental points add up to about one full copy of the data"
    if not backup.enabled:
        if not deployment.efs_automatic_backups:
            return []
        return [
            Charge(
                "storage",
                "EFS automatic backups (warm, one full copy)",
                assume.data_gb,
                "GB-month",
                prices["backup_efs_warm_gb_month"],
                note=efs_note,
            )
        ]
    snapshot_note = "allocated size; the points after the first are incremental"
    items = [
        Charge(
            "backup",
            "AWS Backup: EFS recovery points (warm)",
            assume.data_gb,
            "GB-month",
            prices["backup_efs_warm_gb_month"],
            note=efs_note,
        ),
        Charge(
            "backup",
            f"AWS Backup: database snapshots ({database.allocated_storage_gb} GB)",
            database.allocated_storage_gb,
            "GB-month",
            prices["backup_rds_snapshot_gb_month"],
            note=snapshot_note,
        ),
    ]
    keys = (backup.kms_key_arn is None) + (backup.copy_region is not None and backup.copy_kms_key_arn is None)
    if keys:
        items.append(Charge("backup", f"KMS keys of the vaults ({keys})", keys, "key-month", prices["kms_key_month"]))
    if backup.copy_region:
        home = "priced at the home region's rates"
        items.append(
            Charge(
                "backup",
                f"Copies in {backup.copy_region}: EFS recovery points",
                assume.data_gb,
                "GB-month",
                prices["backup_efs_warm_gb_month"],
                note=home,
            )
        )
        items.append(
            Charge(
                "backup",
                f"Copies in {backup.copy_region}: database snapshots",
                database.allocated_storage_gb,
                "GB-month",
                prices["backup_rds_snapshot_gb_month"],
                note=home + "; inter-region transfer of new data not included",
            )
        )
    return items


def addon_charges(deployment, prices: dict[str, Any], assume: Assumptions) -> list[Charge]:
    """The add-ons that are enabled, each priced from its config block."""
    return [
        *_file_gateway_charges(deployment.file_gateway, prices, assume),
        *_datasync_charges(deployment.datasync, prices, assume),
        *_uploader_charges(deployment.uploader, prices),
        *_appstream_charges(deployment.appstream, prices, assume),
        *_monitoring_charges(deployment, prices),
    ]


def _instance(group: str, label: str, instance_type: str, prices: dict[str, Any]) -> Charge:
    """An EC2 instance running the whole month."""
    price = prices["ec2_instance_hour"].get(instance_type)
    return Charge(group, f"{label} {instance_type}", HOURS, "h", price, note="price not in table" if price is None else "")


def _file_gateway_charges(gateway, prices: dict[str, Any], assume: Assumptions) -> list[Charge]:
    """The gateway appliance, its cache and root disks, and the S3 data behind the share."""
    if not gateway.enabled:
        return []
    group = "add-on file gateway"
    s3_gb = assume.data_gb if assume.gateway_s3_gb is None else assume.gateway_s3_gb
    return [
        _instance(group, "gateway instance", gateway.instance_type, prices),
        Charge(group, f"cache disk ({gateway.cache_gb} GB gp3)", gateway.cache_gb, "GB-month", prices["ebs_gp3_gb_month"]),
        Charge(
            group,
            f"root volume ({GATEWAY_ROOT_VOLUME_GB} GB gp3)",
            GATEWAY_ROOT_VOLUME_GB,
            "GB-month",
            prices["ebs_gp3_gb_month"],
        ),
        Charge(
            group,
            "S3 behind the share (Standard price)",
            s3_gb,
            "GB-month",
            prices["s3_standard_gb_month"],
            note="assumed, --gateway-s3-gb (default --data-gb); Intelligent-Tiering costs less once objects cool",
        ),
    ]


def _datasync_charges(datasync, prices: dict[str, Any], assume: Assumptions) -> list[Charge]:
    """The data DataSync copies."""
    if not datasync.enabled:
        return []
    return [
        Charge(
            "add-on datasync",
            "DataSync data copied",
            assume.datasync_gb,
            "GB",
            prices["datasync_gb"],
            note="assumed, --datasync-gb",
        )
    ]


def _uploader_charges(uploader, prices: dict[str, Any]) -> list[Charge]:
    """The uploader host and its root volume."""
    if not uploader.enabled:
        return []
    group, volume = "add-on uploader", uploader.root_volume_gb
    return [
        _instance(group, "uploader host", uploader.instance_type, prices),
        Charge(group, f"uploader root volume ({volume} GB gp3)", volume, "GB-month", prices["ebs_gp3_gb_month"]),
    ]


def _appstream_charges(appstream, prices: dict[str, Any], assume: Assumptions) -> list[Charge]:
    """The streaming instances (all month when always on, else the hours streamed) and the users' fee."""
    if not appstream.enabled:
        return []
    group, kind, count = "add-on appstream", appstream.instance_type, appstream.desired_instances
    always_on = appstream.fleet_type == "ALWAYS_ON"
    hours = HOURS if always_on else min(assume.appstream_hours, HOURS)
    price = prices["appstream_instance_hour"].get(kind)
    charges = [
        Charge(
            group,
            f"{kind} x {count} ({'always on' if always_on else f'{hours:g} h streamed each'})",
            count * hours,
            "h",
            price,
            note="price not in table" if price is None else ("" if always_on else "assumed, --appstream-hours"),
        )
    ]
    users = len(appstream.users)
    if users:
        charges.append(
            Charge(group, f"per-user licence fee ({users} users)", users, "user-month", prices["appstream_user_month"])
        )
    return charges


def _monitoring_charges(deployment, prices: dict[str, Any]) -> list[Charge]:
    """The CloudWatch alarms and the dashboard."""
    if not deployment.monitoring.enabled:
        return []
    # OMERO.web (unhealthy, none healthy, 5xx, load balancer 5xx), the server running, the
    # database (CPU, storage, memory), and one EFS alarm per matching storage mode.
    storage = deployment.storage
    alarms = 8 + (storage.performance_mode == "generalPurpose") + (storage.throughput_mode in ("bursting", "provisioned"))
    return [
        Charge("add-on monitoring", f"CloudWatch alarms ({alarms})", alarms, "alarm-month", prices["alarm_month"]),
        Charge(
            "add-on monitoring",
            "CloudWatch dashboard",
            1,
            "dashboard-month",
            prices["dashboard_month"],
            note="first 3 per account free",
        ),
    ]


def estimate(deployment, prices: dict[str, Any], assume: Assumptions | None = None) -> list[Charge]:
    assume = assume or Assumptions()
    return core_charges(deployment, prices, assume) + addon_charges(deployment, prices, assume)


def totals(items: Sequence[Charge]) -> tuple[float, float]:
    """(low, high) monthly total of the priced items."""
    priced = [item.cost for item in items if item.cost is not None]
    return sum(c[0] for c in priced), sum(c[1] for c in priced)


# The region the README's examples table prices every example in, so their figures compare.
EXAMPLES_REGION = "us-east-1"


def example_figures(region: str = EXAMPLES_REGION) -> dict[str, tuple[float, float]]:
    """The monthly (low, high) total of every file in examples/, at ``region``'s prices and the
    default assumptions: the figures of the README's examples table."""
    prices, _ = load_prices(region)
    return {path.name: totals(estimate(load(path), prices)) for path in sorted((ROOT / "examples").glob("*.hcl"))}


def whole_dollars(low: float, high: float) -> str:
    """A monthly figure as the README gives it: "$312" or "$312..$386"."""
    return f"${low:,.0f}" if round(low) == round(high) else f"${low:,.0f}..${high:,.0f}"
