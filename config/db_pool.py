"""How many PostgreSQL connections the OMERO.servers may hold, and how many the database allows.

OMERO's ``omero.db.poolsize`` (default 10) is "the most important property to modify" for
production: "plan for allowing a few connections per concurrent user" (ome/omero-documentation
sysadmins/server-performance.rst). Each Java service of a server has a pool of its own that size:
Blitz, the Indexer and PixelData each load ``ome/services/datalayer.xml``, whose data source has
``maxPoolSize = ${omero.db.poolsize}`` (ome/omero-server src/main/resources/beanRefContext.xml
and ome/services/datalayer.xml). So a deployment may open up to servers x 3 x pool connections.

RDS for PostgreSQL allows ``max_connections = LEAST({DBInstanceClassMemory/9531392}, 5000)`` by
default (AWS Prescriptive Guidance, "Tuning PostgreSQL parameters", max_connections; this project
leaves the parameter at its default). DBInstanceClassMemory is the class's memory less what RDS
keeps for the operating system and its own processes (Amazon RDS User Guide, "DB parameter
formula variables"), a share AWS does not publish: the estimate here counts ``USABLE_SHARE`` of
the class's memory, below what RDS reports for the small classes, so the bound errs on the safe
side. Memory by class: Amazon RDS User Guide, "Hardware specifications for DB instance classes".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from config.fields import Problem

if TYPE_CHECKING:
    from config.schema import Deployment

DEFAULT_POOL = 50  # per Java service; OMERO's own default is 10
OMERO_DEFAULT_POOL = 10
JAVA_SERVICES = 3  # Blitz, Indexer, PixelData: a pool each
# Connections that are not the servers' pools: PostgreSQL's superuser_reserved_connections (3),
# RDS's rds.rds_superuser_reserved_connections (2), the start scripts' psql (schema wait, read-only
# role), omego's upgrade and an administrator's session.
HEADROOM = 15
MAX_CONNECTIONS_DIVISOR = 9531392  # bytes of DBInstanceClassMemory per connection
MAX_CONNECTIONS_CAP = 5000
USABLE_SHARE = 0.7

_SIZE_VCPUS = {
    "large": 2,
    "xlarge": 4,
    "2xlarge": 8,
    "4xlarge": 16,
    "8xlarge": 32,
    "12xlarge": 48,
    "16xlarge": 64,
    "24xlarge": 96,
}
_BURSTABLE_GIB = {"micro": 1, "small": 2, "medium": 4, "large": 8, "xlarge": 16, "2xlarge": 32}
_GIB_PER_VCPU = {
    **{family: 4 for family in ("m5", "m5d", "m6g", "m6gd", "m6i", "m6id", "m7g", "m7i", "m8g")},
    **{family: 8 for family in ("r5", "r5d", "r6g", "r6gd", "r6i", "r6id", "r7g", "r7i", "r8g")},
}


def class_memory_gib(instance_class: str) -> int | None:
    """The memory of an RDS class (GiB), for the burstable, general purpose and memory-optimised
    families above; None for any other."""
    _, family, size = (instance_class.split(".") + ["", ""])[:3]
    if family in ("t3", "t4g"):
        return _BURSTABLE_GIB.get(size)
    if family in _GIB_PER_VCPU and size in _SIZE_VCPUS:
        return _GIB_PER_VCPU[family] * _SIZE_VCPUS[size]
    return None


def max_connections(instance_class: str) -> int | None:
    """RDS's default max_connections for the class (estimated; see the module's docstring)."""
    memory = class_memory_gib(instance_class)
    if memory is None:
        return None
    return min(int(memory * 2**30 * USABLE_SHARE) // MAX_CONNECTIONS_DIVISOR, MAX_CONNECTIONS_CAP)


def pool_limit(instance_class: str, servers: int) -> int | None:
    """The largest omero.db.poolsize ``servers`` OMERO.servers may have on the class; None when the
    class's memory is not known here."""
    allowed = max_connections(instance_class)
    if allowed is None:
        return None
    return (allowed - HEADROOM) // (servers * JAVA_SERVICES)


def servers(deployment: Deployment) -> int:
    return 1 + deployment.server.read_only_count


def pool_size(deployment: Deployment) -> int:
    """``server.db_pool_size``, or DEFAULT_POOL, or less when the database class allows fewer."""
    if deployment.server.db_pool_size is not None:
        return deployment.server.db_pool_size
    limit = pool_limit(deployment.database.instance_class, servers(deployment))
    return DEFAULT_POOL if limit is None else max(min(DEFAULT_POOL, limit), OMERO_DEFAULT_POOL)


def pool_problems(deployment: Deployment) -> Iterator[Problem]:
    """The servers' pools, with headroom, must fit the database's default max_connections."""
    instance_class = deployment.database.instance_class
    count = servers(deployment)
    limit = pool_limit(instance_class, count)
    if limit is None:
        return
    explain = f"{count} server(s) x {JAVA_SERVICES} services x the pool + {HEADROOM} within about {max_connections(instance_class)} connections"
    given = deployment.server.db_pool_size
    if given is not None and given > limit:
        yield Problem(
            "server.db_pool_size", given, f"at most {limit} on {instance_class} ({explain}); or a larger database.instance_class"
        )
    elif given is None and limit < OMERO_DEFAULT_POOL:
        yield Problem(
            "database.instance_class",
            instance_class,
            "",
            text=f'"{instance_class}" allows fewer than {OMERO_DEFAULT_POOL} connections a pool ({explain}): '
            "choose a larger class or fewer read-only servers",
        )
