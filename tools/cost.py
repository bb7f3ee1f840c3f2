"""Itemized monthly cost estimate of a deployment, from its config and tools/prices.json.

    pipenv run cost [--config FILE] [--region REGION] [--data-gb 1000] [--ia-percent 80] ...

Every line shows quantity x unit price; quantities that the config does not fix (data stored, GB
through the NAT gateways, load balancer capacity units, log volume, transfer) are assumptions,
marked "assumed" with the flag that changes them. A month is 730 hours. OMERO.web scales between
``web.min_tasks`` and ``max_tasks``, and EC2 container instances between ``min_instances`` and
``max_instances``: those lines and the total show a range. A price missing from the table (an
instance type not listed) is shown as "price not in table" and left out of the total, never
guessed. Nothing is synthesized and nothing is asked of AWS: the estimate reads only the config.
Prices are list prices for the region named in the config (or ``--region``); a region not in the
table is refused (exit 2).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PRICES = Path(__file__).with_name("prices.json")
HOURS = 730  # hours in a month, as AWS's pricing pages count them
SECRETS = 3  # database password, OMERO root password, OMERO.web secret key
SESSION_STORE_SECRETS = 2  # the session store's token, and OMERO.web's cache settings holding it
# (and with read-only servers, the password of their read-only database role)


class ToolError(Exception):
    """Bad input: reported as one line, exit status 2."""


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
class Item:
    """One line: quantity (a range low..high) x unit price = monthly cost."""

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


def _lookup(table: dict[str, float], name: str) -> float | None:
    return table.get(name)


def core_items(deployment, prices: dict[str, Any], assume: Assumptions) -> list[Item]:
    """Network, load balancers, OMERO services, database, storage, backups, logs and secrets."""
    return [
        *_network_items(deployment, prices, assume),
        *_service_items(deployment, prices, assume),
        *_database_items(deployment, prices, assume),
        *_storage_items(deployment, prices, assume),
        *backup_items(deployment, prices, assume),
        *_operations_items(deployment, prices, assume),
    ]


def _network_items(deployment, prices: dict[str, Any], assume: Assumptions) -> list[Item]:
    """The NAT gateways and the load balancers."""
    items: list[Item] = []
    network = deployment.network
    if network.creates_vpc:
        nats = 1 if network.nat_gateways == "single" else network.zone_count
        items.append(Item("network", f"NAT gateway hours ({nats} x {HOURS} h)", nats * HOURS, "h", prices["nat_gateway_hour"]))
        items.append(
            Item("network", "NAT gateway data processed", assume.nat_gb, "GB", prices["nat_gateway_gb"], note="assumed, --nat-gb")
        )
    else:
        items.append(Item("network", "NAT gateways (existing VPC: not ours)", 0, "h", prices["nat_gateway_hour"]))
    items += _endpoint_items(deployment, prices, assume)

    items.append(Item("load balancers", "ALB hours", HOURS, "h", prices["alb_hour"]))
    items.append(
        Item(
            "load balancers",
            f"ALB capacity units ({assume.alb_lcu:g} LCU)",
            assume.alb_lcu * HOURS,
            "LCU-h",
            prices["alb_lcu_hour"],
            note="assumed, --alb-lcu",
        )
    )
    if deployment.server_load_balancer.enabled:
        items.append(Item("load balancers", "NLB hours", HOURS, "h", prices["nlb_hour"]))
        items.append(
            Item(
                "load balancers",
                f"NLB capacity units ({assume.nlb_lcu:g} NLCU)",
                assume.nlb_lcu * HOURS,
                "NLCU-h",
                prices["nlb_lcu_hour"],
                note="assumed, --nlb-lcu",
            )
        )
    return items


def _endpoint_items(deployment, prices: dict[str, Any], assume: Assumptions) -> list[Item]:
    """Interface endpoints: hours per endpoint and zone, the GB they carry, and the NAT processing
    of that traffic they save (a negative line; with an existing VPC the NAT is not ours)."""
    from config.network_plan import interface_endpoint_services

    services = interface_endpoint_services(deployment)
    if not services:
        return []
    network = deployment.network
    zones = network.zone_count if network.creates_vpc else len(network.private_subnet_ids)
    items = [
        Item(
            "network",
            f"interface endpoints ({len(services)} services x {zones} AZs x {HOURS} h)",
            len(services) * zones * HOURS,
            "endpoint-h",
            prices["interface_endpoint_hour"],
        ),
        Item(
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
            Item(
                "network",
                "NAT data processing the endpoints save",
                assume.endpoint_gb,
                "GB",
                -prices["nat_gateway_gb"],
                note="the --endpoint-gb no longer through NAT",
            )
        )
    return items


def _service_items(deployment, prices: dict[str, Any], assume: Assumptions) -> list[Item]:
    """OMERO's tasks on Fargate or EC2, and OMERO.web's session store."""
    items: list[Item] = []
    cluster, server, web = deployment.cluster, deployment.server, deployment.web

    # Fargate: vCPU-hours and GB-hours per task, times tasks.
    def fargate(name: str, cpu: int, memory: int, low: int, high: int | None = None) -> None:
        vcpu, gb = cpu / 1024, memory / 1024
        span = "" if high is None else f"..{high}"
        items.append(
            Item(
                "services",
                f"{name}: {low}{span} x {vcpu:g} vCPU",
                low * vcpu * HOURS,
                "vCPU-h",
                prices["fargate_vcpu_hour"],
                None if high is None else high * vcpu * HOURS,
            )
        )
        items.append(
            Item(
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
            Item(
                "services",
                f"EC2 container instances {ec2.instance_type} ({ec2.min_instances}..{ec2.max_instances})",
                ec2.min_instances * HOURS,
                "h",
                _lookup(prices["ec2_instance_hour"], ec2.instance_type),
                ec2.max_instances * HOURS,
                note="" if ec2.instance_type in prices["ec2_instance_hour"] else "price not in table",
            )
        )
        items.append(
            Item(
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
        node_price = _lookup(prices["elasticache_valkey_node_hour"], store.node_type)
        items.append(
            Item(
                "services",
                f"OMERO.web session store: Valkey {store.node_type} x {nodes}",
                nodes * HOURS,
                "h",
                node_price,
                note="" if node_price is not None else "price not in table",
            )
        )
    return items


def _database_items(deployment, prices: dict[str, Any], assume: Assumptions) -> list[Item]:
    """The RDS instance (twice with Multi-AZ) and its storage."""
    items: list[Item] = []
    database = deployment.database
    copies = 2 if database.multi_az else 1
    rds_price = _lookup(prices["rds_postgres_instance_hour"], database.instance_class)
    items.append(
        Item(
            "database",
            f"RDS PostgreSQL {database.instance_class}" + (" Multi-AZ (x 2)" if copies == 2 else ""),
            copies * HOURS,
            "h",
            rds_price,
            note="" if rds_price is not None else "price not in table",
        )
    )
    items.append(
        Item(
            "database",
            f"RDS storage {database.storage_type} ({database.allocated_storage_gb} GB" + (" x 2" if copies == 2 else "") + ")",
            copies * database.allocated_storage_gb,
            "GB-month",
            prices["rds_storage_gb_month"].get(database.storage_type),
            note="allocated size; autoscaling may grow it",
        )
    )
    return items


def _storage_items(deployment, prices: dict[str, Any], assume: Assumptions) -> list[Item]:
    """EFS by storage class, and its elastic throughput."""
    items: list[Item] = []
    storage = deployment.storage
    archive = assume.archive_percent if storage.transition_to_archive else 0
    ia = min(assume.ia_percent, 100 - archive)
    standard = 100 - ia - archive
    note = f"assumed, --data-gb {assume.data_gb:g} with {ia:g}% IA" + (f", {archive:g}% Archive" if archive else "")
    items.append(
        Item(
            "storage",
            f"EFS Standard ({standard:g}% of data)",
            assume.data_gb * standard / 100,
            "GB-month",
            prices["efs_standard_gb_month"],
            note=note,
        )
    )
    items.append(
        Item(
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
            Item(
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
            Item(
                "storage",
                "EFS elastic throughput, reads",
                assume.efs_read_gb,
                "GB",
                prices["efs_elastic_read_gb"],
                note="assumed, --efs-read-gb",
            )
        )
        items.append(
            Item(
                "storage",
                "EFS elastic throughput, writes",
                assume.efs_write_gb,
                "GB",
                prices["efs_elastic_write_gb"],
                note="assumed, --efs-write-gb",
            )
        )
    return items


def _operations_items(deployment, prices: dict[str, Any], assume: Assumptions) -> list[Item]:
    """Logs, Container Insights, secrets and the Cloud Map namespace."""
    items: list[Item] = []
    cluster, server, web = deployment.cluster, deployment.server, deployment.web

    items.append(
        Item("operations", "CloudWatch Logs ingested", assume.logs_gb, "GB", prices["logs_ingest_gb"], note="assumed, --logs-gb")
    )
    items.append(
        Item(
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
            Item(
                "operations",
                f"Container Insights ({cluster.container_insights}), ~{metrics} metrics",
                metrics,
                "metric-month",
                prices["metric_month"],
                note="rough: ~10 per service, x 2 enhanced",
            )
        )
    secrets = SECRETS + (SESSION_STORE_SECRETS if web.session_store.enabled else 0) + (1 if server.read_only_count else 0)
    items.append(Item("operations", f"Secrets Manager secrets ({secrets})", secrets, "secret-month", prices["secret_month"]))
    instances = 1 + server.read_only_count
    items.append(Item("operations", "Cloud Map namespace (private hosted zone)", 1, "zone-month", prices["hosted_zone_month"]))
    items.append(
        Item(
            "operations",
            f"Cloud Map registered server tasks ({instances})",
            instances,
            "instance-month",
            prices["cloud_map_instance_month"],
        )
    )
    return items


def backup_items(deployment, prices: dict[str, Any], assume: Assumptions) -> list[Item]:
    """Recovery points of EFS and the database: the backup plan (and its copies), or EFS's own backups."""
    backup, database = deployment.backup, deployment.database
    efs_note = "assumed: the incremental points add up to about one full copy of the data"
    if not backup.enabled:
        if not deployment.efs_automatic_backups:
            return []
        return [
            Item(
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
        Item(
            "backup",
            "AWS Backup: EFS recovery points (warm)",
            assume.data_gb,
            "GB-month",
            prices["backup_efs_warm_gb_month"],
            note=efs_note,
        ),
        Item(
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
        items.append(Item("backup", f"KMS keys of the vaults ({keys})", keys, "key-month", prices["kms_key_month"]))
    if backup.copy_region:
        home = "priced at the home region's rates"
        items.append(
            Item(
                "backup",
                f"Copies in {backup.copy_region}: EFS recovery points",
                assume.data_gb,
                "GB-month",
                prices["backup_efs_warm_gb_month"],
                note=home,
            )
        )
        items.append(
            Item(
                "backup",
                f"Copies in {backup.copy_region}: database snapshots",
                database.allocated_storage_gb,
                "GB-month",
                prices["backup_rds_snapshot_gb_month"],
                note=home + "; inter-region transfer of new data not included",
            )
        )
    return items


def addon_items(deployment, prices: dict[str, Any], assume: Assumptions) -> list[Item]:
    """Add-ons that are enabled; keys read defensively (their config blocks are still growing)."""
    items: list[Item] = []
    ec2_prices = prices["ec2_instance_hour"]

    def instance(group: str, label: str, instance_type: str, assumed: bool) -> None:
        price = ec2_prices.get(instance_type)
        note = "price not in table" if price is None else ("assumed type" if assumed else "")
        items.append(Item(group, f"{label} {instance_type}", HOURS, "h", price, note=note))

    gateway = getattr(deployment, "file_gateway", None)
    if gateway is not None and getattr(gateway, "enabled", False):
        kind = getattr(gateway, "instance_type", None)
        instance("add-on file gateway", "gateway instance", kind or "m5.xlarge", kind is None)
        cache = getattr(gateway, "cache_gb", None) or 150
        items.append(Item("add-on file gateway", f"cache disk ({cache} GB gp3)", cache, "GB-month", prices["ebs_gp3_gb_month"]))
        root = getattr(gateway, "root_volume_gb", None) or 80
        items.append(Item("add-on file gateway", f"root volume ({root} GB gp3)", root, "GB-month", prices["ebs_gp3_gb_month"]))
        s3_gb = assume.data_gb if assume.gateway_s3_gb is None else assume.gateway_s3_gb
        items.append(
            Item(
                "add-on file gateway",
                "S3 behind the share (Standard price)",
                s3_gb,
                "GB-month",
                prices["s3_standard_gb_month"],
                note="assumed, --gateway-s3-gb (default --data-gb); Intelligent-Tiering costs less once objects cool",
            )
        )
    datasync = getattr(deployment, "datasync", None)
    if datasync is not None and getattr(datasync, "enabled", False):
        items.append(
            Item(
                "add-on datasync",
                "DataSync data copied",
                assume.datasync_gb,
                "GB",
                prices["datasync_gb"],
                note="assumed, --datasync-gb",
            )
        )
    uploader = getattr(deployment, "uploader", None)
    if uploader is not None and getattr(uploader, "enabled", False):
        kind = getattr(uploader, "instance_type", None)
        instance("add-on uploader", "uploader host", kind or "t3.medium", kind is None)
        volume = getattr(uploader, "root_volume_gb", None) or 30
        items.append(
            Item("add-on uploader", f"uploader root volume ({volume} GB gp3)", volume, "GB-month", prices["ebs_gp3_gb_month"])
        )
    appstream = getattr(deployment, "appstream", None)
    if appstream is not None and getattr(appstream, "enabled", False):
        kind = getattr(appstream, "instance_type", "stream.standard.medium")
        count = getattr(appstream, "desired_instances", 1)
        always_on = getattr(appstream, "fleet_type", "ON_DEMAND") == "ALWAYS_ON"
        hours = HOURS if always_on else min(assume.appstream_hours, HOURS)
        price = prices["appstream_instance_hour"].get(kind)
        items.append(
            Item(
                "add-on appstream",
                f"{kind} x {count} ({'always on' if always_on else f'{hours:g} h streamed each'})",
                count * hours,
                "h",
                price,
                note="price not in table" if price is None else ("" if always_on else "assumed, --appstream-hours"),
            )
        )
        users = len(getattr(appstream, "users", ()) or ())
        if users:
            items.append(
                Item(
                    "add-on appstream",
                    f"per-user licence fee ({users} users)",
                    users,
                    "user-month",
                    prices["appstream_user_month"],
                )
            )
    monitoring = getattr(deployment, "monitoring", None)
    if monitoring is not None and getattr(monitoring, "enabled", False):
        # OMERO.web (unhealthy, none healthy, 5xx, load balancer 5xx), the server running, the
        # database (CPU, storage, memory), and one EFS alarm per matching storage mode.
        storage = deployment.storage
        alarms = 8 + (storage.performance_mode == "generalPurpose") + (storage.throughput_mode in ("bursting", "provisioned"))
        items.append(Item("add-on monitoring", f"CloudWatch alarms ({alarms})", alarms, "alarm-month", prices["alarm_month"]))
        items.append(
            Item(
                "add-on monitoring",
                "CloudWatch dashboard",
                1,
                "dashboard-month",
                prices["dashboard_month"],
                note="first 3 per account free",
            )
        )
    return items


def estimate(deployment, prices: dict[str, Any], assume: Assumptions | None = None) -> list[Item]:
    assume = assume or Assumptions()
    return core_items(deployment, prices, assume) + addon_items(deployment, prices, assume)


def totals(items: Sequence[Item]) -> tuple[float, float]:
    """(low, high) monthly total of the priced items."""
    priced = [item.cost for item in items if item.cost is not None]
    return sum(c[0] for c in priced), sum(c[1] for c in priced)


def _money(low: float, high: float) -> str:
    def one(value: float) -> str:
        return f"-${-value:,.2f}" if value < 0 else f"${value:,.2f}"

    return one(low) if round(low, 2) == round(high, 2) else f"{one(low)}..{one(high)}"


def render(deployment, region: str, items: Sequence[Item], table: dict[str, Any]) -> str:
    lines = [
        f"Monthly estimate for {deployment.name} in {region} ({HOURS} h/month)",
        f"prices: {table['taken']} (tools/prices.json)",
    ]
    rows: list[tuple[str, str, str, str, str]] = []
    for item in items:
        quantity = f"{item.low:,.6g}" + ("" if item.high is None or item.high == item.low else f"..{item.high:,.6g}")
        if item.price is None:
            cost, unit = "price not in table", f"{quantity} {item.unit}"
        else:
            sign = "-" if item.price < 0 else ""
            cost, unit = _money(*(item.cost or (0.0, 0.0))), f"{quantity} {item.unit} x {sign}${abs(item.price):g}"
        note = f"  ({item.note})" if item.note and item.note != "price not in table" else ""
        rows.append((item.group, item.name, unit, cost, note))
    name_width, unit_width, cost_width = (max(len(row[i]) for row in rows) for i in (1, 2, 3))
    group = None
    for row_group, name, unit, cost, note in rows:
        if row_group != group:
            group = row_group
            lines += ["", group]
        lines.append(f"  {name:<{name_width}}  {unit:<{unit_width}}  {cost:>{cost_width}}{note}")
    low, high = totals(items)
    missing = [item.name for item in items if item.price is None]
    lines += [
        "",
        f"total {_money(low, high)} per month"
        + (f", plus {len(missing)} item{'s' if len(missing) > 1 else ''} not priced" if missing else ""),
    ]
    return "\n".join(lines)


# The region the README's examples table prices every example in, so their figures compare.
EXAMPLES_REGION = "us-east-1"


def example_figures(region: str = EXAMPLES_REGION) -> dict[str, tuple[float, float]]:
    """The monthly (low, high) total of every file in examples/, at ``region``'s prices and the
    default assumptions: the figures of the README's examples table."""
    from config import load

    prices, _ = load_prices(region)
    return {path.name: totals(estimate(load(path), prices)) for path in sorted((ROOT / "examples").glob("*.hcl"))}


def whole_dollars(low: float, high: float) -> str:
    """A monthly figure as the README gives it: "$312" or "$312..$386"."""
    return f"${low:,.0f}" if round(low) == round(high) else f"${low:,.0f}..${high:,.0f}"


def render_examples(region: str = EXAMPLES_REGION) -> str:
    """The README's monthly figure of each example, one "`examples/<file>` | <figure>" line each."""
    return "\n".join(f"`examples/{name}` | {whole_dollars(*total)}" for name, total in example_figures(region).items())


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    defaults = Assumptions()
    parser = argparse.ArgumentParser(prog="cost", description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, help="deployment file (default: $OMERO_CONFIG, else config/default.hcl)")
    parser.add_argument("--region", help="price as this region (default: the deployment's region)")
    parser.add_argument("--json", action="store_true", help="print the items as JSON")
    parser.add_argument(
        "--examples",
        action="store_true",
        help=f"print every example's monthly total (at --region, default {EXAMPLES_REGION}): the README's examples table",
    )
    for name in (
        "data_gb",
        "ia_percent",
        "archive_percent",
        "efs_read_gb",
        "efs_write_gb",
        "nat_gb",
        "endpoint_gb",
        "alb_lcu",
        "nlb_lcu",
        "logs_gb",
        "datasync_gb",
        "appstream_hours",
        "gateway_s3_gb",
    ):
        parser.add_argument(
            f"--{name.replace('_', '-')}", type=float, default=getattr(defaults, name), help="assumption (default %(default)s)"
        )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    options = _parse(argv)
    from config import ConfigError, config_path, load

    if options.examples:
        try:
            print(render_examples(options.region or EXAMPLES_REGION))
        except (ToolError, ConfigError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        return 0

    path = options.config or config_path(os.environ)
    try:
        try:
            deployment = load(path)
        except ConfigError as error:
            raise ToolError("; ".join(f"{error.source}: {line}" for line in error.lines)) from None
        for name in ("ia_percent", "archive_percent"):
            if not 0 <= getattr(options, name) <= 100:
                raise ToolError(f"--{name.replace('_', '-')} {getattr(options, name):g}: allowed: 0 to 100")
        region = options.region or deployment.region
        prices, table = load_prices(region)
    except ToolError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    assume = Assumptions(**{k: getattr(options, k) for k in Assumptions.__dataclass_fields__ if hasattr(options, k)})
    items = estimate(deployment, prices, assume)
    if options.json:
        low, high = totals(items)
        print(
            json.dumps(
                {
                    "deployment": deployment.name,
                    "region": region,
                    "total": [low, high],
                    "items": [{**item.__dict__, "cost": item.cost} for item in items],
                },
                indent=2,
            )
        )
    else:
        print(render(deployment, region, items, table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
