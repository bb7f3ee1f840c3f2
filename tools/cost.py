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
from pathlib import Path
from typing import Any

from config import ConfigError, config_path
from tools.common import Parser, ToolError
from tools.cost_model import (
    EXAMPLES_REGION,
    HOURS,
    Assumptions,
    Charge,
    estimate,
    example_figures,
    load_prices,
    totals,
    whole_dollars,
)
from tools.deployment import load_deployment


def _money(low: float, high: float) -> str:
    def one(value: float) -> str:
        return f"-${-value:,.2f}" if value < 0 else f"${value:,.2f}"

    return one(low) if round(low, 2) == round(high, 2) else f"{one(low)}..{one(high)}"


def render(deployment, region: str, items: Sequence[Charge], table: dict[str, Any]) -> str:
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


def render_examples(region: str = EXAMPLES_REGION) -> str:
    """The README's monthly figure of each example, one "`examples/<file>` | <figure>" line each."""
    return "\n".join(f"`examples/{name}` | {whole_dollars(*total)}" for name, total in example_figures(region).items())


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    defaults = Assumptions()
    parser = Parser(prog="pipenv run cost", description=__doc__.split("\n\n")[0])
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
    if options.examples:
        try:
            print(render_examples(options.region or EXAMPLES_REGION))
        except (ToolError, ConfigError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        return 0

    path = options.config or config_path(os.environ)
    try:
        deployment = load_deployment(path)
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
