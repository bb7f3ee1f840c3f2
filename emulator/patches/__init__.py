"""The emulator's patches to moto, one module per AWS service.

Each patch is declared once, beside its code, with ``@patch(name, description)`` on the function
that applies it: the description says what stock moto gets wrong and what the patch does, with its
sources. ``EMULATOR_PATCHES`` (name -> description) is generated from those declarations.

Every change a patch makes to moto goes through a ``Patcher``, which records what it replaced, so
``Patcher.undo()`` (or ``with applied(...)``) restores stock moto exactly; the tests rely on it.
The patches were written against one moto version, ``MOTO_VERSION``: applying them to another
raises ``MotoVersionError`` (tests/test_emulator_patches*.py show which patches are still needed).

Nothing here imports moto until a patch is applied, so the version check comes first.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from typing import Any

MOTO_VERSION = "5.2.5"  # the moto every patch was written against and is tested on


class MotoVersionError(RuntimeError):
    """The installed moto is not the version the patches were written against."""


def installed_moto_version() -> str:
    return metadata.version("moto")


def check_moto_version() -> None:
    installed = installed_moto_version()
    if installed != MOTO_VERSION:
        raise MotoVersionError(
            f"the emulator's patches were written against moto {MOTO_VERSION}, but moto {installed} is "
            f"installed. Run the per-patch tests (tests/test_emulator_patches*.py, "
            f"tests/test_emulator_elasticache.py): each patch's stock-moto test fails once moto "
            f"{installed} closes that gap, so that patch can go, and its patched tests show whether the "
            f"others still apply; then set MOTO_VERSION in emulator/patches/__init__.py to {installed}."
        )


MISSING = object()  # what a change found when the attribute or entry was not there


@dataclass(frozen=True)
class Change:
    """One change a patch made: ``target.key`` (an attribute of a class or module) or
    ``target[key]`` (an entry of a mapping) was ``original``."""

    target: Any
    key: Any
    original: Any
    item: bool

    def current(self) -> Any:
        if self.item:
            return self.target[self.key] if self.key in self.target else MISSING
        return vars(self.target).get(self.key, MISSING)

    def restore(self) -> None:
        if self.item and self.original is MISSING:
            del self.target[self.key]
        elif self.item:
            self.target[self.key] = self.original
        elif self.original is MISSING:
            delattr(self.target, self.key)
        else:
            setattr(self.target, self.key, self.original)


class Patcher:
    """Makes the patches' changes to moto and remembers what each replaced, so ``undo`` restores it."""

    def __init__(self) -> None:
        self.changes: list[Change] = []

    def setattr(self, target: Any, name: str, value: Any) -> None:
        """``target.name = value``: a class's own attribute, or a module's."""
        self.changes.append(Change(target, name, vars(target).get(name, MISSING), item=False))
        setattr(target, name, value)

    def setitem(self, mapping: MutableMapping, key: Any, value: Any) -> None:
        """``mapping[key] = value``."""
        self.changes.append(Change(mapping, key, mapping[key] if key in mapping else MISSING, item=True))
        mapping[key] = value

    def setdefault(self, mapping: MutableMapping, key: Any, value: Any) -> None:
        """``mapping.setdefault(key, value)``: an entry already there is left alone."""
        if key not in mapping:
            self.setitem(mapping, key, value)

    def undo(self) -> None:
        """Restore everything changed through this patcher, the latest change first."""
        while self.changes:
            self.changes.pop().restore()


@dataclass(frozen=True)
class Patch:
    name: str
    description: str
    apply: Callable[[Patcher], None]


_DECLARED: dict[str, Patch] = {}


def patch(name: str, description: str) -> Callable[[Callable[[Patcher], None]], Callable[[Patcher], None]]:
    """Declare the decorated function (taking a ``Patcher``) as the patch ``name``."""

    def declare(apply: Callable[[Patcher], None]) -> Callable[[Patcher], None]:
        if name in _DECLARED:
            raise ValueError(f"emulator patch {name!r} is declared twice")
        _DECLARED[name] = Patch(name, description, apply)
        return apply

    return declare


# Each module declares its patches when it is imported.
_MODULES = (
    "application_autoscaling",
    "appstream",
    "backup",
    "datasync",
    "ec2",
    "ecr",
    "ecs",
    "efs",
    "elasticache",
    "rds",
    "route53",
    "s3",
    "storage_gateway",
)
for _module in _MODULES:
    importlib.import_module(f"{__name__}.{_module}")

# The order the patches are listed and applied in (the order they were added).
_ORDER = (
    "s3 bucket policy conditions",
    "efs throughput updates",
    "efs backup policy",
    "application autoscaling tags",
    "security group rule descriptions",
    "ecs service capacity provider strategy",
    "ecs service settings",
    "launch template tags",
    "datasync efs locations, tags and task settings",
    "ec2 detailed monitoring",
    "ec2 instances launched with a network interface spec",
    "ec2 instance maintenance options",
    "backup selections, vault notifications and vault access policies",
    "backup jobs, recovery points, copies and restores",
    "rds instance resource ids",
    "rds instance and parameter settings",
    "storage gateway appliance image",
    "storage gateway",
    "appstream",
    "elasticache replication group members",
    "ecr pull-through cache rules",
    "route53 create of an existing record",
)
if sorted(_ORDER) != sorted(_DECLARED):
    raise RuntimeError(f"emulator patches declared {sorted(_DECLARED)} but ordered {sorted(_ORDER)}")

PATCHES: tuple[Patch, ...] = tuple(_DECLARED[name] for name in _ORDER)
EMULATOR_PATCHES: dict[str, str] = {p.name: p.description for p in PATCHES}


def apply(names: Iterable[str] | None = None, patcher: Patcher | None = None) -> Patcher:
    """Apply the named patches (every one by default), in their order, after checking moto's
    version; the returned patcher undoes them."""
    wanted = set(EMULATOR_PATCHES if names is None else names)
    unknown = wanted - set(EMULATOR_PATCHES)
    if unknown:
        raise KeyError(f"no emulator patch named {sorted(unknown)}")
    check_moto_version()
    patcher = Patcher() if patcher is None else patcher
    for declared in PATCHES:
        if declared.name in wanted:
            declared.apply(patcher)
    return patcher


@contextmanager
def applied(*names: str) -> Iterator[Patcher]:
    """The named patches (every one if none is named) applied inside the block, stock moto after."""
    patcher = Patcher()
    try:
        apply(names or None, patcher)
        yield patcher
    finally:
        patcher.undo()
