"""The production rules: a production deployment (by name or environment tag) has a Multi-AZ
database, HTTPS and its file gateway's bucket under backup, or a waiver saying why not."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import ConfigError, load, loads

ROOT = Path(__file__).resolve().parents[1]
SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-pullthroughcache/hub-Xy12Ab"
# A production deployment that meets every rule: only the line under test is taken away.
MEETS = {
    "images": f'images {{ docker_hub_secret_arn = "{SECRET}" }}',
    "database": "database { multi_az = true }",
    "load_balancer": 'load_balancer {\n  domain_name = "omero.example.org"\n  hosted_zone_id = "Z0123456789ABCDEFGHIJ"\n}',
    "cluster": 'cluster { launch_type = "ec2" }',
    "file_gateway": 'file_gateway {\n  enabled = true\n  activation_cidrs = ["10.0.0.0/16"]\n}',
}


def text(name: str = "omero-prod", tags: str = "", **replace: str) -> str:
    blocks = {**MEETS, **replace}
    return f'name = "{name}"\n{tags}\n' + "\n".join(blocks.values()) + "\n"


def problems(source: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        loads(source, "test.hcl")
    return caught.value.lines


def test_the_full_example_is_production_and_meets_every_rule():
    full = load(ROOT / "examples/full.hcl")
    assert full.tags["environment"] == "production"
    assert full.database.multi_az and full.load_balancer.tls and full.file_gateway.backup and full.backup.enabled


def test_a_deployment_meeting_the_rules_needs_no_waiver():
    assert loads(text()).database.multi_az
    assert loads(text("omero-a", 'tags = { environment = "live" }'))


@pytest.mark.parametrize(
    "name, tags",
    [("omero-prod", ""), ("lab-live", ""), ("omero-a", 'tags = { environment = "Production" }')],
)
@pytest.mark.parametrize(
    "block, replaced, key, says, waiver",
    [
        (
            "database",
            "database { multi_az = false }",
            "database.multi_az = false",
            "or a database.single_az_waiver saying why not",
            'database { single_az_waiver = "the standby costs more than a restore takes" }',
        ),
        (
            "load_balancer",
            "",
            "load_balancer.domain_name: missing",
            "or a load_balancer.plain_http_waiver says why not",
            'load_balancer { plain_http_waiver = "reached only through the site VPN" }',
        ),
        (
            "file_gateway",
            'file_gateway {\n  enabled = true\n  activation_cidrs = ["10.0.0.0/16"]\n  backup = false\n}',
            "file_gateway.backup = false",
            "holds /OMERO itself; or a file_gateway.backup_waiver",
            'file_gateway {\n  enabled = true\n  activation_cidrs = ["10.0.0.0/16"]\n  backup = false\n'
            '  backup_waiver = "the bucket is replicated to the archive account"\n}',
        ),
    ],
)
def test_production_needs_each_rule_or_its_waiver(name, tags, block, replaced, key, says, waiver):
    [line] = problems(text(name, tags, **{block: replaced}))
    assert line.startswith(key) and says in line and f"({name})" in line, line
    assert loads(text(name, tags, **{block: waiver}))  # the waiver is enough


def test_an_import_share_without_backup_names_what_it_holds():
    share = 'file_gateway {\n  enabled = true\n  role = "import"\n  activation_cidrs = ["10.0.0.0/16"]\n  backup = false\n}'
    [line] = problems(text(file_gateway=share))
    assert "the only copy of files imported in place" in line


@pytest.mark.parametrize(
    "waiver",
    ['database { single_az_waiver = "  " }', 'load_balancer { plain_http_waiver = "" }'],
)
def test_an_empty_waiver_does_not_count(waiver):
    block = waiver.split()[0]
    assert len(problems(text(**{block: waiver}))) == 1


def test_without_any_backup_the_backup_waiver_covers_the_share():
    no_backup = 'backup {\n  enabled = false\n  waiver = "a lab copy is kept offline"\n}'
    share = 'file_gateway {\n  enabled = true\n  activation_cidrs = ["10.0.0.0/16"]\n  backup = false\n}'
    assert loads(text(file_gateway=share, backup=no_backup))


@pytest.mark.parametrize("name", ["omero-dev", "omero-staging", "omero-products"])
def test_other_deployments_need_none_of_it(name):
    deployment = loads(f'name = "{name}"\n')
    assert not deployment.database.multi_az and not deployment.load_balancer.tls


@pytest.mark.parametrize(
    "source, key, says",
    [
        (
            'name = "omero-dev"\ndatabase {\n  multi_az = true\n  single_az_waiver = "x"\n}\n',
            "database.single_az_waiver",
            "only with multi_az = false",
        ),
        (
            text(load_balancer=MEETS["load_balancer"].replace("}", '  plain_http_waiver = "x"\n}')),
            "load_balancer.plain_http_waiver",
            "only without domain_name",
        ),
    ],
)
def test_a_waiver_where_nothing_is_waived_is_refused(source, key, says):
    [line] = problems(source)
    assert line.startswith(key) and says in line, line
