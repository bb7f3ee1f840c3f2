"""Security review of every example, read from the synthesized JSON.

What the reference CloudFormation sample got wrong must not come back: plaintext passwords in task
definitions, security groups open to the world, IAM wildcards, unencrypted storage, IMDSv1 and
unpinned images. Each rule below runs over every stack of every example; the exceptions a rule
allows are listed next to it, each with the reason AWS gives no narrower form.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from config import loads
from tests.conftest import EXAMPLES
from tests.harness.synth import synthesize

WORLD = ("0.0.0.0/0", "::/0")
SECRET_NAME = re.compile(r"PASS|SECRET|KEY|TOKEN", re.I)

# Actions that AWS authorizes only on "*" (no resource-level permissions), and why we need them.
STAR_RESOURCE_ACTIONS = {
    "ssmmessages:CreateControlChannel": "ECS Exec session channels; AWS allows no resource here",
    "ssmmessages:CreateDataChannel": "ECS Exec session channels; AWS allows no resource here",
    "ssmmessages:OpenControlChannel": "ECS Exec session channels; AWS allows no resource here",
    "ssmmessages:OpenDataChannel": "ECS Exec session channels; AWS allows no resource here",
    "logs:DescribeLogGroups": "ECS Exec checks its log group; the API takes no resource",
    "ecr:GetAuthorizationToken": 'the registry login before an ECR pull (the image cache); AWS requires "*"',
}
# In a key policy "*" names the key itself: a KMS key policy's resource is always "*".
KEY_POLICY_RESOURCES = {"aws_kms_key"}


@pytest.fixture(scope="module")
def synths(examples):
    return examples.all()


def each_resource(synths, resource_type: str, *, data: bool = False):
    kind = "data" if data else "resource"
    for example, synth in synths.items():
        for stack_name, stack in synth.stacks.items():
            for name, body in stack.get(kind, {}).get(resource_type, {}).items():
                yield f"{example}/{stack_name}/{resource_type}.{name}", body


def test_no_ingress_from_the_world_but_the_web_load_balancer(synths):
    """Only the ALB takes 80/443 from anywhere, and only when load_balancer.allowed_cidrs says so."""
    found = []
    for where, rule in each_resource(synths, "aws_vpc_security_group_ingress_rule"):
        if rule.get("cidr_ipv4") in WORLD or rule.get("cidr_ipv6") in WORLD:
            alb = "security_groups_alb_" in where and rule.get("from_port") in (80, 443) and rule["from_port"] == rule["to_port"]
            example = where.split("/")[0]
            allowed = "0.0.0.0/0" in synths[example].deployment.load_balancer.allowed_cidrs
            if not (alb and allowed):
                found.append(where)
    for where, group in each_resource(synths, "aws_security_group"):
        for rule in group.get("ingress") or []:
            if set(rule.get("cidr_blocks") or []) & set(WORLD) or set(rule.get("ipv6_cidr_blocks") or []) & set(WORLD):
                found.append(where)
    assert not found, found


def test_a_deployment_that_names_its_networks_opens_nothing_to_the_world(synths):
    assert "0.0.0.0/0" not in synths["tls-rw"].deployment.load_balancer.allowed_cidrs
    opened = [
        w
        for w, r in each_resource({"tls-rw": synths["tls-rw"]}, "aws_vpc_security_group_ingress_rule")
        if r.get("cidr_ipv4") in WORLD
    ]
    assert not opened, opened


def test_world_egress_is_https_only(synths):
    """Tasks and hosts may reach AWS APIs and registries on 443; nothing else goes to the world."""
    found = [
        where
        for where, rule in each_resource(synths, "aws_vpc_security_group_egress_rule")
        if (rule.get("cidr_ipv4") in WORLD or rule.get("cidr_ipv6") in WORLD)
        and not (rule.get("ip_protocol") == "tcp" and rule.get("from_port") == rule.get("to_port") == 443)
    ]
    assert not found, found


def container_definitions(synths):
    for where, task in each_resource(synths, "aws_ecs_task_definition"):
        for container in json.loads(task["container_definitions"]):
            yield where, container


def test_no_secret_in_a_container_environment(synths):
    """Names that look like secrets come only through ECS secrets, from Secrets Manager."""
    found = [
        f"{where}: {entry['name']}"
        for where, container in container_definitions(synths)
        for entry in container.get("environment", [])
        if SECRET_NAME.search(entry["name"])
    ]
    assert not found, found
    for where, container in container_definitions(synths):
        for secret in container.get("secrets", []):
            assert ":secretsmanager:" in secret["valueFrom"] or "aws_secretsmanager_secret" in secret["valueFrom"], where


def test_ssm_parameters_hold_no_secret(synths):
    """.checkov.yaml skips CKV2_AWS_34 (SecureString) because the only parameter is a status word."""
    found = list(each_resource(synths, "aws_ssm_parameter"))
    assert found, "the full example has the uploader's status parameter"
    for where, parameter in found:
        assert re.fullmatch(r"/omero/[a-z0-9-]+/uploader/first-boot", parameter["name"]), where
        assert parameter["type"] == "String" and parameter["value"] == "pending", where


def test_every_image_is_pinned(synths):
    for where, container in container_definitions(synths):
        image = container["image"]
        name, _, tag = image.rpartition(":") if "@" not in image else (image, "", "digest")
        assert name and tag and tag != "latest", f"{where}: {image}"


def policy_statements(synths):
    """(where, statement) from policy documents built by Terraform and from literal JSON policies."""
    for where, document in each_resource(synths, "aws_iam_policy_document", data=True):
        for statement in document.get("statement", []):
            yield (
                where,
                {
                    "Effect": statement.get("effect", "Allow"),
                    "Action": statement.get("actions", []),
                    "Resource": statement.get("resources", []),
                },
            )
    for resource_type in (
        "aws_iam_role_policy",
        "aws_kms_key",
        "aws_sns_topic_policy",
        "aws_s3_bucket_policy",
        "aws_cloudwatch_log_resource_policy",
        "aws_efs_file_system_policy",
    ):
        attribute = {"aws_cloudwatch_log_resource_policy": "policy_document"}.get(resource_type, "policy")
        for where, body in each_resource(synths, resource_type):
            text = body.get(attribute)
            if not isinstance(text, str) or text.startswith("${"):
                continue  # a reference to a policy document, checked above
            for statement in json.loads(text)["Statement"]:
                yield f"{where} ({resource_type})", statement


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def test_no_wildcard_actions(synths):
    found = []
    for where, statement in policy_statements(synths):
        if statement.get("Effect") != "Allow":
            continue
        for action in as_list(statement.get("Action", [])):
            if action == "*" or action.endswith(":*"):
                found.append(f"{where}: {action}")
    assert not found, found


def test_wildcard_resources_only_where_aws_requires_them(synths):
    found = []
    for where, statement in policy_statements(synths):
        if statement.get("Effect") != "Allow" or "*" not in as_list(statement.get("Resource", [])):
            continue
        if any(where.endswith(f"({t})") for t in KEY_POLICY_RESOURCES):
            continue
        unexplained = [a for a in as_list(statement.get("Action", [])) if a not in STAR_RESOURCE_ACTIONS]
        if unexplained:
            found.append(f"{where}: {unexplained}")
    assert not found, found


def test_everything_that_stores_data_is_encrypted(synths):
    for where, fs in each_resource(synths, "aws_efs_file_system"):
        assert fs["encrypted"] is True, where
    for where, db in each_resource(synths, "aws_db_instance"):
        assert db["storage_encrypted"] is True, where
    for where, volume in each_resource(synths, "aws_ebs_volume"):
        assert volume["encrypted"] is True, where
    for where, instance in each_resource(synths, "aws_instance"):
        assert instance["root_block_device"]["encrypted"] is True, where
    for where, template in each_resource(synths, "aws_launch_template"):
        for device in template.get("block_device_mappings", []):
            assert device["ebs"]["encrypted"] == "true", where
    for where, topic in each_resource(synths, "aws_sns_topic"):
        assert topic.get("kms_master_key_id"), where
    for example, synth in synths.items():
        for stack_name, stack in synth.stacks.items():
            resources = stack.get("resource", {})
            buckets = set(resources.get("aws_s3_bucket", {}))
            encrypted = {
                re.search(r"aws_s3_bucket\.([\w-]+)\.", c["bucket"]).group(1)
                for c in resources.get("aws_s3_bucket_server_side_encryption_configuration", {}).values()
            }
            assert buckets <= encrypted, f"{example}/{stack_name}: unencrypted {sorted(buckets - encrypted)}"


def test_every_ec2_host_requires_imdsv2(synths):
    hosts = list(each_resource(synths, "aws_instance")) + list(each_resource(synths, "aws_launch_template"))
    assert hosts, "no EC2 host in any example?"
    for where, host in hosts:
        options = host["metadata_options"]
        assert options["http_tokens"] == "required", where
        assert options.get("http_put_response_hop_limit") in (1, None), where
        assert not host.get("associate_public_ip_address"), where


# Names unique only inside a parent that is itself named per deployment: a role's inline
# policies, a cluster's services, a Cloud Map namespace's services.
SCOPED_NAMES = {"aws_iam_role_policy", "aws_ecs_service", "aws_service_discovery_service"}


def named_things(synth) -> set[str]:
    """Every name AWS keeps unique within an account and region, as synthesized."""
    keys = ("name", "name_prefix", "identifier", "bucket")
    names = set()
    for stack in synth.stacks.values():
        for resource_type, resources in stack.get("resource", {}).items():
            if resource_type in SCOPED_NAMES:
                continue
            for body in resources.values():
                for key in keys + (("family",) if resource_type == "aws_ecs_task_definition" else ()):
                    value = body.get(key)
                    if isinstance(value, str) and "${" not in value:
                        names.add(f"{resource_type}:{value}")
    return names


def test_two_deployments_share_no_names(examples, tmp_path_factory):
    """dev and prod in one account and region: no name of one is a name of the other."""
    source = (Path(EXAMPLES["full"])).read_text()
    outputs = {}
    for name in ("omero-dev", "omero-prod"):
        text = re.sub(r'^name\s*=\s*"[^"]+"', f'name = "{name}"', source, count=1, flags=re.M)
        text = text.replace('"omero-full-terraform-state-example"', f'"{name}-terraform-state-example"')
        text = text.replace('"omero.example.org"', f'"{name}.example.org"')  # each has its own domain
        deployment = loads(text, f"{name}.hcl")
        outputs[name] = named_things(synthesize(deployment, tmp_path_factory.mktemp(name) / "cdktf.out"))
    dev, prod = outputs.values()
    assert len(dev) > 40, sorted(dev)
    assert not dev & prod, sorted(dev & prod)


def test_a_narrow_deployment_is_reviewed_too(tmp_path):
    """The rules hold for the all-off path as well: the smallest valid file."""
    deployment = loads('name = "omero-min"\n', "min.hcl")
    synth = synthesize(deployment, tmp_path / "cdktf.out")
    for rule in (
        test_no_ingress_from_the_world_but_the_web_load_balancer,
        test_world_egress_is_https_only,
        test_no_secret_in_a_container_environment,
        test_every_image_is_pinned,
        test_no_wildcard_actions,
        test_wildcard_resources_only_where_aws_requires_them,
        test_everything_that_stores_data_is_encrypted,
    ):
        rule({"min": synth})
