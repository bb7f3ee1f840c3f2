"""OMERO.server tuned for production: its database pools within what the RDS class allows, and
its JVMs sized from the whole task (config/db_pool.py, modules/omero_server.py)."""

from __future__ import annotations

import pytest

from config import ConfigError, loads
from config.db_pool import (
    DEFAULT_POOL,
    HEADROOM,
    JAVA_SERVICES,
    MAX_CONNECTIONS_CAP,
    MAX_CONNECTIONS_DIVISOR,
    USABLE_SHARE,
    class_memory_gib,
    max_connections,
    pool_limit,
    pool_size,
)
from tests.test_services import container, environment


def deployment(text: str = ""):
    return loads('name = "omero-test"\n' + text)


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        deployment(text)
    return caught.value.lines


@pytest.mark.parametrize(
    "instance_class, gib",
    [("db.t4g.micro", 1), ("db.t4g.medium", 4), ("db.m7g.large", 8), ("db.r6i.2xlarge", 64), ("db.m5.24xlarge", 384)],
)
def test_max_connections_follows_rds_formula(instance_class, gib):
    """LEAST({DBInstanceClassMemory/9531392}, 5000), with DBInstanceClassMemory estimated low."""
    assert class_memory_gib(instance_class) == gib
    expected = min(int(gib * 2**30 * USABLE_SHARE) // MAX_CONNECTIONS_DIVISOR, MAX_CONNECTIONS_CAP)
    assert max_connections(instance_class) == expected
    assert expected <= gib * 2**30 // MAX_CONNECTIONS_DIVISOR  # never more than the whole class allows


def test_unknown_classes_are_not_bounded():
    assert class_memory_gib("db.x2g.large") is None and max_connections("db.x2g.large") is None
    assert pool_size(deployment('database { instance_class = "db.x2g.large" }')) == DEFAULT_POOL


@pytest.mark.parametrize("read_only_count", [0, 1, 2, 5, 10])
@pytest.mark.parametrize("instance_class", ["db.t4g.medium", "db.m7g.large", "db.r7g.xlarge"])
def test_the_default_pool_fits_the_database(instance_class, read_only_count):
    text = f'database {{ instance_class = "{instance_class}" }}\nserver {{ read_only_count = {read_only_count} }}'
    if pool_limit(instance_class, 1 + read_only_count) < 10:  # OMERO's own default would not fit
        assert any(line.startswith("database.instance_class:") for line in problems(text))
        return
    pool = pool_size(deployment(text))
    assert 10 <= pool <= DEFAULT_POOL
    assert (1 + read_only_count) * JAVA_SERVICES * pool + HEADROOM <= max_connections(instance_class)


def test_a_larger_class_gets_the_full_default():
    assert pool_size(deployment()) == DEFAULT_POOL  # one server on the default db.t4g.medium
    small = deployment("server { read_only_count = 2 }")  # three servers on it
    assert pool_size(small) < DEFAULT_POOL


@pytest.mark.parametrize(
    "text, key, fragment",
    [
        ("server { db_pool_size = 200 }", "server.db_pool_size", "at most"),
        ("server { db_pool_size = 5 }", "server.db_pool_size", "from 10 to 1000"),
        ("server {\n read_only_count = 10\n db_pool_size = 20 }", "server.db_pool_size", "or a larger database.instance_class"),
        (
            'database { instance_class = "db.t4g.micro" }\nserver { read_only_count = 2 }',
            "database.instance_class",
            "fewer than 10",
        ),
        ('server { properties = { "omero.db.poolsize" = "25" } }', "server.properties", "set by this project"),
        ('server { properties = { "omero.jvmcfg.max_system_memory" = "9000" } }', "server.properties", "set by this project"),
    ],
)
def test_pools_the_database_cannot_hold_are_refused(text, key, fragment):
    lines = [line for line in problems(text) if line.startswith((f"{key}:", f"{key} ="))]
    assert any(fragment in line for line in lines), lines


def test_pools_and_memory_reach_every_server(examples):
    quickstart = environment(container(examples["quickstart-http"], "-omero-server"))
    assert quickstart["CONFIG_omero_db_poolsize"] == str(DEFAULT_POOL)
    synth = examples["tls-rw-ro"]
    for family, memory in [("-omero-server", 16384), ("-omero-server-ro-1", 8192)]:
        env = environment(container(synth, family))
        assert env["CONFIG_omero_db_poolsize"] == str(pool_size(synth.deployment))
        # the JVMs take their shares of the whole task, not of at most 48000 MB (OMERO's default cap)
        assert env["CONFIG_omero_jvmcfg_system__memory"] == env["CONFIG_omero_jvmcfg_max__system__memory"] == str(memory)
