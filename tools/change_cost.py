"""The monthly cost of a change, for the synthesized diff and the plan report: the cost model
(:mod:`tools.cost_model`: the same charges, prices and default assumptions as ``pipenv run cost``)
of the deployment before and after."""

from __future__ import annotations

from tools.common import ToolError
from tools.cost_model import estimate, load_prices, totals


def monthly(deployment) -> tuple[float, float] | str:
    """The (low, high) monthly total of ``deployment`` at its region's prices, or why there is none."""
    try:
        prices, _ = load_prices(deployment.region)
    except ToolError:
        return f"{deployment.region} is not priced in tools/prices.json"
    return totals(estimate(deployment, prices))


def _money(low: float, high: float, *, sign: bool = False) -> str:
    def one(value: float) -> str:
        text = f"${abs(value):,.0f}"
        return ("-" if value < 0 else "+" if sign else "") + text

    return one(low) if round(low) == round(high) else f"{one(low)}..{one(high)}"


def cost_after_line(after) -> str:
    """One line when only the planned deployment is known: its monthly estimate."""
    new = monthly(after)
    if isinstance(new, str):
        return f"monthly estimate unavailable: {new}"
    return f"monthly estimate {_money(*new)} once applied (tools/cost.py's model; the cost before: plan --cost-base REV)"


def cost_line(before, after) -> str:
    """One line: the monthly estimate before → after and the difference (``before`` None: a new
    deployment; ``after`` None: removed)."""
    old = monthly(before) if before is not None else (0.0, 0.0)
    new = monthly(after) if after is not None else (0.0, 0.0)
    if isinstance(old, str) or isinstance(new, str):
        return f"monthly estimate unavailable: {old if isinstance(old, str) else new}"
    delta = (new[0] - old[0], new[1] - old[1])
    change = "no change" if round(delta[0]) == round(delta[1]) == 0 else f"{_money(*delta, sign=True)} a month"
    return (
        f"monthly estimate {_money(*old)} → {_money(*new)} ({change}; tools/cost.py's model at default "
        "assumptions: pipenv run cost)"
    )
