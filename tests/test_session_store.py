"""OMERO.web's shared session store (web.session_store), read from the synthesized JSON."""

from __future__ import annotations

import pytest

from config import loads
from modules.omero_config import config_variable
from modules.session_store import CACHE_BACKEND, PORT, SESSION_ENGINE
from tests.harness.synth import one, synthesize
from tests.test_services import container, environment, policy_statements

EXAMPLES = ["quickstart-http", "tls-rw", "tls-rw-ro", "tls-rw-nlb", "ec2-launch-type", "existing-vpc"]


def store(synth) -> dict:
    return one(synth.resources("services", "aws_elasticache_replication_group"))


def rules(synth, kind: str) -> list[dict]:
    return list(synth.resources("services", f"aws_vpc_security_group_{kind}_rule").values())


def group_ref(synth, name_suffix: str) -> str:
    [(key, _)] = [(k, g) for k, g in synth.resources("services", "aws_security_group").items() if g["name"].endswith(name_suffix)]
    return f"${{aws_security_group.{key}.id}}"


@pytest.mark.parametrize("example", EXAMPLES)
def test_store_is_encrypted_private_and_shared_by_every_web_task(examples, example):
    synth = examples[example]
    group = store(synth)
    assert group["engine"] == "valkey" and group["port"] == PORT
    assert group["at_rest_encryption_enabled"] == "true" and group["transit_encryption_enabled"] is True
    # a primary and one replica in another zone, with automatic failover (checkov CKV2_AWS_50)
    assert group["num_cache_clusters"] == 2
    assert group["automatic_failover_enabled"] is True and group["multi_az_enabled"] is True
    [token] = synth.data("services", "aws_secretsmanager_secret_version").keys()
    assert group["auth_token"] == f"${{data.aws_secretsmanager_secret_version.{token}.secret_string}}"
    assert len(group["replication_group_id"]) <= 40  # CreateReplicationGroup's limit
    subnets = one(synth.resources("services", "aws_elasticache_subnet_group"))
    assert (
        subnets["subnet_ids"]
        == synth.stack("services")["resource"]["aws_ecs_service"]["web_service_10983F6A"]["network_configuration"]["subnets"]
    )


@pytest.mark.parametrize("example", EXAMPLES)
def test_only_omero_web_reaches_the_store(examples, example):
    synth = examples[example]
    sessions, web = group_ref(synth, "-omero-sessions"), group_ref(synth, "-omero-web")
    assert store(synth)["security_group_ids"] == [sessions]
    ingress = [r for r in rules(synth, "ingress") if r["security_group_id"] == sessions]
    assert [(r["referenced_security_group_id"], r["from_port"], r["to_port"]) for r in ingress] == [(web, PORT, PORT)]
    assert not any(r.get("cidr_ipv4") for r in ingress)
    egress = [r for r in rules(synth, "egress") if r["security_group_id"] == sessions]
    assert egress == []  # the store opens no connections
    to_store = [r for r in rules(synth, "egress") if r.get("referenced_security_group_id") == sessions]
    assert [r["security_group_id"] for r in to_store] == [web]


@pytest.mark.parametrize("example", EXAMPLES)
def test_web_reads_its_cache_settings_through_ecs_secrets(examples, example):
    synth = examples[example]
    web = container(synth, "-omero-web")
    assert environment(web)[config_variable("omero.web.session_engine")] == SESSION_ENGINE
    assert config_variable("omero.web.caches") not in environment(web)
    secrets = {s["name"]: s["valueFrom"] for s in web["secrets"]}
    [(caches_key, _)] = [(k, s) for k, s in synth.resources("services", "aws_secretsmanager_secret").items() if "caches" in k]
    assert secrets[config_variable("omero.web.caches")] == f"${{aws_secretsmanager_secret.{caches_key}.arn}}"
    [value] = [v for k, v in synth.resources("services", "aws_secretsmanager_secret_version").items() if "caches" in k]
    assert CACHE_BACKEND in value["secret_string"] and "rediss://:" in value["secret_string"]
    # the execution role may read that secret (and nothing reads the token but Terraform)
    readable = [
        r for s in policy_statements(synth, "web") if "secretsmanager:GetSecretValue" in s["actions"] for r in s["resources"]
    ]
    assert f"${{aws_secretsmanager_secret.{caches_key}.arn}}" in readable
    assert not any("sessions_token" in r for r in readable)


@pytest.fixture(scope="module")
def single_node(tmp_path_factory):
    deployment = loads('name = "omero-one"\nweb {\n  session_store { replicas = 0 }\n}\n', "one-node.hcl")
    return synthesize(deployment, tmp_path_factory.mktemp("one-node") / "cdktf.out")


def test_no_replica_is_one_node_without_failover(single_node):
    group = store(single_node)
    # AWS refuses automatic failover and Multi-AZ without a replica (CreateReplicationGroup)
    assert group["num_cache_clusters"] == 1
    assert group["automatic_failover_enabled"] is False and group["multi_az_enabled"] is False


@pytest.fixture(scope="module")
def without_store(tmp_path_factory):
    deployment = loads('name = "omero-local"\nweb {\n  session_store { enabled = false }\n}\n', "local-sessions.hcl")
    return synthesize(deployment, tmp_path_factory.mktemp("local-sessions") / "cdktf.out")


def test_store_off_keeps_sessions_on_each_task(without_store):
    assert without_store.resources("services", "aws_elasticache_replication_group") == {}
    web = container(without_store, "-omero-web")
    assert config_variable("omero.web.session_engine") not in environment(web)
    assert [s["name"] for s in web["secrets"]] == [config_variable("omero.web.secret_key")]
    assert not any(
        g["name"].endswith("-omero-sessions") for g in without_store.resources("services", "aws_security_group").values()
    )
    assert "session_store_endpoint" not in without_store.stack("services")["output"]
