"""The internet-facing application load balancer in front of OMERO.web.

Without :class:`HttpsSite` it serves HTTP on its own DNS name. With one (a domain and its Route 53
hosted zone: the stacks pass it when the config's ``load_balancer.tls`` says so) it gets an ACM
certificate validated through DNS, an HTTPS listener with a TLS 1.2+ policy, a
permanent redirect from HTTP, and an alias record for the domain. Access logs go to a bucket of
their own. The read-only OMERO.web pool (:class:`ReadOnlyWebRoute`) comes in through the same
listener on a host name of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import Fn, Postcondition, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.acm_certificate import AcmCertificate, AcmCertificateOptions
from cdktf_cdktf_provider_aws.acm_certificate_validation import AcmCertificateValidation
from cdktf_cdktf_provider_aws.data_aws_route53_zone import DataAwsRoute53Zone
from cdktf_cdktf_provider_aws.lb import Lb, LbAccessLogs
from cdktf_cdktf_provider_aws.lb_listener import (
    LbListener,
    LbListenerDefaultAction,
    LbListenerDefaultActionRedirect,
)
from cdktf_cdktf_provider_aws.lb_listener_certificate import LbListenerCertificate
from cdktf_cdktf_provider_aws.lb_listener_rule import (
    LbListenerRule,
    LbListenerRuleAction,
    LbListenerRuleCondition,
    LbListenerRuleConditionHostHeader,
)
from cdktf_cdktf_provider_aws.lb_target_group import LbTargetGroup, LbTargetGroupHealthCheck, LbTargetGroupStickiness
from cdktf_cdktf_provider_aws.route53_record import Route53Record, Route53RecordAlias
from constructs import Construct

from modules.log_bucket import AccessLogBucket, AccessLogBucketProps
from modules.omero_web import WEB_PORT

# Needs no login and no OMERO.server: JSON listing the API versions.
HEALTH_CHECK_PATH = "/api/"


@dataclass(frozen=True, kw_only=True)
class HttpsSite:
    """OMERO.web on https://<domain_name>: the certificate, the HTTPS listener and the alias."""

    domain_name: str
    hosted_zone_id: str  # the public zone holding domain_name: the certificate's validation and the alias
    tls_policy: str  # the HTTPS listener's security policy


@dataclass(frozen=True, kw_only=True)
class WebLoadBalancerProps:
    name: str  # the deployment name (2-20 characters): load balancer names allow 32
    vpc_id: str
    subnet_ids: list[str]  # public subnets, one per AZ
    security_group_id: str
    deletion_protection: bool = True
    idle_timeout_seconds: int = 300
    access_log_days: int = 90
    https: HttpsSite | None = None  # None: plain HTTP on the load balancer's own DNS name


@dataclass(frozen=True, kw_only=True)
class WebLoadBalancerOutputs:
    url: str  # where users open OMERO.web
    dns_name: str
    arn_suffix: str
    target_group_arn: str
    target_group_arn_suffix: str
    access_log_bucket: str
    certificate_arn: str | None


def zone_conditions(host_name: str, key: str) -> list[Postcondition]:
    """The plan-time checks of the hosted zone that holds ``host_name`` (the config key ``key``):
    a public zone (ACM's DNS validation record and the alias must resolve on the internet; a
    private zone answers only inside its VPCs: Route 53 Developer Guide, "Working with private
    hosted zones"), whose name is ``host_name`` or a parent of it (a zone holds only names under
    its own: Route 53 Developer Guide, "Working with hosted zones"). The zone's name is compared
    in lower case without the trailing dot Route 53 may return (GetHostedZone's Name)."""
    zone_name = 'trimsuffix(lower(self.name), ".")'
    return [
        Postcondition(
            condition="${self.private_zone == false}",
            error_message=(
                f"load_balancer.hosted_zone_id: the zone is private; {key} {host_name} needs a public "
                "zone, which the certificate's DNS validation and OMERO.web's users can resolve."
            ),
        ),
        Postcondition(
            condition=f'${{endswith(".{host_name.lower()}", ".${{{zone_name}}}")}}',
            error_message=(
                f"load_balancer.hosted_zone_id: {key} {host_name} is not in this zone; "
                "give the id of the zone whose name is the domain or a parent of it."
            ),
        ),
    ]


def validated_certificate(scope: Construct, domain_name: str, hosted_zone_id: str | None, *, key: str) -> str:
    """An ACM certificate for ``domain_name``, validated through a DNS record in the hosted zone; the
    ARN of its validation, which a listener waits for (ACM issues the certificate only then).
    The zone is read at plan time and checked (``zone_conditions``), so a wrong or private zone
    stops the plan instead of an apply that waits for a validation that never comes."""
    DataAwsRoute53Zone(
        scope,
        "hosted_zone",
        zone_id=hosted_zone_id,
        lifecycle=TerraformResourceLifecycle(postcondition=zone_conditions(domain_name, key)),
    )
    certificate = AcmCertificate(
        scope,
        "certificate",
        domain_name=domain_name,
        validation_method="DNS",
        options=AcmCertificateOptions(certificate_transparency_logging_preference="ENABLED"),
        tags={"Name": domain_name},
        lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
    )
    # One domain, so one validation record: the first (only) element of the set.
    option = Fn.element(Fn.tolist(certificate.domain_validation_options), 0)
    validation_record = Route53Record(
        scope,
        "certificate_validation_record",
        zone_id=hosted_zone_id,
        name=Fn.lookup(option, "resource_record_name"),
        type=Fn.lookup(option, "resource_record_type"),
        records=[Fn.lookup(option, "resource_record_value")],
        ttl=300,
        allow_overwrite=True,
    )
    validation = AcmCertificateValidation(
        scope,
        "certificate_validation",
        certificate_arn=certificate.arn,
        validation_record_fqdns=[validation_record.fqdn],
    )
    return validation.certificate_arn


def alias_record(scope: Construct, id: str, *, hosted_zone_id: str | None, name: str, load_balancer: Lb) -> Route53Record:
    """``name`` in the hosted zone, an alias of the load balancer."""
    return Route53Record(
        scope,
        id,
        zone_id=hosted_zone_id,
        name=name,
        type="A",
        alias=Route53RecordAlias(
            name=load_balancer.dns_name,
            zone_id=load_balancer.zone_id,
            evaluate_target_health=True,
        ),
    )


def web_target_group(scope: Construct, *, name: str, vpc_id: str) -> LbTargetGroup:
    """OMERO.web's tasks on WEB_PORT by IP, checked on HEALTH_CHECK_PATH."""
    return LbTargetGroup(
        scope,
        "target_group",
        name=name,
        port=WEB_PORT,
        protocol="HTTP",
        target_type="ip",
        vpc_id=vpc_id,
        deregistration_delay="30",
        health_check=LbTargetGroupHealthCheck(
            enabled=True,
            path=HEALTH_CHECK_PATH,
            port="traffic-port",
            protocol="HTTP",
            matcher="200",
            interval=15,
            timeout=5,
            healthy_threshold=2,
            unhealthy_threshold=3,
        ),
        # Keep a browser on one task: needed when sessions are on each task's disk
        # (web.session_store off), and keeps that task's caches warm when they are not.
        stickiness=LbTargetGroupStickiness(type="lb_cookie", enabled=True, cookie_duration=86400),
        tags={"Name": name},
    )


class WebLoadBalancer(Construct):
    def __init__(self, scope: Construct, id: str, *, props: WebLoadBalancerProps):
        super().__init__(scope, id)
        logs = AccessLogBucket(
            self,
            "access_logs",
            props=AccessLogBucketProps(
                bucket_prefix=f"{props.name}-omero-alb-logs-",
                log_prefix="omero-web",
                retention_days=props.access_log_days,
            ),
        )
        self.load_balancer = Lb(
            self,
            "load_balancer",
            name=f"{props.name}-omero-web",
            load_balancer_type="application",
            internal=False,
            subnets=props.subnet_ids,
            security_groups=[props.security_group_id],
            drop_invalid_header_fields=True,
            desync_mitigation_mode="defensive",
            enable_deletion_protection=props.deletion_protection,
            idle_timeout=props.idle_timeout_seconds,
            access_logs=LbAccessLogs(bucket=logs.outputs.bucket, prefix=logs.outputs.log_prefix, enabled=True),
            tags={"Name": f"{props.name}-omero-web"},
            # ELB checks that it may write to the bucket when access logs are switched on.
            depends_on=[logs.policy],
        )
        self.target_group = web_target_group(self, name=f"{props.name}-omero-web", vpc_id=props.vpc_id)
        forward = [LbListenerDefaultAction(type="forward", target_group_arn=self.target_group.arn)]
        certificate_arn = None
        site = props.https
        if site is not None:
            certificate_arn = validated_certificate(self, site.domain_name, site.hosted_zone_id, key="load_balancer.domain_name")
            self.https = LbListener(
                self,
                "https",
                load_balancer_arn=self.load_balancer.arn,
                port=443,
                protocol="HTTPS",
                ssl_policy=site.tls_policy,
                certificate_arn=certificate_arn,
                default_action=forward,
            )
            self.http = LbListener(
                self,
                "http",
                load_balancer_arn=self.load_balancer.arn,
                port=80,
                protocol="HTTP",
                default_action=[
                    LbListenerDefaultAction(
                        type="redirect",
                        redirect=LbListenerDefaultActionRedirect(protocol="HTTPS", port="443", status_code="HTTP_301"),
                    )
                ],
            )
            alias_record(
                self, "alias", hosted_zone_id=site.hosted_zone_id, name=site.domain_name, load_balancer=self.load_balancer
            )
            url = f"https://{site.domain_name}"
            self.listener = self.https
        else:
            self.http = LbListener(
                self,
                "http",
                load_balancer_arn=self.load_balancer.arn,
                port=80,
                protocol="HTTP",
                default_action=forward,
            )
            url = f"http://{self.load_balancer.dns_name}"
            self.listener = self.http
        self.outputs = WebLoadBalancerOutputs(
            url=url,
            dns_name=self.load_balancer.dns_name,
            arn_suffix=self.load_balancer.arn_suffix,
            target_group_arn=self.target_group.arn,
            target_group_arn_suffix=self.target_group.arn_suffix,
            access_log_bucket=logs.outputs.bucket,
            certificate_arn=certificate_arn,
        )


# The read-only pool's rule: after the websocket path's rules (modules.server_websockets, from 10),
# so wss://<pool host>/omero-ws reaches the read-write server like any other host's.
READ_ONLY_RULE_PRIORITY = 100


@dataclass(frozen=True, kw_only=True)
class ReadOnlyWebRouteProps:
    name: str  # the deployment name (2-20 characters): target group names allow 32
    vpc_id: str
    host_name: str  # what viewers open: https://<host_name>
    hosted_zone_id: str | None  # the zone holding host_name: its alias and certificate validation
    load_balancer: WebLoadBalancer  # with HTTPS (a domain)


@dataclass(frozen=True, kw_only=True)
class ReadOnlyWebRouteOutputs:
    url: str
    target_group_arn: str
    target_group_arn_suffix: str


class ReadOnlyWebRoute(Construct):
    """The read-only OMERO.web pool's way in through the same load balancer: its host name (an alias
    record and a certificate of its own, added to the HTTPS listener for SNI), a listener rule on
    that host, and the pool's target group.

    A certificate of its own leaves the main one as it is (adding a name to it would replace it);
    an HTTPS listener picks the certificate by the name the client asks for (Elastic Load
    Balancing, "SSL certificates for your Application Load Balancer": SNI, up to 25 certificates
    beside the default). The rule matches the Host header, which the HTTP listener's redirect to
    HTTPS keeps (its default host is #{host}).
    """

    def __init__(self, scope: Construct, id: str, *, props: ReadOnlyWebRouteProps):
        super().__init__(scope, id)
        balancer = props.load_balancer
        # Target group names allow 32 characters: "<name>-omero-view" is at most 31.
        self.target_group = web_target_group(self, name=f"{props.name}-omero-view", vpc_id=props.vpc_id)
        certificate_arn = validated_certificate(self, props.host_name, props.hosted_zone_id, key="web.read_only_pool.host_name")
        LbListenerCertificate(self, "listener_certificate", listener_arn=balancer.listener.arn, certificate_arn=certificate_arn)
        self.rule = LbListenerRule(
            self,
            "rule",
            listener_arn=balancer.listener.arn,
            priority=READ_ONLY_RULE_PRIORITY,
            condition=[LbListenerRuleCondition(host_header=LbListenerRuleConditionHostHeader(values=[props.host_name]))],
            action=[LbListenerRuleAction(type="forward", target_group_arn=self.target_group.arn)],
            tags={"Name": f"{props.name}-omero-view"},
        )
        alias_record(
            self, "alias", hosted_zone_id=props.hosted_zone_id, name=props.host_name, load_balancer=balancer.load_balancer
        )
        self.outputs = ReadOnlyWebRouteOutputs(
            url=f"https://{props.host_name}",
            target_group_arn=self.target_group.arn,
            target_group_arn_suffix=self.target_group.arn_suffix,
        )
