"""Network access between OMERO's security groups, written in one place.

A client reaches a target by two rules that name each other's group, as the AWS CDK's
``connections.allowTo`` makes them: an egress rule on the client's group ("to <what>") and an
ingress rule on the target's group ("<what> clients"). Every module that lets one group talk to
another (the services, the add-ons) makes the pair with :func:`allow_from`, and HTTPS out to the
internet with :func:`https_out`; each group itself is made by :func:`security_group`.
"""

from __future__ import annotations

from typing import TypeAlias

from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

ANYWHERE = "0.0.0.0/0"
HTTPS_PORT = 443
NFS_PORT = 2049  # EFS and NFS 4.1 shares

# Construct ids of the two rules: a key ("<key>_out", "<key>_in") or both ids (egress, ingress).
RuleIds: TypeAlias = str | tuple[str, str]
SecurityGroupRule: TypeAlias = VpcSecurityGroupIngressRule | VpcSecurityGroupEgressRule


def security_group(scope: Construct, id: str, *, name: str, vpc_id: str, description: str) -> SecurityGroup:
    """An ``aws_security_group`` named and tagged ``name``; its rules are made apart (allow_from, rule, https_out)."""
    return SecurityGroup(scope, id, name=name, description=description, vpc_id=vpc_id, tags={"Name": name})


def rule(
    scope: Construct,
    id: str,
    group_id: str,
    port: int,
    *,
    inbound: bool,
    description: str,
    cidr: str | None = None,
    peer_group_id: str | None = None,
    prefix_list_id: str | None = None,
    protocol: str = "tcp",
) -> SecurityGroupRule:
    """One rule on ``group_id`` for ``port``: an ``aws_vpc_security_group_ingress_rule`` (``inbound``,
    from ``cidr``, ``peer_group_id`` or ``prefix_list_id``) or an ``aws_vpc_security_group_egress_rule``
    (to any of them)."""
    kind = VpcSecurityGroupIngressRule if inbound else VpcSecurityGroupEgressRule
    return kind(
        scope,
        id,
        security_group_id=group_id,
        ip_protocol=protocol,
        from_port=port,
        to_port=port,
        cidr_ipv4=cidr,
        referenced_security_group_id=peer_group_id,
        prefix_list_id=prefix_list_id,
        description=description,
    )


def allow_from(
    scope: Construct,
    ids: RuleIds,
    client_group_id: str,
    target_group_id: str,
    port: int,
    what: str,
    *,
    clients: str | None = None,
    protocol: str = "tcp",
) -> tuple[SecurityGroupRule, SecurityGroupRule]:
    """Let the client group open connections to the target group on ``port``: the egress rule
    "to <what>" on the client group, then the ingress rule on the target group, described as
    ``clients`` ("<what> clients" when not given), e.g. ``what="EFS (NFS over TLS)"``."""
    egress_id, ingress_id = (f"{ids}_out", f"{ids}_in") if isinstance(ids, str) else ids
    egress = rule(
        scope,
        egress_id,
        client_group_id,
        port,
        inbound=False,
        peer_group_id=target_group_id,
        description=f"to {what}",
        protocol=protocol,
    )
    ingress = rule(
        scope,
        ingress_id,
        target_group_id,
        port,
        inbound=True,
        peer_group_id=client_group_id,
        description=clients if clients is not None else f"{what} clients",
        protocol=protocol,
    )
    return egress, ingress


def https_out(scope: Construct, id: str, group_id: str, *, description: str) -> SecurityGroupRule:
    """An egress rule on ``group_id``: HTTPS (443) to anywhere (AWS endpoints, registries)."""
    return rule(scope, id, group_id, HTTPS_PORT, inbound=False, cidr=ANYWHERE, description=description)
