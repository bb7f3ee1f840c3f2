"""The catalog of what AWS offers (config/aws_types.json), the command that regenerates it
(tools/catalog.py), and the keys checked against it."""

from __future__ import annotations

import datetime
import json
import textwrap
from pathlib import Path

import pytest

from config import ConfigError, aws_types, load, loads
from config.instances import CONTAINER_INSTANCE_TYPES
from config.services import SESSION_NODE_TYPES
from tools import catalog

ROOT = Path(__file__).resolve().parents[1]


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        loads('name = "omero-test"\n' + textwrap.dedent(text), "test.hcl")
    return caught.value.lines


@pytest.mark.parametrize(
    "text, key, suggestion",
    [
        ('database { instance_class = "db.t4g.mediun" }', "database.instance_class", "db.t4g.medium"),
        ('database { instance_class = "db.m7g.larg" }', "database.instance_class", "db.m7g.large"),
        ('uploader {\n enabled = true\n instance_type = "m6i.larg"\n}', "uploader.instance_type", "m6i.large"),
        ('cluster {\n launch_type = "ec2"\n ec2 { instance_type = "m6i.xlarg" }\n}', "cluster.ec2.instance_type", "m6i.xlarge"),
        ('file_gateway { instance_type = "m5.2xlarg" }', "file_gateway.instance_type", "m5.2xlarge"),
        ('web {\n session_store { node_type = "cache.t4g.mirco" }\n}', "web.session_store.node_type", "cache.t4g.micro"),
    ],
)
def test_a_near_miss_is_refused_with_what_was_meant(text, key, suggestion):
    named = [line for line in problems(text) if line.startswith(f"{key} =")]
    assert named and named[0].endswith(f'; did you mean "{suggestion}"?'), named


@pytest.mark.parametrize(
    "text, key, says",
    [
        # the right shape, but no such class (or not for PostgreSQL: SQL Server's db.x1e)
        ('database { instance_class = "db.q9.large" }', "database.instance_class", "RDS for PostgreSQL DB instance class"),
        ('database { instance_class = "db.x1e.xlarge" }', "database.instance_class", "RDS for PostgreSQL DB instance class"),
        (
            'uploader {\n enabled = true\n instance_type = "m6i.huge"\n}',
            "uploader.instance_type",
            "an EC2 instance type AWS offers",
        ),
        ('file_gateway { instance_type = "q9.8xlarge" }', "file_gateway.instance_type", "an EC2 instance type AWS offers"),
    ],
)
def test_a_type_aws_does_not_offer_is_refused(text, key, says):
    named = [line for line in problems(text) if line.startswith(f"{key} =")]
    assert named and says in named[0], named
    assert f"(config/aws_types.json of {aws_types.generated()})" in named[0]


def test_every_type_the_project_names_is_in_the_catalog():
    assert set(CONTAINER_INSTANCE_TYPES) <= aws_types.ec2_instance_types()
    assert set(SESSION_NODE_TYPES) <= aws_types.elasticache_node_types()
    for path in sorted((ROOT / "examples").glob("*.hcl")):
        deployment = load(path)
        assert deployment.database.instance_class in aws_types.rds_postgres_instance_classes()
        for value in (
            deployment.cluster.ec2.instance_type,
            deployment.uploader.instance_type,
            deployment.file_gateway.instance_type,
        ):
            assert value in aws_types.ec2_instance_types(), (path.name, value)


def test_the_catalog_names_its_sources_and_date():
    data = json.loads(aws_types.CATALOG.read_text())
    datetime.date.fromisoformat(data["generated"])
    assert set(data["sources"]) == {"ec2_instance_types", "rds_postgres_instance_classes", "elasticache_node_types"}
    assert all(kind in data and data[kind] for kind in data["sources"])
    assert "botocore" in data["sources"]["ec2_instance_types"]
    assert "AWS Price List API" in data["sources"]["rds_postgres_instance_classes"]


def test_the_ec2_types_are_those_of_the_installed_botocore():
    """Regenerating the EC2 part needs no network: it must match what is committed (a botocore
    upgrade without ``pipenv run catalog`` fails here)."""
    names, source = catalog.ec2_instance_types()
    assert aws_types.ec2_instance_types() == frozenset(names)
    assert json.loads(aws_types.CATALOG.read_text())["sources"]["ec2_instance_types"] == source


# cfn-lint's pricing data, in the shape its scripts/update_specs_from_pricing.py writes it.
RDS_PRICING = {
    "description": "Automatically updated using pricing API",
    "eu-west-1": {
        "allOf": [
            {
                "if": {"properties": {"Engine": {"const": "postgres"}, "LicenseModel": False}},
                "then": {"properties": {"DBInstanceClass": {"enum": ["db.m7g.large", "db.t4g.medium"]}}},
            },
            {
                "if": {"properties": {"Engine": {"const": "sqlserver-ee"}}},
                "then": {"properties": {"DBInstanceClass": {"enum": ["db.x1e.xlarge"]}}},
            },
        ]
    },
    "us-east-1": {
        "allOf": [
            {
                "if": {"properties": {"Engine": {"const": "postgres"}}},
                "then": {"properties": {"DBInstanceClass": {"enum": ["db.r8g.large", "db.t4g.medium"]}}},
            }
        ]
    },
}
CACHE_PRICING = {"eu-west-1": {"enum": ["cache.t4g.micro"]}, "us-east-1": {"enum": ["cache.r7g.large", "cache.t4g.micro"]}}


def test_regenerating_from_a_local_cfn_lint_copy(tmp_path):
    source = tmp_path / "cfn-lint"
    for kind, data in (("rds", RDS_PRICING), ("elasticache", CACHE_PRICING)):
        path = source / catalog.CFN_LINT_FILES[kind]
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(data))
    output = tmp_path / "aws_types.json"

    assert catalog.main(["--cfn-lint", str(source), "--output", str(output)]) == 0

    written = json.loads(output.read_text())
    assert written["rds_postgres_instance_classes"] == {"db.m7g": ["large"], "db.r8g": ["large"], "db.t4g": ["medium"]}
    assert written["elasticache_node_types"] == {"cache.r7g": ["large"], "cache.t4g": ["micro"]}
    assert written["ec2_instance_types"] == json.loads(aws_types.CATALOG.read_text())["ec2_instance_types"]
    assert "aws-cloudformation/cfn-lint at a local copy" in written["sources"]["rds_postgres_instance_classes"]
    assert written["generated"] == datetime.date.today().isoformat()


def test_regenerating_from_a_missing_copy_is_one_error_line(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert catalog.main(["--cfn-lint", str(tmp_path / "empty"), "--output", str(tmp_path / "out.json")]) == 2
    assert capsys.readouterr().err.startswith("error: cannot read cfn-lint's pricing data from ")
    assert not (tmp_path / "out.json").exists()
