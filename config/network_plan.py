"""Whether a new VPC's subnets can hold the deployment: the addresses it can take in one zone.

Everything OMERO runs takes private IPv4 addresses from the subnets it sits in: every ECS task
(``awsvpc`` mode gives each its own network interface), the EFS mount targets, the database, the
session store's nodes, the interface endpoints, the add-ons' hosts and network interfaces; and the
load balancers and NAT gateways take theirs in the public subnets. A subnet too small for them
fails late and partly: tasks that cannot be placed, a load balancer that cannot scale. So the
largest number a subnet may have to hold is worked out here from the deployment's own sizes and
refused up front, naming the key to change and what it must become.

The count is for the worst zone, the one that has to take over when another zone fails (ECS and
EC2 Auto Scaling start the lost tasks and instances in the subnets that are left): what spreads
over the zones is divided by one zone fewer than the deployment has. Resources pinned to the
first private subnet (the file gateway, DataSync's interfaces, the uploader by default) all count
there.

An existing VPC (``network.vpc_id``) is given by subnet ids only: its subnets' sizes are checked
at plan time instead (:class:`modules.network.ExistingNetwork`), against :func:`subnet_minimums`.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Iterator
from typing import TYPE_CHECKING

from config.backup import looks_like_production
from config.fields import Problem

if TYPE_CHECKING:  # the schema imports this module, not the other way round
    from config.schema import Deployment

# Amazon VPC User Guide, "Subnet CIDR blocks": "The first four IP addresses and the last IP
# address in each subnet CIDR block are not available for your use" (network address, VPC router,
# DNS, future use, broadcast); subnets are /16 to /28.
RESERVED = 5
SMALLEST_SUBNET = 28
# ELB User Guide for Application Load Balancers, "Subnets for your load balancer": "verify that
# each subnet for your load balancer has a CIDR block with at least a /27 bitmask (for example,
# 10.0.0.0/27) and has at least 8 free IP addresses"; the load balancer's nodes take them as it
# scales.
ALB_PREFIX = 27
ALB_FREE = 8
# ELB User Guide for Network Load Balancers, "Availability Zones": "For internet-facing Network
# Load Balancers, the subnets that you specify must have at least 8 available IP addresses" (it
# then keeps one network interface per subnet).
NLB_FREE = 8
# RDS User Guide, "Working with a DB instance in a VPC": subnets "must be large enough to
# accommodate spare IP addresses for Amazon RDS to use during maintenance activities, including
# failover and compute scaling": the instance (or its Multi-AZ standby) and one spare.
DATABASE = 2
# DataSync User Guide, "Network interfaces for AWS DataSync transfers": without an agent, an EFS
# location takes two network interfaces per task (EFS to FSx for Lustre takes four, FSx to S3 two,
# S3 none), in the subnet of the location: here the first private subnet.
DATASYNC = 2


def usable(prefix: int) -> int:
    """Addresses a subnet of this prefix length leaves for resources."""
    return 2 ** (32 - prefix) - RESERVED


def prefix_for(need: int) -> int:
    """The longest prefix (smallest subnet) that leaves ``need`` addresses, /28 at most."""
    prefix = SMALLEST_SUBNET
    while usable(prefix) < need:
        prefix -= 1
    return prefix


def _spread(count: int, zones: int) -> int:
    """What one zone holds of ``count`` spread over ``zones`` once another zone has failed."""
    return math.ceil(count / max(zones - 1, 1))


def private_demand(deployment: Deployment) -> list[tuple[str, int]]:
    """(what, addresses) one private subnet may have to hold, in OMERO's terms."""
    zones = deployment.network.zone_count
    web, server = deployment.web, deployment.server
    # OMERO.web deploys with maximumPercent 200 (modules/omero_web.py): at max_tasks, a deploy
    # runs twice as many tasks for a while. The servers stop before they are replaced (100%).
    tasks = 2 * web.max_tasks + 1 + server.read_only_count
    if web.read_only_pool.enabled:
        tasks += 2 * web.read_only_pool.max_tasks  # the read-only OMERO.web pool deploys the same way
    if deployment.dropbox.enabled and deployment.dropbox.scheduled_import:
        tasks += 2  # a run, and the next one that finds its lock and exits (modules/addons/dropbox.py)
    demand = [("tasks", _spread(tasks, zones))]
    if deployment.cluster.launch_type == "ec2":
        # Each container instance's own network interface (its tasks have theirs, counted above).
        demand.append(("container instances", _spread(deployment.cluster.ec2.max_instances, zones)))
    # EFS User Guide, "Managing mount targets": one mount target per zone, with an IP address in its subnet.
    demand += [("EFS mount target", 1), ("database", DATABASE)]
    store = web.session_store
    if store.enabled:
        # ElastiCache: one network interface per node, a primary and its replicas.
        demand.append(("session store nodes", _spread(1 + store.replicas, zones)))
    endpoints = len(interface_endpoint_services(deployment))
    if endpoints:
        # AWS PrivateLink Guide, "Interface endpoints": "For each subnet that you specify from
        # your VPC, we create an endpoint network interface in the subnet".
        demand.append(("interface endpoints", endpoints))
    if deployment.file_gateway.enabled:
        demand.append(("file gateway", 1))
    if deployment.datasync.enabled:
        demand.append(("DataSync", DATASYNC))
    if deployment.uploader.enabled:
        demand.append(("uploader", 1))
    if deployment.appstream.enabled:
        # AppStream 2.0 API Reference, VpcConfig: a network interface in the fleet's subnets per instance.
        demand.append(("AppStream instances", _spread(deployment.appstream.desired_instances, zones)))
    return demand


def public_demand(deployment: Deployment) -> list[tuple[str, int]]:
    """(what, addresses) one public subnet may have to hold: load balancers and a NAT gateway."""
    demand = [("load balancer", ALB_FREE), ("NAT gateway", 1)]
    if deployment.server_load_balancer.enabled:
        demand.append(("network load balancer", NLB_FREE))
    return demand


def subnet_minimums(deployment: Deployment) -> tuple[int, int]:
    """The longest prefixes (public, private) the deployment's subnets may have."""
    public = min(ALB_PREFIX, prefix_for(sum(n for _, n in public_demand(deployment))))
    private = prefix_for(sum(n for _, n in private_demand(deployment)))
    return public, private


# The AWS services network.interface_endpoints may name (com.amazonaws.<region>.<name>), and what
# in the deployment calls each from the private subnets.
INTERFACE_ENDPOINT_SERVICES = {
    # ECR User Guide, "Amazon ECR interface VPC endpoints": Fargate platform 1.4.0 and later (and
    # the EC2 launch type) need both, plus the S3 gateway endpoint for the image layers.
    "ecr.api": "image pulls: registry API and authorization",
    "ecr.dkr": "image pulls: the Docker registry API (manifests)",
    "logs": "every task's awslogs driver and the hosts' logs",
    "secretsmanager": "the secrets ECS hands to the tasks at start",
    # ECS Developer Guide, "Monitor Amazon ECS containers with ECS Exec": the SSM Session Manager
    # channel of `aws ecs execute-command` (exec_command) is ssmmessages.
    "ssmmessages": "ECS Exec and Session Manager sessions",
    # Systems Manager User Guide, "Use VPC endpoints": the SSM agent needs ssm, ssmmessages and ec2messages.
    "ssm": "the SSM agent of the EC2 hosts (container instances, uploader) and the uploader's status",
    "ec2messages": "the SSM agent of the EC2 hosts",
    # ECS Developer Guide, "Amazon ECS interface VPC endpoints": the container agent on EC2
    # instances (not needed on Fargate).
    "ecs": "the ECS container agent on EC2 container instances",
    "ecs-agent": "the ECS container agent on EC2 container instances",
    "ecs-telemetry": "the ECS container agent on EC2 container instances",
    # Nothing here calls STS (tasks get credentials from the ECS agent, hosts from IMDS); allowed
    # for what operators run on the uploader host.
    "sts": "AWS Security Token Service (none of the deployment's own calls)",
}


def endpoint_services_check(values: tuple[str, ...]) -> str | None:
    """The check of network.interface_endpoints: known service names, each once."""
    for value in values:
        if value not in INTERFACE_ENDPOINT_SERVICES:
            return f"{value!r}: service names among {', '.join(INTERFACE_ENDPOINT_SERVICES)}"
    if len(set(values)) != len(values):
        return "each service once"
    return None


def used_services(deployment: Deployment) -> tuple[str, ...]:
    """The services the deployment itself calls from its private subnets."""
    services = ["ecr.api", "ecr.dkr", "logs", "secretsmanager", "ssmmessages"]
    if deployment.cluster.launch_type == "ec2":
        services += ["ecs", "ecs-agent", "ecs-telemetry"]
    if deployment.cluster.launch_type == "ec2" or deployment.uploader.enabled:
        services += ["ssm", "ec2messages"]
    return tuple(services)


def interface_endpoint_services(deployment: Deployment) -> tuple[str, ...]:
    """The AWS services reached through interface endpoints: as configured; unset, the ones the
    deployment uses when it is production in a new VPC, none otherwise.

    Production pays about $7.30 a month per endpoint and zone for traffic that keeps running when
    NAT does not (a NAT gateway's zone failing with nat_gateways = "single"), and that never
    leaves AWS's network. Elsewhere the endpoints cost more than they save: image layers already
    come from S3 through the free gateway endpoint, and the API traffic left is a few GB a month
    ($0.045/GB through NAT). An existing VPC may have endpoints of its own, whose private DNS
    names would clash with ours (AWS refuses the second), so there only a list set here counts.
    """
    configured = deployment.network.interface_endpoints
    if configured is not None:
        return configured
    if deployment.network.creates_vpc and looks_like_production(deployment):
        return used_services(deployment)
    return ()


def _describe(demand: list[tuple[str, int]]) -> str:
    return ", ".join(f"{what} {count}" for what, count in demand)


def capacity_problems(deployment: Deployment) -> Iterator[Problem]:
    """One problem per key to change when the new VPC's subnets cannot hold the deployment."""
    network = deployment.network
    if not network.creates_vpc:
        return  # subnet sizes are known at plan time only
    minimums = dict(zip(("public", "private"), subnet_minimums(deployment), strict=True))
    demands = {"public": public_demand(deployment), "private": private_demand(deployment)}
    planned: list[tuple[str, str]] = []
    for tier, cidrs in zip(("public", "private"), network.subnet_plan(), strict=True):
        want = minimums[tier]
        small = [c for c in cidrs if ipaddress.IPv4Network(c).prefixlen > want]
        if not small:
            continue
        holds = usable(ipaddress.IPv4Network(small[0]).prefixlen)
        need = f"{sum(n for _, n in demands[tier])} addresses ({_describe(demands[tier])})"
        if tier == "public":
            need += f" and be a /{ALB_PREFIX} at least for the load balancer"
        if getattr(network, f"{tier}_subnet_cidrs"):
            yield Problem(
                f"network.{tier}_subnet_cidrs",
                cidrs,
                f"/{want} or larger: a {tier} subnet may have to hold {need}, besides the {RESERVED} addresses AWS "
                f"reserves; {small[0]} leaves {holds}",
            )
        else:
            planned.append((tier, f"a {tier} one may have to hold {need}"))
    if planned:
        subnet = ipaddress.IPv4Network(network.vpc_cidr).prefixlen + 4
        vpc = min(minimums[tier] for tier, _ in planned) - 4
        yield Problem(
            "network.vpc_cidr",
            network.vpc_cidr,
            f"/{vpc} or larger: its planned subnets are /{subnet}, leaving {usable(subnet)} addresses each after the "
            f"{RESERVED} AWS reserves; {', '.join(text for _, text in planned)} "
            "(or set public_subnet_cidrs and private_subnet_cidrs)",
        )
