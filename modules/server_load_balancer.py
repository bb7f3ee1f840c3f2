"""An optional network load balancer that lets OMERO.insight and the OMERO CLI reach the
read-write OMERO.server from the networks the configuration allows (never from anywhere by
default). Port 4064 carries Ice over TLS; 4063 (plain Ice) only when asked for.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.lb import Lb
from cdktf_cdktf_provider_aws.lb_listener import LbListener, LbListenerDefaultAction
from cdktf_cdktf_provider_aws.lb_target_group import LbTargetGroup, LbTargetGroupHealthCheck
from constructs import Construct

from modules.omero_facts import PLAIN_PORT, SERVER_PORT


@dataclass(frozen=True, kw_only=True)
class ServerLoadBalancerProps:
    name: str
    vpc_id: str
    subnet_ids: list[str]  # public subnets
    security_group_id: str
    plain_port: bool = False
    deletion_protection: bool = True


@dataclass(frozen=True, kw_only=True)
class ServerLoadBalancerOutputs:
    dns_name: str
    arn_suffix: str
    # (target group ARN, container port) for the server's ECS service
    target_groups: tuple[tuple[str, int], ...]


class ServerLoadBalancer(Construct):
    def __init__(self, scope: Construct, id: str, *, props: ServerLoadBalancerProps):
        super().__init__(scope, id)
        name = f"{props.name}-omero-srv"
        self.load_balancer = Lb(
            self,
            "load_balancer",
            name=name,
            load_balancer_type="network",
            internal=False,
            subnets=props.subnet_ids,
            security_groups=[props.security_group_id],
            enable_cross_zone_load_balancing=True,
            enable_deletion_protection=props.deletion_protection,
            tags={"Name": name},
        )
        target_groups = []
        self.listeners: list[LbListener] = []  # an ECS service can attach only once these exist
        for port in [SERVER_PORT] + ([PLAIN_PORT] if props.plain_port else []):
            group = LbTargetGroup(
                self,
                f"target_group_{port}",
                name=f"{props.name}-ice-{port}",
                port=port,
                protocol="TCP",
                target_type="ip",
                vpc_id=props.vpc_id,
                deregistration_delay="30",
                health_check=LbTargetGroupHealthCheck(enabled=True, protocol="TCP", port="traffic-port", interval=30),
                tags={"Name": f"{props.name}-ice-{port}"},
            )
            listener = LbListener(
                self,
                f"listener_{port}",
                load_balancer_arn=self.load_balancer.arn,
                port=port,
                protocol="TCP",
                default_action=[LbListenerDefaultAction(type="forward", target_group_arn=group.arn)],
            )
            self.listeners.append(listener)
            target_groups.append((group.arn, port))
        self.outputs = ServerLoadBalancerOutputs(
            dns_name=self.load_balancer.dns_name,
            arn_suffix=self.load_balancer.arn_suffix,
            target_groups=tuple(target_groups),
        )
