"""Apply whole deployments to a local AWS API emulator (moto on 127.0.0.1), stack by stack.

For each deployment: ``terraform apply`` every stack in order (remote state in the emulator's S3
where the deployment has a state bucket), then a second ``terraform plan`` that must show no
changes, then what an operator reads: ``terraform output`` and ``terraform state list``.
Deselect with ``-m "not emulator"``; CI runs them.
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import boto3
import pytest

from tests.harness import emulator as emulator_harness
from tests.harness import terraform
from tests.harness.synth import Synthesis, synthesize

pytestmark = [pytest.mark.emulator, pytest.mark.terraform]

# Where the emulator falls short, moto itself is patched in tests/harness/moto_server.py
# (EMULATOR_PATCHES lists each patch and why); nothing in the product is bent for it.
APPLY_TIMEOUT = 600  # seconds per terraform command; the provider's own waiters are slow on moto


@pytest.fixture(scope="session")
def emulator(tmp_path_factory):
    reason = terraform.why_unavailable()
    if reason:
        pytest.skip(reason)
    server = emulator_harness.start(tmp_path_factory.mktemp("moto"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def tf(emulator, terraform_cli):
    """Terraform with the emulator's fake credentials and nothing else from this environment."""
    return terraform.Terraform(Path(terraform_cli.env["TF_CLI_CONFIG_FILE"]), emulator.env("us-east-1"))


def aws(emulator, service: str, region: str):
    return boto3.client(service, region_name=region, endpoint_url=emulator.endpoint, **{
        "aws_access_key_id": "testing", "aws_secret_access_key": "testing", "aws_session_token": "testing",
    })


@dataclasses.dataclass
class Applied:
    outputs: dict[str, dict]  # stack name -> terraform output -json
    state: dict[str, list[str]]  # stack name -> terraform state list


def apply_all(tf: terraform.Terraform, synth: Synthesis) -> Applied:
    region = synth.deployment.region
    tf = tf.with_env(AWS_REGION=region, AWS_DEFAULT_REGION=region)
    applied = Applied({}, {})
    for name in synth.order:
        directory = synth.outdir / "stacks" / name
        for args in (("init", "-input=false", "-no-color"), ("apply", "-auto-approve", "-input=false", "-no-color")):
            result = tf(directory, *args, timeout=APPLY_TIMEOUT)
            assert result.returncode == 0, f"{name}: {result}"
        replan = tf(directory, "plan", "-detailed-exitcode", "-input=false", "-no-color", timeout=APPLY_TIMEOUT)
        assert replan.returncode == 0, f"{name}: the second plan is not empty:\n{replan}"
        outputs = tf(directory, "output", "-json")
        assert outputs.returncode == 0, str(outputs)
        applied.outputs[name] = {key: value["value"] for key, value in json.loads(outputs.stdout).items()}
        state = tf(directory, "state", "list")
        assert state.returncode == 0, str(state)
        applied.state[name] = state.stdout.split()
    return applied


def with_consumer_stack(deployment, outdir: Path, endpoint: str) -> Synthesis:
    """The deployment plus a small stack that reads the network's outputs across stacks.

    Later stacks (storage, services) consume the network the same way: cdktf turns the reference
    into an output of the network stack and a ``terraform_remote_state`` read of it, through the
    backend in use (here S3 in the emulator).
    """
    import main  # noqa: F401
    from cdktf import TerraformOutput
    from cdktf_cdktf_provider_aws.security_group import SecurityGroup
    from stacks.app import build_app
    from stacks.base import DeploymentStack, SynthSettings

    settings = SynthSettings(outdir=outdir, local_state_dir=outdir.parent, emulator_endpoint=endpoint)
    app, stacks = build_app(deployment, settings)
    consumer = DeploymentStack(app, "consumer", deployment=deployment, settings=settings)
    group = SecurityGroup(consumer, "probe", name=f"{deployment.name}-probe", description="cross-stack probe", vpc_id=stacks[-1].outputs.vpc_id)
    TerraformOutput(consumer, "probe_vpc_id", value=group.vpc_id)
    app.synth()
    order = [s.stack_name for s in stacks] + [consumer.stack_name]
    synth = Synthesis(deployment, outdir, order)
    for name in order:
        synth.stacks[name] = json.loads((outdir / "stacks" / name / "cdk.tf.json").read_text())
    return synth


def test_remote_state_deployment(emulator, tf, examples, tmp_path):
    synth = with_consumer_stack(examples["remote-state"].deployment, tmp_path / "cdktf.out", emulator.endpoint)
    [remote] = synth.stack("consumer")["data"]["terraform_remote_state"].values()
    assert remote["backend"] == "s3" and remote["config"]["key"] == "omero/omero-prod/network.tfstate"
    applied = apply_all(tf, synth)
    # the consumer found the network's VPC through the network's state in the emulator's S3
    assert applied.outputs["omero-prod-consumer"]["probe_vpc_id"] == applied.outputs["omero-prod-network"]["vpc_id"]

    bucket = applied.outputs["omero-prod-state"]["state_bucket"]
    assert bucket == "omero-prod-terraform-state-example"
    # the bootstrap stack's own state is a local file beside the output directory
    assert (tmp_path / "terraform.omero-prod-state.tfstate").is_file()

    network = applied.outputs["omero-prod-network"]
    assert network["vpc_id"].startswith("vpc-")
    assert len(network["public_subnet_ids"]) == len(network["private_subnet_ids"]) == 3
    assert network["availability_zones"] == ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert len(network["nat_public_ips"]) == 3
    assert network["flow_log_group"] == "/omero/omero-prod/vpc-flow-logs"
    addresses = applied.state["omero-prod-network"]
    assert sum(a.startswith("aws_nat_gateway.") for a in addresses) == 3
    assert any(a.startswith("aws_flow_log.") for a in addresses)

    # The network's state lives in the emulator's bucket under <prefix>/<deployment>/<stack>,
    # encrypted, and no lock is left behind.
    s3 = aws(emulator, "s3", "us-east-1")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert keys == ["omero/omero-prod/consumer.tfstate", "omero/omero-prod/network.tfstate"]
    state = json.loads(s3.get_object(Bucket=bucket, Key=keys[1])["Body"].read())
    assert state["outputs"]["vpc_id"]["value"] == network["vpc_id"]
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]["BlockPublicPolicy"]

    ec2 = aws(emulator, "ec2", "us-east-1")
    [vpc] = ec2.describe_vpcs(VpcIds=[network["vpc_id"]])["Vpcs"]
    tags = {t["Key"]: t["Value"] for t in vpc["Tags"]}
    assert tags["deployment"] == "omero-prod" and tags["project"] == "omero" and tags["environment"] == "production"


def test_local_state_deployment(emulator, tf, examples, tmp_path):
    synth = synthesize(examples["minimal"].deployment, tmp_path / "cdktf.out", emulator_endpoint=emulator.endpoint)
    applied = apply_all(tf, synth)
    network = applied.outputs["omero-min-network"]
    assert len(network["nat_public_ips"]) == 1
    assert len(network["availability_zones"]) == 2
    assert (tmp_path / "terraform.omero-min-network.tfstate").is_file()
    ec2 = aws(emulator, "ec2", "eu-west-1")
    subnets = ec2.describe_subnets(SubnetIds=network["private_subnet_ids"])["Subnets"]
    assert {s["CidrBlock"] for s in subnets} == {"10.20.128.0/20", "10.20.144.0/20"}
    assert not any(s["MapPublicIpOnLaunch"] for s in subnets)


def existing_network(emulator, region: str) -> dict[str, list[str] | str]:
    """A VPC with two public and two private subnets, made directly in the emulator."""
    ec2 = aws(emulator, "ec2", region)
    vpc = ec2.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]][:2]
    subnet = lambda cidr, zone: ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]  # noqa: E731
    return {
        "vpc_id": vpc,
        "public_subnet_ids": [subnet("10.50.0.0/24", zones[0]), subnet("10.50.1.0/24", zones[1])],
        "private_subnet_ids": [subnet("10.50.10.0/24", zones[0]), subnet("10.50.11.0/24", zones[1])],
    }


def with_network(synth: Synthesis, **ids) -> object:
    network = dataclasses.replace(
        synth.deployment.network,
        vpc_id=ids["vpc_id"],
        public_subnet_ids=tuple(ids["public_subnet_ids"]),
        private_subnet_ids=tuple(ids["private_subnet_ids"]),
    )
    return dataclasses.replace(synth.deployment, network=network)


def test_existing_vpc_deployment(emulator, tf, examples, tmp_path):
    region = examples["existing-vpc"].deployment.region
    ids = existing_network(emulator, region)
    deployment = with_network(examples["existing-vpc"], **ids)
    synth = synthesize(deployment, tmp_path / "cdktf.out", emulator_endpoint=emulator.endpoint)
    applied = apply_all(tf, synth)
    network = applied.outputs["omero-shared-network"]
    assert network["vpc_id"] == ids["vpc_id"]
    assert network["public_subnet_ids"] == ids["public_subnet_ids"]
    assert network["private_subnet_ids"] == ids["private_subnet_ids"]
    assert network["vpc_cidr"] == "10.50.0.0/16"
    assert network["nat_public_ips"] == []
    # only the flow logs are created; the VPC and subnets are merely read
    assert not any(a.startswith(("aws_vpc.", "aws_subnet.")) for a in applied.state["omero-shared-network"])


def test_existing_vpc_rejects_a_foreign_subnet(emulator, tf, examples, tmp_path):
    region = examples["existing-vpc"].deployment.region
    ids = existing_network(emulator, region)
    other = existing_network(emulator, region)
    ids["private_subnet_ids"] = [ids["private_subnet_ids"][0], other["private_subnet_ids"][1]]
    synth = synthesize(with_network(examples["existing-vpc"], **ids), tmp_path / "cdktf.out", emulator_endpoint=emulator.endpoint)
    tf = tf.with_env(AWS_REGION=region, AWS_DEFAULT_REGION=region)
    directory = synth.outdir / "stacks" / synth.order[0]
    assert tf(directory, "init", "-input=false", "-no-color").returncode == 0
    plan = tf(directory, "plan", "-input=false", "-no-color", timeout=APPLY_TIMEOUT)
    assert plan.returncode == 1
    message = " ".join(plan.stderr.split())
    assert f"network.private_subnet_ids: {other['private_subnet_ids'][1]} is not in {ids['vpc_id']}" in message
