"""Apply whole deployments to a local AWS API emulator (moto on 127.0.0.1), stack by stack.

For each deployment: ``terraform apply`` every stack in order (remote state in the emulator's S3
where the deployment has a state bucket), then a second ``terraform plan`` that must show no
changes, then what an operator reads: ``terraform output`` and ``terraform state list``.
Deselect with ``-m "not emulator"``; CI runs them.
"""

from __future__ import annotations

import dataclasses
import json

import pytest

from tests.conftest import through_emulator
from tests.harness.apply import APPLY_TIMEOUT, apply_all, aws
from tests.harness.synth import Synthesis, synthesize

pytestmark = [pytest.mark.emulator, pytest.mark.terraform]


def ecs_services(emulator, region: str, cluster: str) -> dict[str, dict]:
    ecs = aws(emulator, "ecs", region)
    names = [arn.split("/")[-1] for arn in ecs.list_services(cluster=cluster)["serviceArns"]]
    return {s["serviceName"]: s for s in ecs.describe_services(cluster=cluster, services=names)["services"]}


def task_definition(emulator, region: str, arn: str) -> dict:
    return aws(emulator, "ecs", region).describe_task_definition(taskDefinition=arn)["taskDefinition"]


def test_remote_state_deployment(addons_on_emulator):
    """examples/full.hcl (state in S3, a NAT gateway per AZ, production tags), as the session's keeper
    applied it: every stack but the bootstrap keeps its state in the emulator's bucket, and the
    storage stack reads the network's outputs from there. (examples/tls-rw-ro.hcl's read-only servers
    and pool are a step of tests/test_life_on_emulator.py.)"""
    emulator, synth = addons_on_emulator.emulator, addons_on_emulator.synth
    name, region = synth.deployment.name, synth.deployment.region
    # The storage stack reads the network's outputs across stacks, through the S3 backend.
    [remote] = synth.stack("storage")["data"]["terraform_remote_state"].values()
    assert remote["backend"] == "s3" and remote["config"]["key"] == f"omero/{name}/network.tfstate"
    assert remote["config"]["endpoints"]["s3"] == emulator.endpoint
    addons_on_emulator.all_applied()
    applied = addons_on_emulator.core

    bucket = applied.outputs[f"{name}-state"]["state_bucket"]
    assert bucket == "omero-full-terraform-state-example"
    # the bootstrap stack's own state is a local file beside the output directory
    assert (addons_on_emulator.shared.directory / f"terraform.{name}-state.tfstate").is_file()

    network = applied.outputs[f"{name}-network"]
    assert network["vpc_id"].startswith("vpc-")
    zones = network["availability_zones"]
    assert len(zones) >= 2 and all(zone.startswith(region) for zone in zones)
    assert len(network["public_subnet_ids"]) == len(network["private_subnet_ids"]) == len(zones)
    assert len(network["nat_public_ips"]) == len(zones)  # nat_gateways = "one_per_az"
    assert network["flow_log_group"] == f"/omero/{name}/vpc-flow-logs"
    addresses = applied.state[f"{name}-network"]
    assert sum(a.startswith("aws_nat_gateway.") for a in addresses) == len(zones)
    assert any(a.startswith("aws_flow_log.") for a in addresses)

    # Each stack's state lives in the emulator's bucket under <prefix>/<deployment>/<stack>, and
    # no lock is left behind by the keeper's apply (the tests that change the deployment may hold
    # one of the others while this runs; none changes the network). The objects take the bucket's
    # default SSE-KMS encryption (moto does not apply bucket defaults to objects, so the default
    # itself is what is checked here).
    s3 = aws(emulator, "s3", region)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    remote_stacks = [stack.removeprefix(f"{name}-") for stack in synth.order if stack != f"{name}-state"]
    # (the restore rehearsal, tests/test_backup.py, keeps omero-restored's state in the same bucket)
    ours = sorted(k for k in keys if k.startswith(f"omero/{name}/") and k.endswith(".tfstate"))
    assert ours == sorted(f"omero/{name}/{s}.tfstate" for s in remote_stacks)
    assert f"omero/{name}/network.tfstate.tflock" not in keys
    state = json.loads(s3.get_object(Bucket=bucket, Key=f"omero/{name}/network.tfstate")["Body"].read())
    assert state["outputs"]["vpc_id"]["value"] == network["vpc_id"]
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    [rule] = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]["BlockPublicPolicy"]

    # the storage stack found the network's subnets through the network's state in S3
    efs = aws(emulator, "efs", region)
    targets = efs.describe_mount_targets(FileSystemId=applied.outputs[f"{name}-storage"]["efs_id"])["MountTargets"]
    assert sorted(t["SubnetId"] for t in targets) == sorted(network["private_subnet_ids"])

    ec2 = aws(emulator, "ec2", region)
    [vpc] = ec2.describe_vpcs(VpcIds=[network["vpc_id"]])["Vpcs"]
    tags = {t["Key"]: t["Value"] for t in vpc["Tags"]}
    assert tags["deployment"] == name and tags["project"] == "omero" and tags["environment"] == "production"


def existing_network(emulator, region: str) -> dict[str, list[str] | str]:
    """A VPC with two public and two private subnets, made directly in the emulator."""
    ec2 = aws(emulator, "ec2", region)
    vpc = ec2.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]][:2]

    def subnet(cidr: str, zone: str) -> str:
        return ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]

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


def test_s3_file_gateway_deployment(emulator, tf, examples, tmp_path):
    """The file gateway topology whole: /OMERO on the gateway's share (s3-file-gateway-http.hcl,
    activated by IP); every stack with an empty second plan. The share beside EFS for in-place
    import (s3-file-gateway-tls.hcl) is a step of the life (tests/test_life_on_emulator.py)."""
    deployment = examples["s3-file-gateway-http"].deployment
    assert deployment.file_gateway.role == "repository" and not deployment.file_gateway.activation_key
    synth = synthesize(deployment, tmp_path / "cdktf.out", emulator_endpoint=emulator.endpoint)
    applied = apply_all(through_emulator(tf, emulator), synth)  # activation by IP asks the appliance over HTTP
    name, region = deployment.name, deployment.region
    assert synth.order.index(f"{name}-file-gateway") < synth.order.index(f"{name}-services")
    assert_share_mounted(emulator, region, applied.outputs[f"{name}-services"], deployment.file_gateway.container_path)


def assert_share_mounted(emulator, region: str, services: dict, container_path: str) -> None:
    """One file gateway appliance with one NFS share, which the OMERO.server task mounts (a Docker
    volume of the NFS driver) at ``container_path`` (/OMERO for "repository", beside it for "import")."""
    storagegateway = aws(emulator, "storagegateway", region)
    [gateway] = storagegateway.list_gateways()["Gateways"]
    assert gateway["GatewayType"] == "FILE_S3"
    shares = storagegateway.list_file_shares(GatewayARN=gateway["GatewayARN"])["FileShareInfoList"]
    assert len(shares) == 1 and shares[0]["FileShareType"] == "NFS"
    server = ecs_services(emulator, region, services["cluster_name"])["omero-server"]
    definition = task_definition(emulator, region, server["taskDefinition"])
    [volume] = [v for v in definition["volumes"] if "dockerVolumeConfiguration" in v]
    options = volume["dockerVolumeConfiguration"]["driverOpts"]
    assert options["type"] == "nfs" and options["o"].startswith("addr=")
    [container] = [c for c in definition["containerDefinitions"] if c["name"] == "omero-server"]
    share_volume = {m["containerPath"] for m in container["mountPoints"] if m["sourceVolume"] == volume["name"]}
    assert share_volume == {container_path}
