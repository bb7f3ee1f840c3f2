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

from emulator import with_hosted_zone
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


def test_remote_state_deployment(emulator, tf, examples, tmp_path):
    deployment = with_hosted_zone(emulator, examples["tls-rw-ro"].deployment)
    synth = synthesize(deployment, tmp_path / "cdktf.out", emulator_endpoint=emulator.endpoint)
    # The storage stack reads the network's outputs across stacks, through the S3 backend.
    [remote] = synth.stack("storage")["data"]["terraform_remote_state"].values()
    assert remote["backend"] == "s3" and remote["config"]["key"] == "omero/omero-prod/network.tfstate"
    assert remote["config"]["endpoints"]["s3"] == emulator.endpoint
    applied = apply_all(tf, synth)

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

    # The network's state lives in the emulator's bucket under <prefix>/<deployment>/<stack>, and
    # no lock is left behind. The objects take the bucket's default SSE-KMS encryption (moto does
    # not apply bucket defaults to objects, so the default itself is what is checked here).
    s3 = aws(emulator, "s3", "us-east-1")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert keys == [f"omero/omero-prod/{stack}.tfstate" for stack in ("backup", "network", "services", "storage")]
    state = json.loads(s3.get_object(Bucket=bucket, Key="omero/omero-prod/network.tfstate")["Body"].read())
    assert state["outputs"]["vpc_id"]["value"] == network["vpc_id"]
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    [rule] = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]["BlockPublicPolicy"]

    # the storage stack found the network's subnets through the network's state in S3
    efs = aws(emulator, "efs", "us-east-1")
    targets = efs.describe_mount_targets(FileSystemId=applied.outputs["omero-prod-storage"]["efs_id"])["MountTargets"]
    assert sorted(t["SubnetId"] for t in targets) == sorted(network["private_subnet_ids"])

    ec2 = aws(emulator, "ec2", "us-east-1")
    [vpc] = ec2.describe_vpcs(VpcIds=[network["vpc_id"]])["Vpcs"]
    tags = {t["Key"]: t["Value"] for t in vpc["Tags"]}
    assert tags["deployment"] == "omero-prod" and tags["project"] == "omero" and tags["environment"] == "production"

    # the services: one writer, two read-only servers, web behind HTTPS on the domain
    services = applied.outputs["omero-prod-services"]
    assert services["web_url"] == "https://omero.example.org"
    running = ecs_services(emulator, "us-east-1", services["cluster_name"])
    assert {name: s["desiredCount"] for name, s in running.items()} == {
        "omero-server": 1,
        "omero-server-ro-1": 1,
        "omero-server-ro-2": 1,
        "omero-web": 3,
        "omero-web-ro": 2,  # the read-only pool, for viewers on view.omero.example.org
    }
    assert services["read_only_web_url"] == "https://view.omero.example.org"
    assert services["read_only_service_names"] == ["omero-server-ro-1", "omero-server-ro-2"]
    # (moto reports no deployment configuration; the singletons' 100/0 is asserted on the JSON)
    for name in services["read_only_service_names"]:
        read_only = task_definition(emulator, "us-east-1", running[name]["taskDefinition"])
        definition, *stagers = read_only["containerDefinitions"]  # the server first, then its init containers
        assert "stage-figure-script" in [s["name"] for s in stagers]
        assert {"name": "CONFIG_omero_cluster_read__only_db", "value": "true"} in definition["environment"]
        assert definition["mountPoints"][0]["readOnly"] is True
        # they log in as the SELECT-only role, with its own password
        assert {"name": "CONFIG_omero_db_user", "value": "omero_ro"} in definition["environment"]
        # beside the LDAP bind password (server.secret_properties)
        secrets = {secret["name"]: secret for secret in definition["secrets"]}
        assert sorted(secrets) == ["CONFIG_omero_db_pass", "CONFIG_omero_ldap_password"]
        password = secrets["CONFIG_omero_db_pass"]
        assert password["valueFrom"].endswith(
            tuple(
                s["ARN"]
                for s in aws(emulator, "secretsmanager", "us-east-1").list_secrets()["SecretList"]
                if s["Name"] == "omero-prod/omero/db-readonly-password"
            )
        )
    # each read-only server registered under a name of its own
    discovery = aws(emulator, "servicediscovery", "us-east-1")
    names = {s["Name"] for s in discovery.list_services()["Services"]}
    assert {"omero-server", "omero-server-ro-1", "omero-server-ro-2"} <= names
    # OMERO clients over wss: /omero-ws on the HTTPS listener, to the read-write server's 4066
    elbv2 = aws(emulator, "elbv2", "us-east-1")
    [wss] = [g for g in elbv2.describe_target_groups()["TargetGroups"] if g["TargetGroupName"] == "omero-prod-omero-wss"]
    assert (wss["Protocol"], wss["Port"], wss["HealthCheckPort"]) == ("HTTPS", 4066, "4067")
    assert services["server_websocket_url"] == "wss://omero.example.org/omero-ws"
    acm = aws(emulator, "acm", "us-east-1")
    certificates = {c["DomainName"]: c for c in acm.list_certificates()["CertificateSummaryList"]}
    assert set(certificates) == {"omero.example.org", "view.omero.example.org"}  # the pool's, by SNI
    assert all(c["Status"] == "ISSUED" for c in certificates.values())
    records = aws(emulator, "route53", "us-east-1").list_resource_record_sets(
        HostedZoneId=deployment.load_balancer.hosted_zone_id
    )
    alias = [r for r in records["ResourceRecordSets"] if r["Type"] == "A" and r["Name"].rstrip(".") == "omero.example.org"]
    assert alias and alias[0]["AliasTarget"]["DNSName"].rstrip(".").lower() == services["web_load_balancer_dns_name"].lower()


def test_ec2_launch_type_deployment(emulator, tf, examples, tmp_path):
    synth = synthesize(examples["ec2-launch-type"].deployment, tmp_path / "cdktf.out", emulator_endpoint=emulator.endpoint)
    applied = apply_all(tf, synth)
    services = applied.outputs["omero-ec2-services"]
    ecs = aws(emulator, "ecs", "ap-southeast-2")
    [cluster] = ecs.describe_clusters(clusters=[services["cluster_name"]])["clusters"]
    assert "omero-ec2-omero-ecs-host" in cluster["capacityProviders"]
    running = ecs_services(emulator, "ap-southeast-2", services["cluster_name"])
    assert running["omero-server"]["capacityProviderStrategy"][0]["capacityProvider"] == "omero-ec2-omero-ecs-host"
    assert running["omero-web"]["launchType"] == "FARGATE"
    template = aws(emulator, "ec2", "ap-southeast-2").describe_launch_template_versions(
        LaunchTemplateName="omero-ec2-omero-ecs-host"
    )
    data = template["LaunchTemplateVersions"][0]["LaunchTemplateData"]
    assert data["MetadataOptions"]["HttpTokens"] == "required"
    assert data["BlockDeviceMappings"][0]["Ebs"]["Encrypted"] is True
    [group] = aws(emulator, "autoscaling", "ap-southeast-2").describe_auto_scaling_groups(
        AutoScalingGroupNames=["omero-ec2-omero-ecs-host"]
    )["AutoScalingGroups"]
    assert group["NewInstancesProtectedFromScaleIn"] is True
    [provider] = ecs.describe_capacity_providers(capacityProviders=["omero-ec2-omero-ecs-host"])["capacityProviders"]
    assert provider["autoScalingGroupProvider"]["managedTerminationProtection"] == "ENABLED"
    # ECS drains a host the group terminates (an instance refresh onto a new AMI, a scale-in)
    assert provider["autoScalingGroupProvider"]["managedDraining"] == "ENABLED"
    # The server services start after the storage stack's pre-upgrade snapshot, read back from RDS.
    storage = applied.outputs["omero-ec2-storage"]
    [snapshot] = aws(emulator, "rds", "ap-southeast-2").describe_db_snapshots(
        DBSnapshotIdentifier=storage["upgrade_snapshot_id"]
    )["DBSnapshots"]
    assert snapshot["DBInstanceIdentifier"] == storage["db_instance_id"]
    assert "data.aws_db_snapshot.upgrade_snapshot_C7155DFA" in applied.state["omero-ec2-services"]


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


@pytest.mark.parametrize("example", ["s3-file-gateway-http", "s3-file-gateway-tls"])
def test_s3_file_gateway_deployment(emulator, tf, examples, tmp_path, example):
    """The file gateway topologies whole: /OMERO on the gateway's share (http), or the share beside
    EFS for in-place import (tls, activated by key); every stack with an empty second plan."""
    deployment = examples[example].deployment
    gateway = deployment.file_gateway
    if gateway.activation_key:
        # A key is what a real appliance hands out on its port 80, valid for 30 minutes: none can
        # exist before the instance does. Here the emulated appliance hands one out to Terraform
        # instead (activation by IP, from the VPC's own range); the rest of the example is as written.
        deployment = dataclasses.replace(
            deployment,
            file_gateway=dataclasses.replace(
                gateway,
                activation_key=None,
                activation_cidrs=(deployment.network.vpc_cidr,),
            ),
        )
    if deployment.load_balancer.domain_name:
        deployment = with_hosted_zone(emulator, deployment)
    synth = synthesize(deployment, tmp_path / "cdktf.out", emulator_endpoint=emulator.endpoint)
    applied = apply_all(through_emulator(tf, emulator), synth)  # activation by IP asks the appliance over HTTP
    name, region = deployment.name, deployment.region
    assert synth.order.index(f"{name}-file-gateway") < synth.order.index(f"{name}-services")
    [gateway] = aws(emulator, "storagegateway", region).list_gateways()["Gateways"]
    assert gateway["GatewayType"] == "FILE_S3"
    shares = aws(emulator, "storagegateway", region).list_file_shares(GatewayARN=gateway["GatewayARN"])["FileShareInfoList"]
    assert len(shares) == 1 and shares[0]["FileShareType"] == "NFS"
    services = applied.outputs[f"{name}-services"]
    server = ecs_services(emulator, region, services["cluster_name"])["omero-server"]
    [volume] = [
        v for v in task_definition(emulator, region, server["taskDefinition"])["volumes"] if "dockerVolumeConfiguration" in v
    ]
    options = volume["dockerVolumeConfiguration"]["driverOpts"]
    assert options["type"] == "nfs" and options["o"].startswith("addr=")
    [container] = [
        c
        for c in task_definition(emulator, region, server["taskDefinition"])["containerDefinitions"]
        if c["name"] == "omero-server"
    ]
    share_volume = {m["containerPath"] for m in container["mountPoints"] if m["sourceVolume"] == volume["name"]}
    assert share_volume == {deployment.file_gateway.container_path}  # /OMERO for "repository", beside it for "import"
