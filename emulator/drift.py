"""What moto does not store, so that a second plan on the emulator re-applies it.

``unexpected_changes`` reads a plan (``terraform show -json``) and names every change beyond
exactly these attributes; rehearse, the rehearsed plan review and the tests use it.
"""

from __future__ import annotations

# Where the emulator falls short, moto itself is patched in emulator.patches (EMULATOR_PATCHES lists
# each patch and why); nothing in the product is bent for it.
# Attributes the emulator does not store, so that a second plan there re-applies them forever: each
# type's attributes listed here are allowed in a second plan, exactly these and nothing else. With
# moto 5.2.5 and the patches there are none (the RDS and ECS settings moto drops are patched: every
# stack's second plan is empty); an entry belongs here only for a gap no patch can close.
EMULATOR_DRIFT: dict[str, set[str]] = {}


def unexpected_changes(plan: dict) -> list[str]:
    """Changes in a plan beyond the attributes listed in EMULATOR_DRIFT."""
    found = []
    for change in plan.get("resource_changes", []):
        actions = change["change"]["actions"]
        if actions in (["no-op"], ["read"]):
            continue
        before, after = change["change"]["before"] or {}, change["change"]["after"] or {}
        changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
        allowed = EMULATOR_DRIFT.get(change["type"], set())
        if actions != ["update"] or not changed <= allowed:
            found.append(f"{change['address']} {actions} {sorted(changed - allowed)}")
    return found
