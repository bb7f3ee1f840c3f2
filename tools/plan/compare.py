"""Compare the plan reviewed in a pull request with a fresh plan, before applying the fresh one.

    python -m tools.plan.compare REVIEWED.plan.json FRESH.plan.json

Both files are ``terraform show -json`` of a plan of the same stack. They agree when they change
the same resources with the same actions and the same values after the change; a value the
reviewed plan showed as "known after apply" may be anything now (the stack it comes from may have
been applied in between). Differing attributes are named, their values never printed.
The deploy workflow applies a stack only when they agree: anything else is a change nobody
reviewed (the state moved, or the code did).

Exit status: 0 the same changes, 1 they differ (each difference on its own line), 2 bad input.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tools.plan.report import UNKNOWN, covered, marked_paths
from tools.synthesized import flatten


def planned_changes(plan: dict) -> dict[str, dict[str, Any]]:
    """Each changed managed resource: its actions and its known values after the change."""
    found = {}
    for entry in plan.get("resource_changes") or []:
        actions = entry["change"].get("actions") or []
        if entry.get("mode") != "managed" or actions in (["no-op"], ["read"]):
            continue
        unknown = marked_paths(entry["change"].get("after_unknown"))
        after = {
            path: (UNKNOWN if covered(path, unknown) else value)
            for path, (value, _) in flatten(entry["change"].get("after") or {}).items()
        }
        found[entry["address"]] = {"actions": actions, "after": after}
    return found


def differences(reviewed: dict, fresh: dict) -> list[str]:
    """What the fresh plan does that the reviewed one did not (and the reverse), one line each."""
    old, new = planned_changes(reviewed), planned_changes(fresh)
    lines = [f"{a}: planned now ({'/'.join(new[a]['actions'])}), not in the reviewed plan" for a in sorted(set(new) - set(old))]
    lines += [f"{a}: in the reviewed plan ({'/'.join(old[a]['actions'])}), not planned now" for a in sorted(set(old) - set(new))]
    for address in sorted(set(old) & set(new)):
        if old[address]["actions"] != new[address]["actions"]:
            lines.append(f"{address}: reviewed {'/'.join(old[address]['actions'])}, now {'/'.join(new[address]['actions'])}")
            continue
        # A value the reviewer saw as known only at apply may be known now (an upstream stack of
        # the same deploy was applied first); any other value must be the reviewed one.
        reviewed_after, fresh_after = old[address]["after"], new[address]["after"]
        unknown = {p for p, v in reviewed_after.items() if v == UNKNOWN}
        changed = sorted(
            p
            for p in set(reviewed_after) | set(fresh_after)
            if reviewed_after.get(p) != fresh_after.get(p) and not covered(p, unknown)
        )
        if changed:
            lines.append(f"{address}: other values than reviewed for {', '.join(changed)}")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2:
        print("error: usage: python -m tools.plan.compare REVIEWED.plan.json FRESH.plan.json", file=sys.stderr)
        return 2
    try:
        reviewed, fresh = (json.loads(Path(a).read_text()) for a in args)
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    found = differences(reviewed, fresh)
    for line in found:
        print(line)
    if not found:
        print("the fresh plan makes the reviewed changes")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
