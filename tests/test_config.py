"""The deployment file: parsing, defaults, and one bad-input test per validation rule."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from config import DEFAULT_CONFIG, ConfigError, Deployment, checks, config_path, load, loads
from config.fields import checks_of, choices_of, leaf_keys

ROOT = Path(__file__).resolve().parents[1]


def problems(text: str) -> list[str]:
    text = textwrap.dedent(text)
    if not text.lstrip().startswith("name"):
        text = 'name = "omero-test"\n' + text  # every file names its deployment
    with pytest.raises(ConfigError) as caught:
        loads(text, "test.hcl")
    return caught.value.lines


def test_default_deployment_needs_nothing():
    deployment = load(DEFAULT_CONFIG)
    assert deployment.name == "omero"
    assert deployment.network.creates_vpc
    assert not deployment.state.remote
    assert deployment.network.flow_logs.enabled  # secure default


def test_config_path_from_environment(tmp_path):
    assert config_path({}) == DEFAULT_CONFIG
    assert config_path({"OMERO_CONFIG": "  "}) == DEFAULT_CONFIG
    assert config_path({"OMERO_CONFIG": "examples/quickstart-http.hcl"}) == Path("examples/quickstart-http.hcl")


def test_full_file_is_typed():
    deployment = loads(
        """
        name   = "lab-dev"
        region = "eu-west-1"
        tags   = { owner = "imaging", "cost-center" = "42" }
        network {
          vpc_cidr           = "10.10.0.0/20"
          availability_zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
          nat_gateways       = "single"
          flow_logs {
            enabled        = false
            retention_days = 30
          }
        }
        state {
          bucket = "lab-dev-tfstate"
          prefix = "imaging/omero"
        }
        """
    )
    assert isinstance(deployment, Deployment)
    assert deployment.tags == {"owner": "imaging", "cost-center": "42"}
    assert deployment.network.availability_zones == ("eu-west-1a", "eu-west-1b", "eu-west-1c")
    assert deployment.network.zone_count == 3
    assert deployment.network.flow_logs.retention_days == 30
    assert deployment.state.bucket == "lab-dev-tfstate"


def test_subnet_plan_carves_the_vpc():
    network = loads('name = "tt"\nnetwork { vpc_cidr = "10.192.0.0/16"\n az_count = 3 }').network
    public, private = network.subnet_plan()
    assert public == ("10.192.0.0/20", "10.192.16.0/20", "10.192.32.0/20")
    assert private == ("10.192.128.0/20", "10.192.144.0/20", "10.192.160.0/20")
    # the smallest VPC the defaults fit in (a /24's /28 subnets are refused: tests/test_network_capacity.py)
    small = loads('name = "tt"\nnetwork { vpc_cidr = "10.0.0.0/23" }').network
    assert small.subnet_plan() == (("10.0.0.0/27", "10.0.0.32/27"), ("10.0.1.0/27", "10.0.1.32/27"))


def test_accepted_variants():
    deployment = loads(
        'name = "ok"\nnetwork { availability_zones = [] }\n'
        'state {\n bucket = "ok-state"\n kms_key_arn = "arn:aws:kms:us-east-1:111122223333:alias/state"\n}\n'
        'storage { kms_key_arn = "arn:aws:kms:us-east-1:111122223333:key/mrk-1234567890abcdef1234567890abcdef" }\n'
        "database { max_allocated_storage_gb = 55 }\n"
    )
    assert deployment.network.zone_count == 2  # an empty list means unset
    assert deployment.database.max_allocated_storage_gb == 55


def test_a_key_set_twice_is_an_error():
    lines = problems('region = "eu-west-1"\nregion = "us-east-1"\nnetwork {\n az_count = 2\n az_count = 3\n}\n')
    assert lines == ["region: set more than once; allowed: once", "network.az_count: set more than once; allowed: once"]


def test_messages_stay_on_one_line():
    lines = problems("name = <<EOT\nab\nEOT\n")
    assert len(lines) == 1 and "\n" not in lines[0] and "\\n" in lines[0]


def test_name_is_required():
    with pytest.raises(ConfigError) as caught:
        loads('region = "eu-west-1"', "test.hcl")
    [line] = caught.value.lines
    assert line.startswith("name: missing; this key is required (Deployment name")


def test_all_problems_are_reported_together():
    lines = problems(
        """
        name = "Bad_Name"
        regoin = "eu-west-1"
        network { vpc_cidr = "10.0.0.0/33" }
        """
    )
    assert len(lines) == 3
    assert all("\n" not in line for line in lines)


# (file text, the key the message must name, a fragment of what it says)
BAD_INPUTS = [
    # unknown keys, with a suggestion
    ('regoin = "eu-west-1"', "regoin", "did you mean 'region'"),
    ('network { vpc_cdir = "10.0.0.0/16" }', "network.vpc_cdir", "did you mean 'vpc_cidr'"),
    ("network { flow_logs { enable = true } }", "network.flow_logs.enable", "did you mean 'enabled'"),
    ('state { bukket = "x" }', "state.bukket", "did you mean 'bucket'"),
    ('colour = "blue"', "colour", "unknown key"),
    # types
    ("name = 42", "name", "a string"),
    ('network { az_count = "2" }', "network.az_count", "a whole number"),
    ("network { az_count = true }", "network.az_count", "a whole number"),
    ('network { flow_logs { enabled = "yes" } }', "network.flow_logs.enabled", "true or false"),
    ('tags = ["a"]', "tags", "a map of strings"),
    ("tags = { a = 1 }", "tags", "a map of strings"),
    ('network { availability_zones = "eu-west-1a" }', "network.availability_zones", "a list of strings"),
    ("network = 3", "network", "a block"),
    ("network {}\nnetwork {}", "network", "one block"),
    ('name = "${var.name}"', "name", "literal value"),
    # deployment name
    ('name = "Omero"', "name", "lowercase"),
    ('name = "o"', "name", "2-20 characters"),
    ('name = "omero-deployment-far-too-long"', "name", "2-20 characters"),
    ('name = "1omero"', "name", "starting with a letter"),
    ('name = "omero-"', "name", "no trailing hyphen"),
    ('name = "om--ero"', "name", "double hyphen"),
    # region and zones
    ('region = "eu-west-9"', "region", "an AWS region"),
    ('region = "EU-WEST-1"', "region", "an AWS region"),
    ('network { availability_zones = ["eu-west-1"] }', "network.availability_zones", "availability zone names"),
    (
        'network { availability_zones = ["us-east-1a", "us-east-1a"] }',
        "network.availability_zones",
        "each availability zone once",
    ),
    (
        'region = "eu-west-1"\nnetwork { availability_zones = ["eu-west-1a", "us-east-1b"] }',
        "network.availability_zones",
        "zones of region eu-west-1",
    ),
    ('network { availability_zones = ["us-east-1a"] }', "network.availability_zones", "2 to 6"),
    (
        'network {\n az_count = 3\n availability_zones = ["us-east-1a", "us-east-1b"] }',
        "network.availability_zones",
        "3 zones, as az_count says",
    ),
    ("network { az_count = 1 }", "network.az_count", "from 2 to 6"),
    ("network { az_count = 7 }", "network.az_count", "from 2 to 6"),
    ("network { az_count = -2 }", "network.az_count", "from 2 to 6"),
    # CIDRs
    ('network { vpc_cidr = "10.0.0.0/33" }', "network.vpc_cidr", "CIDR notation"),
    ('network { vpc_cidr = "10.0.0.1/16" }', "network.vpc_cidr", "no host bits"),
    ('network { vpc_cidr = "banana" }', "network.vpc_cidr", "CIDR notation"),
    ('network { vpc_cidr = "10.0.0.0/8" }', "network.vpc_cidr", "/16 to /24"),
    ('network { vpc_cidr = "10.0.0.0/26" }', "network.vpc_cidr", "/16 to /24"),
    ('network { public_subnet_cidrs = ["10.192.0.0/24", "nope"] }', "network.public_subnet_cidrs", "'nope'"),
    ('network { public_subnet_cidrs = ["10.192.0.0/30", "10.192.1.0/24"] }', "network.public_subnet_cidrs", "/16 to /28"),
    ('network { public_subnet_cidrs = ["10.192.0.0/24", "10.193.0.0/24"] }', "network.public_subnet_cidrs", "inside vpc_cidr"),
    ('network { private_subnet_cidrs = ["10.192.0.0/24", "10.192.0.128/25"] }', "network.private_subnet_cidrs", "do not overlap"),
    (
        'network {\n public_subnet_cidrs = ["10.192.0.0/24", "10.192.1.0/24"]\n private_subnet_cidrs = ["10.192.1.0/24", "10.192.2.0/24"] }',
        "network.private_subnet_cidrs",
        "do not overlap",
    ),
    ('network { public_subnet_cidrs = ["10.192.0.0/24"] }', "network.public_subnet_cidrs", "one CIDR per availability zone"),
    # NAT and flow logs
    ('network { nat_gateways = "none" }', "network.nat_gateways", 'one of "one_per_az", "single"'),
    ('network { s3_gateway_endpoint = "yes" }', "network.s3_gateway_endpoint", "true or false"),
    (
        'network {\n vpc_id = "vpc-0123456789abcdef0"\n s3_gateway_endpoint = true\n public_subnet_ids = ["subnet-01234567", "subnet-01234568"]\n private_subnet_ids = ["subnet-01234569", "subnet-0123456a"] }',
        "network.s3_gateway_endpoint",
        "not set together with vpc_id",
    ),
    ('network { flow_logs { traffic_type = "SOME" } }', "network.flow_logs.traffic_type", '"ACCEPT"'),
    ("network { flow_logs { retention_days = 13 } }", "network.flow_logs.retention_days", "one of 1, 3, 5"),
    ('network { flow_logs { kms_key_arn = "my-key" } }', "network.flow_logs.kms_key_arn", "KMS key"),
    # existing VPC
    ('network { vpc_id = "vpc-xyz" }', "network.vpc_id", "a VPC id"),
    ('network { vpc_id = "vpc-0123456789abcdef0" }', "network.public_subnet_ids", "at least 2 subnet ids"),
    (
        'network {\n vpc_id = "vpc-0123456789abcdef0"\n public_subnet_ids = ["subnet-0123456789abcdef0", "subnet-bad"] }',
        "network.public_subnet_ids",
        "'subnet-bad'",
    ),
    (
        'network {\n vpc_id = "vpc-0123456789abcdef0"\n public_subnet_ids = ["subnet-01234567", "subnet-01234567"] }',
        "network.public_subnet_ids",
        "each subnet id once",
    ),
    (
        'network {\n vpc_id = "vpc-0123456789abcdef0"\n public_subnet_ids = ["subnet-01234567", "subnet-01234568"]\n private_subnet_ids = ["subnet-01234567", "subnet-01234569"] }',
        "network.private_subnet_ids",
        "not also listed as public",
    ),
    (
        'network {\n vpc_id = "vpc-0123456789abcdef0"\n vpc_cidr = "10.0.0.0/16"\n public_subnet_ids = ["subnet-01234567", "subnet-01234568"]\n private_subnet_ids = ["subnet-01234569", "subnet-0123456a"] }',
        "network.vpc_cidr",
        "not set together with vpc_id",
    ),
    (
        'network { private_subnet_ids = ["subnet-01234567", "subnet-01234568"] }',
        "network.private_subnet_ids",
        "only together with vpc_id",
    ),
    # tags
    ('tags = { "aws:owner" = "x" }', "tags", "aws: prefix is reserved"),
    ('tags = { owner = "a\\u0007b" }', "tags", "without control or invisible characters (found a control character, U+0007)"),
    # state
    ('state { bucket = "My_Bucket" }', "state.bucket", "S3 bucket name"),
    ('state { bucket = "ab" }', "state.bucket", "S3 bucket name"),
    ('state { bucket = "192.168.1.1" }', "state.bucket", "not an IP address"),
    ('state { bucket = "xn--state" }', "state.bucket", "reserved prefix"),
    ('state { bucket = "a..b" }', "state.bucket", "S3 bucket name"),
    ('state {\n bucket = "omero-state"\n prefix = "/leading" }', "state.prefix", "no leading or trailing"),
    ('state {\n bucket = "omero-state"\n noncurrent_version_days = 0 }', "state.noncurrent_version_days", ">= 1"),
    ('state {\n bucket = "omero-state"\n kms_key_arn = "alias/state" }', "state.kms_key_arn", "KMS key"),
    ('state { prefix = "team" }', "state.prefix", "only together with state.bucket"),
    # storage (EFS)
    ('storage { transition_to_ia = "AFTER_2_DAYS" }', "storage.transition_to_ia", '"AFTER_1_DAY"'),
    ("storage { transition_to_ia = 30 }", "storage.transition_to_ia", "a string"),
    (
        'storage {\n transition_to_ia = "AFTER_90_DAYS"\n transition_to_archive = "AFTER_30_DAYS" }',
        "storage.transition_to_archive",
        "later transition than transition_to_ia",
    ),
    (
        'storage {\n throughput_mode = "bursting"\n transition_to_archive = "AFTER_180_DAYS" }',
        "storage.transition_to_archive",
        'only with throughput_mode = "elastic"',
    ),
    ('storage { performance_mode = "maxIO" }', "storage.performance_mode", "maxIO needs"),
    ('storage { performance_mode = "turbo" }', "storage.performance_mode", '"generalPurpose"'),
    ('storage { throughput_mode = "provisioned" }', "storage.provisioned_throughput_mibps", "exactly when"),
    ("storage { provisioned_throughput_mibps = 100 }", "storage.provisioned_throughput_mibps", "exactly when"),
    (
        'storage {\n throughput_mode = "provisioned"\n provisioned_throughput_mibps = 0 }',
        "storage.provisioned_throughput_mibps",
        "from 1 to 3414",
    ),
    ('storage { kms_key_arn = "arn:aws:kms:eu-west-1:1234:key/x" }', "storage.kms_key_arn", "KMS key"),
    ('storage { kms_key_arn = "arn:aws:kms:eu-west-1:111122223333:alias/omero" }', "storage.kms_key_arn", "not an alias"),
    (
        'network { public_subnet_cidrs = ["10.192.128.0/24", "10.192.129.0/24"] }',
        "network.private_subnet_cidrs",
        "planned, as the other list is set",
    ),
    ('storage { automatic_backups = "yes" }', "storage.automatic_backups", "true or false"),
    # database
    ('database { engine_version = "11" }', "database.engine_version", 'major version "15", "16" or "17"'),
    ('database { engine_version = "14.10" }', "database.engine_version", 'major version "15", "16" or "17"'),
    ('database { engine_version = "16.4" }', "database.engine_version", "minor versions are upgraded automatically"),
    ('database { engine_version = "18" }', "database.engine_version", 'major version "15", "16" or "17"'),
    ("database { engine_version = 16 }", "database.engine_version", "a string"),
    ('database { instance_class = "t4g.medium" }', "database.instance_class", "RDS for PostgreSQL DB instance class"),
    ("database { allocated_storage_gb = 10 }", "database.allocated_storage_gb", "from 20 to 65536"),
    ("database { max_allocated_storage_gb = 40 }", "database.max_allocated_storage_gb", "at least 55"),
    ("database { max_allocated_storage_gb = 54 }", "database.max_allocated_storage_gb", "allocated_storage_gb plus 10%"),
    ("database { max_allocated_storage_gb = -1 }", "database.max_allocated_storage_gb", "from 0 to 65536"),
    ('database { storage_type = "standard" }', "database.storage_type", '"gp3"'),
    ('database { storage_type = "io2" }', "database.storage_type", '"gp3", "gp2"'),
    ("database { backup_retention_days = 0 }", "database.backup_retention_days", "from 1 to 35"),
    ("database { backup_retention_days = 36 }", "database.backup_retention_days", "from 1 to 35"),
    ("database { monitoring_interval_seconds = 45 }", "database.monitoring_interval_seconds", "one of 0, 1, 5"),
    ('database { log_exports = ["postgresql", "audit"] }', "database.log_exports", "subset"),
    ("database { password_version = 0 }", "database.password_version", ">= 1"),
    ('database { deletion_protection = "false" }', "database.deletion_protection", "true or false"),
    ("database { multi_az = 1 }", "database.multi_az", "true or false"),
    # cluster
    ('cluster { launch_type = "FARGATE" }', "cluster.launch_type", '"fargate", "ec2"'),
    ("cluster { log_retention_days = 100 }", "cluster.log_retention_days", "one of 1, 3, 5"),
    ('cluster { logs_kms_key_arn = "alias/logs" }', "cluster.logs_kms_key_arn", "KMS key ARN"),
    ('cluster { container_insights = "on" }', "cluster.container_insights", '"enhanced", "enabled", "disabled"'),
    ("cluster { ec2 { min_instances = 1 } }", "cluster.ec2", 'only with launch_type = "ec2"'),
    ('cluster {\n launch_type = "ec2"\n ec2 { instance_type = "m7g.xlarge" } }', "cluster.ec2.instance_type", "x86_64"),
    ('cluster {\n launch_type = "ec2"\n ec2 { instance_type = "big" } }', "cluster.ec2.instance_type", "EC2 instance type"),
    ('cluster {\n launch_type = "ec2"\n ec2 { min_instances = 0 } }', "cluster.ec2.min_instances", "from 1 to 20"),
    (
        'cluster {\n launch_type = "ec2"\n ec2 {\n min_instances = 3\n max_instances = 2 } }',
        "cluster.ec2.max_instances",
        "at least min_instances (3)",
    ),
    ('cluster {\n launch_type = "ec2"\n ec2 { root_volume_gb = 8 } }', "cluster.ec2.root_volume_gb", "from 30 to 16384"),
    # server
    ('server { image = "openmicroscopy/omero-server:latest" }', "server.image", 'not "latest"'),
    ('server { image = "openmicroscopy/omero-server" }', "server.image", "pinned by tag or digest"),
    ('server { image = "Open Microscopy/omero" }', "server.image", "container image reference"),
    ("server { cpu = 3000 }", "server.cpu", "one of 256, 512, 1024"),
    ("server { memory = 1024 }", "server.memory", "from 2048 to 122880"),
    ("server {\n cpu = 2048\n memory = 2048 }", "server.memory", "4096-16384 MiB in steps of 1024 with cpu = 2048 on Fargate"),
    ("server {\n cpu = 256\n memory = 3072 }", "server.memory", "512, 1024 or 2048 MiB"),
    ("server { read_only_count = -1 }", "server.read_only_count", "from 0 to 10"),
    ("server { read_only_count = 11 }", "server.read_only_count", "from 0 to 10"),
    ("server { read_only_cpu = 100 }", "server.read_only_cpu", "CPU units"),
    ("server {\n read_only_count = 1\n read_only_memory = 32768 }", "server.read_only_memory", "with cpu = 2048 on Fargate"),
    ('server { properties = { "omero.db.pass" = "x" } }', "server.properties", "set by this project"),
    ('server { properties = { "omero.cluster.read_only" = "true" } }', "server.properties", "set by this project"),
    ('server { properties = { "db.poolsize" = "25" } }', "server.properties", "OMERO property names"),
    ('server { properties = { "omero.db.poolsize" = 25 } }', "server.properties", "a map of strings"),
    # web
    ('web { image = "openmicroscopy/omero-web-standalone:latest" }', "web.image", 'not "latest"'),
    ("web { cpu = 768 }", "web.cpu", "one of 256"),
    ("web { memory = 512 }", "web.memory", "from 1024 to 122880"),
    ("web {\n cpu = 4096\n memory = 4096 }", "web.memory", "8192-30720 MiB"),
    ("web { min_tasks = 1 }", "web.min_tasks", "from 2 to 50"),
    ("web {\n min_tasks = 4\n max_tasks = 3 }", "web.max_tasks", "at least min_tasks (4)"),
    ("web { target_cpu_percent = 95 }", "web.target_cpu_percent", "from 20 to 90"),
    ('web { properties = { "omero.web.server_list" = "[]" } }', "web.properties", "set by this project"),
    ('web { properties = { "omero.db.poolsize" = "3" } }', "web.properties", "starting with 'omero.web.'"),
    ('web { session_store { node_type = "cache.t2.micro" } }', "web.session_store.node_type", '"cache.t4g.micro"'),
    ("web { session_store { replicas = 6 } }", "web.session_store.replicas", "from 0 to 5"),
    ("web { session_store { replicas = -1 } }", "web.session_store.replicas", "from 0 to 5"),
    ('web { session_store { kms_key_arn = "alias/sessions" } }', "web.session_store.kms_key_arn", "KMS key ARN"),
    ("web { session_store {\n enabled = false\n replicas = 2 } }", "web.session_store.replicas", "only with enabled = true"),
    (
        'web { properties = { "omero.web.session_engine" = "django.contrib.sessions.backends.db" } }',
        "web.properties",
        "which session_store manages",
    ),
    ('web { properties = { "omero.web.caches" = "{}" } }', "web.properties", "which session_store manages"),
    # load_balancer
    ('load_balancer { allowed_cidrs = ["10.0.0.1/8"] }', "load_balancer.allowed_cidrs", "no host bits"),
    ('load_balancer { allowed_cidrs = ["0.0.0.0/0", "0.0.0.0/0"] }', "load_balancer.allowed_cidrs", "each network once"),
    (
        'load_balancer { domain_name = "omero.example.org" }',
        "load_balancer.hosted_zone_id",
        "TLS needs a domain and its Route 53 zone",
    ),
    (
        'load_balancer { hosted_zone_id = "Z0123456789ABCDEFGHIJ" }',
        "load_balancer.domain_name",
        "set together with hosted_zone_id",
    ),
    (
        'load_balancer {\n domain_name = "' + "a" * 50 + '.imaging.example.org"\n hosted_zone_id = "Z0123456789ABCDEFGHIJ" }',
        "load_balancer.domain_name",
        "at most 64 characters",
    ),  # ACM RequestCertificate
    ('state {\n bucket = "amzn-s3-demo-omero-state"\n create_bucket = true }', "state.bucket", "no reserved prefix or suffix"),
    ('state {\n bucket = "omero-state.mrap"\n create_bucket = true }', "state.bucket", "no reserved prefix or suffix"),
    (
        'load_balancer {\n domain_name = "https://omero.example.org"\n hosted_zone_id = "Z01" }',
        "load_balancer.domain_name",
        "no scheme",
    ),
    (
        'load_balancer {\n domain_name = "omero.example.org"\n hosted_zone_id = "zone-1" }',
        "load_balancer.hosted_zone_id",
        "hosted zone id",
    ),
    (
        'load_balancer { tls_policy = "ELBSecurityPolicy-2016-08" }',
        "load_balancer.tls_policy",
        "ELBSecurityPolicy-TLS13-1-2-2021-06",
    ),
    ('load_balancer { tls_policy = "ELBSecurityPolicy-TLS13-1-3-2021-06" }', "load_balancer.tls_policy", "only with domain_name"),
    ("load_balancer { idle_timeout_seconds = 0 }", "load_balancer.idle_timeout_seconds", "from 1 to 4000"),
    ("load_balancer { access_log_days = 0 }", "load_balancer.access_log_days", "from 1 to 3650"),
    ('load_balancer { deletion_protection = "no" }', "load_balancer.deletion_protection", "true or false"),
    # server_load_balancer
    ("server_load_balancer { enabled = true }", "server_load_balancer.allowed_cidrs", "at least one network when enabled"),
    (
        'server_load_balancer { allowed_cidrs = ["192.0.2.0/24"] }',
        "server_load_balancer.allowed_cidrs",
        "only with enabled = true",
    ),
    ("server_load_balancer { plain_port = true }", "server_load_balancer.plain_port", "only with enabled = true"),
    (
        'server_load_balancer {\n enabled = true\n allowed_cidrs = ["192.0.2.0/33"] }',
        "server_load_balancer.allowed_cidrs",
        "CIDR notation",
    ),
]


@pytest.mark.parametrize("text, key, fragment", BAD_INPUTS, ids=[f"{i:02d}-{b[1]}" for i, b in enumerate(BAD_INPUTS)])
def test_bad_input_names_the_key(text, key, fragment):
    lines = problems(text)
    matching = [line for line in lines if line.startswith(f"{key}:") or line.startswith(f"{key} =")]
    assert matching, f"no message names {key}: {lines}"
    assert any(fragment in line for line in matching), f"{fragment!r} not in {matching}"


@pytest.mark.parametrize(
    "content, fragment",
    [
        ("", "is empty"),
        ("   \n# only a comment\n", "name: missing; this key is required"),
        ('name = "omero', "is not valid HCL"),
        ("{ not: hcl }", "is not valid HCL"),
        (b"\xff\xfe\x00binary", "is not UTF-8"),
    ],
    ids=["empty", "blank", "unterminated", "json-ish", "binary"],
)
def test_unreadable_files(tmp_path, content, fragment):
    path = tmp_path / "deployment.hcl"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with pytest.raises(ConfigError) as caught:
        load(path)
    assert len(caught.value.lines) == 1 and fragment in caught.value.lines[0]


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load(tmp_path / "nope.hcl")
    with pytest.raises(ConfigError, match="is a directory"):
        load(tmp_path)


def run_main(tmp_path: Path, config: str | Path, *extra: str) -> subprocess.CompletedProcess:
    code = "import sys, main; rc = main.main(); " + "".join(extra) + "sys.exit(rc)"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "OMERO_CONFIG": str(config),
            "CDKTF_OUTDIR": str(tmp_path / "out"),
            "PYTHONPATH": str(ROOT),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_bad_file_exits_2_fast_and_keeps_previous_output(tmp_path):
    previous = tmp_path / "out" / "stacks" / "omero-network"
    previous.mkdir(parents=True)
    (previous / "cdk.tf.json").write_text('{"previous": "good"}')
    bad = tmp_path / "bad.hcl"
    bad.write_text('name = "Bad Name"\nnetwork { az_count = 9 }\n')
    # The provider bindings must not have been loaded when the file is rejected.
    result = run_main(tmp_path, bad, "assert 'cdktf' not in sys.modules, 'cdktf imported'; ")
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2 and all(line.startswith(f"error: {bad}: ") for line in lines), lines
    assert "Traceback" not in result.stderr
    assert (previous / "cdk.tf.json").read_text() == '{"previous": "good"}'


@pytest.mark.parametrize("kind", ["missing", "directory", "not-hcl"])
def test_unusable_files_exit_2(tmp_path, kind):
    target = {"missing": tmp_path / "missing.hcl", "directory": tmp_path, "not-hcl": ROOT / "Pipfile"}[kind]
    result = run_main(tmp_path, target)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_container_instance_table_matches_the_ec2_sizes():
    """The capacities the placement check relies on, against the EC2 instance type tables."""
    from config.instances import CONTAINER_INSTANCE_TYPES

    m6i = CONTAINER_INSTANCE_TYPES["m6i.xlarge"]
    assert (m6i.vcpus, m6i.memory_gib, m6i.network_interfaces, m6i.cpu_units) == (4, 16, 4, 4096)
    assert (CONTAINER_INSTANCE_TYPES["c5.large"].memory_gib, CONTAINER_INSTANCE_TYPES["c5.large"].awsvpc_tasks) == (4, 2)
    assert CONTAINER_INSTANCE_TYPES["r6i.4xlarge"].memory_gib == 128 and CONTAINER_INSTANCE_TYPES["r6i.4xlarge"].awsvpc_tasks == 7
    assert CONTAINER_INSTANCE_TYPES["m6i.2xlarge"].task_memory_mib == int(32 * 1024 * 0.95)


@pytest.mark.parametrize(
    "text",
    [
        # the ec2-launch-type example's sizes: one server per m6i.2xlarge
        'cluster {\n launch_type = "ec2"\n ec2 { instance_type = "m6i.2xlarge" } }\nserver { memory = 16384 }',
        # two small servers share an instance (two awsvpc interfaces of three)
        'cluster {\n launch_type = "ec2"\n ec2 {\n instance_type = "m6i.large"\n max_instances = 1 } }\n'
        "server {\n cpu = 1024\n memory = 3072\n read_only_count = 1\n read_only_cpu = 1024\n read_only_memory = 3072 }",
    ],
)
def test_tasks_that_fit_the_container_instances(text):
    assert loads(f'name = "fits"\n{text}\n').cluster.launch_type == "ec2"


def test_synth_summary_names_the_stacks_in_order_and_the_next_command(tmp_path, monkeypatch):
    import main

    monkeypatch.chdir(tmp_path)
    text = main.summary(Path("lab.hcl"), tmp_path / "cdktf.out", ["lab-network", "lab-storage", "lab-services"])
    lines = text.splitlines()
    assert lines[0] == "Synthesized lab.hcl into cdktf.out: 3 stacks, in deploy order:"
    assert lines[1:4] == ["  1. lab-network", "  2. lab-storage", "  3. lab-services"]
    assert "pipenv run plan" in lines[4] and "pipenv run deploy" in lines[4]
    assert (
        lines[5] == "  terraform -chdir=cdktf.out/stacks/lab-network init && terraform -chdir=cdktf.out/stacks/lab-network apply"
    )
    # an output directory outside the working directory is shown whole
    assert f"into {tmp_path.parent / 'elsewhere'}:" in main.summary(
        Path("lab.hcl"), tmp_path.parent / "elsewhere", ["lab-network"]
    )


@pytest.mark.parametrize(
    ("argv", "environ", "expected"),
    [
        ([], {}, False),
        (["--quiet"], {}, True),
        (["-q"], {}, True),
        ([], {"CI": "true"}, True),
        ([], {"CI": "1"}, True),
        ([], {"CI": "false"}, False),
        ([], {"CI": ""}, False),
    ],
)
def test_synth_summary_is_quiet_with_the_flag_or_in_ci(argv, environ, expected):
    import main

    assert main.quiet(argv, environ) is expected


def test_unknown_argument_exits_2_before_loading(tmp_path):
    code = "import sys, main; sys.exit(main.main(argv=['--bogus']))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "CDKTF_OUTDIR": str(tmp_path / "out")},
    )
    assert result.returncode == 2 and "--bogus" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


# --- every checked key refuses a trailing newline and digits of other scripts ----------------
# The keys are found by walking the schema; each needs one good value, taken from the examples,
# the key's default, or (for keys neither sets) the samples below, by check or by key.

KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
SAMPLES_BY_CHECK: dict[object, object] = {
    checks.kms_key_arn: KEY_ARN,
    checks.kms_key_or_alias_arn: KEY_ARN,
    checks.bucket_name: "omero-lab-2024",
    checks.subnet_cidrs: ("10.192.0.0/24", "10.192.1.0/24"),
}
SAMPLES_BY_KEY: dict[str, object] = {
    "web.properties": {"omero.web.page_size2": "200"},
    "restore_from.file_system_id": "fs-0123456789abcdef0",
    "restore_from.db_snapshot": "omero-before-upgrade-5",
    "file_gateway.ami_id": "ami-0123456789abcdef0",
    "datasync.includes": ("/microscope1",),
    "uploader.ice_wheel_sha256": "0" * 64,
    "zarr.bucket_name": "lab-ome-zarr",  # its own check (no dots), not checks.bucket_name alone
    "dropbox.watch_users": ("user1",),
    "network.interface_endpoints": ("ecr.api", "logs"),
    "load_balancer.websocket_allowed_cidrs": ("192.0.2.0/24",),
    "web.read_only_pool.host_name": "view.omero.example.org",
    "backup.copy_account_vault_arn": "arn:aws:backup:eu-west-1:111122223333:backup-vault:omero-copy",
    "database.backup_window": "01:00-01:30",
    "database.maintenance_window": "sun:00:00-sun:00:30",
    "server.secret_properties": {"omero.ldap.password": "arn:aws:secretsmanager:eu-west-1:111122223333:secret:omero/ldap-Ab12Cd"},
    "web.secret_properties": {
        "omero.web.public.password": "arn:aws:secretsmanager:eu-west-1:111122223333:secret:omero/web2-Ab12Cd"
    },
}
# Keys whose values are free text by design: AWS takes tag keys and values in any script
# ("Tagging AWS resources", tag naming limits: letters and numbers representable in UTF-8), and
# import arguments are passed to omero import as they are.
FREE_TEXT = ("tags", "dropbox.import_args")


def _checked_string_keys() -> list[tuple[str, dataclasses.Field]]:
    return [
        (name, field)
        for name, hint, field in leaf_keys(Deployment)
        if "str" in str(hint) and (checks_of(field) or choices_of(field))
    ]


def _dotted(block: object, dotted: str) -> object:
    for name in dotted.split("."):
        block = getattr(block, name)
    return block


def _good_value(name: str, field: dataclasses.Field, examples: list[Deployment]) -> object:
    given = [_dotted(d, name) for d in examples if _dotted(d, name) not in (None, (), {})]
    if given:
        return given[0]
    if field.default not in (None, (), dataclasses.MISSING):
        return field.default
    choices = choices_of(field)
    if choices:
        return choices[0]
    for check in checks_of(field):
        if check in SAMPLES_BY_CHECK:
            return SAMPLES_BY_CHECK[check]
    return SAMPLES_BY_KEY.get(name)


def _hcl(value: object) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # HCL's string escapes are JSON's (\n, \", \\, \uNNNN)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_hcl(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_hcl(k)} = {_hcl(v)}" for k, v in value.items()) + " }"
    return str(value)


def _setting(dotted: str, value: object) -> str:
    """HCL that sets the dotted key ``dotted`` to ``value``."""
    *blocks, name = dotted.split(".")
    text = f"{name} = {_hcl(value)}"
    for block in reversed(blocks):
        text = f"{block} {{\n{text}\n}}"
    return text


def _edit(value: object, change, *, in_map_value: bool = False) -> object:
    """``value`` with ``change`` applied to its string, its first item or its first map key (or value)."""
    if isinstance(value, str):
        return change(value)
    if isinstance(value, tuple):
        return (change(value[0]), *value[1:])
    assert isinstance(value, dict)
    first, *rest = value.items()
    changed = (first[0], change(first[1])) if in_map_value else (change(first[0]), first[1])
    return dict([changed, *rest])


def _other_script_digit(text: str) -> str:
    """``text`` with its first ASCII digit written as the same Arabic-Indic digit (which re's \\d matches)."""
    return re.sub("[0-9]", lambda m: chr(0x0660 + int(m.group())), text, count=1)


def _bad_variants(name: str, value: object) -> list[tuple[str, object]]:
    variants = [
        ("trailing newline", _edit(value, lambda s: s + "\n")),
        ("newline inside", _edit(value, lambda s: s[:1] + "\n" + s[1:])),
        ("trailing carriage return and newline", _edit(value, lambda s: s + "\r\n")),
    ]
    if isinstance(value, dict):
        variants.append(("newline in a map value", _edit(value, lambda s: s + "\n", in_map_value=True)))
    if name not in FREE_TEXT and re.search("[0-9]", repr(value)):
        variants.append(("Arabic-Indic digit", _edit(value, _other_script_digit)))
    return [(what, bad) for what, bad in variants if bad != value]


@pytest.fixture(scope="module")
def example_deployments() -> list[Deployment]:
    return [load(path) for path in sorted((ROOT / "examples").glob("*.hcl"))]


def test_every_checked_string_key_has_a_good_value(example_deployments):
    missing = [name for name, field in _checked_string_keys() if _good_value(name, field, example_deployments) is None]
    assert not missing, f"give these keys a good value in SAMPLES_BY_KEY (or SAMPLES_BY_CHECK): {missing}"
    for name, field in _checked_string_keys():
        value = _good_value(name, field, example_deployments)
        assert not [c for c in checks_of(field) if c(value)], (name, value)


def test_every_checked_key_refuses_newlines_and_other_digits(example_deployments):
    """A trailing newline (which re's "$" lets through) or a digit of another script (which
    re's "\\d" matches) in any checked key gives one problem naming that key, never a traceback."""
    refused = 0
    for name, field in _checked_string_keys():
        value = _good_value(name, field, example_deployments)
        if value is None:
            continue  # test_every_checked_string_key_has_a_good_value names it
        for what, bad in _bad_variants(name, value):
            try:
                loads('name = "omero-test"\n' * (name != "name") + _setting(name, bad) + "\n", "test.hcl")
            except ConfigError as error:
                named = [line for line in error.lines if line.startswith((f"{name} =", f"{name}:"))]
                assert named, f"{name} with a {what} ({bad!r}): {error.lines}"
                refused += 1
                continue
            pytest.fail(f"{name} accepts a {what}: {bad!r}")
    assert refused > 150  # every checked key, each in several ways


def test_patterns_match_whole_ascii_values():
    pattern = checks.Pattern(r"[a-z]+\d")
    assert pattern.fullmatch("abc1")
    assert not pattern.fullmatch("abc1\n") and not pattern.fullmatch("abc\u0661") and not pattern.fullmatch("abc12")
    assert checks.Pattern(r"\w+", unicode=True).fullmatch("Münster")


def test_config_checks_use_whole_value_patterns_only():
    """Every regular expression a module of config/ holds is ASCII (or one of the few Unicode ones
    listed) and is only ever matched whole: no ``.match``/``.search`` on it, no ``re.match`` or
    ``re.search``, and ``re.fullmatch`` only with re.ASCII (checks.Pattern offers fullmatch alone)."""
    import ast

    offenders, unicode = [], []
    for module in _config_modules():
        patterns = {name: value for name, value in vars(module).items() if isinstance(value, (re.Pattern, checks.Pattern))}
        for name, value in patterns.items():
            regex = value.regex if isinstance(value, checks.Pattern) else value
            if not regex.flags & re.ASCII:
                unicode.append(f"{module.__name__}.{name}")
        path = Path(module.__file__ or "")
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            called = node.func if isinstance(node, ast.Call) else None
            if not isinstance(called, ast.Attribute) or not isinstance(called.value, ast.Name):
                continue
            partial = called.attr in ("match", "search") and called.value.id in patterns
            ascii_flag = any("re.ASCII" in ast.unparse(argument) for argument in [*node.args[2:], *node.keywords])
            whole = called.attr == "fullmatch" and ascii_flag
            if partial or (called.value.id == "re" and called.attr in ("match", "search", "fullmatch") and not whole):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: {called.value.id}.{called.attr}")
    assert not offenders, f"match whole values only (checks.Pattern has fullmatch alone): {offenders}"
    # Unicode classes (\d, \w, \S of any script) only where AWS takes any script, with its source.
    assert unicode == ["config.checks._TAG_CHARS"], f"make these checks.Pattern (ASCII), or list them here: {unicode}"


def _config_modules():
    import importlib
    import pkgutil

    import config

    for info in pkgutil.walk_packages(config.__path__, "config."):
        yield importlib.import_module(info.name)


def test_control_and_invisible_characters_are_refused_in_every_value():
    for text, key, found in [
        ('images { anonymous_pulls_waiver = "lab\\nonly" }', "images.anonymous_pulls_waiver", "a newline, U+000A"),
        ('backup { waiver = "test\\tdeployment" }', "backup.waiver", "a tab, U+0009"),
        ('tags = { owner = "imaging\u200b" }', "tags", "zero width space, U+200B"),
        ('server { properties = { "omero.db.poolsize" = "25\\r" } }', "server.properties", "a carriage return, U+000D"),
        ('datasync { excludes = ["*.tmp\u2028"] }', "datasync.excludes", "line separator, U+2028"),
    ]:
        [line] = problems(text)
        assert line.startswith((f"{key} = ", f"{key}: ")), line
        assert f"without control or invisible characters (found {found})" in line, line
    # A map is not repeated back (it may hold a password).
    [line] = problems('server { properties = { "omero.db.password" = "s3cret\\n" } }')
    assert "s3cret" not in line and line.startswith("server.properties: names and values allowed: text on one line")


# --- CIDR keys: a network with its prefix length, nothing else --------------------------------


def _cidr_keys() -> list[tuple[str, object]]:
    """Every key that takes IPv4 networks, by its name (…_cidr, …_cidrs), walking the schema."""
    return [(name, hint) for name, hint, _ in leaf_keys(Deployment) if re.search(r"cidrs?$", name)]


@pytest.mark.parametrize(
    "given, says",
    [
        ("203.0.113.7", 'a single address is written "203.0.113.7/32"'),
        ("203.0.113.0/255.255.255.0", 'a prefix length, not a netmask: "203.0.113.0/24"'),
        ("203.0.113.0/0.0.0.255", 'a prefix length, not a netmask: "203.0.113.0/24"'),
        ("203.0.113.9/24", 'no host bits set: "203.0.113.0/24"'),
        ("203.0.113.0/ 24", "CIDR notation"),
        ("203.0.113.0/024", "CIDR notation"),
        ("::/0", "IPv4"),
    ],
)
def test_every_cidr_key_refuses_a_bare_address_or_a_netmask(given, says):
    keys = _cidr_keys()
    assert len(keys) >= 6, keys
    for name, hint in keys:
        lines = problems(_setting(name, given if hint is str else (given,)))
        named = [line for line in lines if line.startswith((f"{name} =", f"{name}:"))]
        assert named and says in named[0], (name, lines)


# --- where a syntax error is, escapes, the project's own tags, how values are shown ----------


@pytest.mark.parametrize(
    "text, says",
    [
        ('network {\n  az_count = 2\n\nregion = "eu-west-1"\n', '"network {" opened at line 2, column 9 is never closed'),
        (
            'network {\n  flow_logs {\n    enabled = true\n}\nregion = "eu-west-1"\n',
            '"network {" opened at line 2, column 9 is never closed',
        ),
        ('tags = {\n  owner = "imaging"\n', '"tags = {" opened at line 2, column 8 is never closed'),
        (
            'load_balancer {\n  allowed_cidrs = ["192.0.2.0/24"\n}\n',
            '"allowed_cidrs = [" opened at line 3, column 19 is closed by "}" at line 4, column 1',
        ),
        ("network {\n  az_count = 2\n}\n}\n", '"}" at line 5, column 1 closes nothing'),
        # braces inside strings, comments and heredocs do not count
        (
            'tags = { note = "{[(" } # {\n/* { */\n// {\nnetwork {\n  az_count = 2\n',
            '"network {" opened at line 5, column 9 is never closed',
        ),
    ],
)
def test_an_unclosed_block_is_reported_where_it_was_opened(text, says):
    [line] = problems(text)
    assert line == f"is not valid HCL: {says}", line


def test_invalid_escapes_are_refused_where_they_are():
    lines = problems('region = "eu-west-1\\q"\ntags = {\n  owner = "a\\u12"\n  team = "b\\ud83d"\n}\n')
    allowed = 'allowed: \\n \\r \\t \\" \\\\ \\uNNNN \\UNNNNNNNN (a character, not a lone surrogate)'
    assert lines == [
        f'region: "\\q" at line 2, column 20 is not an HCL escape; {allowed}',
        f'tags: "\\u12" at line 4, column 13 is not an HCL escape; {allowed}',
        f'tags: "\\ud83d" at line 5, column 12 is not an HCL escape; {allowed}',
    ]
    deployment = loads(
        'name = "ok"\ntags = { site = "M\\u00fcnster", e = "\\U000000E9" }\nserver { properties = { "omero.sessions.timeout" = "a\\\\q" } }'
    )
    assert deployment.tags == {"site": "Münster", "e": "é"} and deployment.server.properties == {"omero.sessions.timeout": "a\\q"}


def test_tag_keys_the_project_sets_are_refused():
    [line] = problems('tags = { owner = "imaging", project = "pathology" }')
    assert line.startswith("tags") and line.endswith(
        "tag key 'project': a key this project sets itself (deployment, Name, omero-server-image, project, tier); "
        "name yours differently"
    ), line
    assert problems('tags = { Name = "x" }') and problems('tags = { deployment = "x" }')
    assert loads('name = "ok"\ntags = { Project = "imaging" }').tags == {"Project": "imaging"}  # keys are case-sensitive


def test_values_are_shown_in_their_own_characters():
    [line] = problems('name = "omero-😀"')
    assert line.startswith('name = "omero-😀": allowed: ')
    [line] = problems('datasync { excludes = ["/Größe\\u0007"] }')
    assert line.startswith('datasync.excludes = ["/Größe\\u0007"]: allowed: ')


def test_the_reserved_tag_keys_are_the_ones_synthesis_sets(examples):
    """Every tag key a synthesized stack sets itself (the provider's default tags, and each
    resource's own tags) is one the tags key refuses."""
    synthesis = examples["full"]
    users = set(synthesis.deployment.tags)
    found: set[str] = set()
    for stack in synthesis.stacks.values():
        for provider in stack.get("provider", {}).get("aws", []):
            for default in provider.get("default_tags", []):
                found |= set(default.get("tags", {}))
        for resources in stack.get("resource", {}).values():
            for resource in resources.values():
                if isinstance(resource.get("tags"), dict):
                    found |= set(resource["tags"])
    assert {"project", "deployment", "Name"} <= found
    assert found - users <= set(checks.PROJECT_TAG_KEYS), found - users - set(checks.PROJECT_TAG_KEYS)


def test_fargate_pairs_reported_with_other_problems():
    """A file with a wrong key and a wrong Fargate pair lists both in one round."""
    lines = problems(
        """
        region = "nowhere-1"
        server {
          cpu = 2048
          memory = 3072
        }
        web {
          cpu = 256
          memory = 4096
        }
        """
    )
    assert any(line.startswith("region") for line in lines), lines
    assert any(line.startswith("server.memory") and "with cpu = 2048 on Fargate" in line for line in lines), lines
    assert any(line.startswith("web.memory") for line in lines), lines


def test_fargate_pair_of_a_wrong_block_is_not_checked():
    """A server block with a wrong key of its own is not also checked as a pair."""
    lines = problems("server {\n cpu = 2048\n memory = 3072\n read_only_count = -1 }")
    assert [line.split(":")[0].split(" ")[0] for line in lines] == ["server.read_only_count"], lines
