"""The access helpers, each synthesized once in a tiny stack and read back from its JSON: the
security-group pair (modules/access.py), the EFS access-point client statement (modules/efs.py),
the IAM statement helpers (modules/iam.py), and the task, bucket and log recipes they sit beside."""

from __future__ import annotations

import json

import pytest

FS_ARN = "arn:aws:elasticfilesystem:eu-west-1:111122223333:file-system/fs-1"
AP_ARN = "arn:aws:elasticfilesystem:eu-west-1:111122223333:access-point/fsap-1"


def ref(kind: str, name: str, attribute: str = "id") -> str:
    return f"${{{kind}.{name}.{attribute}}}"


@pytest.fixture(scope="module")
def synth() -> dict:
    """One stack that uses every helper once or twice; its synthesized JSON."""
    from cdktf import TerraformStack, Testing
    from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import DataAwsIamPolicyDocument
    from cdktf_cdktf_provider_aws.iam_role import IamRole

    from modules.access import allow_from, https_out, security_group
    from modules.buckets import bucket_policy, expire_versions
    from modules.efs import OmeroFileSystemOutputs
    from modules.iam import allow, allow_service, role_policy, when

    stack = TerraformStack(Testing.app(), "access")
    web = security_group(stack, "web", name="t-omero-web", vpc_id="vpc-1", description="OMERO.web tasks")
    server = security_group(stack, "server", name="t-omero-server", vpc_id="vpc-1", description="OMERO.server tasks")
    allow_from(stack, "web_to_server", web.id, server.id, 4064, "OMERO.server (Ice over TLS)")
    allow_from(
        stack,
        ("to_share", "share_from_web"),
        web.id,
        "sg-share",
        2049,
        "the share (NFS UDP 2049)",
        clients="the share: OMERO.web",
        protocol="udp",
    )
    https_out(stack, "web_https_out", web.id, description="HTTPS out")

    fs = OmeroFileSystemOutputs(
        file_system_id="fs-1",
        file_system_arn=FS_ARN,
        access_point_id="fsap-1",
        access_point_arn=AP_ARN,
        security_group_id="sg-efs",
    )
    statements = {
        "read_write": fs.client_statement(),
        "read_only": fs.client_statement(read_only=True, sid="Repository"),
        "task": fs.client_statement(read_only=True),
        "allow": allow(
            ["s3:GetObject"], ["arn:aws:s3:::b/*"], condition=[when("StringEquals", "aws:SourceVpc", "vpc-1", "vpc-2")]
        ),
        "service": allow_service(
            "Logs",
            "datasync.amazonaws.com",
            ["logs:PutLogEvents"],
            ["arn:aws:logs:*"],
            source_account="111122223333",
            source_arn="arn:aws:datasync:*",
        ),
    }
    for name, statement in statements.items():
        DataAwsIamPolicyDocument(stack, name, statement=[statement])
    role = IamRole(stack, "role", name="t-role", assume_role_policy="{}")
    role_policy(
        stack, "role_policy", role_id=role.id, name="inline", document_id="inline_document", statements=[statements["allow"]]
    )
    expire_versions(stack, "bucket-1", rule_id="expire-old-versions", noncurrent_days=30, expire_days=90)
    bucket_policy(stack, "bucket-1", "arn:aws:s3:::bucket-1", document_id="tls_only", statements=[statements["allow"]])
    return json.loads(Testing.synth(stack))


def test_allow_from_makes_the_egress_and_ingress_rules_that_name_each_other(synth):
    egress = synth["resource"]["aws_vpc_security_group_egress_rule"]
    ingress = synth["resource"]["aws_vpc_security_group_ingress_rule"]
    web, server = ref("aws_security_group", "web"), ref("aws_security_group", "server")
    assert egress["web_to_server_out"] == {
        "security_group_id": web,
        "referenced_security_group_id": server,
        "ip_protocol": "tcp",
        "from_port": 4064,
        "to_port": 4064,
        "description": "to OMERO.server (Ice over TLS)",
    }
    assert ingress["web_to_server_in"] == {
        "security_group_id": server,
        "referenced_security_group_id": web,
        "ip_protocol": "tcp",
        "from_port": 4064,
        "to_port": 4064,
        "description": "OMERO.server (Ice over TLS) clients",
    }


def test_allow_from_takes_both_rule_ids_a_description_of_the_clients_and_a_protocol(synth):
    egress = synth["resource"]["aws_vpc_security_group_egress_rule"]["to_share"]
    ingress = synth["resource"]["aws_vpc_security_group_ingress_rule"]["share_from_web"]
    assert (egress["referenced_security_group_id"], egress["description"]) == ("sg-share", "to the share (NFS UDP 2049)")
    assert (ingress["security_group_id"], ingress["description"]) == ("sg-share", "the share: OMERO.web")
    assert egress["ip_protocol"] == ingress["ip_protocol"] == "udp"


def test_https_out_and_the_group_itself(synth):
    rule = synth["resource"]["aws_vpc_security_group_egress_rule"]["web_https_out"]
    assert (rule["cidr_ipv4"], rule["from_port"], rule["to_port"], rule["ip_protocol"]) == ("0.0.0.0/0", 443, 443, "tcp")
    assert "referenced_security_group_id" not in rule
    group = synth["resource"]["aws_security_group"]["web"]
    assert (group["name"], group["tags"], group["vpc_id"]) == ("t-omero-web", {"Name": "t-omero-web"}, "vpc-1")


def statement(synth, name: str) -> dict:
    [only] = synth["data"]["aws_iam_policy_document"][name]["statement"]
    return only


def test_client_statement_mounts_and_writes_through_the_access_point_only(synth):
    read_write = statement(synth, "read_write")
    assert read_write == {
        "effect": "Allow",
        "actions": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
        "resources": [FS_ARN],
        "condition": [{"test": "StringEquals", "variable": "elasticfilesystem:AccessPointArn", "values": [AP_ARN]}],
    }


def test_read_only_client_statement_cannot_write(synth):
    read_only, task = statement(synth, "read_only"), statement(synth, "task")
    assert read_only["actions"] == task["actions"] == ["elasticfilesystem:ClientMount"]
    assert read_only["sid"] == "Repository" and "sid" not in task
    assert read_only["condition"] == task["condition"] == statement(synth, "read_write")["condition"]


def test_allow_when_and_allow_service(synth):
    allowed = statement(synth, "allow")
    assert allowed["condition"] == [{"test": "StringEquals", "variable": "aws:SourceVpc", "values": ["vpc-1", "vpc-2"]}]
    service = statement(synth, "service")
    assert service["sid"] == "Logs"
    assert service["principals"] == [{"type": "Service", "identifiers": ["datasync.amazonaws.com"]}]
    assert service["condition"] == [
        {"test": "StringEquals", "variable": "aws:SourceAccount", "values": ["111122223333"]},
        {"test": "ArnLike", "variable": "aws:SourceArn", "values": ["arn:aws:datasync:*"]},
    ]


def test_role_policy_renders_its_statements_in_its_own_document(synth):
    policy = synth["resource"]["aws_iam_role_policy"]["role_policy"]
    assert policy["role"] == ref("aws_iam_role", "role")
    assert policy["policy"] == ref("data.aws_iam_policy_document", "inline_document", "json")
    assert synth["data"]["aws_iam_policy_document"]["inline_document"]["statement"] == [statement(synth, "allow")]


def test_bucket_lifecycle_and_tls_only_policy(synth):
    [rule] = synth["resource"]["aws_s3_bucket_lifecycle_configuration"]["lifecycle"]["rule"]
    assert rule["id"] == "expire-old-versions" and rule["status"] == "Enabled"
    assert rule["expiration"] == [{"days": 90}]
    assert rule["noncurrent_version_expiration"] == [{"noncurrent_days": 30}]
    assert rule["abort_incomplete_multipart_upload"] == [{"days_after_initiation": 7}]
    policy = synth["resource"]["aws_s3_bucket_policy"]["policy"]
    assert policy["policy"] == ref("data.aws_iam_policy_document", "tls_only", "json")
    sids = [s.get("sid") for s in synth["data"]["aws_iam_policy_document"]["tls_only"]["statement"]]
    assert sids == [None, "DenyInsecureTransport", "DenyOutdatedTLS"]


def test_task_volume_and_awslogs():
    from modules.ecs_task import awslogs
    from modules.efs import OmeroFileSystemOutputs

    volume = OmeroFileSystemOutputs(
        file_system_id="fs-1",
        file_system_arn=FS_ARN,
        access_point_id="fsap-1",
        access_point_arn=AP_ARN,
        security_group_id="sg-efs",
    ).task_volume()
    assert volume.name == "omero-data"
    efs = volume.efs_volume_configuration
    assert (efs.file_system_id, efs.transit_encryption) == ("fs-1", "ENABLED")
    assert (efs.authorization_config.access_point_id, efs.authorization_config.iam) == ("fsap-1", "ENABLED")
    assert awslogs("/omero/t/omero-web", "eu-west-1", "omero-web") == {
        "logDriver": "awslogs",
        "options": {"awslogs-group": "/omero/t/omero-web", "awslogs-region": "eu-west-1", "awslogs-stream-prefix": "omero-web"},
    }
