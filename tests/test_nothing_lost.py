"""Nothing that OMERO keeps is lost to a destroy: examples/full.hcl on the emulator.

After every other test of the shared deployment (the ``addons_to_destroy`` fixture waits for them,
on whichever worker they ran), every stack is destroyed in reverse
dependency order. The add-ons and the services go; every stack holding a ``prevent_destroy`` resource
refuses at plan time: the storage stack, the network under it and the state bootstrap stack.
The file system, the database, its secrets, the database snapshot taken before the server's
image first started and the state bucket with every stack's state are still there afterwards,
and so is the whole network (the VPC, its subnets, NAT gateways, routes and internet gateway): a
refused plan touches nothing.
"""

from __future__ import annotations

import pytest

from config.catalog import ON_SERVICES_ROLES
from tests.harness.apply import ADDON_WORKERS, APPLY_TIMEOUT, apply_all, aws
from tools.deployment import in_dependency_order, read_stacks

pytestmark = [pytest.mark.emulator, pytest.mark.terraform]

ADDON_ROLES = ON_SERVICES_ROLES


def test_destroying_the_deployment_keeps_what_omero_keeps(addons_to_destroy):
    addons_on_emulator = addons_to_destroy
    emulator, tf = addons_on_emulator.emulator, addons_on_emulator.tf  # the session's shared emulator
    synth = addons_on_emulator.synth
    deployment = synth.deployment
    region = deployment.region
    tf = tf.with_env(AWS_REGION=region, AWS_DEFAULT_REGION=region)
    name = addons_on_emulator.stack_name
    storage = addons_on_emulator.core.outputs[name("storage")]
    bucket = addons_on_emulator.core.outputs[name("state")]["state_bucket"]

    # The add-on tests before this one applied their stacks; apply any that is not there yet, so
    # that the destroy below meets the whole deployment whichever tests ran.
    s3 = aws(emulator, "s3", region)
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}
    missing = [name(role) for role in ADDON_ROLES if f"{deployment.state.prefix}/{deployment.name}/{role}.tfstate" not in keys]
    if missing:
        apply_all(tf, synth, only=missing)

    # Stacks holding a prevent_destroy resource must refuse; these three at least, whatever else
    # the deployment holds.
    def protected(stack: str) -> bool:
        resources = synth.stacks[stack].get("resource", {})
        return any(r.get("lifecycle", {}).get("prevent_destroy") for named in resources.values() for r in named.values())

    expected_refusals = [stack for stack in reversed(synth.order) if protected(stack)]
    assert {name("storage"), name("network"), name("state")} <= set(expected_refusals)

    # Each stack is destroyed once every stack that needs it has been (the add-ons side by side), as
    # an operator tearing the deployment down would; a refusal does not stop the stacks under it.
    def destroy(stack):
        return tf(stack.directory, "destroy", "-auto-approve", "-input=false", "-no-color", timeout=APPLY_TIMEOUT)

    results = in_dependency_order(read_stacks(synth.outdir), destroy, workers=ADDON_WORKERS, reverse=True)
    destroyed, refused = [], []
    for stack, result in reversed(list(zip(synth.order, results, strict=True))):
        (destroyed if result.returncode == 0 else refused).append(stack)
        if result.returncode != 0:
            message = " ".join(result.stderr.split())
            assert "Instance cannot be destroyed" in message and "prevent_destroy" in message, f"{stack}: {result}"
    assert refused == expected_refusals, (destroyed, refused)
    assert set(destroyed) == set(synth.order) - set(refused)

    # the network is all there, as applied: the refused plan touched none of it
    network = addons_on_emulator.core.outputs[name("network")]
    listed = tf(synth.stack_dir("network"), "state", "list")
    assert listed.returncode == 0, str(listed)
    assert listed.stdout.split() == addons_on_emulator.core.state[name("network")]
    ec2 = aws(emulator, "ec2", region)
    vpc_id = network["vpc_id"]
    [vpc] = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"]
    assert vpc["State"] == "available"
    subnet_ids = network["public_subnet_ids"] + network["private_subnet_ids"]
    subnets = ec2.describe_subnets(SubnetIds=subnet_ids)["Subnets"]
    assert sorted(s["SubnetId"] for s in subnets) == sorted(subnet_ids)
    assert all(s["VpcId"] == vpc_id and s["State"] == "available" for s in subnets)
    in_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]
    nats = ec2.describe_nat_gateways(Filters=in_vpc)["NatGateways"]
    assert sorted(a["PublicIp"] for n in nats if n["State"] == "available" for a in n["NatGatewayAddresses"]) == sorted(
        network["nat_public_ips"]
    )
    [gateway] = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])["InternetGateways"]
    default_routes = {
        association["SubnetId"]: route
        for table in ec2.describe_route_tables(Filters=in_vpc)["RouteTables"]
        for association in table["Associations"]
        if "SubnetId" in association
        for route in table["Routes"]
        if route.get("DestinationCidrBlock") == "0.0.0.0/0"
    }
    assert {default_routes[s].get("GatewayId") for s in network["public_subnet_ids"]} == {gateway["InternetGatewayId"]}
    assert {default_routes[s].get("NatGatewayId") for s in network["private_subnet_ids"]} == {n["NatGatewayId"] for n in nats}
    # and the file system's mount targets are still in its private subnets
    efs = aws(emulator, "efs", region)
    targets = efs.describe_mount_targets(FileSystemId=storage["efs_id"])["MountTargets"]
    assert sorted(t["SubnetId"] for t in targets) == sorted(network["private_subnet_ids"])

    # what OMERO keeps is all there
    [file_system] = efs.describe_file_systems(FileSystemId=storage["efs_id"])["FileSystems"]
    assert file_system["LifeCycleState"] == "available"
    assert efs.describe_access_points(AccessPointId=storage["efs_access_point_id"])["AccessPoints"]
    rds = aws(emulator, "rds", region)
    [database] = rds.describe_db_instances(DBInstanceIdentifier=storage["db_instance_id"])["DBInstances"]
    assert database["DBInstanceStatus"] == "available" and database["DeletionProtection"]
    # the snapshot taken before the server's image first started (the storage stack holds it; one,
    # whichever image the tests before this one left running)
    manual = rds.describe_db_snapshots(DBInstanceIdentifier=storage["db_instance_id"], SnapshotType="manual")["DBSnapshots"]
    assert len([s for s in manual if s["DBSnapshotIdentifier"].startswith(f"{deployment.name}-omero-before-")]) == 1
    secrets = aws(emulator, "secretsmanager", region)
    assert secrets.get_secret_value(SecretId=storage["db_password_secret_arn"])["SecretString"]
    assert secrets.get_secret_value(SecretId=storage["root_password_secret_arn"])["SecretString"]
    # the state of every stack stays in the bucket: the destroyed ones as empty states
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}
    roles = [stack.removeprefix(f"{deployment.name}-") for stack in synth.order if stack != name("state")]
    assert {f"{deployment.state.prefix}/{deployment.name}/{role}.tfstate" for role in roles} <= keys

    # and the services really went: no cluster left running, no load balancer
    clusters = aws(emulator, "ecs", region).describe_clusters(clusters=[f"{deployment.name}-omero"])["clusters"]
    assert all(c["status"] == "INACTIVE" for c in clusters)
    balancers = aws(emulator, "elbv2", region).describe_load_balancers()["LoadBalancers"]
    assert not [b for b in balancers if b["LoadBalancerName"].startswith(deployment.name)]
