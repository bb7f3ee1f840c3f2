"""The network stack as synthesized from the examples."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from config import loads
from tests.harness.synth import ROOT, one, synthesize

PROTECTED = ("aws_vpc", "aws_subnet")
# What "Really deleting a deployment" (docs/deploying.md) has an operator run in the network stack's
# directory to lift the protection once the storage stack is gone; the file goes with the next synth.
UNPROTECT = "{resource: (.resource | {aws_vpc, aws_subnet} | map_values(map_values({lifecycle: {prevent_destroy: false}})))}"


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
        # in the VPC, and large enough (tests/test_network_capacity.py)
        [in_vpc, size] = subnet["lifecycle"]["postcondition"]
        assert in_vpc["condition"] == '${self.vpc_id == "vpc-0a1b2c3d4e5f60718"}'
        assert size["condition"].startswith('${tonumber(split("/", self.cidr_block)[1]) <= ')
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
        "s3_gateway_endpoint_id",
    }
    assert all(output.get("description") for output in outputs.values())


def test_tags_on_everything(examples):
    synth = examples["tls-rw-ro"]
    for role in ("state", "network"):
        [provider] = synth.stack(role)["provider"]["aws"]
        tags = provider["default_tags"][0]["tags"]
        assert tags == {"project": "omero", "deployment": "omero-prod", "environment": "production", "cost-center": "4711"}
        assert provider["region"] == "us-east-1"


def test_s3_traffic_from_private_subnets_skips_the_nat_gateways(examples):
    synth = examples["tls-rw-ro"]
    endpoints = synth.resources("network", "aws_vpc_endpoint").values()
    endpoint = one({e["service_name"]: e for e in endpoints if e["vpc_endpoint_type"] == "Gateway"})
    assert endpoint["service_name"] == "com.amazonaws.us-east-1.s3"
    # every private route table (one per zone), and none of the public one
    private_tables = {
        f"${{aws_route_table.{address}.id}}"
        for address, table in synth.resources("network", "aws_route_table").items()
        if "-private-" in table["tags"]["Name"]
    }
    assert len(private_tables) == 3 and set(endpoint["route_table_ids"]) == private_tables
    # AWS's default policy: a path to S3, not a permission
    assert "policy" not in endpoint
    # an existing VPC's routing is its owner's
    assert "aws_vpc_endpoint" not in examples["existing-vpc"].stack("network").get("resource", {})


def endpoint_services(synth) -> list[str]:
    region = synth.deployment.region
    return sorted(
        e["service_name"].removeprefix(f"com.amazonaws.{region}.")
        for e in synth.resources("network", "aws_vpc_endpoint").values()
        if e["vpc_endpoint_type"] == "Interface"
    )


def test_production_reaches_aws_apis_through_interface_endpoints(examples):
    synth = examples["tls-rw-ro"]  # production (environment tag), Fargate, three zones
    assert endpoint_services(synth) == ["ecr.api", "ecr.dkr", "logs", "secretsmanager", "ssmmessages"]
    group = one(synth.resources("network", "aws_security_group"))
    group_ref = "${aws_security_group.interface_endpoints_security_group_51AB3B4D.id}"
    private = sorted(a for a in synth.resources("network", "aws_subnet") if a.startswith("network_private"))
    for endpoint in synth.resources("network", "aws_vpc_endpoint").values():
        if endpoint["vpc_endpoint_type"] != "Interface":
            continue
        assert endpoint["private_dns_enabled"] is True  # required for ecr.dkr; the SDKs' usual names resolve to it
        assert endpoint["subnet_ids"] == [f"${{aws_subnet.{a}.id}}" for a in private]
        assert endpoint["security_group_ids"] == [group_ref]
        assert "policy" not in endpoint  # AWS's default: a path, not a permission
    # HTTPS in from each private subnet, nothing else; no egress rule: an endpoint only answers
    assert group["name"] == "omero-prod-endpoints" and "ingress" not in group and "egress" not in group
    rules = synth.resources("network", "aws_vpc_security_group_ingress_rule").values()
    assert sorted(r["cidr_ipv4"] for r in rules) == [f"${{aws_subnet.{a}.cidr_block}}" for a in private]
    assert all((r["from_port"], r["to_port"], r["ip_protocol"]) == (443, 443, "tcp") for r in rules)
    assert all(r["security_group_id"] == group_ref for r in rules)
    assert not synth.resources("network", "aws_vpc_security_group_egress_rule")
    output = synth.stack("network")["output"]["interface_endpoint_ids"]["value"]
    assert sorted(output) == endpoint_services(synth)


def test_ec2_hosts_add_the_ecs_and_ssm_agents_endpoints(examples):
    # EC2 container instances (the file gateway needs them) and the uploader run the ECS and SSM agents
    assert endpoint_services(examples["full"]) == [
        "ec2messages",
        "ecr.api",
        "ecr.dkr",
        "ecs",
        "ecs-agent",
        "ecs-telemetry",
        "logs",
        "secretsmanager",
        "ssm",
        "ssmmessages",
    ]


# What a production deployment (its name says so) must otherwise have: a standby database and HTTPS.
PRODUCTION_WAIVERS = 'database { single_az_waiver = "a test" }\nload_balancer { plain_http_waiver = "a test" }'


def test_no_interface_endpoints_by_default_outside_production(examples):
    for name in ("quickstart-http", "tls-rw", "existing-vpc"):
        assert endpoint_services(examples[name]) == [], name
        assert "interface_endpoint_ids" not in examples[name].stack("network")["output"]


def test_interface_endpoints_as_configured(tmp_path):
    chosen = 'name = "chosen"\nnetwork { interface_endpoints = ["logs", "sts"] }'
    synth = synthesize(loads(chosen), tmp_path / "chosen")
    assert endpoint_services(synth) == ["logs", "sts"]
    none = (  # production (its name says so), but asked for none
        'name = "omero-prod"\nnetwork { interface_endpoints = [] }\nimages { anonymous_pulls_waiver = "a test" }\n'
        + PRODUCTION_WAIVERS
    )
    assert endpoint_services(synthesize(loads(none), tmp_path / "none")) == []


def test_an_existing_vpc_gets_endpoints_only_when_listed(examples, tmp_path):
    # its owner may have endpoints already, and AWS refuses a second private DNS name for a service
    text = (ROOT / "examples" / "existing-vpc.hcl").read_text()
    text = text.replace("network {", 'network {\n  interface_endpoints = ["ecr.api", "ecr.dkr"]', 1)
    synth = synthesize(loads(text), tmp_path / "out")
    assert endpoint_services(synth) == ["ecr.api", "ecr.dkr"]
    rules = synth.resources("network", "aws_vpc_security_group_ingress_rule").values()
    assert sorted(r["cidr_ipv4"] for r in rules) == sorted(
        f"${{data.aws_subnet.{a}.cidr_block}}" for a in synth.data("network", "aws_subnet") if a.startswith("network_private")
    )


def test_s3_gateway_endpoint_can_be_switched_off(tmp_path):
    synth = synthesize(loads('name = "noendpoint"\nnetwork { s3_gateway_endpoint = false }'), tmp_path / "out")
    assert "aws_vpc_endpoint" not in synth.stack("network")["resource"]
    assert "s3_gateway_endpoint_id" not in synth.stack("network")["output"]


def test_flow_logs_can_be_switched_off(tmp_path):
    synth = synthesize(loads('name = "nolog"\nnetwork { flow_logs { enabled = false } }'), tmp_path / "out")
    assert "aws_flow_log" not in synth.stack("network")["resource"]
    assert "flow_log_group" not in synth.stack("network")["output"]


def test_two_deployments_do_not_collide(tmp_path):
    names = {}
    for name in ("dev", "prod"):
        # both through an image cache: one Docker Hub secret, a cache rule each
        secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-pullthroughcache/docker-hub-AbCdEf"
        synth = synthesize(
            loads(
                f'name = "omero-{name}"\nimages {{ docker_hub_secret_arn = "{secret}" }}\n'
                + (PRODUCTION_WAIVERS if name == "prod" else "")
            ),
            tmp_path / name / "out",
        )
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
        named += [
            r["tags"]["Name"]
            for resources in resources_by_type.values()
            for r in resources.values()
            if "Name" in r.get("tags", {})
        ]
        named += [
            r[key]
            for resources in resources_by_type.values()
            for r in resources.values()
            for key in ("name_prefix", "bucket_prefix")
            if key in r
        ]
        named += [r["family"] for r in resources_by_type["aws_ecs_task_definition"].values()]
        named += [
            r[key]
            for resources in resources_by_type.values()
            for r in resources.values()
            for key in ("identifier", "creation_token", "final_snapshot_identifier", "ecr_repository_prefix")
            if key in r
        ]
        names[name] = set(named)
        assert synth.order == [f"omero-{name}-{role}" for role in ("network", "storage", "backup", "services")]
    assert names["dev"] and not names["dev"] & names["prod"], names["dev"] & names["prod"]


def test_output_is_deterministic(tmp_path, examples):
    again = synthesize(examples["quickstart-http"].deployment, tmp_path / "again" / "cdktf.out")
    first = examples["quickstart-http"]
    for name in first.order:
        assert json.dumps(first.stacks[name], sort_keys=True) == json.dumps(again.stacks[name], sort_keys=True)


def test_vpc_and_subnets_refuse_to_be_destroyed(examples):
    for example, zones in (("tls-rw-ro", 3), ("quickstart-http", 2)):
        synth = examples[example]
        resources = synth.stack("network")["resource"]
        protected = [
            (kind, name)
            for kind, named in resources.items()
            for name, r in named.items()
            if r.get("lifecycle", {}).get("prevent_destroy")
        ]
        expected = [(kind, name) for kind in PROTECTED for name in resources[kind]]
        # the VPC and every subnet, and nothing else: route tables, routes and NAT gateways change
        # with network.nat_gateways, and the whole destroy already fails on the VPC
        assert sorted(protected) == sorted(expected)
        assert len(expected) == 1 + 2 * zones
        assert all(resources[kind][name]["lifecycle"] == {"prevent_destroy": True} for kind, name in expected)


def test_existing_vpc_is_not_protected_here(examples):
    # nothing of an existing VPC is created in the stack, so nothing here could destroy it
    resources = examples["existing-vpc"].stack("network")["resource"]
    assert not [name for named in resources.values() for name, r in named.items() if "lifecycle" in r]


def deployed_network(examples, terraform_cli, directory: Path):
    """quickstart-http's network stack in ``directory``, initialized offline, with a state that
    holds every one of its resources (as after an apply) and a provider that never calls AWS."""
    synth = examples["quickstart-http"]
    stack = synth.stack_dir("network")
    work = directory / "cdktf.out" / "stacks" / stack.name
    work.mkdir(parents=True)
    shutil.copy(stack / "cdk.tf.json", work)
    config = json.loads((work / "cdk.tf.json").read_text())
    resources = [
        {
            "mode": "managed",
            "type": kind,
            "name": name,
            "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
            "instances": [{"schema_version": 0, "attributes": {"id": f"{kind}-{name}"}}],
        }
        for kind, named in config["resource"].items()
        for name in named
    ]
    state = {
        "version": 4,
        "terraform_version": "1.11.4",
        "serial": 1,
        "lineage": str(uuid.uuid4()),
        "outputs": {},
        "resources": resources,
    }
    (work / config["terraform"]["backend"]["local"]["path"]).write_text(json.dumps(state))
    # Test-only: plan without credentials, and any AWS call would fail at once on a closed local port.
    offline = {
        "skip_credentials_validation": True,
        "skip_requesting_account_id": True,
        "skip_metadata_api_check": "true",
        "skip_region_validation": True,
        "max_retries": 1,
        "endpoints": [{service: "http://127.0.0.1:9" for service in ("ec2", "iam", "logs", "sts")}],
    }
    (work / "offline_override.tf.json").write_text(json.dumps({"provider": {"aws": [offline]}}))
    tf = terraform_cli.with_env(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    init = tf(work, "init", "-input=false", "-no-color", timeout=300)
    assert init.returncode == 0, str(init)
    return tf, work, config, len(resources)


@pytest.mark.terraform
def test_destroying_the_network_fails_at_plan_time(examples, terraform_cli, tmp_path):
    tf, work, config, count = deployed_network(examples, terraform_cli, tmp_path)
    plan = tf(work, "plan", "-destroy", "-refresh=false", "-input=false", "-no-color", timeout=300)
    assert plan.returncode == 1, str(plan)
    message = " ".join(plan.stderr.split())
    refused = {f"{kind}.{name}" for kind in PROTECTED for name in config["resource"][kind]}
    for address in refused:
        assert f"Resource {address} has lifecycle.prevent_destroy set" in message, str(plan)
    assert message.count("Instance cannot be destroyed") == len(refused)
    # the plan as a whole fails, so `terraform destroy` stops before touching anything
    assert f"0 to add, 0 to change, {count} to destroy" in plan.stdout
    assert "Terraform planned the following actions, but then encountered a problem" in plan.stdout


@pytest.mark.terraform
def test_the_documented_override_lets_a_deliberate_destroy_through(examples, terraform_cli, tmp_path):
    if shutil.which("jq") is None:
        pytest.skip("jq is not on PATH")
    tf, work, config, count = deployed_network(examples, terraform_cli, tmp_path)
    override = subprocess.run(["jq", UNPROTECT, "cdk.tf.json"], cwd=work, capture_output=True, text=True, check=True)
    (work / "unprotect_override.tf.json").write_text(override.stdout)
    assert set(json.loads(override.stdout)["resource"]) == set(PROTECTED)
    plan = tf(work, "plan", "-destroy", "-refresh=false", "-input=false", "-no-color", timeout=300)
    assert plan.returncode == 0, str(plan)
    assert f"Plan: 0 to add, 0 to change, {count} to destroy." in plan.stdout
