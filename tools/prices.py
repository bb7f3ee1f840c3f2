"""Regenerate tools/prices.json from AWS's public price list (the Price List Bulk API offer files).

    python -m tools.prices --from DIR [--write]

DIR holds the region offer files as AWS publishes them, one per service and region:
``DIR/<ServiceCode>/<region>/index.json``, each downloaded from
``https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/<ServiceCode>/current/<region>/index.json``
(the region index of each service lists them: AWS Billing and Cost Management User Guide, "Using
the bulk API"). ``--download`` prints those URLs for every commercial region, for ``curl`` or any
fetcher outside this machine. Only the items tools/cost.py prices are kept: the on-demand USD
price of the first tier of each SKU a selector below picks. A selector that matches no price, or
several different ones, in a region stops the run with one line naming the item and the region:
a price is never guessed. Without ``--write`` the table is printed; with it tools/prices.json is
rewritten, its ``taken`` line naming the offer files' publication date.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from config.checks import AWS_REGIONS
from tools.common import Parser
from tools.cost_model import PRICES

OFFERS = "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws"
# Commercial regions: the aws partition (not GovCloud, aws-us-gov, nor China, aws-cn, whose price
# lists are published apart, in CNY for China).
COMMERCIAL_REGIONS = tuple(sorted(r for r in AWS_REGIONS if not r.startswith(("us-gov-", "cn-"))))


class PriceError(Exception):
    """A price that cannot be had from the offer files: one line, exit status 2."""


@dataclass(frozen=True)
class Selector:
    """Which SKUs of a service's offer file give one item: attributes that must be equal, and a
    usage type: the whole of it after the region prefix ("EUC1-"; us-east-1 has none), so that
    "NatGateway-Hours" does not also take "EUC1-RegionalNatGateway-Hours"."""

    service: str
    usage_suffix: str = ""
    attributes: dict[str, str] = field(default_factory=dict)
    per: str = ""  # the attribute that names the item's variants (instance types), if any
    scale: float = 1.0  # price list unit -> the table's unit

    def matches(self, attributes: dict[str, str]) -> bool:
        usage = attributes.get("usagetype", "")
        if self.usage_suffix and usage != self.usage_suffix and not usage.endswith("-" + self.usage_suffix):
            return False
        return all(attributes.get(name) == value for name, value in self.attributes.items())


_LINUX = {
    "productFamily": "Compute Instance",
    "operatingSystem": "Linux",
    "tenancy": "Shared",
    "preInstalledSw": "NA",
    "capacitystatus": "Used",
    "licenseModel": "No License required",
}
# The items tools/cost.py prices (the keys of each region in tools/prices.json), and where each is
# in the price list. Usage types and attribute values as the offer files spell them.
SELECTORS: dict[str, Selector] = {
    "nat_gateway_hour": Selector("AmazonEC2", "NatGateway-Hours"),
    "nat_gateway_gb": Selector("AmazonEC2", "NatGateway-Bytes"),
    "interface_endpoint_hour": Selector("AmazonVPC", "VpcEndpoint-Hours"),
    "interface_endpoint_gb": Selector("AmazonVPC", "VpcEndpoint-Bytes"),
    "alb_hour": Selector("AWSELB", "LoadBalancerUsage", {"productFamily": "Load Balancer-Application"}),
    "alb_lcu_hour": Selector("AWSELB", "LCUUsage", {"productFamily": "Load Balancer-Application"}),
    "nlb_hour": Selector("AWSELB", "LoadBalancerUsage", {"productFamily": "Load Balancer-Network"}),
    "nlb_lcu_hour": Selector("AWSELB", "LCUUsage", {"productFamily": "Load Balancer-Network"}),
    "fargate_vcpu_hour": Selector("AmazonECS", "Fargate-vCPU-Hours:perCPU"),
    "fargate_gb_hour": Selector("AmazonECS", "Fargate-GB-Hours"),
    "ec2_instance_hour": Selector("AmazonEC2", "", _LINUX, per="instanceType"),
    "ebs_gp3_gb_month": Selector("AmazonEC2", "EBS:VolumeUsage.gp3"),
    "elasticache_valkey_node_hour": Selector("AmazonElastiCache", "", {"cacheEngine": "Valkey"}, per="instanceType"),
    "rds_postgres_instance_hour": Selector(
        "AmazonRDS",
        "",
        {"productFamily": "Database Instance", "databaseEngine": "PostgreSQL", "deploymentOption": "Single-AZ"},
        per="instanceType",
    ),
    "rds_storage_gb_month": Selector(
        "AmazonRDS",
        "",
        {"productFamily": "Database Storage", "databaseEngine": "PostgreSQL", "deploymentOption": "Single-AZ"},
        per="volumeType",
    ),
    "efs_standard_gb_month": Selector("AmazonEFS", "TimedStorage-ByteHrs", {"storageClass": "General Purpose"}),
    "efs_ia_gb_month": Selector("AmazonEFS", "IATimedStorage-ByteHrs"),
    "efs_archive_gb_month": Selector("AmazonEFS", "ArchiveTimedStorage-ByteHrs"),
    "efs_elastic_read_gb": Selector("AmazonEFS", "ElasticThroughput-Read-Bytes"),
    "efs_elastic_write_gb": Selector("AmazonEFS", "ElasticThroughput-Write-Bytes"),
    "backup_efs_warm_gb_month": Selector("AWSBackup", "WarmStorage-ByteHrs-EFS"),
    "backup_rds_snapshot_gb_month": Selector("AWSBackup", "WarmStorage-ByteHrs-RDS"),
    "kms_key_month": Selector("awskms", "KMS-Keys"),
    "logs_ingest_gb": Selector("AmazonCloudWatch", "DataProcessing-Bytes"),
    "logs_storage_gb_month": Selector("AmazonCloudWatch", "TimedStorage-ByteHrs"),
    "metric_month": Selector("AmazonCloudWatch", "CW:MetricMonitorUsage"),
    "alarm_month": Selector("AmazonCloudWatch", "CW:AlarmMonitorUsage"),
    "dashboard_month": Selector("AmazonCloudWatch", "DashboardsUsageHour-Basic", scale=730),
    "secret_month": Selector("AWSSecretsManager", "AWSSecretsManager-Secrets"),
    "hosted_zone_month": Selector("AmazonRoute53", "HostedZone"),
    "cloud_map_instance_month": Selector("AWSCloudMap", "RegisteredResource"),
    "s3_standard_gb_month": Selector("AmazonS3", "TimedStorage-ByteHrs", {"volumeType": "Standard"}),
    "datasync_gb": Selector("AWSDataSync", "DataSync-Bytes"),
    "appstream_instance_hour": Selector("AmazonAppStream", "", {"operatingSystem": "Windows"}, per="instanceType"),
    "appstream_user_month": Selector("AmazonAppStream", "AppStream-UserFee"),
}


def offer_path(root: Path, service: str, region: str) -> Path:
    return root / service / region / "index.json"


def _first_tier_usd(terms: dict[str, Any], sku: str) -> float | None:
    """The on-demand USD price of ``sku``'s first tier (the dimension beginning at 0)."""
    for term in (terms.get(sku) or {}).values():
        for dimension in term.get("priceDimensions", {}).values():
            if str(dimension.get("beginRange", "0")) in ("0", "0.0") and "USD" in dimension.get("pricePerUnit", {}):
                return float(dimension["pricePerUnit"]["USD"])
    return None


def _prices(offer: dict[str, Any], selector: Selector) -> Iterator[tuple[str, float]]:
    """(variant, price) of every SKU the selector picks ("" when it has no variants)."""
    terms = offer.get("terms", {}).get("OnDemand", {})
    for sku, product in offer.get("products", {}).items():
        attributes = product.get("attributes", {})
        if not selector.matches(attributes):
            continue
        price = _first_tier_usd(terms, sku)
        if price is not None and price > 0:
            yield attributes.get(selector.per, "") if selector.per else "", round(price * selector.scale, 6)


def item_price(root: Path, region: str, name: str, wanted: Sequence[str] = ()) -> float | dict[str, float]:
    """One item of one region: a price, or one per variant in ``wanted`` (instance types)."""
    selector = SELECTORS[name]
    path = offer_path(root, selector.service, region)
    if not path.is_file():
        raise PriceError(f"{name}: no offer file {path} for {region}")
    found: dict[str, set[float]] = {}
    for variant, price in _prices(json.loads(path.read_text()), selector):
        found.setdefault(variant, set()).add(price)
    variants = list(wanted) if selector.per else [""]
    prices: dict[str, float] = {}
    for variant in variants:
        choices = found.get(variant, set())
        label = f"{name} {variant}".strip()
        if len(choices) != 1:
            what = "no price" if not choices else f"{len(choices)} different prices ({', '.join(map(str, sorted(choices)))})"
            raise PriceError(f"{label}: {what} in {path.relative_to(root)} for {region}")
        prices[variant] = choices.pop()
    return prices if selector.per else prices[""]


def region_prices(root: Path, region: str, variants: dict[str, list[str]]) -> dict[str, Any]:
    """Every item of one region; ``variants`` names the instance types (etc.) each item keeps."""
    return {name: item_price(root, region, name, variants.get(name, ())) for name in SELECTORS}


def generate(root: Path, regions: Sequence[str], table: dict[str, Any], published: str) -> dict[str, Any]:
    """``table`` with its regions replaced by those priced from the offer files under ``root``."""
    template = next(iter(table["regions"].values()))
    variants = {name: sorted(value) for name, value in template.items() if isinstance(value, dict)}
    missing = set(template) ^ set(SELECTORS)
    if missing:
        raise PriceError(f"items without a selector, or selectors without an item: {', '.join(sorted(missing))}")
    return {
        **table,
        "taken": f"AWS on-demand list prices in USD from the Price List Bulk API offer files published {published}",
        "regions": {region: region_prices(root, region, variants) for region in regions},
    }


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = Parser(prog="pipenv run prices", description=__doc__.split("\n\n")[0])
    parser.add_argument("--from", dest="root", type=Path, help="directory of offer files: <ServiceCode>/<region>/index.json")
    parser.add_argument("--region", action="append", help="price only this region (repeatable; default: every commercial one)")
    parser.add_argument("--published", default="", help="the offer files' publicationDate (default: read from them)")
    parser.add_argument("--write", action="store_true", help="rewrite tools/prices.json")
    parser.add_argument("--download", action="store_true", help="print the offer file URLs to fetch into --from")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    options = _parse(argv)
    regions = options.region or list(COMMERCIAL_REGIONS)
    unknown = [r for r in regions if r not in COMMERCIAL_REGIONS]
    services = sorted({s.service for s in SELECTORS.values()})
    try:
        if unknown:
            raise PriceError(f"not a commercial AWS region: {', '.join(unknown)}")
        if options.download:
            print("\n".join(f"{OFFERS}/{s}/current/{r}/index.json  {s}/{r}/index.json" for r in regions for s in services))
            return 0
        if options.root is None:
            raise PriceError("--from DIR is required (or --download to list what to put there)")
        published = options.published or _published(options.root, services[0], regions[0])
        table = generate(options.root, regions, json.loads(PRICES.read_text()), published)
    except PriceError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    text = json.dumps(table, indent=2) + "\n"
    if options.write:
        PRICES.write_text(text)
        print(f"wrote {PRICES.name}: {len(table['regions'])} regions, {len(SELECTORS)} items each")
    else:
        print(text, end="")
    return 0


def _published(root: Path, service: str, region: str) -> str:
    path = offer_path(root, service, region)
    if not path.is_file():
        raise PriceError(f"no offer file {path}")
    return str(json.loads(path.read_text()).get("publicationDate", "on an unknown date"))


if __name__ == "__main__":
    sys.exit(main())
