"""The OMERO CLI uploader host add-on: configuration, the synthesized stack, and the emulator."""

from __future__ import annotations

import json
import subprocess
import textwrap

import pytest

from config import ConfigError, loads
from modules.addons.uploader import AMI_PARAMETER
from tests.harness.apply import aws
from tests.harness.synth import one, synthesize

ROLE = "uploader"
SHA = "3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f"  # the Ice wheel's digest, required with the add-on


def problems(text: str) -> list[str]:
    text = 'name = "omero-test"\n' + textwrap.dedent(text)
    with pytest.raises(ConfigError) as caught:
        loads(text, "test.hcl")
    return caught.value.lines


def host(synth) -> dict:
    return one(synth.resources(ROLE, "aws_instance"))


def statements(synth) -> list[dict]:
    documents = synth.data(ROLE, "aws_iam_policy_document")
    return [s for name, doc in documents.items() if "policy_document" in name for s in doc["statement"]]


def rules(synth, kind: str) -> list[dict]:
    return list(synth.resources(ROLE, f"aws_vpc_security_group_{kind}_rule").values())


def own_group(synth) -> str:
    [name] = synth.resources(ROLE, "aws_security_group")
    return f"${{aws_security_group.{name}.id}}"


# ---- configuration ----


def test_off_by_default_and_no_stack(examples):
    assert not loads('name = "tt"').uploader.enabled
    synth = examples["quickstart-http"]
    assert f"{synth.deployment.name}-{ROLE}" not in synth.order


def test_defaults_are_pinned_and_small():
    uploader = loads(f'name = "tt"\nuploader {{\n enabled = true\n ice_wheel_sha256 = "{SHA}"\n}}').uploader
    assert uploader.instance_type == "m6i.large"
    assert uploader.java_package == "java-17-amazon-corretto-headless"
    assert uploader.omero_py_version == "5.23.0"
    assert uploader.mount_path == "/OMERO" and uploader.mount_read_only is False
    assert uploader.read_bucket_names == () and uploader.root_volume_gb == 30
    assert uploader.ice_wheel_url.startswith("https://github.com/glencoesoftware/zeroc-ice-py-linux-x86_64/releases/")
    assert uploader.ice_wheel_sha256 == SHA and uploader.kms_key_arn is None and uploader.subnet_index == 0
    assert uploader.detailed_monitoring is True


def test_accepted_values():
    uploader = loads(
        textwrap.dedent(
            """\
        name = "tt"
        network { az_count = 3 }
        uploader {
          enabled           = true
          instance_type     = "c7i.xlarge"
          root_volume_gb    = 500
          kms_key_arn       = "arn:aws:kms:us-east-1:111122223333:key/0123abcd-0123-4567-89ab-0123456789ab"
          subnet_index      = 2
          java_package      = "java-11-amazon-corretto-headless"
          omero_py_version  = "5.20.1"
          ice_wheel_url     = "https://example.org/ice/zeroc_ice-3.6.5-cp311-cp311-manylinux_2_28_x86_64.whl"
          mount_path        = "/data/omero"
          mount_read_only   = true
          read_bucket_names = ["lab-a-raw", "lab-b.raw"]
          read_bucket_kms_key_arns = ["arn:aws:kms:us-east-1:111122223333:key/0123abcd-0123-4567-89ab-0123456789ab"]
          ice_wheel_sha256  = "<sha>"
        }
    """.replace("<sha>", SHA)
        )
    ).uploader
    assert uploader.subnet_index == 2 and uploader.read_bucket_names == ("lab-a-raw", "lab-b.raw")
    assert uploader.read_bucket_kms_key_arns == ("arn:aws:kms:us-east-1:111122223333:key/0123abcd-0123-4567-89ab-0123456789ab",)


GATEWAY = textwrap.dedent("""\
    cluster { launch_type = "ec2" }
    file_gateway {
      enabled          = true
      role             = "import"
      mount_path       = "/s3uploads"
      activation_cidrs = ["10.192.0.0/16"]
    }
""")

BAD_INPUTS = [
    # keys other than enabled need the host
    ('uploader { instance_type = "m6i.large" }', "uploader.instance_type", "only with enabled = true"),
    ("uploader { root_volume_gb = 40 }", "uploader.root_volume_gb", "only with enabled = true"),
    ('uploader { read_bucket_names = ["lab-raw"] }', "uploader.read_bucket_names", "only with enabled = true"),
    ('uploader { mount_path = "/data" }', "uploader.mount_path", "only with enabled = true"),
    ("uploader { mount_read_only = true }", "uploader.mount_read_only", "only with enabled = true"),
    ("uploader { detailed_monitoring = false }", "uploader.detailed_monitoring", "only with enabled = true"),
    (
        'uploader {\n enabled = true\n ice_wheel_sha256 = "3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f"\n detailed_monitoring = 1\n}',
        "uploader.detailed_monitoring",
        "true or false",
    ),
    ('uploader { java_package = "java-11-amazon-corretto-headless" }', "uploader.java_package", "only with enabled = true"),
    ('uploader { omero_py_version = "5.22.1" }', "uploader.omero_py_version", "only with enabled = true"),
    ("uploader { subnet_index = 1 }", "uploader.subnet_index", "only with enabled = true"),
    (
        'uploader {\n kms_key_arn = "arn:aws:kms:us-east-1:111122223333:key/0123abcd-0123-4567-89ab-0123456789ab"\n}',
        "uploader.kms_key_arn",
        "only with enabled = true",
    ),
    (
        'uploader { ice_wheel_url = "https://example.org/zeroc_ice-3.6.5-cp311-cp311-linux_x86_64.whl" }',
        "uploader.ice_wheel_url",
        "only with enabled = true",
    ),
    # each key's own rule
    ('uploader {\n enabled = "yes"\n}', "uploader.enabled", "true or false"),
    (
        'uploader {\n enabled = true\n ice_wheel_sha256 = "3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f"\n instance_type = "large"\n}',
        "uploader.instance_type",
        "EC2 instance type",
    ),
    (
        'uploader {\n enabled = true\n ice_wheel_sha256 = "3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f"\n instance_type = "m7g.large"\n}',
        "uploader.instance_type",
        "x86_64",
    ),
    (
        'uploader {\n enabled = true\n ice_wheel_sha256 = "3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f"\n instance_type = "t4g.medium"\n}',
        "uploader.instance_type",
        "x86_64",
    ),
    (
        'uploader {\n enabled = true\n ice_wheel_sha256 = "3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f"\n root_volume_gb = 8\n}',
        "uploader.root_volume_gb",
        "from 20 to 16384",
    ),
    (
        'uploader {\n enabled = true\n ice_wheel_sha256 = "3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f"\n kms_key_arn = "alias/aws/ebs"\n}',
        "uploader.kms_key_arn",
        "KMS key ARN",
    ),
    (
        'uploader {\n enabled = true\n ice_wheel_sha256 = "3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f"\n subnet_index = 6\n}',
        "uploader.subnet_index",
        "from 0 to 5",
    ),
    (
        'uploader {\n enabled = true\n ice_wheel_sha256 = "3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f"\n subnet_index = 2\n}',
        "uploader.subnet_index",
        "0 to 1 (the deployment has 2 private subnets)",
    ),
    (
        'uploader {\n enabled = true\n ice_wheel_sha256 = "3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f"\n java_package = "java-1.8.0-amazon-corretto"\n}',
        "uploader.java_package",
        "java-17-amazon-corretto-headless",
    ),
    (
        'uploader {\n enabled = true\n ice_wheel_sha256 = "3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f"\n omero_py_version = "latest"\n}',
        "uploader.omero_py_version",
        "exact omero-py release",
    ),
    (
        'uploader {\n enabled = true\n ice_wheel_sha256 = "3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f"\n omero_py_version = ">=5.20"\n}',
        "uploader.omero_py_version",
        "exact omero-py release",
    ),
    (
        'uploader {\n enabled = true\n ice_wheel_sha256 = "3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f"\n omero_py_version = "5.19.8"\n}',
        "uploader.omero_py_version",
        "from 5.20.0 on",
    ),
    (
        'uploader {\n enabled = true\n ice_wheel_sha256 = "3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f"\n ice_wheel_url = "http://example.org/zeroc_ice-3.6.5-cp311-cp311-linux_x86_64.whl"\n}',
        "uploader.ice_wheel_url",
        "https URL",
    ),
    (
        'uploader {\n enabled = true\n ice_wheel_sha256 = "3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f"\n ice_wheel_url = "https://example.org/zeroc_ice-3.7.10-cp311-cp311-linux_x86_64.whl"\n}',
        "uploader.ice_wheel_url",
        "Ice 3.6.5 for Python 3.11",
    ),
    ('uploader {\n enabled = true\n ice_wheel_sha256 = "sha256:abc"\n}', "uploader.ice_wheel_sha256", "64 lowercase hex digits"),
    (
        'uploader {\n enabled = true\n ice_wheel_sha256 = "3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f"\n mount_path = "OMERO"\n}',
        "uploader.mount_path",
        "absolute directory path",
    ),
    (
        'uploader {\n enabled = true\n ice_wheel_sha256 = "3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f"\n mount_path = "/OMERO/"\n}',
        "uploader.mount_path",
        "no trailing slash",
    ),
    (
        'uploader {\n enabled = true\n ice_wheel_sha256 = "3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f"\n mount_path = "/data/../etc"\n}',
        "uploader.mount_path",
        "no dot segments",
    ),
    (
        'uploader {\n enabled = true\n ice_wheel_sha256 = "3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f"\n mount_path = "/"\n}',
        "uploader.mount_path",
        "absolute directory path",
    ),
    (
        'uploader {\n enabled = true\n ice_wheel_sha256 = "3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f"\n mount_path = "/usr/local/omero"\n}',
        "uploader.mount_path",
        "outside the system directories",
    ),
    (
        'uploader {\n enabled = true\n ice_wheel_sha256 = "3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f"\n mount_read_only = "no"\n}',
        "uploader.mount_read_only",
        "true or false",
    ),
    (
        'uploader {\n enabled = true\n ice_wheel_sha256 = "3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f"\n read_bucket_names = ["Lab_Raw"]\n}',
        "uploader.read_bucket_names",
        "S3 bucket name",
    ),
    (
        'uploader {\n enabled = true\n ice_wheel_sha256 = "3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f"\n read_bucket_names = ["lab-raw", "lab-raw"]\n}',
        "uploader.read_bucket_names",
        "each bucket once",
    ),
    (
        'uploader {\n enabled = true\n ice_wheel_sha256 = "3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f"\n read_bucket_names = "lab-raw"\n}',
        "uploader.read_bucket_names",
        "a list of strings",
    ),
    (
        'uploader {\n enabled = true\n ice_wheel_sha256 = "3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f"\n instance_typ = "m6i.large"\n}',
        "uploader.instance_typ",
        "did you mean 'instance_type'",
    ),
    # the import share of the S3 File Gateway is mounted where the servers see it
    (
        GATEWAY
        + 'uploader {\n enabled = true\n ice_wheel_sha256 = "3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f"\n mount_path = "/s3uploads"\n}',
        "uploader.mount_path",
        "apart from file_gateway.mount_path (/s3uploads)",
    ),
    (
        GATEWAY
        + 'uploader {\n enabled = true\n ice_wheel_sha256 = "3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f"\n mount_path = "/s3uploads/omero"\n}',
        "uploader.mount_path",
        "apart from file_gateway.mount_path",
    ),
    (
        GATEWAY.replace('"/s3uploads"', '"/data/share"')
        + 'uploader {\n enabled = true\n ice_wheel_sha256 = "3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f"\n mount_path = "/data"\n}',
        "uploader.mount_path",
        "apart from file_gateway.mount_path (/data/share)",
    ),
]


@pytest.mark.parametrize("text, key, fragment", BAD_INPUTS, ids=[f"{i:02d}-{b[1]}" for i, b in enumerate(BAD_INPUTS)])
def test_bad_input_names_the_key(text, key, fragment):
    lines = problems(text)
    matching = [line for line in lines if line.startswith(f"{key}:") or line.startswith(f"{key} =")]
    assert matching, f"no message names {key}: {lines}"
    assert any(fragment in line for line in matching), matching
    assert all("\n" not in line for line in lines)


def test_subnet_index_counts_existing_subnets():
    text = textwrap.dedent(
        """\
        name = "tt"
        network {
          vpc_id             = "vpc-0123456789abcdef0"
          public_subnet_ids  = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
          private_subnet_ids = ["subnet-0123456789abcdef2", "subnet-0123456789abcdef3", "subnet-0123456789abcdef4"]
        }
        uploader {
          enabled      = true
          subnet_index = 2
          ice_wheel_sha256 = "<sha>"
        }
    """.replace("<sha>", SHA)
    )
    assert loads(text).uploader.subnet_index == 2
    with pytest.raises(ConfigError) as caught:
        loads(text.replace("subnet_index = 2", "subnet_index = 3"))
    assert caught.value.lines == ["uploader.subnet_index = 3: allowed: 0 to 2 (the deployment has 3 private subnets)"]


# ---- the synthesized stack (examples/full.hcl) ----


def test_host_is_private_and_reached_only_through_session_manager(examples):
    synth = examples["full"]
    instance = host(synth)
    assert instance["associate_public_ip_address"] is False
    assert "key_name" not in instance
    assert "cross-stack-output-aws_subnetnetwork_private_0" in instance["subnet_id"]
    assert instance["vpc_security_group_ids"] == [own_group(synth)]
    assert instance["iam_instance_profile"].startswith("${aws_iam_instance_profile.")
    assert instance["instance_type"] == "m6i.large"
    # no rule lets anything in to the host
    assert not [r for r in rules(synth, "ingress") if r["security_group_id"] == own_group(synth)]
    [group] = synth.resources(ROLE, "aws_security_group").values()
    assert "ingress" not in group and "egress" not in group


def test_imdsv2_only_with_hop_limit_one(examples):
    assert host(examples["full"])["metadata_options"] == {
        "http_endpoint": "enabled",
        "http_tokens": "required",
        "http_put_response_hop_limit": 1,
        "instance_metadata_tags": "disabled",
    }


def test_root_volume_is_encrypted_gp3(examples):
    instance = host(examples["full"])
    root = instance["root_block_device"]
    assert root["encrypted"] is True and root["volume_type"] == "gp3"
    assert root["volume_size"] == 100 and root["delete_on_termination"] is True
    assert "kms_key_id" not in root  # the account's default EBS key
    assert instance["ebs_optimized"] is True and instance["monitoring"] is True
    assert instance["maintenance_options"] == {"auto_recovery": "default"}


def test_image_is_amazon_linux_2023_from_the_public_parameter(examples):
    synth = examples["full"]
    [(name, parameter)] = synth.data(ROLE, "aws_ssm_parameter").items()
    assert parameter["name"] == AMI_PARAMETER == "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
    instance = host(synth)
    assert instance["ami"] == f"${{data.aws_ssm_parameter.{name}.insecure_value}}"
    # a newer image alone does not replace the host; a changed setup script does
    assert instance["lifecycle"] == {"ignore_changes": ["ami"]}
    assert instance["user_data_replace_on_change"] is True


def test_security_group_rules_reference_groups(examples):
    synth = examples["full"]
    group = own_group(synth)
    egress = {
        name.split("_", 1)[1].rsplit("_", 1)[0]: r
        for name, r in synth.resources(ROLE, "aws_vpc_security_group_egress_rule").items()
    }
    assert {k: (r["from_port"], r["to_port"]) for k, r in egress.items()} == {
        "https_out": (443, 443),
        "to_efs": (2049, 2049),
        "to_server": (4064, 4064),
        "to_share": (2049, 2049),
    }
    assert all(r["security_group_id"] == group and r["ip_protocol"] == "tcp" for r in egress.values())
    assert egress["https_out"]["cidr_ipv4"] == "0.0.0.0/0"
    assert "cross-stack-output-aws_security_groupefs_security_group" in egress["to_efs"]["referenced_security_group_id"]
    assert (
        "cross-stack-output-aws_security_groupsecurity_groups_omero_server" in egress["to_server"]["referenced_security_group_id"]
    )
    assert (
        "cross-stack-output-aws_security_groupfile_gateway_security_group" in egress["to_share"]["referenced_security_group_id"]
    )
    ingress = {
        name.split("_", 1)[1].rsplit("_", 1)[0]: r
        for name, r in synth.resources(ROLE, "aws_vpc_security_group_ingress_rule").items()
    }
    assert set(ingress) == {"efs_from_uploader", "server_from_uploader", "share_from_uploader"}
    for key, rule in ingress.items():
        target = egress["to_" + key.split("_")[0]]
        assert rule["referenced_security_group_id"] == group and "cidr_ipv4" not in rule
        assert rule["security_group_id"] == target["referenced_security_group_id"]
        assert (rule["from_port"], rule["to_port"], rule["ip_protocol"]) == (target["from_port"], target["to_port"], "tcp")
        assert rule["description"]


def test_import_share_is_mounted_where_the_servers_see_it(examples):
    script = host(examples["full"])["user_data"]
    gateway = "${data.terraform_remote_state.cross-stack-reference-input-omero-full-file-gateway.outputs.cross-stack-output-aws_"
    options = "nfsvers=4.1,hard,timeo=600,retrans=2,noresvport"
    assert "mkdir -p /s3uploads\n" in script
    assert f"mount -t nfs -o {options} {gateway}instancefile_gateway_instance" in script
    assert f"share_15F8C11Bpath}} /s3uploads nfs _netdev,{options} 0 0' >> /etc/fstab" in script


def test_iam_is_least_privilege(examples):
    synth = examples["full"]
    [attachment] = synth.resources(ROLE, "aws_iam_role_policy_attachment").values()
    assert attachment["policy_arn"].endswith(":iam::aws:policy/AmazonSSMManagedInstanceCore")
    found = {s["sid"]: s for s in statements(synth)}
    assert set(found) == {
        "RepositoryThroughAccessPoint",
        "ListImportBuckets",
        "ReadImportBuckets",
        "DecryptImportBuckets",
        "ReportFirstBoot",
    }
    # the drop bucket's customer key, through S3 in the deployment's region only
    assert found["DecryptImportBuckets"]["resources"] == [
        "arn:aws:kms:eu-central-1:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
    ]
    assert found["DecryptImportBuckets"]["condition"][0]["values"] == ["s3.eu-central-1.amazonaws.com"]
    assert found["ReportFirstBoot"]["actions"] == ["ssm:PutParameter"]
    [parameter] = found["ReportFirstBoot"]["resources"]  # its own status parameter, nothing else
    assert parameter.startswith("${aws_ssm_parameter.uploader_status_") and parameter.endswith(".arn}")
    efs = found["RepositoryThroughAccessPoint"]
    assert efs["actions"] == ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
    assert "cross-stack-output-aws_efs_file_systemefs_file_system" in efs["resources"][0]
    [condition] = efs["condition"]
    assert condition["test"] == "StringEquals" and condition["variable"] == "elasticfilesystem:AccessPointArn"
    assert "efs_server_access_point" in condition["values"][0] and condition["values"][0].endswith("arn}")
    assert found["ListImportBuckets"]["actions"] == ["s3:ListBucket"]
    # read_bucket_names, and the zarr add-on's bucket (omero zarr import reads its images' metadata)
    zarr_bucket = "${data.terraform_remote_state.cross-stack-reference-input-omero-full-zarr.outputs.cross-stack-output-aws_s3_bucketzarr_images_bucket_87947F33bucket}"
    buckets = [f"arn:${{data.aws_partition.partition.partition}}:s3:::{b}" for b in ("omero-full-microscope-drop", zarr_bucket)]
    assert found["ListImportBuckets"]["resources"] == buckets
    assert found["ReadImportBuckets"]["actions"] == ["s3:GetObject"]
    assert found["ReadImportBuckets"]["resources"] == [f"{b}/*" for b in buckets]
    for statement in found.values():
        assert statement["effect"] == "Allow"
        assert not any("*" in action for action in statement["actions"])
        assert "*" not in statement["resources"]
    [trust] = [d for name, d in synth.data(ROLE, "aws_iam_policy_document").items() if "trust" in name]
    assert trust["statement"][0]["principals"] == [{"type": "Service", "identifiers": ["ec2.amazonaws.com"]}]


def test_user_data_mounts_the_repository_and_installs_pinned_tools(examples):
    script = host(examples["full"])["user_data"]
    assert script.startswith("#!/bin/bash\n") and "set -euxo pipefail" in script
    fs = "${data.terraform_remote_state.cross-stack-reference-input-omero-full-storage.outputs.cross-stack-output-aws_efs_file_systemefs_file_system_D9A5D3EEid}"
    point = "${data.terraform_remote_state.cross-stack-reference-input-omero-full-storage.outputs.cross-stack-output-aws_efs_access_pointefs_server_access_point_E8109E2Eid}"
    options = f"_netdev,noresvport,tls,iam,accesspoint={point}"
    assert f"mount -t efs -o {options} {fs}:/ /OMERO\n" in script
    assert f"echo '{fs}:/ /OMERO efs {options} 0 0' >> /etc/fstab" in script
    assert "dnf install -y amazon-efs-utils java-17-amazon-corretto-headless python3.11 python3.11-pip\n" in script
    assert "/opt/omero/venv/bin/pip install --no-cache-dir 'omero-py==5.23.0'\n" in script
    # a prebuilt Ice wheel, never a source build (it fails on Python 3.11), and nothing to build with
    wheel = "zeroc-ice-py-linux-x86_64/releases/download/20240202/zeroc_ice-3.6.5-cp311-cp311-manylinux_2_28_x86_64.whl"
    # verified against its digest: pip refuses a file of another SHA-256 (the example's is a placeholder)
    digest = examples["full"].deployment.uploader.ice_wheel_sha256
    assert (
        f"pip install --no-cache-dir --only-binary=:all: 'https://github.com/glencoesoftware/{wheel}#sha256={digest}'\n" in script
    )
    assert "gcc" not in script and "zeroc-ice==" not in script
    # the CLI must answer before the host reports ready; any failed step reports failed
    status = "--name /omero/omero-full/uploader/first-boot"
    assert "version=$(/opt/omero/venv/bin/omero version)\n" in script
    assert f'{status} --value "ready: omero-py $version, omero-cli-zarr 0.9.0"' in script  # with the zarr add-on
    assert "trap '" in script and f'{status} --value "failed: line $LINENO' in script


def test_a_failed_first_boot_says_so(examples, tmp_path):
    """The script's own ERR trap, run in bash with a stand-in aws CLI that records its arguments."""
    script = host(examples["full"])["user_data"]
    [trap] = [line for line in script.splitlines() if line.startswith("trap ")]
    fake = tmp_path / "aws"
    fake.write_text('#!/bin/bash\nprintf "%s\\n" "$@" > "$RECORD"\n')
    fake.chmod(0o755)
    record = tmp_path / "record"
    boot = f"set -euo pipefail\n{trap}\ntrue\nfalse\necho never\n"
    env = {"PATH": f"{tmp_path}:/usr/bin:/bin", "RECORD": str(record)}
    result = subprocess.run(["bash", "-c", boot], env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 1 and "never" not in result.stdout  # the boot still stops
    arguments = record.read_text().splitlines()
    assert arguments[:2] == ["ssm", "put-parameter"] and "/omero/omero-full/uploader/first-boot" in arguments
    assert arguments[-1] == "failed: line 4, exit 1 (see /var/log/cloud-init-output.log)"
    assert "export OMERO_SERVER=omero-server.omero-full.internal\n" in script
    assert "latest" not in script and "169.254.169.254" not in script
    assert "curl" not in script and "wget" not in script


def test_outputs_name_the_host_and_the_server(examples):
    outputs = examples["full"].stack(ROLE)["output"]
    instance = "${aws_instance.uploader_host_87BD61FC.id}"
    assert outputs["uploader_instance_id"]["value"] == instance
    assert outputs["uploader_session_command"]["value"] == f"aws ssm start-session --region eu-central-1 --target {instance}"
    assert outputs["omero_server_host"]["value"] == "omero-server.omero-full.internal"
    assert outputs["omero_login_command"]["value"] == "omero login -s omero-server.omero-full.internal -p 4064"
    assert outputs["uploader_mount_path"]["value"] == "/OMERO"
    status = outputs["uploader_first_boot_status"]["value"]
    assert status.startswith("aws ssm get-parameter --region eu-central-1 --name ${aws_ssm_parameter.uploader_status_")
    assert status.endswith(".name} --query Parameter.Value --output text")
    [parameter] = examples["full"].resources(ROLE, "aws_ssm_parameter").values()
    assert parameter["name"] == "/omero/omero-full/uploader/first-boot" and parameter["value"] == "pending"
    assert parameter["lifecycle"]["ignore_changes"] == ["value"]  # the host's to write after creation
    assert all(o["description"] for o in outputs.values())


OPTIONS = textwrap.dedent("""\
    name = "upl-opts"
    network { az_count = 3 }
    uploader {
      enabled         = true
      subnet_index    = 2
      kms_key_arn     = "arn:aws:kms:us-east-1:111122223333:key/0123abcd-0123-4567-89ab-0123456789ab"
      java_package    = "java-11-amazon-corretto-headless"
      ice_wheel_url   = "https://example.org/ice/zeroc_ice-3.6.5-cp311-cp311-manylinux_2_28_x86_64.whl"
      ice_wheel_sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
      mount_path      = "/data/omero"
      mount_read_only = true
      detailed_monitoring = false
    }
""")


def test_options_reach_the_host(tmp_path):
    synth = synthesize(loads(OPTIONS), tmp_path / "a")
    instance = host(synth)
    assert "cross-stack-output-aws_subnetnetwork_private_2" in instance["subnet_id"]
    assert (
        instance["root_block_device"]["kms_key_id"]
        == "arn:aws:kms:us-east-1:111122223333:key/0123abcd-0123-4567-89ab-0123456789ab"
    )
    script = instance["user_data"]
    assert "tls,iam,accesspoint=" in script and ",ro 0 0' >> /etc/fstab" in script
    assert " /data/omero\n" in script and "mkdir -p /data/omero\n" in script
    assert "java-11-amazon-corretto-headless" in script
    digest = "0123456789abcdef" * 4
    assert (
        f"--only-binary=:all: 'https://example.org/ice/zeroc_ice-3.6.5-cp311-cp311-manylinux_2_28_x86_64.whl#sha256={digest}'\n"
        in script
    )
    assert instance["monitoring"] is False
    [efs, report] = statements(synth)  # read-only: mount only, and no buckets
    assert report["sid"] == "ReportFirstBoot"
    assert efs["actions"] == ["elasticfilesystem:ClientMount"]
    assert synth.stack(ROLE)["output"]["uploader_mount_path"]["value"] == "/data/omero"
    # The same configuration gives the same stack: nothing is generated at synth time.
    again = synthesize(loads(OPTIONS), tmp_path / "b")
    assert json.dumps(again.stack(ROLE), sort_keys=True).replace("/b/", "/a/") == json.dumps(synth.stack(ROLE), sort_keys=True)


# ---- the emulator ----


@pytest.mark.emulator
@pytest.mark.terraform
def test_uploader_applies_on_the_emulator(addons_on_emulator):
    emulator = addons_on_emulator.emulator  # the session's shared emulator
    synth = addons_on_emulator.synth
    name = addons_on_emulator.stack_name(ROLE)
    applied = addons_on_emulator.applied(name)
    outputs = applied.outputs[name]
    region = synth.deployment.region
    ec2 = aws(emulator, "ec2", region)

    instance_id = outputs["uploader_instance_id"]
    assert outputs["uploader_session_command"] == f"aws ssm start-session --region {region} --target {instance_id}"
    assert outputs["omero_server_host"] == f"omero-server.{synth.deployment.name}.internal"
    [reservation] = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
    [instance] = reservation["Instances"]
    options = instance["MetadataOptions"]
    assert options["HttpTokens"] == "required" and options["HttpPutResponseHopLimit"] == 1
    assert options["HttpEndpoint"] == "enabled"
    assert "PublicIpAddress" not in instance
    assert "KeyName" not in instance
    network = addons_on_emulator.core.outputs[addons_on_emulator.stack_name("network")]
    assert instance["SubnetId"] == network["private_subnet_ids"][0]
    [group] = instance["NetworkInterfaces"][0]["Groups"]
    assert instance["SecurityGroups"] == [group]
    assert instance["Monitoring"]["State"] == "enabled"  # detailed monitoring, as examples/full.hcl has it

    root = [m for m in instance["BlockDeviceMappings"] if m["DeviceName"] == instance["RootDeviceName"]]
    volume_ids = [m["Ebs"]["VolumeId"] for m in root] or [m["Ebs"]["VolumeId"] for m in instance["BlockDeviceMappings"]]
    for volume in ec2.describe_volumes(VolumeIds=volume_ids)["Volumes"]:
        assert volume["Encrypted"] is True

    # The host's group lets nothing in; the file system's and the servers' groups let it in.
    own = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group["GroupId"]]}])["SecurityGroupRules"]
    assert not [r for r in own if not r["IsEgress"]]
    # NFS to EFS, and to the file gateway's share where the deployment has one (full.hcl does)
    nfs_targets = 2 if synth.deployment.file_gateway.enabled else 1
    assert sorted(r["FromPort"] for r in own if r["IsEgress"]) == [443] + [2049] * nfs_targets + [4064]
    everyone = ec2.describe_security_group_rules()["SecurityGroupRules"]
    from_host = [r for r in everyone if not r["IsEgress"] and r.get("ReferencedGroupInfo", {}).get("GroupId") == group["GroupId"]]
    assert sorted((r["FromPort"], r["ToPort"]) for r in from_host) == [(2049, 2049)] * nfs_targets + [(4064, 4064)]
    nfs_groups = [r["GroupId"] for r in from_host if r["FromPort"] == 2049]
    names = {g["GroupName"] for g in ec2.describe_security_groups(GroupIds=nfs_groups)["SecurityGroups"]}
    assert f"{synth.deployment.name}-omero-efs" in names
    assert any(a.startswith("aws_instance.") for a in applied.state[name])


def test_the_ice_wheel_needs_its_digest():
    """No default digest is known here, and none is invented: the add-on asks for the wheel's."""
    [line] = problems("uploader { enabled = true }")
    assert line.startswith("uploader.ice_wheel_sha256: missing;") and "sha256sum" in line


def test_customer_keys_of_the_read_buckets_are_decrypted_through_s3_only(tmp_path):
    key = "arn:aws:kms:us-east-1:111122223333:key/0123abcd-0123-4567-89ab-0123456789ab"
    text = (
        'name = "kk"\nuploader {\n enabled = true\n'
        f' ice_wheel_sha256 = "{SHA}"\n read_bucket_names = ["lab-raw"]\n read_bucket_kms_key_arns = ["{key}"]\n}}\n'
    )
    synth = synthesize(loads(text), tmp_path / "out")
    [decrypt] = [s for s in statements(synth) if s.get("sid") == "DecryptImportBuckets"]
    assert decrypt["actions"] == ["kms:Decrypt"] and decrypt["resources"] == [key]
    assert decrypt["condition"] == [
        {"test": "StringEquals", "variable": "kms:ViaService", "values": ["s3.us-east-1.amazonaws.com"]}
    ]
    # a bucket of another region: its key is used through S3 there
    other = key.replace("us-east-1", "eu-west-1")
    both = synthesize(loads(text.replace(f'["{key}"]', f'["{key}", "{other}"]')), tmp_path / "both")
    [decrypt] = [s for s in statements(both) if s.get("sid") == "DecryptImportBuckets"]
    assert decrypt["condition"][0]["values"] == ["s3.eu-west-1.amazonaws.com", "s3.us-east-1.amazonaws.com"]
    plain = synthesize(loads(text.replace(f' read_bucket_kms_key_arns = ["{key}"]\n', "")), tmp_path / "plain")
    assert not [s for s in statements(plain) if "kms:Decrypt" in s["actions"]]


@pytest.mark.parametrize(
    "extra, says",
    [
        (
            'read_bucket_kms_key_arns = ["arn:aws:kms:us-east-1:111122223333:key/0123abcd-0123-4567-89ab-0123456789ab"]',
            "only together with read_bucket_names",
        ),
        ('read_bucket_names = ["lab-raw"]\n read_bucket_kms_key_arns = ["alias/lab"]', "KMS key ARN"),
    ],
)
def test_bad_read_bucket_keys_name_the_key(extra, says):
    [line] = problems(f'uploader {{\n enabled = true\n ice_wheel_sha256 = "{SHA}"\n {extra}\n}}')
    assert line.startswith("uploader.read_bucket_kms_key_arns") and says in line, line
