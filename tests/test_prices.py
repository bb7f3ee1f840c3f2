"""tools/prices.py: the price table generated from AWS's Price List Bulk API offer files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tools.cost_model import PRICES
from tools.prices import COMMERCIAL_REGIONS, SELECTORS, PriceError, generate, offer_path

ROOT = Path(__file__).resolve().parents[1]
TABLE = json.loads(PRICES.read_text())
TEMPLATE = next(iter(TABLE["regions"].values()))


def _product(selector, prefix: str, variant: str) -> dict:
    attributes = dict(selector.attributes)
    attributes["usagetype"] = f"{prefix}-{selector.usage_suffix or 'Usage'}"
    if selector.per:
        attributes[selector.per] = variant
    return attributes


def write_offers(root: Path, region: str, prefix: str, price_of) -> None:
    """Offer files in the Bulk API's layout, one SKU per item (and variant), priced by ``price_of``,
    beside SKUs no selector must take (another region's usage type, a Windows instance)."""
    offers: dict[str, dict] = {}
    for name, selector in SELECTORS.items():
        variants = sorted(TEMPLATE[name]) if selector.per else [""]
        for variant in variants:
            offer = offers.setdefault(
                selector.service, {"publicationDate": "2026-11-30T00:00:00Z", "products": {}, "terms": {"OnDemand": {}}}
            )
            sku = f"{name}-{variant}".replace(".", "-")
            offer["products"][sku] = {"sku": sku, "attributes": _product(selector, prefix, variant)}
            price = price_of(name, variant) / selector.scale
            dimension = {"unit": "x", "beginRange": "0", "endRange": "Inf", "pricePerUnit": {"USD": f"{price:.10f}"}}
            offer["terms"]["OnDemand"][sku] = {f"{sku}.T": {"priceDimensions": {f"{sku}.T.D": dimension}}}
    offers["AmazonEC2"]["products"]["regional"] = {
        "sku": "regional",
        "attributes": {"usagetype": f"{prefix}-RegionalNatGateway-Hours"},
    }
    offers["AmazonEC2"]["terms"]["OnDemand"]["regional"] = {
        "r.T": {"priceDimensions": {"r.T.D": {"beginRange": "0", "pricePerUnit": {"USD": "7.77"}}}}
    }
    offers["AmazonEC2"]["products"]["windows"] = {
        "sku": "windows",
        "attributes": {**_product(SELECTORS["ec2_instance_hour"], prefix, "t3.medium"), "operatingSystem": "Windows"},
    }
    offers["AmazonEC2"]["terms"]["OnDemand"]["windows"] = {
        "w.T": {"priceDimensions": {"w.T.D": {"beginRange": "0", "pricePerUnit": {"USD": "9.99"}}}}
    }
    for service, offer in offers.items():
        path = offer_path(root, service, region)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(offer))


def fake_price(name: str, variant: str) -> float:
    return round(0.001 * (len(name) + len(variant)) + 0.01, 6)


def test_every_item_of_a_region_comes_from_its_offer_files(tmp_path):
    write_offers(tmp_path, "eu-central-1", "EUC1", fake_price)
    table = generate(tmp_path, ["eu-central-1"], TABLE, "2026-11-30")
    prices = table["regions"]["eu-central-1"]
    assert set(prices) == set(TEMPLATE)
    for name, value in prices.items():
        if isinstance(value, dict):
            assert value == {v: pytest.approx(fake_price(name, v)) for v in TEMPLATE[name]}, name
        else:
            assert value == pytest.approx(fake_price(name, "")), name
    assert "2026-11-30" in table["taken"] and table["sources"] == TABLE["sources"]


def test_two_prices_for_one_item_are_refused(tmp_path):
    write_offers(tmp_path, "eu-central-1", "EUC1", fake_price)
    path = offer_path(tmp_path, "AmazonECS", "eu-central-1")
    offer = json.loads(path.read_text())
    [sku] = [s for s, p in offer["products"].items() if p["attributes"]["usagetype"].endswith("Fargate-GB-Hours")]
    offer["products"]["spot"] = {"sku": "spot", "attributes": offer["products"][sku]["attributes"]}
    offer["terms"]["OnDemand"]["spot"] = {
        "s.T": {"priceDimensions": {"s.T.D": {"beginRange": "0", "pricePerUnit": {"USD": "0.1"}}}}
    }
    path.write_text(json.dumps(offer))
    with pytest.raises(PriceError, match=r"^fargate_gb_hour: 2 different prices .* for eu-central-1$"):
        generate(tmp_path, ["eu-central-1"], TABLE, "2026-11-30")


def test_a_missing_offer_file_is_refused(tmp_path):
    with pytest.raises(PriceError, match="nat_gateway_hour: no offer file .*AmazonEC2/ap-southeast-2/index.json"):
        generate(tmp_path, ["ap-southeast-2"], TABLE, "2026-11-30")


def test_every_priced_item_has_a_selector():
    assert set(SELECTORS) == set(TEMPLATE)


def test_commercial_regions_exclude_govcloud_and_china():
    assert "eu-central-1" in COMMERCIAL_REGIONS and "us-west-2" in COMMERCIAL_REGIONS
    assert not [r for r in COMMERCIAL_REGIONS if r.startswith(("us-gov-", "cn-"))]


def test_command_writes_nothing_and_refuses_in_one_line(tmp_path):
    write_offers(tmp_path, "eu-central-1", "EUC1", fake_price)
    run = [sys.executable, "-m", "tools.prices"]
    printed = subprocess.run(
        [*run, "--from", str(tmp_path), "--region", "eu-central-1"], capture_output=True, text=True, cwd=ROOT
    )
    assert printed.returncode == 0, printed.stderr
    assert list(json.loads(printed.stdout)["regions"]) == ["eu-central-1"]
    refused = subprocess.run([*run, "--from", str(tmp_path), "--region", "mars-1"], capture_output=True, text=True, cwd=ROOT)
    assert (refused.returncode, refused.stderr) == (2, "error: not a commercial AWS region: mars-1\n")
    urls = subprocess.run([*run, "--download", "--region", "eu-central-1"], capture_output=True, text=True, cwd=ROOT)
    assert "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonECS/current/eu-central-1/index.json" in urls.stdout
