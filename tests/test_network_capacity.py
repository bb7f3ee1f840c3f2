"""Subnets too small for the deployment are refused before anything is built (config.network_plan)."""

from __future__ import annotations

import json
import re

import pytest

from config import ConfigError, load, loads
from config.network_plan import prefix_for, private_demand, public_demand, subnet_minimums, usable
from tests.harness.synth import ROOT, example_paths

NAME = 'name = "cap"\n'


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as error:
        loads(NAME + text)
    return error.value.lines


def test_five_addresses_of_every_subnet_are_aws_s():
    # Amazon VPC User Guide, "Subnet CIDR blocks": a /28 has 16 addresses, 11 usable; a /24 251.
    assert (usable(28), usable(27), usable(24)) == (11, 27, 251)
    assert (prefix_for(1), prefix_for(11), prefix_for(12), prefix_for(27), prefix_for(28)) == (28, 28, 27, 27, 26)


def test_a_24_vpc_cut_into_28s_is_refused_with_what_it_needs():
    [line] = problems('network { vpc_cidr = "10.0.0.0/24" }')
    assert line.startswith('network.vpc_cidr = "10.0.0.0/24": allowed: /23 or larger: its planned subnets are /28, leaving 11')
    # both tiers say what they hold: the load balancer's /27 and the private subnets' count
    assert "be a /27 at least for the load balancer" in line
    assert "a private one may have to hold 14 addresses (tasks 9, EFS mount target 1, database 2, session store nodes 2)" in line


def test_the_vpc_it_asks_for_is_enough():
    deployment = loads(NAME + 'network { vpc_cidr = "10.0.0.0/23" }')
    public, private = deployment.network.subnet_plan()
    assert public == ("10.0.0.0/27", "10.0.0.32/27") and private == ("10.0.1.0/27", "10.0.1.32/27")


def test_given_private_subnets_too_small_are_named():
    text = """network {
      vpc_cidr             = "10.0.0.0/24"
      public_subnet_cidrs  = ["10.0.0.0/27", "10.0.0.32/27"]
      private_subnet_cidrs = ["10.0.0.128/28", "10.0.0.144/28"]
    }"""
    [line] = problems(text)
    assert line.startswith('network.private_subnet_cidrs = ["10.0.0.128/28", "10.0.0.144/28"]: allowed: /27 or larger')
    assert line.endswith("10.0.0.128/28 leaves 11")
    loads(NAME + text.replace("10.0.0.128/28", "10.0.0.128/27").replace("10.0.0.144/28", "10.0.0.160/27"))


def test_public_subnets_below_27_are_refused_for_the_load_balancer():
    # 11 addresses would hold the load balancer's 8 and a NAT gateway, but AWS asks for a /27.
    text = """network {
      vpc_cidr             = "10.0.0.0/24"
      public_subnet_cidrs  = ["10.0.0.0/28", "10.0.0.16/28"]
      private_subnet_cidrs = ["10.0.0.128/26", "10.0.0.192/26"]
    }"""
    [line] = problems(text)
    assert line.startswith('network.public_subnet_cidrs = ["10.0.0.0/28", "10.0.0.16/28"]: allowed: /27 or larger')
    assert "(load balancer 8, NAT gateway 1) and be a /27 at least for the load balancer" in line


def test_a_planned_tier_beside_a_given_one_names_the_vpc():
    text = 'network {\n vpc_cidr = "10.0.0.0/24"\n public_subnet_cidrs = ["10.0.0.0/27", "10.0.0.32/27"] }'
    [line] = problems(text)
    assert line.startswith('network.vpc_cidr = "10.0.0.0/24": allowed: /23 or larger')
    assert "a public one" not in line and "a private one may have to hold 14" in line


def sizes(text: str) -> dict[str, int]:
    return dict(private_demand(loads(NAME + text)))


def test_the_count_follows_the_deployment():
    base = sizes("")
    # OMERO.web doubles during a deploy at max_tasks (maximumPercent 200); a zone takes over
    # the tasks of a failed one: with two zones, all of them.
    assert base["tasks"] == 2 * 4 + 1
    assert sizes("web { max_tasks = 10 }")["tasks"] == 2 * 10 + 1
    assert sizes("server { read_only_count = 3 }")["tasks"] == 2 * 4 + 1 + 3
    # three zones: the survivors of one failure share its tasks
    assert sizes("network { az_count = 3 }")["tasks"] == 5
    assert "session store nodes" not in sizes("web {\n session_store { enabled = false } }")
    assert sizes("web {\n session_store { replicas = 3 } }")["session store nodes"] == 4
    assert base["database"] == 2 and base["EFS mount target"] == 1


def test_add_ons_take_their_addresses():
    full = load(ROOT / "examples" / "full.hcl")
    demand = dict(private_demand(full))
    assert demand["file gateway"] == 1 and demand["DataSync"] == 2 and demand["uploader"] == 1
    assert demand["AppStream instances"] == full.appstream.desired_instances
    assert demand["container instances"] == full.cluster.ec2.max_instances
    assert dict(public_demand(loads(NAME))) == {"load balancer": 8, "NAT gateway": 1}
    nlb = loads(NAME + 'server_load_balancer {\n enabled = true\n allowed_cidrs = ["192.0.2.0/24"] }')
    assert dict(public_demand(nlb))["network load balancer"] == 8


def test_a_big_deployment_needs_more_than_a_27():
    # 50 web tasks double to 100 in a deploy: more than a /26 holds
    [line] = problems('network { vpc_cidr = "10.0.0.0/22" }\nweb { max_tasks = 50 }')
    assert line.startswith('network.vpc_cidr = "10.0.0.0/22": allowed: /21 or larger')
    assert "tasks 101" in line
    assert subnet_minimums(loads(NAME + "web { max_tasks = 50 }"))[1] == 25


@pytest.mark.parametrize("path", example_paths(), ids=lambda p: p.stem)
def test_every_example_fits(path):
    deployment = load(path)
    public, private = subnet_minimums(deployment)
    assert public <= 27 and private <= 28


def test_an_existing_vpc_is_checked_at_plan_time(examples):
    synth = examples["existing-vpc"]
    public, private = subnet_minimums(synth.deployment)
    for name, subnet in synth.data("network", "aws_subnet").items():
        tier = "public" if name.startswith("network_public") else "private"
        checks = {c["condition"]: c["error_message"] for c in subnet["lifecycle"]["postcondition"]}
        want = public if tier == "public" else private
        message = checks[f'${{tonumber(split("/", self.cidr_block)[1]) <= {want}}}']
        assert message.startswith(f"network.{tier}_subnet_ids: {subnet['id']} is smaller than the /{want}")


@pytest.mark.terraform
@pytest.mark.parametrize(("cidr", "fits"), [("10.1.2.0/27", True), ("10.1.0.0/20", True), ("10.1.2.0/28", False)])
def test_the_plan_time_condition_reads_the_prefix(examples, terraform_cli, tmp_path, cidr, fits):
    subnet = next(iter(examples["existing-vpc"].data("network", "aws_subnet").values()))
    condition = next(c["condition"] for c in subnet["lifecycle"]["postcondition"] if "cidr_block" in c["condition"])
    expression = re.fullmatch(r"\$\{(.*)\}", condition).group(1).replace("self.cidr_block", json.dumps(cidr))
    (tmp_path / "main.tf").write_text(f'output "fits" {{\n  value = {expression}\n}}\n')
    for args in (("init", "-input=false", "-no-color"), ("apply", "-auto-approve", "-input=false", "-no-color")):
        result = terraform_cli(tmp_path, *args, timeout=120)
        assert result.returncode == 0, str(result)
    result = terraform_cli(tmp_path, "output", "-raw", "fits", timeout=120)
    assert result.stdout.strip() == ("true" if fits else "false"), str(result)


@pytest.mark.parametrize(
    ("services", "says"),
    [
        ('["ecr.api", "s3"]', "'s3': service names among ecr.api, ecr.dkr, logs"),  # S3 is the gateway endpoint
        ('["logs", "logs"]', "each service once"),
        ('["com.amazonaws.us-east-1.logs"]', "'com.amazonaws.us-east-1.logs': service names among"),
    ],
)
def test_interface_endpoints_name_known_services_once(services, says):
    [line] = problems(f"network {{ interface_endpoints = {services} }}")
    assert line.startswith(f"network.interface_endpoints = {json.dumps(json.loads(services))}")
    assert says in line


def test_each_interface_endpoint_takes_an_address_in_every_private_subnet():
    listed = dict(private_demand(loads(NAME + 'network { interface_endpoints = ["logs", "sts", "ssm"] }')))
    assert listed["interface endpoints"] == 3
    # production in a new VPC: the ones it uses, by default
    production = load(ROOT / "examples" / "tls-rw-ro.hcl")
    assert dict(private_demand(production))["interface endpoints"] == 5
    assert "interface endpoints" not in dict(private_demand(loads(NAME)))
    # enough endpoints tip a /27 over
    eleven = '["ecr.api", "ecr.dkr", "logs", "secretsmanager", "ssm", "ssmmessages", "ec2messages", "sts", "ecs", "ecs-agent", "ecs-telemetry"]'
    loads(NAME + 'network { vpc_cidr = "10.0.0.0/23" }\nweb { max_tasks = 6 }')  # 18 of a /27's 27
    [line] = problems(f'network {{\n vpc_cidr = "10.0.0.0/23"\n interface_endpoints = {eleven} }}\nweb {{ max_tasks = 6 }}')
    assert line.startswith('network.vpc_cidr = "10.0.0.0/23": allowed: /22 or larger') and "interface endpoints 11" in line
