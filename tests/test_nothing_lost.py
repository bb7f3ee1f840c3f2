"""Nothing that OMERO keeps is lost to a destroy: examples/full.hcl on the emulator.

After the add-on tests (same worker, same core stacks), the stacks are destroyed in reverse
order. The add-ons and the services go; the storage stack and the state bootstrap stack refuse
(``prevent_destroy``), and the file system, the database, its secrets and the state bucket with
every stack's state are still there afterwards. The network is left alone: with the storage
stack's mount targets and database in its subnets it cannot go, and a destroy would remove its
NAT gateways and routes before AWS refused the subnets.
"""
from __future__ import annotations

import pytest

from tests.harness.apply import APPLY_TIMEOUT, apply_all, aws

pytestmark = [pytest.mark.emulator, pytest.mark.terraform, pytest.mark.xdist_group("addons")]

ADDON_ROLES = ("datasync", "uploader", "dropbox", "monitoring")


def test_destroying_the_deployment_keeps_what_omero_keeps(addons_on_emulator, emulator, tf):
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

    destroyed, refused = [], []
    for stack in reversed(synth.order):
        if stack == name("network"):
            continue
        result = tf(synth.outdir / "stacks" / stack, "destroy", "-auto-approve", "-input=false", "-no-color", timeout=APPLY_TIMEOUT)
        (destroyed if result.returncode == 0 else refused).append(stack)
        if result.returncode != 0:
            message = " ".join(result.stderr.split())
            assert "Instance cannot be destroyed" in message and "prevent_destroy" in message, f"{stack}: {result}"
    assert refused == [name("storage"), name("state")], (destroyed, refused)
    assert set(destroyed) == set(synth.order) - set(refused) - {name("network")}

    # what OMERO keeps is all there
    efs = aws(emulator, "efs", region)
    [file_system] = efs.describe_file_systems(FileSystemId=storage["efs_id"])["FileSystems"]
    assert file_system["LifeCycleState"] == "available"
    assert efs.describe_access_points(AccessPointId=storage["efs_access_point_id"])["AccessPoints"]
    rds = aws(emulator, "rds", region)
    [database] = rds.describe_db_instances(DBInstanceIdentifier=storage["db_instance_id"])["DBInstances"]
    assert database["DBInstanceStatus"] == "available" and database["DeletionProtection"]
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
