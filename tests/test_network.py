"""The network stack as synthesized from the examples."""
from __future__ import annotations

import json

from tests.harness.synth import one, synthesize
from config import loads


def test_new_vpc_with_dns_and_planned_subnets(examples):
    synth = examples["tls-rw-ro"]
    vpc = one(synth.resources("network", "aws_vpc"))
    assert vpc["cidr_block"] == "10.192.0.0/16"
    assert vpc["enable_dns_support"] is True and vpc["enable_dns_hostnames"] is True
    subnets = synth.resources("network", "aws_subnet")
    public = sorted(s["cidr_block"] for s in subnets.values() if s["tags"]["tier"] == "public")
    private = sorted(s["cidr_block"] for s in subnets.values() if s["tags"]["tier"] == "private")
    assert public == ["10.192.0.0/20", "10.192.16.0/20", "10.192.32.0/20"]
    assert private == ["10.192.128.0/20", "10.192.144.0/20", "10.192.160.0/20"]
    # explicit zones are used as given, in order
    zones = sorted((s["cidr_block"], s["availability_zone"]) for s in subnets.values() if s["tags"]["tier"] == "private")
    assert [z for _, z in zones] == ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert all(s.get("map_public_ip_on_launch") is False for s in subnets.values())


def test_one_nat_gateway_per_az_routes_each_private_subnet_to_its_own(examples):
    synth = examples["tls-rw-ro"]
    nats = synth.resources("network", "aws_nat_gateway")
    assert len(nats) == 3
    private_routes = [r for r in synth.resources("network", "aws_route").values() if "nat_gateway_id" in r]
    assert len({r["nat_gateway_id"] for r in private_routes}) == 3
    assert len(synth.resources("network", "aws_eip")) == 3


def test_single_nat_gateway_serves_every_private_subnet(examples):
    synth = examples["quickstart-http"]
    nats = synth.resources("network", "aws_nat_gateway")
    assert len(nats) == 1
    private_routes = [r for r in synth.resources("network", "aws_route").values() if "nat_gateway_id" in r]
    assert len(private_routes) == 2 and len({r["nat_gateway_id"] for r in private_routes}) == 1
    nat = one(nats)
    # the NAT sits in a public subnet, reached through the internet gateway
    assert "aws_subnet.network_public_0" in nat["subnet_id"]
    public_route = [r for r in synth.resources("network", "aws_route").values() if "gateway_id" in r]
    assert len(public_route) == 1 and public_route[0]["destination_cidr_block"] == "0.0.0.0/0"


def test_zones_are_looked_up_when_not_given(examples):
    synth = examples["quickstart-http"]
    zones = one(synth.data("network", "aws_availability_zones"))
    assert zones["state"] == "available"
    assert zones["filter"] == [{"name": "zone-type", "values": ["availability-zone"]}]
    [check] = zones["lifecycle"]["postcondition"]
    assert check["condition"] == "${length(self.names) >= 2}"
    subnets = synth.resources("network", "aws_subnet").values()
    # indexed, not element(): a region with too few zones fails instead of reusing one
    assert sorted(s["availability_zone"].split(".names")[1] for s in subnets) == ["[0]}", "[0]}", "[1]}", "[1]}"]


def test_default_security_group_is_emptied(examples):
    group = one(examples["quickstart-http"].resources("network", "aws_default_security_group"))
    assert "ingress" not in group and "egress" not in group


def test_flow_logs_write_only_to_their_group(examples):
    synth = examples["quickstart-http"]
    flow_log = one(synth.resources("network", "aws_flow_log"))
    assert flow_log["traffic_type"] == "ALL"
    assert flow_log["log_destination_type"] == "cloud-watch-logs"
    group = one(synth.resources("network", "aws_cloudwatch_log_group"))
    assert group["retention_in_days"] == 365
    assert group["name"] == "/omero/omero-quick/vpc-flow-logs"
    documents = synth.data("network", "aws_iam_policy_document")
    write = next(d for name, d in documents.items() if name.startswith("flow_logs_write"))
    [statement] = write["statement"]
    assert statement["effect"] == "Allow"
    assert all(action.startswith("logs:") for action in statement["actions"])
    assert all("aws_cloudwatch_log_group.flow_logs_log_group" in r for r in statement["resources"])
    trust = next(d for name, d in documents.items() if name.startswith("flow_logs_trust"))
    [statement] = trust["statement"]
    assert statement["principals"] == [{"identifiers": ["vpc-flow-logs.amazonaws.com"], "type": "Service"}]
    assert statement["condition"][0]["variable"] == "aws:SourceAccount"


def test_existing_vpc_is_looked_up_and_checked(examples):
    synth = examples["existing-vpc"]
    stack = synth.stack("network")
    assert "aws_vpc" not in stack.get("resource", {})
    assert "aws_subnet" not in stack.get("resource", {})
    assert one(synth.data("network", "aws_vpc"))["id"] == "vpc-0a1b2c3d4e5f60718"
    subnets = synth.data("network", "aws_subnet")
    assert sorted(s["id"] for s in subnets.values()) == [
        "subnet-0a1b2c3d4e5f60001",
        "subnet-0a1b2c3d4e5f60002",
        "subnet-0a1b2c3d4e5f60011",
        "subnet-0a1b2c3d4e5f60012",
    ]
    for subnet in subnets.values():
        [check] = subnet["lifecycle"]["postcondition"]
        assert check["condition"] == '${self.vpc_id == "vpc-0a1b2c3d4e5f60718"}'
    vpc = one(synth.data("network", "aws_vpc"))
    conditions = [c["condition"] for c in vpc["lifecycle"]["postcondition"]]
    assert len(conditions) == 3 and all(c.startswith("${length(distinct([data.aws_subnet.") for c in conditions[:2])
    assert conditions[2] == "${self.enable_dns_support && self.enable_dns_hostnames}"
    flow_log = one(synth.resources("network", "aws_flow_log"))
    assert flow_log["vpc_id"].startswith("${data.aws_vpc.")
    assert flow_log["traffic_type"] == "REJECT"
    assert stack["output"]["nat_public_ips"]["value"] == []


def test_operator_outputs(examples):
    outputs = examples["quickstart-http"].stack("network")["output"]
    # cdktf adds one output per value another stack reads
    outputs = {k: v for k, v in outputs.items() if not k.startswith("cross-stack-output-")}
    assert set(outputs) == {
        "vpc_id",
        "vpc_cidr",
        "public_subnet_ids",
        "private_subnet_ids",
        "availability_zones",
        "nat_public_ips",
        "flow_log_group",
    }
    assert all(output.get("description") for output in outputs.values())


def test_tags_on_everything(examples):
    synth = examples["tls-rw-ro"]
    for role in ("state", "network"):
        [provider] = synth.stack(role)["provider"]["aws"]
        tags = provider["default_tags"][0]["tags"]
        assert tags == {"project": "omero", "deployment": "omero-prod", "environment": "production", "cost-center": "4711"}
        assert provider["region"] == "us-east-1"


def test_flow_logs_can_be_switched_off(tmp_path):
    synth = synthesize(loads('name = "nolog"\nnetwork { flow_logs { enabled = false } }'), tmp_path / "out")
    assert "aws_flow_log" not in synth.stack("network")["resource"]
    assert "flow_log_group" not in synth.stack("network")["output"]


def test_two_deployments_do_not_collide(tmp_path):
    names = {}
    for name in ("dev", "prod"):
        synth = synthesize(loads(f'name = "omero-{name}"'), tmp_path / name / "out")
        # names that must be unique in an account and region (an inline role policy's name
        # is scoped to its role, an ECS service's to its cluster, a Cloud Map service's to its
        # namespace; the cluster and the namespace carry the deployment's name)
        resources_by_type = {}
        for stack in synth.stacks.values():
            for kind, resources in stack["resource"].items():
                resources_by_type.setdefault(kind, {}).update(resources)
        named = [
            r["name"]
            for kind, resources in resources_by_type.items()
            if kind not in ("aws_iam_role_policy", "aws_ecs_service", "aws_service_discovery_service")
            for r in resources.values()
            if "name" in r
        ]
        named += [r["tags"]["Name"] for resources in resources_by_type.values() for r in resources.values() if "Name" in r.get("tags", {})]
        named += [r[key] for resources in resources_by_type.values() for r in resources.values() for key in ("name_prefix", "bucket_prefix") if key in r]
        named += [r["family"] for r in resources_by_type["aws_ecs_task_definition"].values()]
        named += [r[key] for resources in resources_by_type.values() for r in resources.values() for key in ("identifier", "creation_token", "final_snapshot_identifier") if key in r]
        names[name] = set(named)
        assert synth.order == [f"omero-{name}-{role}" for role in ("network", "storage", "services")]
    assert names["dev"] and not names["dev"] & names["prod"], names["dev"] & names["prod"]


def test_output_is_deterministic(tmp_path, examples):
    again = synthesize(examples["quickstart-http"].deployment, tmp_path / "again" / "cdktf.out")
    first = examples["quickstart-http"]
    for name in first.order:
        assert json.dumps(first.stacks[name], sort_keys=True) == json.dumps(again.stacks[name], sort_keys=True)
