"""tools/cost.py: the arithmetic of the estimate, the price table's shape, and refusals."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from config import load
from tools.common import ToolError
from tools.cost_model import HOURS, PRICES, Assumptions, Charge, estimate, load_prices, totals

ROOT = Path(__file__).resolve().parents[1]
QUICK = load(ROOT / "examples/quickstart-http.hcl")  # eu-west-1, single NAT, HTTP
PROD = load(ROOT / "examples/tls-rw-ro.hcl")  # us-east-1, 3 NATs, 2 read-only servers, Multi-AZ


def items_named(items: list[Charge], prefix: str) -> list[Charge]:
    found = [item for item in items if item.name.startswith(prefix)]
    assert found, f"no item starting with {prefix!r}: {[i.name for i in items]}"
    return found


def cost(items: list[Charge], prefix: str) -> float:
    return sum(item.cost[0] for item in items_named(items, prefix))


def test_single_nat_gateway_is_one_times_730_hours():
    prices, _ = load_prices("eu-west-1")
    items = estimate(QUICK, prices)
    [nat] = items_named(items, "NAT gateway hours")
    assert nat.cost == (1 * HOURS * prices["nat_gateway_hour"],) * 2
    assert HOURS == 730


def test_nat_per_zone_multiplies():
    prices, _ = load_prices("us-east-1")
    [nat] = items_named(estimate(PROD, prices), "NAT gateway hours")
    assert nat.cost[0] == pytest.approx(3 * 730 * prices["nat_gateway_hour"])


def test_multi_az_doubles_the_database():
    prices, _ = load_prices("us-east-1")
    multi = estimate(PROD, prices)
    single = estimate(dataclasses.replace(PROD, database=dataclasses.replace(PROD.database, multi_az=False)), prices)
    assert cost(multi, "RDS PostgreSQL") == pytest.approx(2 * cost(single, "RDS PostgreSQL"))
    assert cost(single, "RDS PostgreSQL") == pytest.approx(730 * prices["rds_postgres_instance_hour"]["db.m7g.large"])
    assert cost(multi, "RDS storage") == pytest.approx(2 * 50 * prices["rds_storage_gb_month"]["gp3"])


def test_read_only_count_multiplies():
    prices, _ = load_prices("us-east-1")
    two = cost(estimate(PROD, prices), "read-only OMERO.servers")
    four = estimate(dataclasses.replace(PROD, server=dataclasses.replace(PROD.server, read_only_count=4)), prices)
    assert cost(four, "read-only OMERO.servers") == pytest.approx(2 * two)
    # 2 vCPU and 8 GB each, all month
    assert two == pytest.approx(2 * 730 * (2 * prices["fargate_vcpu_hour"] + 8 * prices["fargate_gb_hour"]))
    assert not [i for i in estimate(QUICK, load_prices("eu-west-1")[0]) if i.name.startswith("read-only")]


def test_web_is_a_range_from_min_to_max_tasks():
    prices, _ = load_prices("us-east-1")
    [vcpu] = items_named(estimate(PROD, prices), "OMERO.web: 3..9 x 2 vCPU")
    assert vcpu.cost == pytest.approx((3 * 2 * 730 * prices["fargate_vcpu_hour"], 9 * 2 * 730 * prices["fargate_vcpu_hour"]))


def test_totals_add_up():
    prices, _ = load_prices("us-east-1")
    items = estimate(PROD, prices)
    low, high = totals(items)
    assert low == pytest.approx(sum(i.cost[0] for i in items))
    assert high == pytest.approx(sum(i.cost[1] for i in items))
    assert high > low  # web autoscaling


def test_efs_tiers_follow_the_assumption():
    prices, _ = load_prices("us-east-1")
    items = estimate(PROD, prices, Assumptions(data_gb=2000, ia_percent=75))
    assert cost(items, "EFS Standard") == pytest.approx(500 * prices["efs_standard_gb_month"])
    assert cost(items, "EFS Infrequent Access") == pytest.approx(1500 * prices["efs_ia_gb_month"])


def test_unknown_instance_type_is_not_guessed():
    prices, _ = load_prices("us-east-1")
    cluster = dataclasses.replace(
        PROD.cluster, launch_type="ec2", ec2=dataclasses.replace(PROD.cluster.ec2, instance_type="x2idn.16xlarge")
    )
    items = estimate(dataclasses.replace(PROD, cluster=cluster), prices)
    [hosts] = items_named(items, "EC2 container instances x2idn.16xlarge")
    assert hosts.price is None and hosts.cost is None
    assert totals(items)[0] == pytest.approx(sum(i.cost[0] for i in items if i.cost))
    # on EC2 the servers are not Fargate tasks any more; OMERO.web still is
    assert not [i for i in items if "OMERO.server" in i.name]


def test_every_price_has_a_source_and_every_region_the_same_items():
    table = json.loads(PRICES.read_text())
    assert table["hours_per_month"] == HOURS and "2025" in table["taken"]
    keys = {frozenset(region) for region in table["regions"].values()}
    assert len(keys) == 1, "regions price different items"
    for key in next(iter(keys)):
        source = table["sources"][key]
        assert source["page"].startswith("https://aws.amazon.com/")
        assert source["price_list"].startswith("https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/")


def test_unknown_region_is_refused():
    with pytest.raises(ToolError, match="no prices for region ap-southeast-2"):
        load_prices("ap-southeast-2")


def run(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "OMERO_CONFIG"}
    return subprocess.run(
        [sys.executable, "-m", "tools.cost", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_command_prints_items_and_total():
    ran = run("--config", "examples/quickstart-http.hcl")
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.startswith("Monthly estimate for omero-quick in eu-west-1 (730 h/month)")
    assert "NAT gateway hours (1 x 730 h)" in ran.stdout and "$35.04" in ran.stdout  # 730 x 0.048
    assert ran.stdout.rstrip().splitlines()[-1].startswith("total $")


@pytest.mark.parametrize(
    "args, message",
    [
        (("--config", "examples/ec2-launch-type.hcl"), "error: no prices for region ap-southeast-2"),
        (("--config", "examples/quickstart-http.hcl", "--region", "mars-1"), "error: no prices for region mars-1"),
        (("--config", "no-such.hcl"), "error: no-such.hcl: file not found"),
        (("--config", "examples/quickstart-http.hcl", "--ia-percent", "120"), "error: --ia-percent 120: allowed: 0 to 100"),
    ],
)
def test_bad_input_is_one_line_and_status_2(args, message):
    ran = run(*args)
    assert ran.returncode == 2 and ran.stdout == ""
    assert ran.stderr.startswith(message) and ran.stderr.count("\n") == 1, ran.stderr


def test_addons_priced_when_enabled():
    prices, _ = load_prices("us-east-1")
    full = load(ROOT / "examples/full.hcl")
    groups = {item.group for item in estimate(full, prices)}
    assert {"add-on datasync", "add-on uploader", "add-on appstream", "add-on monitoring"} <= groups
    assert not {g for g in {i.group for i in estimate(PROD, prices)} if g.startswith("add-on")}


def test_backups_count_recovery_points_keys_and_copies():
    prices, _ = load_prices("us-east-1")
    assume = Assumptions(data_gb=2000)
    items = estimate(PROD, prices, assume)
    assert cost(items, "AWS Backup: EFS recovery points") == pytest.approx(2000 * prices["backup_efs_warm_gb_month"])
    assert cost(items, "AWS Backup: database snapshots") == pytest.approx(
        PROD.database.allocated_storage_gb * prices["backup_rds_snapshot_gb_month"]
    )
    assert cost(items, "KMS keys of the vaults") == pytest.approx(prices["kms_key_month"])
    assert not [i for i in items if i.name.startswith(("Copies in", "EFS automatic backups"))]
    # A copy region doubles the recovery points and adds a key there.
    copied = dataclasses.replace(PROD, backup=dataclasses.replace(PROD.backup, copy_region="us-west-2"))
    items = estimate(copied, prices, assume)
    assert cost(items, "KMS keys of the vaults") == pytest.approx(2 * prices["kms_key_month"])
    assert cost(items, "Copies in us-west-2") == pytest.approx(
        2000 * prices["backup_efs_warm_gb_month"] + PROD.database.allocated_storage_gb * prices["backup_rds_snapshot_gb_month"]
    )
    # Without a plan, EFS backs itself up: one warm copy, nothing else.
    plain = dataclasses.replace(PROD, backup=dataclasses.replace(PROD.backup, enabled=False))
    items = estimate(plain, prices, assume)
    assert not [i for i in items if i.group == "backup"]
    assert cost(items, "EFS automatic backups") == pytest.approx(2000 * prices["backup_efs_warm_gb_month"])


def with_endpoints(deployment, services):
    return dataclasses.replace(deployment, network=dataclasses.replace(deployment.network, interface_endpoints=services))


def test_interface_endpoints_cost_per_service_and_zone_and_save_their_nat_processing():
    prices, _ = load_prices("us-east-1")
    items = estimate(PROD, prices, Assumptions(endpoint_gb=40))  # production: on by default
    [hours] = items_named(items, "interface endpoints (5 services x 3 AZs")
    assert hours.cost[0] == pytest.approx(5 * 3 * 730 * prices["interface_endpoint_hour"])
    assert hours.cost[0] == pytest.approx(109.50)  # $7.30 per endpoint per zone
    assert cost(items, "interface endpoint data processed") == pytest.approx(40 * prices["interface_endpoint_gb"])
    # the same GB no longer pay NAT processing: a negative line, counted in the total
    assert cost(items, "NAT data processing the endpoints save") == pytest.approx(-40 * prices["nat_gateway_gb"])
    without = estimate(with_endpoints(PROD, ()), prices, Assumptions(endpoint_gb=40))
    assert not [i for i in without if "endpoint" in i.name]
    extra = totals(items)[0] - totals(without)[0]
    assert extra == pytest.approx(5 * 3 * 730 * 0.01 + 40 * (0.01 - 0.045))


def test_no_interface_endpoints_outside_production_unless_asked():
    prices, _ = load_prices("eu-west-1")
    assert not [i for i in estimate(QUICK, prices) if "endpoint" in i.name]
    items = estimate(with_endpoints(QUICK, ("ecr.api", "ecr.dkr")), prices)
    [hours] = items_named(items, "interface endpoints (2 services x 2 AZs")
    assert hours.cost[0] == pytest.approx(2 * 2 * 730 * prices["interface_endpoint_hour"])


def test_an_existing_vpcs_nat_is_not_ours_to_save_on():
    prices, _ = load_prices("us-east-1")
    shared = load(ROOT / "examples/existing-vpc.hcl")
    assert not [i for i in estimate(shared, prices) if "endpoint" in i.name]  # off by default there
    items = estimate(with_endpoints(shared, ("logs",)), prices)
    [hours] = items_named(items, "interface endpoints (1 services x 2 AZs")
    assert not [i for i in items if i.name.startswith("NAT data processing")]


def test_command_takes_the_endpoint_traffic_and_prints_the_saving():
    ran = run("--config", "examples/tls-rw-ro.hcl", "--endpoint-gb", "200")
    assert ran.returncode == 0, ran.stderr
    line = next(line for line in ran.stdout.splitlines() if "NAT data processing the endpoints save" in line)
    assert "200 GB x -$0.045" in line and "-$9.00" in line


def test_readme_gives_every_example_its_figure_from_the_tool():
    """The README's examples table states each example's monthly figure as `cost --examples` prices
    it, within a dollar, so the figures cannot drift from the model or the prices."""
    import re

    from tools.cost_model import example_figures

    readme = (ROOT / "README.md").read_text()
    rows = dict(re.findall(r"^\| `examples/([^`]+)` \|.*\| (\$[\d,]+(?:\.\.\$[\d,]+)?) \|$", readme, re.MULTILINE))
    figures = example_figures()
    assert set(rows) == set(figures), "every example has one row with a figure"
    for name, (low, high) in figures.items():
        stated = [float(part.replace(",", "")) for part in rows[name].replace("$", "").split("..")]
        assert abs(stated[0] - low) <= 1 and abs(stated[-1] - high) <= 1, (name, rows[name], low, high)


def test_examples_command_prints_the_readme_rows():
    ran = run("--examples")
    assert ran.returncode == 0, ran.stderr
    assert "`examples/lab.hcl` | $" in ran.stdout
    assert len(ran.stdout.splitlines()) == len(list((ROOT / "examples").glob("*.hcl")))


def test_lab_is_the_cheapest_example():
    """examples/lab.hcl is what a facility can try for the least money: cheaper than every other
    example at the same prices, with the choices that make it so."""
    from tools.cost_model import example_figures

    figures = example_figures()
    lab = figures.pop("lab.hcl")
    assert all(lab[1] < low for low, _ in figures.values()), figures
    deployment = load(ROOT / "examples/lab.hcl")
    assert deployment.network.nat_gateways == "single"
    assert not deployment.web.session_store.enabled
    assert deployment.cluster.container_insights == "enabled"  # not enhanced
    assert deployment.network.interface_endpoints == ()
    assert deployment.web.min_tasks == deployment.web.max_tasks == 2


def test_the_gateway_root_volume_priced_is_the_one_the_module_makes():
    """The appliance's root disk is no config key: the model prices the module's own size."""
    from modules.addons.file_gateway import ROOT_VOLUME_GB
    from tools.cost_model import GATEWAY_ROOT_VOLUME_GB

    assert GATEWAY_ROOT_VOLUME_GB == ROOT_VOLUME_GB
