"""OMERO clients over secure websockets through the HTTPS load balancer: ``wss://<domain>/omero-ws``.

The read-write OMERO.server also listens for ``wss`` (``omero.client.icetransports = ssl,wss``,
port ``omero.ports.wss`` 4066; OMERO sysadmin docs, "Configuration properties" and "Websockets"),
and the HTTPS listener forwards ``/omero-ws`` to it. Clients built on omero-py connect with
``omero login -s wss://<domain>/omero-ws`` (port 443 is the default for wss, omero-py
``clients.py``); no network load balancer and no 4064 open to anyone.

- Ice's websocket endpoint takes any request path (it keeps the request URI without checking it;
  zeroc-ice/ice 3.6 ``WSTransceiver``), so the path is forwarded as it is.
- The load balancer talks TLS to 4066 and does not validate the target's certificate (Elastic Load
  Balancing, "Target groups for your Application Load Balancers"): OMERO's self-signed one from
  ``omero certificates``, which the server image runs at every start (ome/omero-server-docker,
  ``omero_server_selfsigned_certificates``), will do. Back-end TLS uses ECDHE or RSA suites only
  (ELBSecurityPolicy-2016-08), which that RSA certificate serves.
- Health: Ice closes a plain HTTP GET on its websocket port without any HTTP answer, so the load
  balancer's HTTP health check cannot go there; it asks the server task's health responder on
  ``HEALTH_PORT`` (:func:`modules.server_start.websocket_health`), which answers 200 while 4066
  accepts connections and 503 otherwise.
- Websocket connections are sticky by nature and the listener's idle timeout applies to them
  (load_balancer.idle_timeout_seconds).
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.lb_listener_rule import (
    LbListenerRule,
    LbListenerRuleAction,
    LbListenerRuleCondition,
    LbListenerRuleConditionPathPattern,
)
from cdktf_cdktf_provider_aws.lb_target_group import LbTargetGroup, LbTargetGroupHealthCheck
from constructs import Construct

WSS_PORT = 4066  # omero.ports.wss
HEALTH_PORT = 4067  # the server task's health responder for the websocket port
PATH = "/omero-ws"
RULE_PRIORITY = 10


@dataclass(frozen=True, kw_only=True)
class ServerWebSocketsProps:
    name: str  # the deployment name (2-20 characters): target group names allow 32
    vpc_id: str
    listener_arn: str  # the HTTPS listener of the OMERO.web load balancer
    domain_name: str


@dataclass(frozen=True, kw_only=True)
class ServerWebSocketsOutputs:
    target_group_arn: str
    url: str  # what clients connect to


class ServerWebSockets(Construct):
    def __init__(self, scope: Construct, id: str, *, props: ServerWebSocketsProps):
        super().__init__(scope, id)
        self.target_group = LbTargetGroup(
            self,
            "target_group",
            name=f"{props.name}-omero-wss",
            port=WSS_PORT,
            protocol="HTTPS",
            target_type="ip",
            vpc_id=props.vpc_id,
            deregistration_delay="120",  # the server's stopTimeout: let sessions end with it
            health_check=LbTargetGroupHealthCheck(
                enabled=True,
                path="/",
                port=str(HEALTH_PORT),
                protocol="HTTP",
                matcher="200",
                interval=30,
                timeout=5,
                healthy_threshold=2,
                unhealthy_threshold=3,
            ),
            tags={"Name": f"{props.name}-omero-wss"},
        )
        self.rule = LbListenerRule(
            self,
            "rule",
            listener_arn=props.listener_arn,
            priority=RULE_PRIORITY,
            condition=[LbListenerRuleCondition(path_pattern=LbListenerRuleConditionPathPattern(values=[PATH, f"{PATH}/*"]))],
            action=[LbListenerRuleAction(type="forward", target_group_arn=self.target_group.arn)],
            tags={"Name": f"{props.name}-omero-wss"},
        )
        self.outputs = ServerWebSocketsOutputs(target_group_arn=self.target_group.arn, url=f"wss://{props.domain_name}{PATH}")
