"""The bad-input matrix: invalid deployment files through the command line's entry point.

Every case runs ``main.main`` in this process, as ``python main.py`` runs it (``OMERO_CONFIG``
names the file, ``CDKTF_OUTDIR`` a directory that already holds a good synth), and must give exit
status 2, one stderr line per problem naming the key (or, for an unusable file, the file itself),
no exception, nothing on stdout, and leave the good output byte for byte as it was, with nothing
beside it. A handful of them (``THROUGH_THE_CLI``) also run the real ``python main.py`` end to end,
for what only a process shows: the exit status, no traceback on stderr, nothing overwritten.
The rules themselves are tested one by one in ``tests/test_config.py``; this file proves the
command line around them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

import main
from config import ConfigError, load, loads

ROOT = Path(__file__).resolve().parents[1]
GOOD_CONFIG = ROOT / "examples" / "quickstart-http.hcl"

# The kinds of bad input the matrix must always cover (the hardening issue's list, and more).
REQUIRED_CATEGORIES = (
    "typo",
    "unknown-block",
    "wrong-type",
    "string-for-block",
    "duplicated-key",
    "bad-cidr",
    "subnet-overlap",
    "subnet-outside-vpc",
    "region",
    "az-count",
    "fargate-pair",
    "postgres-version",
    "efs-transition",
    "negative-count",
    "name-too-long",
    "tls-without-zone",
    "file-gateway-fargate",
    "aws-limit",
    "empty-file",
    "non-hcl",
    "missing-file",
    "directory",
    "not-utf8",
)
MIN_CASES = 40

# Stands for "the message is about the file itself", in place of a key.
FILE = "<file>"
NAME = 'name = "omero-matrix"\n'


@dataclasses.dataclass(frozen=True)
class Case:
    id: str
    category: str
    keys: tuple[str, ...]  # what each stderr line names, in order (FILE: the file itself)
    says: str  # a fragment of the first message
    make: Callable[[Path], Path]  # writes the situation into a directory; returns OMERO_CONFIG


def _writer(content: str | bytes, filename: str = "deployment.hcl") -> Callable[[Path], Path]:
    def make(directory: Path) -> Path:
        path = directory / filename
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
        return path

    return make


def bad(id: str, category: str, key: str | tuple[str, ...], says: str, text: str) -> Case:
    """A deployment file with ``text`` (which gets a valid name unless it sets one)."""
    text = textwrap.dedent(text).lstrip("\n")
    if not text.startswith("name"):
        text = NAME + text
    keys = (key,) if isinstance(key, str) else key
    return Case(id, category, keys, says, _writer(text))


def situation(id: str, category: str, says: str, make: Callable[[Path], Path], key: str = FILE) -> Case:
    return Case(id, category, (key,), says, make)


def _missing(directory: Path) -> Path:
    return directory / "missing.hcl"


def _examples_directory(directory: Path) -> Path:
    return ROOT / "examples"  # a directory full of good files is still not a file


def _under_a_file(directory: Path) -> Path:
    (directory / "deployment.hcl").write_text(NAME)
    return directory / "deployment.hcl" / "prod.hcl"


def _pipfile(directory: Path) -> Path:
    return _writer((ROOT / "Pipfile").read_text(), "Pipfile.hcl")(directory)


CASES = [
    # --- typos: unknown keys get "did you mean" --------------------------------------------
    bad("typo-top-level", "typo", "regoin", "did you mean 'region'", 'regoin = "eu-west-1"'),
    bad("typo-block-name", "typo", "netwrok", "did you mean 'network'", "netwrok { az_count = 2 }"),
    bad(
        "typo-nested-key",
        "typo",
        "database.engine_verison",
        "did you mean 'engine_version'",
        'database { engine_verison = "16" }',
    ),
    bad(
        "typo-addon-key",
        "typo",
        "monitoring.alarm_emial",
        "did you mean 'alarm_email'",
        'monitoring {\n  enabled     = true\n  alarm_emial = "oncall@example.org"\n}',
    ),
    # --- blocks this project does not have --------------------------------------------------
    bad("unknown-block-locals", "unknown-block", "locals", "unknown key", 'locals { zone = "a" }'),
    bad("labelled-block", "unknown-block", "network.main", "unknown key", 'network "main" { az_count = 2 }'),
    # --- wrong types --------------------------------------------------------------------------
    bad("number-for-string", "wrong-type", "name", "a string", "name = 42"),
    bad("string-for-number", "wrong-type", "network.az_count", "a whole number", 'network { az_count = "3" }'),
    bad("string-for-bool", "wrong-type", "database.multi_az", "true or false", 'database { multi_az = "yes" }'),
    bad(
        "string-for-list",
        "wrong-type",
        "load_balancer.allowed_cidrs",
        "a list of strings",
        'load_balancer { allowed_cidrs = "0.0.0.0/0" }',
    ),
    bad("list-for-map", "wrong-type", "tags", "a map of strings", 'tags = ["owner"]'),
    bad("block-for-string", "wrong-type", "region", "a string", 'region { name = "eu-west-1" }'),
    bad("expression", "wrong-type", "name", "a literal value", "name = var.name"),
    bad(
        "expression-in-map",
        "wrong-type",
        "server.properties",
        "a literal value",
        'server {\n  properties = { "omero.db.poolsize" = var.pool }\n}',
    ),
    # --- a string (or a switch) where a block belongs -----------------------------------------
    bad("string-for-block", "string-for-block", "network", "a block", 'network = "10.0.0.0/16"'),
    bad("bool-for-addon-block", "string-for-block", "file_gateway", "a block", "file_gateway = true"),
    # --- the same thing written twice ---------------------------------------------------------
    bad("key-twice", "duplicated-key", "region", "set more than once", 'region = "eu-west-1"\nregion = "us-east-1"'),
    bad("block-twice", "duplicated-key", "storage", "written 2 times", "storage {}\nstorage {}"),
    bad("key-and-block", "duplicated-key", "network", "set more than once", "network = {}\nnetwork {\n  az_count = 2\n}"),
    bad(
        "map-key-twice",
        "duplicated-key",
        "tags",
        'key "owner" set more than once',
        'tags = {\n  owner = "imaging"\n  owner = "pathology"\n}',
    ),
    # --- CIDRs --------------------------------------------------------------------------------
    bad("cidr-prefix-33", "bad-cidr", "network.vpc_cidr", "CIDR notation", 'network { vpc_cidr = "10.0.0.0/33" }'),
    bad("cidr-host-bits", "bad-cidr", "network.vpc_cidr", "no host bits", 'network { vpc_cidr = "10.20.0.1/16" }'),
    bad("vpc-cidr-too-wide", "bad-cidr", "network.vpc_cidr", "/16 to /24", 'network { vpc_cidr = "10.0.0.0/8" }'),
    bad(
        "vpc-too-small-for-the-deployment",
        "bad-cidr",
        "network.vpc_cidr",
        "/23 or larger",
        'network { vpc_cidr = "10.0.0.0/24" }',
    ),
    bad(
        "interface-endpoint-unknown",
        "aws-limit",
        "network.interface_endpoints",
        "service names among",
        'network { interface_endpoints = ["ecr", "logs"] }',
    ),
    bad(
        "allowed-cidr-bare-address",
        "bad-cidr",
        "load_balancer.allowed_cidrs",
        'a single address is written "203.0.113.7/32"',
        'load_balancer { allowed_cidrs = ["203.0.113.7"] }',
    ),
    bad(
        "allowed-cidr-garbage",
        "bad-cidr",
        "load_balancer.allowed_cidrs",
        "'campus'",
        'load_balancer { allowed_cidrs = ["192.0.2.0/24", "campus"] }',
    ),
    # --- subnets that overlap or leave the VPC ------------------------------------------------
    bad(
        "private-subnets-overlap",
        "subnet-overlap",
        "network.private_subnet_cidrs",
        "do not overlap",
        'network {\n  vpc_cidr             = "10.20.0.0/16"\n  public_subnet_cidrs  = ["10.20.0.0/24", "10.20.1.0/24"]\n'
        '  private_subnet_cidrs = ["10.20.128.0/20", "10.20.130.0/24"]\n}',
    ),
    bad(
        "public-private-overlap",
        "subnet-overlap",
        "network.private_subnet_cidrs",
        "overlaps 10.20.1.0/24",
        'network {\n  vpc_cidr             = "10.20.0.0/16"\n  public_subnet_cidrs  = ["10.20.0.0/24", "10.20.1.0/24"]\n'
        '  private_subnet_cidrs = ["10.20.1.0/24", "10.20.2.0/24"]\n}',
    ),
    bad(
        "planned-subnets-overlap",
        "subnet-overlap",
        "network.private_subnet_cidrs",
        "planned",
        'network { public_subnet_cidrs = ["10.192.128.0/24", "10.192.129.0/24"] }',
    ),
    bad(
        "public-subnet-outside-vpc",
        "subnet-outside-vpc",
        "network.public_subnet_cidrs",
        "inside vpc_cidr",
        'network {\n  vpc_cidr            = "10.20.0.0/16"\n  public_subnet_cidrs = ["10.20.0.0/24", "10.21.0.0/24"]\n}',
    ),
    bad(
        "private-subnet-outside-vpc",
        "subnet-outside-vpc",
        "network.private_subnet_cidrs",
        "(192.168.0.0/24 is not)",
        'network { private_subnet_cidrs = ["10.192.128.0/24", "192.168.0.0/24"] }',
    ),
    # --- a value that would reach a script, a file or AWS with a line break in it ----------------
    bad("name-trailing-newline", "line-break", "name", "found a newline, U+000A", 'name = "omero-matrix\\n"'),
    bad(
        "mount-path-newline",
        "line-break",
        "uploader.mount_path",
        "found a newline, U+000A",
        'uploader {\n  enabled    = true\n  mount_path = "/OMERO\\n/etc"\n}',
    ),
    # --- regions and availability zones --------------------------------------------------------
    bad("region-unknown", "region", "region", "an AWS region", 'region = "eu-west-9"'),
    bad("region-is-a-zone", "region", "region", "an AWS region", 'region = "eu-west-1a"'),
    bad(
        "zone-of-another-region",
        "region",
        "network.availability_zones",
        "zones of region eu-west-1",
        'region = "eu-west-1"\nnetwork { availability_zones = ["eu-west-1a", "us-east-1b"] }',
    ),
    bad("az-count-one", "az-count", "network.az_count", "from 2 to 6", "network { az_count = 1 }"),
    bad(
        "az-count-disagrees",
        "az-count",
        "network.availability_zones",
        "3 zones, as az_count says",
        'region = "eu-west-1"\nnetwork {\n  az_count           = 3\n  availability_zones = ["eu-west-1a", "eu-west-1b"]\n}',
    ),
    bad(
        "uploader-subnet-past-zones",
        "az-count",
        "uploader.subnet_index",
        "2 private subnets",
        'uploader {\n  enabled      = true\n  subnet_index = 2\n  ice_wheel_sha256 = "3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f"\n}',
    ),
    # --- Fargate CPU/memory pairs ------------------------------------------------------------
    bad(
        "server-memory-too-small-for-cpu",
        "fargate-pair",
        "server.memory",
        "4096-16384 MiB in steps of 1024",
        "server {\n  cpu    = 2048\n  memory = 2048\n}",
    ),
    bad(
        "web-memory-too-big-for-cpu",
        "fargate-pair",
        "web.memory",
        "512, 1024 or 2048 MiB",
        "web {\n  cpu    = 256\n  memory = 4096\n}",
    ),
    bad("cpu-not-a-fargate-size", "fargate-pair", "server.cpu", "CPU units", "server { cpu = 3000 }"),
    bad(
        "read-only-pair",
        "fargate-pair",
        "server.read_only_memory",
        "with cpu = 1024 on Fargate",
        "server {\n  read_only_count  = 1\n  read_only_cpu    = 1024\n  read_only_memory = 16384\n}",
    ),
    # --- PostgreSQL versions -------------------------------------------------------------------
    bad(
        "postgres-11",
        "postgres-version",
        "database.engine_version",
        'major version "15", "16" or "17"',
        'database { engine_version = "11" }',
    ),
    bad(
        "postgres-minor",
        "postgres-version",
        "database.engine_version",
        "minor versions are upgraded",
        'database { engine_version = "16.4" }',
    ),
    # --- EFS lifecycle transitions AWS rejects ----------------------------------------------------
    bad(
        "efs-2-days",
        "efs-transition",
        "storage.transition_to_ia",
        '"AFTER_1_DAY"',
        'storage { transition_to_ia = "AFTER_2_DAYS" }',
    ),
    bad(
        "efs-archive-before-ia",
        "efs-transition",
        "storage.transition_to_archive",
        "later transition",
        'storage {\n  transition_to_ia      = "AFTER_90_DAYS"\n  transition_to_archive = "AFTER_30_DAYS"\n}',
    ),
    bad(
        "efs-archive-bursting",
        "efs-transition",
        "storage.transition_to_archive",
        'only with throughput_mode = "elastic"',
        'storage {\n  throughput_mode       = "bursting"\n  transition_to_archive = "AFTER_180_DAYS"\n}',
    ),
    # --- negative counts -------------------------------------------------------------------------
    bad(
        "negative-read-only-count", "negative-count", "server.read_only_count", "from 0 to 10", "server { read_only_count = -1 }"
    ),
    bad("negative-web-tasks", "negative-count", "web.min_tasks", "from 2 to 50", "web { min_tasks = -2 }"),
    bad(
        "negative-ec2-instances",
        "negative-count",
        "cluster.ec2.min_instances",
        "from 1 to 20",
        'cluster {\n  launch_type = "ec2"\n  ec2 { min_instances = -1 }\n}',
    ),
    bad(
        "negative-storage",
        "negative-count",
        "database.allocated_storage_gb",
        "from 20 to 65536",
        "database { allocated_storage_gb = -20 }",
    ),
    # --- names AWS would refuse as too long (ALB and target groups: 32, RDS: 63) --------------
    bad("name-over-alb-limit", "name-too-long", "name", "2-20 characters", 'name = "omero-imaging-facility-prod"'),
    bad("name-over-rds-limit", "name-too-long", "name", "2-20 characters", f'name = "{"omero" * 13}"'),
    bad(
        "appstream-image-name",
        "name-too-long",
        "appstream.image_name",
        "1-101 letters",
        f'appstream {{\n  enabled    = true\n  image_name = "{"omero-insight-" * 8}"\n}}',
    ),
    # --- TLS without its Route 53 zone -----------------------------------------------------------
    bad(
        "domain-without-zone",
        "tls-without-zone",
        "load_balancer.hosted_zone_id",
        "set together with domain_name",
        'load_balancer { domain_name = "omero.example.org" }',
    ),
    bad(
        "zone-without-domain",
        "tls-without-zone",
        "load_balancer.domain_name",
        "set together with hosted_zone_id",
        'load_balancer { hosted_zone_id = "Z0123456789ABCDEFGHIJ" }',
    ),
    bad(
        "tls-policy-without-domain",
        "tls-without-zone",
        "load_balancer.tls_policy",
        "only with domain_name",
        'load_balancer { tls_policy = "ELBSecurityPolicy-TLS13-1-3-2021-06" }',
    ),
    # --- the S3 File Gateway needs the EC2 launch type ---------------------------------------------
    bad(
        "file-gateway-default-fargate",
        "file-gateway-fargate",
        "file_gateway.enabled",
        'cluster.launch_type = "ec2"',
        'file_gateway {\n  enabled          = true\n  activation_cidrs = ["192.0.2.0/24"]\n}',
    ),
    # --- values AWS bounds, refused here rather than at apply ----------------------------------------
    bad(
        "appstream-idle-over-an-hour",
        "aws-limit",
        "appstream.idle_disconnect_timeout_minutes",
        "from 0 to 60",
        'appstream {\n  enabled    = true\n  image_name = "omero-insight"\n  idle_disconnect_timeout_minutes = 120\n}',
    ),
    bad(
        "ec2-server-larger-than-instance",
        "aws-limit",
        "server.memory",
        "at most 15564 MiB on m6i.xlarge",
        'cluster {\n  launch_type = "ec2"\n  ec2 { instance_type = "m6i.xlarge" }\n}\nserver { memory = 16384 }',
    ),
    bad(
        "ec2-read-only-cpu-over-instance",
        "aws-limit",
        "server.read_only_cpu",
        "at most 2048 on c6i.large",
        'cluster {\n  launch_type = "ec2"\n  ec2 { instance_type = "c6i.large" }\n}\n'
        "server {\n  cpu = 1024\n  memory = 2048\n  read_only_count = 1\n  read_only_cpu = 4096\n  read_only_memory = 2048\n}",
    ),
    bad(
        "ec2-servers-need-more-instances",
        "aws-limit",
        "cluster.ec2.max_instances",
        "at least 4 to place the 4 server tasks",
        'cluster {\n  launch_type = "ec2"\n  ec2 {\n    instance_type = "m6i.xlarge"\n    max_instances = 2\n  }\n}\n'
        "server { read_only_count = 3 }",
    ),
    bad(
        "session-store-six-replicas",
        "aws-limit",
        "web.session_store.replicas",
        "from 0 to 5",
        "web {\n  session_store { replicas = 6 }\n}",
    ),
    bad(
        "session-store-unknown-node",
        "aws-limit",
        "web.session_store.node_type",
        '"cache.t4g.micro"',
        'web {\n  session_store { node_type = "cache.x1.huge" }\n}',
    ),
    bad(
        "ec2-unknown-instance-type",
        "aws-limit",
        "cluster.ec2.instance_type",
        "whose capacity is known",
        'cluster {\n  launch_type = "ec2"\n  ec2 { instance_type = "t3.xlarge" }\n}',
    ),
    bad(
        "db-instance-class-typo",
        "aws-limit",
        "database.instance_class",
        'did you mean "db.t4g.medium"?',
        'database { instance_class = "db.t4g.mediun" }',
    ),
    # --- the ECR pull-through cache's credential: name prefix and region as ECR requires -------------
    bad(
        "image-secret-without-ecr-prefix",
        "aws-limit",
        "images.docker_hub_secret_arn",
        '"ecr-pullthroughcache/<anything>"',
        'images { docker_hub_secret_arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:dockerhub-Xy12Ab" }',
    ),
    bad(
        "image-secret-other-region",
        "aws-limit",
        "images.docker_hub_secret_arn",
        "the deployment's region (us-east-1)",
        'images { docker_hub_secret_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:ecr-pullthroughcache/hub-Xy12Ab" }',
    ),
    bad(
        "production-anonymous-pulls",
        "aws-limit",
        "images.docker_hub_secret_arn",
        "anonymous Docker Hub pulls",
        'name = "omero-prod"\ndatabase { multi_az = true }\nload_balancer { plain_http_waiver = "an internal test" }',
    ),
    bad(
        "waiver-beside-secret",
        "aws-limit",
        "images.anonymous_pulls_waiver",
        "only without docker_hub_secret_arn",
        'images {\n  docker_hub_secret_arn  = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-pullthroughcache/hub-Xy12Ab"\n'
        '  anonymous_pulls_waiver = "lab"\n}',
    ),
    # --- several problems: one line each, in file order -----------------------------------------
    bad(
        "three-problems",
        "multiple-problems",
        ("name", "regoin", "network.vpc_cidr"),
        "2-20 characters",
        'name = "Omero"\nregoin = "eu-west-1"\nnetwork { vpc_cidr = "10.0.0.0/33" }',
    ),
    # --- files that are not deployment files -------------------------------------------------------
    situation("empty-file", "empty-file", "is empty", _writer("")),
    situation("comments-only", "empty-file", "missing; this key is required", _writer("# a deployment, one day\n"), key="name"),
    situation("json-file", "non-hcl", "is not valid HCL at line 1", _writer('{"name": "omero-matrix"}\n', "deployment.json")),
    situation(
        "yaml-file",
        "non-hcl",
        "is not valid HCL at line 1",
        _writer("name: omero-matrix\nregion: eu-west-1\n", "deployment.yaml"),
    ),
    situation(
        "unclosed-block",
        "non-hcl",
        '"network {" opened at line 2, column 9 is never closed',
        _writer(NAME + 'network {\n  az_count = 2\n\nregion = "eu-west-1"\n'),
    ),
    situation("toml-pipfile", "non-hcl", "is not valid HCL at line 1", _pipfile),
    situation("missing-file", "missing-file", "file not found", _missing),
    situation("path-under-a-file", "missing-file", "cannot be read: Not a directory", _under_a_file),
    situation("directory", "directory", "is a directory", _examples_directory),
    situation("latin-1-file", "not-utf8", "is not UTF-8", _writer(b'name = "omero-matrix"\ntags = { site = "M\xfcnster" }\n')),
    situation("too-large", "file-size", "is larger than 1024 KiB", _writer(NAME + "# padding\n" * 120_000)),
    situation("endless-stream", "file-size", "is larger than 1024 KiB", lambda directory: Path("/dev/zero")),
    situation("deeply-nested", "nesting", "nested too deeply", _writer(NAME + "a {\n" * 1500 + "}\n" * 1500)),
    situation("newline-in-file-name", "file-name", "name = ", _writer('name = "Omero"\n', "prod\nlab.hcl"), key="name"),
    # Files written on Windows: a byte order mark and CRLF line ends are not the problem.
    situation(
        "bom-and-typo",
        "typo",
        "did you mean 'region'",
        _writer('\ufeffname = "omero-matrix"\nregoin = "eu-west-1"\n'),
        key="regoin",
    ),
    # --- the zarr add-on: a bucket the pixel buffer can reach -----------------------------------
    bad(
        "zarr-bucket-uppercase",
        "aws-limit",
        "zarr.bucket_name",
        "an S3 bucket name",
        'zarr {\n  enabled = true\n  bucket_name = "Lab_Zarr"\n}',
    ),
    bad(
        "zarr-bucket-ip",
        "aws-limit",
        "zarr.bucket_name",
        "not an IP address",
        'zarr {\n  enabled = true\n  bucket_name = "192.168.1.10"\n}',
    ),
    bad(
        "zarr-bucket-reserved-suffix",
        "aws-limit",
        "zarr.bucket_name",
        "no reserved prefix or suffix",
        'zarr {\n  enabled = true\n  bucket_name = "lab-zarr-s3alias"\n}',
    ),
    bad(
        "zarr-bucket-with-dots",
        "aws-limit",
        "zarr.bucket_name",
        "without dots",
        'zarr {\n  enabled = true\n  bucket_name = "lab.zarr.images"\n}',
    ),
    bad(
        "zarr-key-of-another-region",
        "region",
        "zarr.kms_key_arn",
        "a key in eu-west-1",
        'region = "eu-west-1"\nzarr {\n  enabled = true\n  kms_key_arn = "arn:aws:kms:us-east-1:111122223333:key/0123abcd-0123-4567-89ab-0123456789ab"\n}',
    ),
    bad(
        "zarr-cache-property-twice",
        "duplicated-key",
        "server.properties",
        "which zarr.cache_size sets",
        'server {\n  properties = { "omero.pixeldata.zarr_cache_size" = "100" }\n}\nzarr { enabled = true }',
    ),
]


# The cases that also run ``python main.py`` as a process: one of each way a file goes wrong (a key,
# several keys, no file, a directory, bytes that are not UTF-8, a stream without end, a name with a
# newline, a byte order mark).
THROUGH_THE_CLI = (
    "typo-top-level",
    "typo-block-name",
    "missing-file",
    "directory",
    "latin-1-file",
    "endless-stream",
    "newline-in-file-name",
    "bom-and-typo",
)


def run_cli(config: Path, outdir: Path) -> subprocess.CompletedProcess:
    """``python main.py`` as a user runs it, from the repository, with the venv's python."""
    env = {k: v for k, v in os.environ.items() if k not in ("AWS_ENDPOINT_URL", "PYTHONPATH")}
    env.update(OMERO_CONFIG=str(config), CDKTF_OUTDIR=str(outdir))
    return subprocess.run(
        [sys.executable, "main.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def tree_digest(root: Path) -> dict[str, str]:
    """Every entry under ``root``: a sha256 for each file, "dir" for each directory."""
    digest: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix()
        digest[name] = "dir" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return digest


def run_in_process(config: Path, outdir: Path, capsys) -> subprocess.CompletedProcess:
    """``main.main`` with the environment ``python main.py`` would have, in this process: what it
    returns and printed, as the process's exit status and output."""
    capsys.readouterr()
    code = main.main({"OMERO_CONFIG": str(config), "CDKTF_OUTDIR": str(outdir)}, [])
    printed = capsys.readouterr()
    return subprocess.CompletedProcess(["main.main"], code, printed.out, printed.err)


@dataclasses.dataclass(frozen=True)
class GoodOutput:
    outdir: Path
    digest: dict[str, str]


@pytest.fixture(scope="session")
def good_output(examples) -> GoodOutput:
    """examples/quickstart-http.hcl synthesized once per session (by main.synthesize, what the CLI
    runs after the checks): what a bad run must not touch."""
    outdir = examples[GOOD_CONFIG.stem].outdir
    digest = tree_digest(outdir)
    assert any(name.endswith("/cdk.tf.json") for name in digest), digest
    return GoodOutput(outdir, digest)


def _shown(path: Path) -> str:
    """How the CLI names a file: a newline in the name is written as \\n."""
    return str(path).replace("\n", "\\n")


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input(case: Case, good_output: GoodOutput, tmp_path: Path, capsys):
    check_refused(case, good_output, tmp_path, lambda config, outdir: run_in_process(config, outdir, capsys))


END_TO_END = [case for case in CASES if case.id in THROUGH_THE_CLI]


@pytest.mark.parametrize("case", END_TO_END, ids=[case.id for case in END_TO_END])
def test_bad_input_through_the_cli(case: Case, good_output: GoodOutput, tmp_path: Path):
    check_refused(case, good_output, tmp_path, run_cli)


def check_refused(case: Case, good_output: GoodOutput, tmp_path: Path, run) -> None:
    """``run(config, outdir)`` on the case's file, over a copy of the good output: exit status 2,
    one line per problem naming its key, the good output untouched."""
    outdir = tmp_path / "deploy" / "cdktf.out"
    shutil.copytree(good_output.outdir, outdir, symlinks=True)
    inputs = tmp_path / "input"
    inputs.mkdir()
    config = case.make(inputs)

    result = run(config, outdir)

    assert result.returncode == 2, f"exit {result.returncode}: {result.stderr}"
    assert result.stdout == ""
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == len(case.keys), lines
    prefix = f"error: {_shown(config)}: "
    for line, key in zip(lines, case.keys, strict=True):
        assert line.startswith(prefix), (line, prefix)
        message = line[len(prefix) :]
        if key != FILE:
            assert message.startswith((f"{key} =", f"{key}:")), f"{message!r} does not name {key}"
    assert case.says in lines[0][len(prefix) :], lines[0]
    # The previous good synth is untouched, and no staging directory is left beside it.
    assert tree_digest(outdir) == good_output.digest
    assert [p.name for p in outdir.parent.iterdir()] == ["cdktf.out"]


def test_matrix_keeps_its_size_and_coverage():
    assert len(CASES) >= MIN_CASES
    assert len({case.id for case in CASES}) == len(CASES), "case ids must be unique"
    assert len(END_TO_END) == len(THROUGH_THE_CLI), "every end-to-end case is a case of the matrix"
    covered = {case.category for case in CASES}
    missing = [category for category in REQUIRED_CATEGORIES if category not in covered]
    assert not missing, f"no case for: {missing}"


# --- the loader rules behind some of the cases, in-process ------------------------------------


def _lines(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        loads(NAME + text, "test.hcl")
    return caught.value.lines


def test_object_keys_written_twice_are_errors():
    assert _lines('tags = { owner = "a", "owner" = "b" }\nnetwork = { az_count = 2, az_count = 3 }') == [
        'tags: key "owner" set more than once; allowed: once',
        'network: key "az_count" set more than once; allowed: once',
    ]
    assert _lines("network = { flow_logs = { enabled = true, enabled = false } }") == [
        'network.flow_logs: key "enabled" set more than once; allowed: once',
    ]


def test_a_name_used_for_a_key_and_a_block_is_an_error():
    assert _lines("network = {}\nnetwork {\n}\nstorage {\n}\nstorage = {}") == [
        "network: set more than once; allowed: once",
        "storage: set more than once; allowed: once",
    ]


def test_expressions_inside_lists_and_maps_are_refused():
    for text, key in [
        ('server { properties = { "omero.db.poolsize" = "${var.pool}" } }', "server.properties"),
        ('web { properties = { "omero.web.debug" = "%{ if true }x%{ endif }" } }', "web.properties"),
        ("load_balancer { allowed_cidrs = [var.campus] }", "load_balancer.allowed_cidrs"),
        ("tags = { owner = local.owner }", "tags"),
    ]:
        [line] = _lines(text)
        assert line.startswith(f"{key} = ") and "a literal value" in line, line
    # A block holding an expression names the key inside it, not the block.
    [line] = _lines("network { vpc_cidr = var.cidr }")
    assert line.startswith("network.vpc_cidr = ")


def test_every_message_is_one_line():
    for text in [
        'network "a\\nb" { }',
        'network "a\u2028b" { }',
        'tags = { "own\\ner" = "x" }',
        'server { properties = { "a\\nb" = 1 } }',
    ]:
        lines = _lines(text)
        assert len(lines) == 1 and len(lines[0].splitlines()) == 1, lines
    error = ConfigError("prod\nlab.hcl", ["x\u2029y"])
    assert (error.source, error.lines) == ("prod\\nlab.hcl", ["x\\u2029y"])
    assert len(str(error).splitlines()) == 1


def test_byte_order_mark_is_not_content(tmp_path):
    path = tmp_path / "deployment.hcl"
    path.write_bytes('\ufeffname = "omero-bom"\r\nregion = "eu-west-1"\r\n'.encode("utf-8"))
    deployment = load(path)
    assert (deployment.name, deployment.region) == ("omero-bom", "eu-west-1")


def test_deep_nesting_is_one_message():
    for text in [NAME + "a {\n" * 1500 + "}\n" * 1500, NAME + "tags = " + "[" * 1500 + "]" * 1500]:
        with pytest.raises(ConfigError) as caught:
            loads(text, "test.hcl")
        assert caught.value.lines == ["is nested too deeply to be a deployment file"]
