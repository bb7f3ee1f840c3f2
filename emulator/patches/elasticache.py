"""ElastiCache: the member cache clusters of a replication group, its deletion, and
DeleteCacheSubnetGroup."""

from __future__ import annotations

from emulator.patches import Patcher, patch


def _default_parameter_group(engine: str, version: str | None) -> str:
    return f"default.{engine}{(version or '7').split('.')[0]}"


def _spread_over_subnet_zones(backend, group, kwargs) -> None:
    """Without preferred zones AWS spreads the members over the subnet group's zones."""
    subnet_group = backend.cache_subnet_groups.get(kwargs["cache_subnet_group_name"] or "")
    subnets = subnet_group.subnets if subnet_group else []
    subnet_zones = [n["subnet_availability_zone"] for n in subnets if isinstance(n.get("subnet_availability_zone"), str)]
    if subnet_zones and not kwargs["preferred_cache_cluster_azs"]:
        for index, node in enumerate(group.node_groups[0]["node_group_members"]):
            node["preferred_availability_zone"] = subnet_zones[index % len(subnet_zones)]


def _member_cluster(backend, group, kwargs, member: str, zone: str | None, parameter_group: str):
    """The cache cluster ``member`` of a cluster-mode-disabled group, carrying the group's settings."""
    from moto.elasticache.models import CacheCluster

    cluster = CacheCluster(
        account_id=backend.account_id,
        region_name=backend.region_name,
        cache_cluster_id=member,
        cache_node_type=group.cache_node_type,
        replication_group_id=group.replication_group_id,
        az_mode=None,
        preferred_availability_zone=zone,
        num_cache_nodes=1,
        engine=group.engine,
        engine_version=kwargs["engine_version"],
        cache_parameter_group_name=parameter_group,
        cache_subnet_group_name=kwargs["cache_subnet_group_name"],
        transit_encryption_enabled=group.transit_encryption_enabled,
        network_type=group.network_type,
        ip_discovery=group.ip_discovery,
        snapshot_name=None,
        preferred_maintenance_window=kwargs["preferred_maintenance_window"] or "sun:05:00-sun:06:00",
        port=group.port,
        notification_topic_arn=kwargs["notification_topic_arn"],
        auto_minor_version_upgrade=kwargs["auto_minor_version_upgrade"],
        snapshot_retention_limit=group.snapshot_retention_limit,
        snapshot_window=group.snapshot_window,
        auth_token=kwargs["auth_token"],
        outpost_mode=None,
        preferred_outpost_arn=None,
        preferred_availability_zones=None,
        cache_security_group_names=None,
        security_group_ids=kwargs["security_group_ids"],
        tags=None,
        snapshot_arns=None,
        preferred_outpost_arns=None,
        log_delivery_configurations=[],
        cache_node_ids_to_remove=None,
        cache_node_ids_to_reboot=None,
    )
    cluster.replication_group_id = group.replication_group_id
    cluster.at_rest_encryption_enabled = group.at_rest_encryption_enabled
    cluster.transit_encryption_mode = group.transit_encryption_mode or ("required" if group.transit_encryption_enabled else None)
    cluster.security_groups = [{"SecurityGroupId": g, "Status": "active"} for g in kwargs["security_group_ids"] or []]
    cluster.cache_parameter_group = {"CacheParameterGroupName": parameter_group, "ParameterApplyStatus": "in-sync"}
    return cluster


def _add_member_clusters(backend, group, kwargs) -> None:
    parameter_group = kwargs["cache_parameter_group_name"] or _default_parameter_group(group.engine, kwargs["engine_version"])
    _spread_over_subnet_zones(backend, group, kwargs)
    zones = [m["preferred_availability_zone"] for m in group.node_groups[0]["node_group_members"]]
    for index, member in enumerate(group.member_clusters):
        zone = zones[index] if index < len(zones) else None
        backend.cache_clusters[member] = _member_cluster(backend, group, kwargs, member, zone, parameter_group)
    if group.transit_encryption_enabled and not group.transit_encryption_mode:
        group.transit_encryption_mode = "required"


def delete_cache_subnet_group(self):
    from moto.core.responses import ActionResult
    from moto.elasticache.exceptions import CacheSubnetGroupNotFound, ElastiCacheException

    class CacheSubnetGroupInUse(ElastiCacheException):
        code = "CacheSubnetGroupInUse"

    backend, name = self.elasticache_backend, self._get_param("CacheSubnetGroupName")
    if name not in backend.cache_subnet_groups:
        raise CacheSubnetGroupNotFound(name)
    users = [c for c in backend.cache_clusters.values() if c.cache_subnet_group_name == name]
    if users:
        raise CacheSubnetGroupInUse(f"Cache subnet group {name} is currently in use by a cache cluster.")
    backend.cache_subnet_groups.pop(name)
    return ActionResult({})


@patch(
    "elasticache replication group members",
    (
        "moto 5.2.5 makes one member of a replication group with cluster mode disabled whatever "
        "its NumCacheClusters (it counts ReplicasPerNodeGroup only), and lists the members "
        "(<group>-001, -002, ...) without making cache clusters for them, so DescribeCacheClusters answers CacheClusterNotFound; the "
        "provider reads the group's settings (engine, node type, subnet group, security groups, "
        "parameter group, encryption, AUTH) from its first member and fails. moto also leaves a "
        "deleted group in 'deleting' for ever, and the provider waits until it is gone. Here each "
        "member of a group with cluster mode disabled is a cache cluster carrying the group's "
        "settings, NumCacheClusters of them, as AWS describes them: "
        "AtRestEncryptionEnabled, TransitEncryptionEnabled with TransitEncryptionMode 'required' "
        "when encryption in transit is on at creation, AuthTokenEnabled, the security groups as "
        "active memberships and the engine's default parameter group (default.<engine><major>) "
        "when none is given (ElastiCache API Reference, CreateReplicationGroup and CacheCluster). "
        "A deleted group and its members are gone, and a later describe answers "
        "ReplicationGroupNotFoundFault, as in AWS. DeleteCacheSubnetGroup, which moto lacks, "
        "deletes a subnet group no cache cluster uses (CacheSubnetGroupInUse otherwise, "
        "CacheSubnetGroupNotFoundFault when absent)."
    ),
)
def replication_group_members(patcher: Patcher) -> None:
    from moto.elasticache.models import ElastiCacheBackend
    from moto.elasticache.responses import ElastiCacheResponse

    create_group, delete_group = ElastiCacheBackend.create_replication_group, ElastiCacheBackend.delete_replication_group

    def create_replication_group(self, **kwargs):
        if (kwargs["num_cache_clusters"] or 0) > 1 and not kwargs["replicas_per_node_group"]:
            # moto counts the members of a cluster-mode-disabled group from ReplicasPerNodeGroup
            # only; NumCacheClusters is the primary and its replicas (CreateReplicationGroup).
            kwargs["replicas_per_node_group"] = kwargs["num_cache_clusters"] - 1
        group = create_group(self, **kwargs)
        if group.cluster_mode != "enabled":
            _add_member_clusters(self, group, kwargs)
        return group

    def delete_replication_group(self, replication_group_id, retain_primary_cluster):
        group = delete_group(self, replication_group_id, retain_primary_cluster)
        for member in list(group.member_clusters):
            self.cache_clusters.pop(member, None)
        self.replication_groups.pop(replication_group_id, None)
        return group

    patcher.setattr(ElastiCacheBackend, "create_replication_group", create_replication_group)
    patcher.setattr(ElastiCacheBackend, "delete_replication_group", delete_replication_group)
    patcher.setattr(ElastiCacheResponse, "delete_cache_subnet_group", delete_cache_subnet_group)
