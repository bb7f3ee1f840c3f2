"""The emulator's ElastiCache patch (emulator/patches/elasticache.py) answers as the ElastiCache API
Reference describes, and stock moto still needs it (an upgrade of moto that fixes these makes the
first test fail: drop the patch).

Runs moto in-process (no server, no network), so it is fast and needs no Terraform; the patch is
undone after each test (see tests/test_emulator_patches.py).
"""

from __future__ import annotations

import pytest
from moto import mock_aws

from emulator.patches import applied
from tests.test_emulator_patches import client as aws_client
from tests.test_emulator_patches import no_default_images, stock_gap  # noqa: F401  (an autouse fixture)

REGION = "eu-west-1"


def group_args(**extra) -> dict:
    return dict(
        ReplicationGroupId="omero-omero-sessions",
        ReplicationGroupDescription="OMERO.web sessions",
        Engine="valkey",
        EngineVersion="8.0",
        CacheNodeType="cache.t4g.micro",
        NumCacheClusters=2,
        AutomaticFailoverEnabled=True,
        MultiAZEnabled=True,
        SecurityGroupIds=["sg-0123456789abcdef0"],
        AtRestEncryptionEnabled=True,
        TransitEncryptionEnabled=True,
        AuthToken="a" * 32,
        Port=6379,
        **extra,
    )


def subnet_group(client) -> str:
    ec2 = aws_client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{zone}")["Subnet"]["SubnetId"]
        for i, zone in enumerate("ab")
    ]
    client.create_cache_subnet_group(CacheSubnetGroupName="sessions", CacheSubnetGroupDescription="d", SubnetIds=subnets)
    return "sessions"


@stock_gap("elasticache replication group members")
def test_stock_moto_still_needs_the_patch():
    with mock_aws():
        client = aws_client("elasticache")
        [group] = [client.create_replication_group(**group_args())["ReplicationGroup"]]
        # one member for NumCacheClusters = 2, and no cache cluster behind it
        assert group["MemberClusters"] == ["omero-omero-sessions-001"]
        with pytest.raises(client.exceptions.CacheClusterNotFoundFault):
            client.describe_cache_clusters(CacheClusterId="omero-omero-sessions-001")


@pytest.fixture
def patched():
    with applied("elasticache replication group members"):
        yield


def test_members_are_cache_clusters_with_the_group_settings(patched):
    with mock_aws():
        client = aws_client("elasticache")
        client.create_replication_group(**group_args(CacheSubnetGroupName=subnet_group(client)))
        [group] = client.describe_replication_groups(ReplicationGroupId="omero-omero-sessions")["ReplicationGroups"]
        assert group["MemberClusters"] == ["omero-omero-sessions-001", "omero-omero-sessions-002"]
        assert group["TransitEncryptionMode"] == "required"
        zones = []
        for member_id in group["MemberClusters"]:
            [member] = client.describe_cache_clusters(CacheClusterId=member_id, ShowCacheNodeInfo=True)["CacheClusters"]
            assert member["ReplicationGroupId"] == "omero-omero-sessions"
            assert (member["Engine"], member["EngineVersion"], member["CacheNodeType"]) == ("valkey", "8.0", "cache.t4g.micro")
            assert member["CacheParameterGroup"]["CacheParameterGroupName"] == "default.valkey8"
            assert member["SecurityGroups"] == [{"SecurityGroupId": "sg-0123456789abcdef0", "Status": "active"}]
            assert member["AtRestEncryptionEnabled"] and member["TransitEncryptionEnabled"] and member["AuthTokenEnabled"]
            assert member["TransitEncryptionMode"] == "required" and member["CacheSubnetGroupName"] == "sessions"
            zones.append(member["PreferredAvailabilityZone"])
        assert zones == [f"{REGION}a", f"{REGION}b"]  # spread over the subnet group's zones


def test_deleted_group_and_subnet_group_are_gone(patched):
    with mock_aws():
        client = aws_client("elasticache")
        client.create_replication_group(**group_args(CacheSubnetGroupName=subnet_group(client)))
        with pytest.raises(client.exceptions.ClientError, match="CacheSubnetGroupInUse"):
            client.delete_cache_subnet_group(CacheSubnetGroupName="sessions")
        client.delete_replication_group(ReplicationGroupId="omero-omero-sessions")
        with pytest.raises(client.exceptions.ReplicationGroupNotFoundFault):
            client.describe_replication_groups(ReplicationGroupId="omero-omero-sessions")
        with pytest.raises(client.exceptions.CacheClusterNotFoundFault):
            client.describe_cache_clusters(CacheClusterId="omero-omero-sessions-001")
        client.delete_cache_subnet_group(CacheSubnetGroupName="sessions")
        with pytest.raises(client.exceptions.CacheSubnetGroupNotFoundFault):
            client.delete_cache_subnet_group(CacheSubnetGroupName="sessions")
