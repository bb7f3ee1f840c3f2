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
- Who may connect: the load balancer's security group admits load_balancer.allowed_cidrs to 443,
  for OMERO.web and /omero-ws alike. With load_balancer.websocket_allowed_cidrs narrower, the
  /omero-ws rules also match the client's address (a source-ip condition: the address that
  connects to the load balancer, never X-Forwarded-For; ELB API Reference,
  SourceIpConditionConfig), and a last rule answers 403 to everyone else.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.lb_listener_rule import (
    LbListenerRule,
    LbListenerRuleAction,
    LbListenerRuleActionFixedResponse,
    LbListenerRuleCondition,
    LbListenerRuleConditionPathPattern,
    LbListenerRuleConditionSourceIp,
)
from cdktf_cdktf_provider_aws.lb_target_group import LbTargetGroup, LbTargetGroupHealthCheck
from constructs import Construct

WSS_PORT = 4066  # omero.ports.wss
HEALTH_PORT = 4067  # the server task's health responder for the websocket port
PATH = "/omero-ws"
PATHS = [PATH, f"{PATH}/*"]
RULE_PRIORITY = 10
# A rule holds at most 5 condition values (Elastic Load Balancing, "Quotas for your Application
# Load Balancers": Condition values per rule), 2 of them PATHS: 3 source networks a rule.
NETWORKS_PER_RULE = 3


@dataclass(frozen=True, kw_only=True)
class ServerWebSocketsProps:
    name: str  # the deployment name (2-20 characters): target group names allow 32
    vpc_id: str
    listener_arn: str  # the HTTPS listener of the OMERO.web load balancer
    domain_name: str
    # The client networks /omero-ws is open to; None: whoever the load balancer admits.
    allowed_cidrs: tuple[str, ...] | None = None


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
        forward = [LbListenerRuleAction(type="forward", target_group_arn=self.target_group.arn)]
        path = LbListenerRuleCondition(path_pattern=LbListenerRuleConditionPathPattern(values=PATHS))
        cidrs = props.allowed_cidrs
        groups = [cidrs[i : i + NETWORKS_PER_RULE] for i in range(0, len(cidrs), NETWORKS_PER_RULE)] if cidrs else [()]
        self.rules = [
            LbListenerRule(
                self,
                "rule" if index == 0 else f"rule_{index + 1}",
                listener_arn=props.listener_arn,
                priority=RULE_PRIORITY + index,
                condition=[path]
                + ([LbListenerRuleCondition(source_ip=LbListenerRuleConditionSourceIp(values=list(group)))] if group else []),
                action=forward,
                tags={"Name": f"{props.name}-omero-wss"},
            )
            for index, group in enumerate(groups)
        ]
        self.rule = self.rules[0]
        if cidrs:
            # Anyone else asking for /omero-ws: a plain refusal, not OMERO.web's 404.
            LbListenerRule(
                self,
                "refuse",
                listener_arn=props.listener_arn,
                priority=RULE_PRIORITY + len(groups),
                condition=[path],
                action=[
                    LbListenerRuleAction(
                        type="fixed-response",
                        fixed_response=LbListenerRuleActionFixedResponse(
                            content_type="text/plain",
                            status_code="403",
                            message_body="OMERO's websocket is not open to your network.\n",
                        ),
                    )
                ],
                tags={"Name": f"{props.name}-omero-wss-refuse"},
            )
        self.outputs = ServerWebSocketsOutputs(target_group_arn=self.target_group.arn, url=f"wss://{props.domain_name}{PATH}")
