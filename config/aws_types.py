"""What AWS offers, from config/aws_types.json: EC2 instance types, RDS for PostgreSQL DB instance
classes and ElastiCache node types. The file names its sources and date; ``pipenv run catalog``
(tools/catalog.py) regenerates it."""

from __future__ import annotations

import functools
import json
from pathlib import Path

CATALOG = Path(__file__).with_name("aws_types.json")


@functools.cache
def _catalog() -> dict:
    return json.loads(CATALOG.read_text())


def _names(kind: str) -> frozenset[str]:
    return frozenset(f"{family}.{size}" for family, sizes in _catalog()[kind].items() for size in sizes)


@functools.cache
def ec2_instance_types() -> frozenset[str]:
    return _names("ec2_instance_types")


@functools.cache
def rds_postgres_instance_classes() -> frozenset[str]:
    return _names("rds_postgres_instance_classes")


@functools.cache
def elasticache_node_types() -> frozenset[str]:
    return _names("elasticache_node_types")


def generated() -> str:
    """The date the catalog was made (YYYY-MM-DD)."""
    return str(_catalog()["generated"])
