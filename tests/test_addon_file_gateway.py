"""The S3 File Gateway add-on: configuration rules, the gateway stack and the share's wiring into
OMERO.server, read from the synthesized JSON; and examples/full.hcl's gateway on the emulator
(activated from its instance's address, with its cache disk and NFS share, mounted by OMERO.server)."""

from __future__ import annotations

import json
import textwrap

import pytest

from config import ConfigError, loads
from modules.server_extras import STAGING_VOLUME
from tests.conftest import through_emulator
from tests.harness.apply import APPLY_TIMEOUT, aws
from tests.harness.synth import one, synthesize

EXAMPLES = ["s3-file-gateway-http", "s3-file-gateway-tls", "full"]
ON_EC2 = 'cluster { launch_type = "ec2" }\n'
BY_IP = 'activation_cidrs = ["10.0.0.0/16"]'
UPLOADER = (
    'uploader {\n enabled = true\n ice_wheel_sha256 = "3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f"\n}\n'
)


def problems(text: str) -> list[str]:
    text = 'name = "omero-test"\n' + textwrap.dedent(text)
    with pytest.raises(ConfigError) as caught:
        loads(text, "test.hcl")
    return caught.value.lines


def gateway_block(*lines: str, ec2: bool = True) -> str:
    return (ON_EC2 if ec2 else "") + "file_gateway {\n enabled = true\n" + "\n".join(lines) + "\n}\n"


def resources(synth, resource_type: str) -> dict[str, dict]:
    return synth.resources("file-gateway", resource_type)


def server_tasks(synth) -> list[dict]:
    return [t for t in synth.resources("services", "aws_ecs_task_definition").values() if "-omero-server" in t["family"]]


def mount_points(task: dict) -> list[dict]:
    """The server container's mounts of data (not of the files staged for OMERO.server)."""
    server = json.loads(task["container_definitions"])[0]  # init containers follow it
    return [m for m in server["mountPoints"] if m["sourceVolume"] != STAGING_VOLUME]


def data_volumes(task: dict) -> list[dict]:
    """The task's volumes but the one of files staged for OMERO.server (tests/test_server_extras.py)."""
    return [v for v in task["volume"] if v["name"] != STAGING_VOLUME]


# --- configuration ---


def test_defaults():
    config = loads('name = "tt"\n' + gateway_block(BY_IP)).file_gateway
    assert config.role == "repository" and config.container_path == "/OMERO"
    assert config.instance_type == "m5.xlarge" and config.cache_volume_gb is None
    # A repository keeps all of /OMERO behind the share: 20% of 2.5 TiB (AWS's sizing rule); the
    # import share only holds what is imported in place: AWS's 150 GiB minimum.
    assert config.cache_gb == 512
    imports = loads('name = "tt"\n' + gateway_block(BY_IP, 'role = "import"', 'mount_path = "/s3"')).file_gateway
    assert imports.cache_gb == 150
    assert loads('name = "tt"\n' + gateway_block(BY_IP, "cache_volume_gb = 2048")).file_gateway.cache_gb == 2048
    assert config.bucket_name is None and config.activation_key is None and config.timezone == "GMT"
    assert config.storage_class == "S3_INTELLIGENT_TIERING" and config.cache_refresh_seconds == 300
    assert loads('name = "tt"\n').file_gateway.enabled is False


def test_accepted_variants():
    config = loads(
        'name = "tt"\n'
        + gateway_block(
            'role = "import"',
            'mount_path = "/data/s3"',
            'instance_type = "r6i.xlarge"',
            "cache_volume_gb = 500",
            'bucket_name = "lab-images"',
            'activation_key = "ABCDE-12345-FGHIJ-67890-KLMNO"',
            'timezone = "GMT+10:00"',
            'ami_id = "ami-0123456789abcdef0"',
            "cache_refresh_seconds = 0",
            'storage_class = "S3_STANDARD"',
        )
    ).file_gateway
    assert config.container_path == "/data/s3"
    for size in ("m5.2xlarge", "c6i.2xlarge", "m6i.metal", "i4i.xlarge"):
        assert loads('name = "tt"\n' + gateway_block(BY_IP, f'instance_type = "{size}"')).file_gateway.instance_type == size


BAD_INPUTS = [
    # the add-on and the rest of the deployment
    (gateway_block(BY_IP, ec2=False), "file_gateway.enabled", 'needs cluster.launch_type = "ec2"'),
    (gateway_block(BY_IP) + "datasync { enabled = true }", "datasync.enabled", 'use file_gateway.role = "import"'),
    (gateway_block(BY_IP) + UPLOADER, "uploader.enabled", 'use file_gateway.role = "import"'),
    # keys only with enabled = true
    ('file_gateway { role = "import" }', "file_gateway.role", "only with enabled = true"),
    ('file_gateway { instance_type = "m5.2xlarge" }', "file_gateway.instance_type", "only with enabled = true"),
    (
        'file_gateway {\n enabled = false\n activation_cidrs = ["10.0.0.0/16"] }',
        "file_gateway.activation_cidrs",
        "only with enabled = true",
    ),
    # types and choices
    ('file_gateway { enabled = "yes" }', "file_gateway.enabled", "true or false"),
    (gateway_block(BY_IP, 'role = "data"'), "file_gateway.role", '"repository", "import"'),
    (gateway_block(BY_IP, 'storage_class = "GLACIER"'), "file_gateway.storage_class", '"S3_INTELLIGENT_TIERING"'),
    (gateway_block(BY_IP, "log_retention_days = 10"), "file_gateway.log_retention_days", "one of 1, 3, 5"),
    # mount path
    (gateway_block(BY_IP, 'mount_path = "/s3uploads"'), "file_gateway.mount_path", 'only with role = "import"'),
    (gateway_block(BY_IP, 'role = "import"', 'mount_path = "s3uploads"'), "file_gateway.mount_path", "absolute directory path"),
    (gateway_block(BY_IP, 'role = "import"', 'mount_path = "/s3uploads/"'), "file_gateway.mount_path", "no trailing slash"),
    (gateway_block(BY_IP, 'role = "import"', 'mount_path = "/data/../etc"'), "file_gateway.mount_path", "no dot segments"),
    (gateway_block(BY_IP, 'role = "import"', 'mount_path = "/OMERO"'), "file_gateway.mount_path", "outside /OMERO"),
    (gateway_block(BY_IP, 'role = "import"', 'mount_path = "/OMERO/uploads"'), "file_gateway.mount_path", "outside /OMERO"),
    (
        gateway_block(BY_IP, 'role = "import"', 'mount_path = "/etc/s3"'),
        "file_gateway.mount_path",
        "outside the system directories",
    ),
    (gateway_block(BY_IP, 'role = "import"', 'mount_path = "/tmp"'), "file_gateway.mount_path", "outside the system directories"),
    # the appliance
    (gateway_block(BY_IP, 'instance_type = "m5.large"'), "file_gateway.instance_type", "at least 4 vCPUs and 16 GiB"),
    (gateway_block(BY_IP, 'instance_type = "c5.xlarge"'), "file_gateway.instance_type", "at least 4 vCPUs and 16 GiB"),
    (gateway_block(BY_IP, 'instance_type = "t3.medium"'), "file_gateway.instance_type", "at least 4 vCPUs"),
    (gateway_block(BY_IP, 'instance_type = "m6g.xlarge"'), "file_gateway.instance_type", "x86_64"),
    (gateway_block(BY_IP, 'instance_type = "huge"'), "file_gateway.instance_type", "EC2 instance type"),
    (gateway_block(BY_IP, "cache_volume_gb = 100"), "file_gateway.cache_volume_gb", "from 150 to 16384"),
    (gateway_block(BY_IP, "cache_volume_gb = 20000"), "file_gateway.cache_volume_gb", "from 150 to 16384"),
    (gateway_block(BY_IP, 'ami_id = "ami-xyz"'), "file_gateway.ami_id", "an AMI id"),
    # the bucket
    (gateway_block(BY_IP, 'bucket_name = "Lab_Images"'), "file_gateway.bucket_name", "S3 bucket name"),
    (gateway_block(BY_IP, "noncurrent_version_days = 0"), "file_gateway.noncurrent_version_days", ">= 1"),
    (
        gateway_block(BY_IP, 'bucket_name = "lab-images"', "noncurrent_version_days = 10"),
        "file_gateway.noncurrent_version_days",
        "only without bucket_name",
    ),
    (gateway_block(BY_IP, "cache_refresh_seconds = 60"), "file_gateway.cache_refresh_seconds", "from 300 to 2592000"),
    (gateway_block(BY_IP, "cache_refresh_seconds = 3000000"), "file_gateway.cache_refresh_seconds", "from 300 to 2592000"),
    (gateway_block(BY_IP, 'kms_key_arn = "alias/omero"'), "file_gateway.kms_key_arn", "KMS key ARN"),
    # activation
    (gateway_block(), "file_gateway.activation_cidrs", "missing; without activation_key"),
    (gateway_block('activation_cidrs = ["0.0.0.0/0"]'), "file_gateway.activation_cidrs", "never the whole internet"),
    (gateway_block('activation_cidrs = ["10.0.0.1/16"]'), "file_gateway.activation_cidrs", "no host bits"),
    (gateway_block('activation_cidrs = ["10.0.0.0/16", "10.0.0.0/16"]'), "file_gateway.activation_cidrs", "each network once"),
    (gateway_block('activation_key = "abcde-12345"'), "file_gateway.activation_key", "five groups of five"),
    (gateway_block(BY_IP, 'timezone = "UTC"'), "file_gateway.timezone", 'GMT, or an offset such as "GMT-5:00"'),
    (gateway_block(BY_IP, 'timezone = "GMT+25:00"'), "file_gateway.timezone", "GMT, or an offset"),
]


@pytest.mark.parametrize("text, key, fragment", BAD_INPUTS, ids=[f"{i:02d}-{b[1]}" for i, b in enumerate(BAD_INPUTS)])
def test_bad_input_names_the_key(text, key, fragment):
    lines = problems(text)
    matching = [line for line in lines if line.startswith(f"{key}:") or line.startswith(f"{key} =")]
    assert matching, f"no message names {key}: {lines}"
    assert any(fragment in line for line in matching), f"{fragment!r} not in {matching}"


def test_fargate_message_names_both_keys():
    [line] = problems(gateway_block(BY_IP, ec2=False))
    assert line.startswith("file_gateway.enabled:") and "cluster.launch_type" in line and '"fargate"' in line


def test_activation_key_with_a_network_to_fetch_it_from(tmp_path):
    synth = synthesize(
        loads('name = "key"\n' + gateway_block(BY_IP, 'activation_key = "ABCDE-12345-FGHIJ-67890-KLMNO"')), tmp_path / "out"
    )
    gateway = one(resources(synth, "aws_storagegateway_gateway"))
    assert gateway["activation_key"] == "ABCDE-12345-FGHIJ-67890-KLMNO"
    assert "gateway_ip_address" not in gateway and "depends_on" not in gateway
    [rule] = resources(synth, "aws_vpc_security_group_ingress_rule").values()
    assert (rule["cidr_ipv4"], rule["from_port"]) == ("10.0.0.0/16", 80)


def test_import_role_allows_the_efs_writers():
    deployment = loads('name = "tt"\n' + gateway_block(BY_IP, 'role = "import"') + UPLOADER)
    assert deployment.uploader.enabled and deployment.file_gateway.container_path == "/s3uploads"


# --- the gateway stack ---


@pytest.mark.parametrize("example", EXAMPLES)
def test_appliance_is_private_and_encrypted(examples, example):
    synth = examples[example]
    instance = one(resources(synth, "aws_instance"))
    assert instance["associate_public_ip_address"] is False
    assert "key_name" not in instance and "iam_instance_profile" not in instance
    assert instance["metadata_options"]["http_tokens"] == "required"
    assert instance["metadata_options"]["http_put_response_hop_limit"] == 1
    assert instance["root_block_device"]["encrypted"] is True
    assert "network_private_0_" in instance["subnet_id"]
    assert instance["instance_type"] == synth.deployment.file_gateway.instance_type
    ami = one(synth.data("file-gateway", "aws_ssm_parameter"))
    assert ami["name"] == "/aws/service/storagegateway/ami/FILE_S3/latest"
    assert instance["lifecycle"] == {"ignore_changes": ["ami"]}  # a new AMI does not replace the gateway
    volume = one(resources(synth, "aws_ebs_volume"))
    assert volume["encrypted"] is True and volume["type"] == "gp3"
    assert volume["lifecycle"] == {"ignore_changes": ["size"]}  # a gateway's cache disk is never resized
    assert volume["size"] == synth.deployment.file_gateway.cache_gb
    if synth.deployment.file_gateway.cache_volume_gb is None:  # the role's default
        assert volume["size"] == (512 if synth.deployment.file_gateway.holds_repository else 150)
    assert "availability_zone" in volume["availability_zone"]  # the subnet's zone, from the network stack
    attachment = one(resources(synth, "aws_volume_attachment"))
    assert attachment["instance_id"].startswith("${aws_instance.") and attachment["volume_id"].startswith("${aws_ebs_volume.")


@pytest.mark.parametrize("example", EXAMPLES)
def test_gateway_activation_and_cache(examples, example):
    synth = examples[example]
    config = synth.deployment.file_gateway
    gateway = one(resources(synth, "aws_storagegateway_gateway"))
    assert gateway["gateway_type"] == "FILE_S3" and gateway["gateway_timezone"] == config.timezone
    assert gateway["cloudwatch_log_group_arn"].startswith("${aws_cloudwatch_log_group.")
    ingress = resources(synth, "aws_vpc_security_group_ingress_rule")
    assert sorted(r["cidr_ipv4"] for r in ingress.values()) == sorted(config.activation_cidrs)
    if config.activation_key:
        assert gateway["activation_key"] == config.activation_key and "gateway_ip_address" not in gateway
        assert not ingress  # the example fetched its key already: nothing reaches port 80
    else:
        assert gateway["gateway_ip_address"] == "${aws_instance.file_gateway_instance_C2823C57.private_ip}"
        assert sorted(r["cidr_ipv4"] for r in ingress.values()) == sorted(config.activation_cidrs)
        assert all(r["from_port"] == r["to_port"] == 80 for r in ingress.values())
        assert len(gateway["depends_on"]) == len(ingress)  # the port is open before activation
    disk = one(synth.data("file-gateway", "aws_storagegateway_local_disk"))
    # By node: on Nitro the gateway's disk path is /dev/nvme1n1, not the attachment's device name.
    assert disk["disk_node"].startswith("${aws_volume_attachment.") and disk["gateway_arn"].endswith(".arn}")
    assert "disk_path" not in disk
    cache = one(resources(synth, "aws_storagegateway_cache"))
    assert cache["disk_id"].startswith("${data.aws_storagegateway_local_disk.")


@pytest.mark.parametrize("example", EXAMPLES)
def test_gateway_security_group_never_open_to_the_internet(examples, example):
    synth = examples[example]
    for rule in resources(synth, "aws_vpc_security_group_ingress_rule").values():
        assert rule["cidr_ipv4"] != "0.0.0.0/0"
    [egress] = resources(synth, "aws_vpc_security_group_egress_rule").values()
    assert (egress["ip_protocol"], egress["from_port"], egress["to_port"]) == ("tcp", 443, 443)
    group = one(resources(synth, "aws_security_group"))
    assert "ingress" not in group and "egress" not in group


@pytest.mark.parametrize("example", EXAMPLES)
def test_share_defaults(examples, example):
    synth = examples[example]
    share = one(resources(synth, "aws_storagegateway_nfs_file_share"))
    assert share["client_list"] == [
        "${data.terraform_remote_state.cross-stack-reference-input-"
        + synth.deployment.name
        + "-network.outputs.cross-stack-output-aws_vpcnetwork_vpc_4E8F0223cidr_block}"
    ]
    assert share["squash"] == "RootSquash" and share["read_only"] is False
    assert share["nfs_file_share_defaults"] == {
        "owner_id": "1000",
        "group_id": "1000",
        "file_mode": "0644",
        "directory_mode": "0755",
    }
    assert share["audit_destination_arn"].startswith("${aws_cloudwatch_log_group.")
    assert share["object_acl"] == "bucket-owner-full-control"
    assert share["default_storage_class"] == "S3_INTELLIGENT_TIERING"
    assert share["depends_on"] == ["aws_storagegateway_cache.file_gateway_cache_16636F27"]
    assert share["cache_attributes"] == {"cache_stale_timeout_in_seconds": 300}
    logs = one(resources(synth, "aws_cloudwatch_log_group"))
    assert logs["retention_in_days"] == 365


def test_share_role_is_least_privilege(examples):
    synth = examples["s3-file-gateway-http"]
    role = one(resources(synth, "aws_iam_role"))
    trust = synth.data("file-gateway", "aws_iam_policy_document")
    [trust_statement] = next(d for k, d in trust.items() if "trust" in k)["statement"]
    assert trust_statement["principals"] == [{"type": "Service", "identifiers": ["storagegateway.amazonaws.com"]}]
    assert trust_statement["condition"][0]["variable"] == "aws:SourceAccount"
    assert role["assume_role_policy"].endswith(".json}")
    statements = next(d for k, d in trust.items() if "share_bucket" in k)["statement"]
    bucket = "${aws_s3_bucket.file_gateway_bucket_E523AD88.arn}"
    key = "${aws_kms_key.file_gateway_share_key_07F29A40.arn}"
    assert [s["resources"] for s in statements] == [[bucket], [f"{bucket}/*"], [key]]
    for statement in statements[:2]:
        assert all(a.startswith("s3:") and "*" not in a for a in statement["actions"])
    assert "kms:GenerateDataKey" in statements[2]["actions"] and "kms:Decrypt" in statements[2]["actions"]
    assert "s3:PutObject" in statements[1]["actions"] and "s3:ListBucket" in statements[0]["actions"]


def test_created_bucket_is_encrypted_private_and_kept(examples):
    synth = examples["s3-file-gateway-http"]
    bucket = one(resources(synth, "aws_s3_bucket"))
    assert bucket["bucket"].startswith("omero-s3fg-omero-share-${data.aws_caller_identity.")
    assert bucket["bucket"].endswith("-eu-west-1")
    assert bucket["lifecycle"] == {"prevent_destroy": True} and bucket["force_destroy"] is False
    [rule] = one(resources(synth, "aws_s3_bucket_server_side_encryption_configuration"))["rule"]
    assert rule["apply_server_side_encryption_by_default"]["sse_algorithm"] == "aws:kms"
    block = one(resources(synth, "aws_s3_bucket_public_access_block"))
    assert all(
        block[k] is True for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    )
    policy = next(d for k, d in synth.data("file-gateway", "aws_iam_policy_document").items() if "tls_only" in k)
    assert {s["sid"] for s in policy["statement"]} == {"DenyInsecureTransport", "DenyOutdatedTLS"}
    [lifecycle] = one(resources(synth, "aws_s3_bucket_lifecycle_configuration"))["rule"]
    assert lifecycle["noncurrent_version_expiration"] == [{"noncurrent_days": 30}]


def test_a_created_bucket_and_its_share_objects_use_a_key_made_for_them(examples):
    """The share writes every object under SSE-KMS with the bucket's key: without a key it would
    write SSE-S3 objects whatever the bucket's default (Storage Gateway API Reference,
    CreateNFSFileShare KMSEncrypted)."""
    synth = examples["s3-file-gateway-http"]
    [(address, key)] = resources(synth, "aws_kms_key").items()
    assert key["enable_key_rotation"] is True and key["lifecycle"] == {"prevent_destroy": True}
    [statement] = json.loads(key["policy"])["Statement"]
    assert statement["Principal"]["AWS"].endswith(":root")  # IAM decides: the gateway's role, AWS Backup's
    assert one(resources(synth, "aws_kms_alias"))["name"] == "alias/omero-s3fg-omero-share"
    share = one(resources(synth, "aws_storagegateway_nfs_file_share"))
    assert share["kms_encrypted"] is True and share["kms_key_arn"] == f"${{aws_kms_key.{address}.arn}}"
    [rule] = one(resources(synth, "aws_s3_bucket_server_side_encryption_configuration"))["rule"]
    assert rule["apply_server_side_encryption_by_default"]["kms_master_key_id"] == f"${{aws_kms_key.{address}.arn}}"
    # the volumes and the log group keep AWS-managed keys
    assert "kms_key_id" not in one(resources(synth, "aws_ebs_volume"))


def test_an_existing_bucket_without_a_key_keeps_its_objects_as_its_owner_has_them(tmp_path):
    synth = synthesize(
        loads('name = "byo"\n' + gateway_block('bucket_name = "lab-images"', 'activation_key = "ABCDE-12345-FGHIJ-67890-KLMNO"')),
        tmp_path / "out",
    )
    assert not resources(synth, "aws_kms_key")
    assert one(resources(synth, "aws_storagegateway_nfs_file_share"))["kms_encrypted"] is False


def test_existing_bucket_and_customer_key(tmp_path):
    key = "arn:aws:kms:eu-west-1:111122223333:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
    synth = synthesize(
        loads(
            'name = "byo"\n'
            + gateway_block(
                'bucket_name = "lab-images"',
                f'kms_key_arn = "{key}"',
                'activation_key = "ABCDE-12345-FGHIJ-67890-KLMNO"',
            )
        ),
        tmp_path / "out",
    )
    assert not resources(synth, "aws_s3_bucket") and not resources(synth, "aws_s3_bucket_policy")
    assert one(synth.data("file-gateway", "aws_s3_bucket"))["bucket"] == "lab-images"
    share = one(resources(synth, "aws_storagegateway_nfs_file_share"))
    assert share["kms_encrypted"] is True and share["kms_key_arn"] == key
    assert one(resources(synth, "aws_ebs_volume"))["kms_key_id"] == key
    assert one(resources(synth, "aws_instance"))["root_block_device"]["kms_key_id"] == key
    assert one(resources(synth, "aws_cloudwatch_log_group"))["kms_key_id"] == key
    documents = synth.data("file-gateway", "aws_iam_policy_document")
    statements = next(d for k, d in documents.items() if "share_bucket" in k)["statement"]
    assert statements[-1]["resources"] == [key] and "kms:GenerateDataKey" in statements[-1]["actions"]


def test_outputs(examples):
    outputs = examples["s3-file-gateway-http"].stack("file-gateway")["output"]
    for name in ("gateway_arn", "share_arn", "share_path", "share_host", "bucket", "mounted_at", "mount_command"):
        assert outputs[name]["description"]
    assert outputs["mounted_at"]["value"] == "/OMERO"
    assert outputs["mount_command"]["value"].startswith("mount -t nfs -o nfsvers=4.1,hard")


# --- OMERO.server mounts the share ---


def nfs_options(volume: dict) -> dict:
    return volume["docker_volume_configuration"]["driver_opts"]


def test_repository_role_replaces_efs(examples):
    synth = examples["s3-file-gateway-http"]
    [task] = server_tasks(synth)
    assert task["requires_compatibilities"] == ["EC2"]
    [volume] = data_volumes(task)
    assert "efs_volume_configuration" not in volume and volume["name"] == "omero-data"
    config = volume["docker_volume_configuration"]
    assert config["driver"] == "local" and config["scope"] == "task"
    options = nfs_options(volume)
    assert options["type"] == "nfs"
    assert options["device"].startswith(":${data.terraform_remote_state.cross-stack-reference-input-omero-s3fg-file-gateway.")
    assert options["device"].endswith("path}")
    assert options["o"].startswith("addr=${data.terraform_remote_state.") and "private_ip}," in options["o"]
    assert "nfsvers=4.1" in options["o"] and ",hard" in options["o"] and not options["o"].endswith(",ro")
    assert mount_points(task) == [{"sourceVolume": "omero-data", "containerPath": "/OMERO", "readOnly": False}]
    # no EFS permissions for the server task
    documents = synth.data("services", "aws_iam_policy_document")
    for key, document in documents.items():
        if key.startswith("server_roles_task"):
            assert not [s for s in document["statement"] if any(a.startswith("elasticfilesystem:") for a in s["actions"])]


def test_import_role_mounts_beside_efs(examples):
    synth = examples["s3-file-gateway-tls"]
    [task] = server_tasks(synth)
    efs, share = data_volumes(task)
    assert efs["name"] == "omero-data" and "efs_volume_configuration" in efs
    assert share["name"] == "omero-share" and nfs_options(share)["type"] == "nfs"
    assert mount_points(task) == [
        {"sourceVolume": "omero-data", "containerPath": "/OMERO", "readOnly": False},
        {"sourceVolume": "omero-share", "containerPath": "/s3uploads", "readOnly": False},
    ]
    documents = synth.data("services", "aws_iam_policy_document")
    efs_statements = [
        s
        for k, d in documents.items()
        if k.startswith("server_roles_task")
        for s in d["statement"]
        if "elasticfilesystem:ClientMount" in s["actions"]
    ]
    assert efs_statements


def test_read_only_servers_mount_the_share_read_only(tmp_path):
    synth = synthesize(loads('name = "ro"\nserver { read_only_count = 1 }\n' + gateway_block(BY_IP)), tmp_path / "out")
    [read_only] = [t for t in server_tasks(synth) if t["family"].endswith("-omero-server-ro-1")]
    [volume] = data_volumes(read_only)
    assert nfs_options(volume)["o"].endswith(",ro")
    assert mount_points(read_only) == [{"sourceVolume": "omero-data", "containerPath": "/OMERO", "readOnly": True}]


@pytest.mark.parametrize("example", ["s3-file-gateway-http", "s3-file-gateway-tls"])
def test_container_instances_reach_the_gateway_nfs_ports(examples, example):
    synth = examples[example]
    hosts = "${aws_security_group.security_groups_omero_ecs_hosts_171BA754.id}"
    gateway_group = f"cross-stack-reference-input-{synth.deployment.name}-file-gateway"
    ingress = [
        r
        for r in synth.resources("services", "aws_vpc_security_group_ingress_rule").values()
        if gateway_group in r["security_group_id"]
    ]
    assert sorted((r["ip_protocol"], r["from_port"]) for r in ingress) == sorted(
        (protocol, port) for protocol in ("tcp", "udp") for port in (111, 2049, 20048)
    )
    assert all(r["referenced_security_group_id"] == hosts and "cidr_ipv4" not in r for r in ingress)
    egress = [
        r
        for r in synth.resources("services", "aws_vpc_security_group_egress_rule").values()
        if gateway_group in r.get("referenced_security_group_id", "")
    ]
    assert len(egress) == 6 and all(r["security_group_id"] == hosts for r in egress)


def test_without_the_add_on_nothing_changes(examples):
    synth = examples["ec2-launch-type"]
    assert not any(name.endswith("-file-gateway") for name in synth.order)
    [task] = server_tasks(synth)
    [volume] = data_volumes(task)
    assert "efs_volume_configuration" in volume
    rules = synth.resources("services", "aws_vpc_security_group_ingress_rule")
    assert not [k for k in rules if "share" in k]


def test_share_needs_the_ec2_launch_type():
    from cdktf import TerraformStack, Testing

    from modules.cluster import OmeroClusterOutputs
    from modules.efs import OmeroFileSystemOutputs
    from modules.omero_facts import NfsShare
    from modules.omero_server import Database, OmeroServerProps, OmeroServerService

    stack = TerraformStack(Testing.app(), "t")
    props = OmeroServerProps(
        name="t",
        read_only=False,
        image="openmicroscopy/omero-server:5.6.16",
        cpu=2048,
        memory=8192,
        cluster=OmeroClusterOutputs(**{f: "x" for f in OmeroClusterOutputs.__dataclass_fields__}),
        subnet_ids=["s"],
        security_group_id="sg",
        database=Database(
            host="h",
            port=5432,
            name="omero",
            user="omero",
            password_secret_arn="a",
            root_password_secret_arn="b",
            kms_key_arn=None,
        ),
        data=OmeroFileSystemOutputs(**{f: "x" for f in OmeroFileSystemOutputs.__dataclass_fields__}),
        log_retention_days=30,
        data_share=NfsShare(host="10.0.0.5", path="/b", container_path="/OMERO", security_group_id="sg-1"),
    )
    with pytest.raises(ValueError, match="EC2 launch type"):
        OmeroServerService(stack, "server", props=props)


# --- on the emulator ---


@pytest.mark.emulator
@pytest.mark.terraform
def test_file_gateway_applies_on_the_emulator(addons_on_emulator):
    """examples/full.hcl's gateway, applied with the core (before the services stack, which
    mounts its share); its second plan was empty there. A gateway, its cache and its share are
    destroyed and made again; the bucket behind the share is kept.

    Other tests may read the deployment meanwhile, and the upgrade test (tests/test_backup.py)
    apply the services stack, which reads the share's address and path from this stack's state:
    a targeted destroy keeps the outputs (hashicorp/terraform#27151) and the new share has the
    same appliance and path."""
    emulator, tf = addons_on_emulator.emulator, addons_on_emulator.tf  # the session's shared emulator
    addons_on_emulator.all_applied()
    synth = addons_on_emulator.synth
    name = addons_on_emulator.stack_name("file-gateway")
    outputs = addons_on_emulator.core.outputs[name]
    network = addons_on_emulator.core.outputs[addons_on_emulator.stack_name("network")]
    deployment, region = synth.deployment, synth.deployment.region
    prefix = f"{deployment.name}-omero-file-gateway"
    ec2, gateways = aws(emulator, "ec2", region), aws(emulator, "storagegateway", region)

    # The appliance: a private, encrypted instance from the Storage Gateway AMI parameter.
    [reservation] = ec2.describe_instances(
        Filters=[
            {"Name": "tag:Name", "Values": [prefix]},
            {"Name": "instance-state-name", "Values": ["running"]},
        ]
    )["Reservations"]
    [instance] = reservation["Instances"]
    ami = aws(emulator, "ssm", region).get_parameter(Name="/aws/service/storagegateway/ami/FILE_S3/latest")["Parameter"]["Value"]
    assert instance["ImageId"] == ami
    assert instance["PrivateIpAddress"] == outputs["share_host"] and "PublicIpAddress" not in instance
    assert instance["SubnetId"] == network["private_subnet_ids"][0]
    assert instance["MetadataOptions"]["HttpTokens"] == "required"
    [group] = instance["SecurityGroups"]
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group["GroupId"]]}])["SecurityGroupRules"]
    assert sorted((r["IsEgress"], r["FromPort"], r.get("CidrIpv4")) for r in rules if "CidrIpv4" in r) == [
        (False, 80, cidr) for cidr in deployment.file_gateway.activation_cidrs
    ] + [(True, 443, "0.0.0.0/0")]

    # The gateway: activated from that instance, logging to the stack's log group.
    [listed] = gateways.list_gateways()["Gateways"]
    assert listed["GatewayARN"] == outputs["gateway_arn"]
    gateway = gateways.describe_gateway_information(GatewayARN=outputs["gateway_arn"])
    assert (gateway["GatewayName"], gateway["GatewayType"], gateway["GatewayTimezone"]) == (prefix, "FILE_S3", "GMT")
    assert gateway["Ec2InstanceId"] == instance["InstanceId"]
    assert gateway["GatewayNetworkInterfaces"] == [{"Ipv4Address": outputs["share_host"]}]
    [log_group] = aws(emulator, "logs", region).describe_log_groups(logGroupNamePrefix=outputs["log_group"])["logGroups"]
    assert gateway["CloudWatchLogGroupARN"] == log_group["arn"].removesuffix(":*")
    assert {"Key": "Name", "Value": prefix} in gateway["Tags"]

    # Its cache: the encrypted volume attached to the appliance at the cache device.
    [cache_disk] = gateways.describe_cache(GatewayARN=outputs["gateway_arn"])["DiskIds"]
    [disk] = [d for d in gateways.list_local_disks(GatewayARN=outputs["gateway_arn"])["Disks"] if d["DiskId"] == cache_disk]
    # As a gateway on a Nitro instance reports it: the device name as node, the NVMe name as path.
    assert (disk["DiskNode"], disk["DiskPath"]) == ("/dev/xvdb", "/dev/nvme1n1")
    assert disk["DiskAllocationType"] == "CACHE STORAGE"
    attached = ec2.describe_volumes(Filters=[{"Name": "attachment.instance-id", "Values": [instance["InstanceId"]]}])["Volumes"]
    [volume] = [v for v in attached if v["Attachments"][0]["Device"] == "/dev/xvdb"]
    assert volume["Size"] == deployment.file_gateway.cache_gb and volume["Encrypted"] is True

    # The share: the bucket through the stack's role, to the VPC only, as uid/gid 1000.
    [share] = gateways.describe_nfs_file_shares(FileShareARNList=[outputs["share_arn"]])["NFSFileShareInfoList"]
    assert share["GatewayARN"] == outputs["gateway_arn"] and share["Path"] == outputs["share_path"]
    assert share["LocationARN"] == f"arn:aws:s3:::{outputs['bucket']}"
    assert share["ClientList"] == [network["vpc_cidr"]] and share["Squash"] == "RootSquash" and share["ReadOnly"] is False
    assert share["NFSFileShareDefaults"] == {"FileMode": "0644", "DirectoryMode": "0755", "GroupId": 1000, "OwnerId": 1000}
    assert share["CacheAttributes"] == {"CacheStaleTimeoutInSeconds": deployment.file_gateway.cache_refresh_seconds}
    assert share["AuditDestinationARN"] == gateway["CloudWatchLogGroupARN"]
    assert share["Role"] == aws(emulator, "iam", region).get_role(RoleName=prefix)["Role"]["Arn"]
    assert aws(emulator, "s3", region).head_bucket(Bucket=outputs["bucket"])

    # OMERO.server mounts it, by the appliance's address.
    services = addons_on_emulator.core.outputs[addons_on_emulator.stack_name("services")]
    ecs = aws(emulator, "ecs", region)
    [service] = ecs.describe_services(cluster=services["cluster_name"], services=[services["server_service_name"]])["services"]
    definition = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
    options = [v["dockerVolumeConfiguration"]["driverOpts"] for v in definition["volumes"] if "dockerVolumeConfiguration" in v]
    assert [(o["type"], o["device"]) for o in options] == [("nfs", f":{outputs['share_path']}")]
    assert options[0]["o"].startswith(f"addr={outputs['share_host']},")

    # Destroyed (the bucket stays: prevent_destroy), then made again from the same appliance.
    tf = through_emulator(tf, emulator).with_env(AWS_REGION=region, AWS_DEFAULT_REGION=region)
    directory = synth.stack_dir("file-gateway")
    state = addons_on_emulator.core.state[name]
    targets = [
        f"-target={a}" for a in state if a.startswith(("aws_storagegateway_gateway.", "aws_storagegateway_nfs_file_share."))
    ]
    destroyed = tf(directory, "destroy", "-auto-approve", "-input=false", "-no-color", *targets, timeout=APPLY_TIMEOUT)
    assert destroyed.returncode == 0, str(destroyed)
    assert gateways.list_gateways()["Gateways"] == [] and gateways.list_file_shares()["FileShareInfoList"] == []
    assert aws(emulator, "s3", region).head_bucket(Bucket=outputs["bucket"])
    applied = tf(directory, "apply", "-auto-approve", "-input=false", "-no-color", timeout=APPLY_TIMEOUT)
    assert applied.returncode == 0, str(applied)
    replan = tf(directory, "plan", "-detailed-exitcode", "-input=false", "-no-color", timeout=APPLY_TIMEOUT)
    assert replan.returncode == 0, str(replan)
    [again] = gateways.list_gateways()["Gateways"]
    assert again["GatewayARN"] != outputs["gateway_arn"] and again["Ec2InstanceId"] == instance["InstanceId"]
    [share] = gateways.list_file_shares()["FileShareInfoList"]
    assert (
        gateways.describe_nfs_file_shares(FileShareARNList=[share["FileShareARN"]])["NFSFileShareInfoList"][0]["Path"]
        == outputs["share_path"]
    )
