"""OMERO.web on ECS Fargate behind the application load balancer, scaled on CPU.

Every task gets the same Django secret key (from Secrets Manager), so a session or CSRF token
made by one task is good on another. With a session store (:mod:`modules.session_store`) the
sessions themselves are shared too; without one they are files on each task's disk, and only the
load balancer's sticky sessions keep a browser on the task that has its session.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.appautoscaling_policy import (
    AppautoscalingPolicy,
    AppautoscalingPolicyTargetTrackingScalingPolicyConfiguration,
    AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecification,
)
from cdktf_cdktf_provider_aws.appautoscaling_target import AppautoscalingTarget
from cdktf_cdktf_provider_aws.ecs_service import (
    EcsService,
    EcsServiceDeploymentCircuitBreaker,
    EcsServiceLoadBalancer,
    EcsServiceNetworkConfiguration,
)
from constructs import Construct

from modules.cluster import OmeroClusterOutputs
from modules.ecs_task import awslogs, task_definition
from modules.logs import log_group
from modules.omero_config import config_environment, config_secrets, secret_arns, server_list
from modules.session_store import SESSION_ENGINE
from modules.task_roles import TaskRoles, TaskRolesProps

WEB_PORT = 4080
CONTAINER = "omero-web"


@dataclass(frozen=True, kw_only=True)
class OmeroWebProps:
    name: str  # the deployment name; prefixes names
    image: str
    cpu: int
    memory: int
    min_tasks: int
    max_tasks: int
    target_cpu_percent: int
    cluster: OmeroClusterOutputs
    subnet_ids: list[str]
    security_group_id: str
    target_group_arn: str
    # (host, port, name) of each OMERO.server the login page offers, first is the default
    servers: Sequence[tuple[str, int, str]]
    secret_key_arn: str  # Django SECRET_KEY shared by every task
    secret_key_kms_key_arn: str | None
    public_origin: str | None  # https://<domain> behind TLS; None when served over plain HTTP
    region: str
    account_id: str
    partition: str
    log_retention_days: int
    # The load balancer's idle timeout: a request may run as long before gunicorn kills its worker.
    request_timeout_seconds: int = 60
    cache_repositories_arn: str | None = None  # the ECR pull-through cache ``image`` comes through
    # The secret holding omero.web.caches (the shared session store); None: sessions on local disk.
    session_caches_secret_arn: str | None = None
    properties: Mapping[str, str] = field(default_factory=dict)
    # OMERO.web property -> Secrets Manager reference (a secret ARN, or ARN:json-key:stage:version)
    secret_properties: Mapping[str, str] = field(default_factory=dict)
    depends_on: tuple[object, ...] = ()  # the listener that forwards to target_group_arn


@dataclass(frozen=True, kw_only=True)
class OmeroWebOutputs:
    service_name: str
    log_group_name: str


def wsgi_workers(cpu: int) -> int:
    """Gunicorn workers for a task of ``cpu`` units: "(2 x NUM_CORES) + 1", as OMERO.web's
    install guide advises (omero-documentation, sysadmins/unix/install-web/web-deployment)."""
    return 2 * cpu // 1024 + 1


def web_properties(props: OmeroWebProps) -> dict[str, str]:
    properties = {
        "omero.web.server_list": server_list(props.servers),
        "omero.web.wsgi_workers": str(wsgi_workers(props.cpu)),
        # Gunicorn kills a worker silent for omero.web.wsgi_timeout seconds (default 60,
        # omero-web settings.py); a large export may take as long as the load balancer allows.
        "omero.web.wsgi_timeout": str(props.request_timeout_seconds),
    }
    if props.session_caches_secret_arn:
        # Sessions in Django's cache, which omero.web.caches (a secret) points at the store.
        properties["omero.web.session_engine"] = SESSION_ENGINE
    if props.public_origin:
        # Behind the TLS-terminating load balancer: trust its X-Forwarded-Proto, send cookies
        # over HTTPS only, and accept form posts from the public origin.
        properties.update(
            {
                "omero.web.secure_proxy_ssl_header": json.dumps(["HTTP_X_FORWARDED_PROTO", "https"]),
                "omero.web.session_cookie_secure": "true",
                "omero.web.csrf_cookie_secure": "true",
                "omero.web.csrf_trusted_origins": json.dumps([props.public_origin]),
            }
        )
    properties.update(props.properties)
    return properties


class OmeroWebService(Construct):
    def __init__(self, scope: Construct, id: str, *, props: OmeroWebProps):
        super().__init__(scope, id)
        prefix = f"{props.name}-omero-web"
        secrets = {"omero.web.secret_key": props.secret_key_arn}
        if props.session_caches_secret_arn:
            secrets["omero.web.caches"] = props.session_caches_secret_arn
        secrets.update(props.secret_properties)
        logs = log_group(
            self,
            "logs",
            name=f"/omero/{props.name}/omero-web",
            retention_days=props.log_retention_days,
            kms_key_arn=props.cluster.kms_key_arn,
        )
        roles = TaskRoles(
            self,
            "roles",
            props=TaskRolesProps(
                name=prefix,
                description="OMERO.web",
                account_id=props.account_id,
                partition=props.partition,
                log_group_arn=logs.arn,
                image=props.image,
                cache_repositories_arn=props.cache_repositories_arn,
                secret_arns=secret_arns(secrets),
                secrets_kms_key_arn=props.secret_key_kms_key_arn,
                exec_log_group_arn=props.cluster.exec_log_group_arn,
                exec_kms_key_arn=props.cluster.kms_key_arn,
            ),
        )
        container = {
            "name": CONTAINER,
            "image": props.image,
            "essential": True,
            "portMappings": [{"containerPort": WEB_PORT, "hostPort": WEB_PORT, "protocol": "tcp"}],
            "environment": config_environment(web_properties(props)),
            "secrets": config_secrets(secrets),
            "linuxParameters": {"initProcessEnabled": True},
            "stopTimeout": 30,
            "logConfiguration": awslogs(logs.name, props.region, "omero-web"),
        }
        task = task_definition(
            self,
            family=prefix,
            launch_type="FARGATE",
            cpu=props.cpu,
            memory=props.memory,
            roles=roles,
            container=container,
        )
        self.service = EcsService(
            self,
            "service",
            name="omero-web",
            cluster=props.cluster.cluster_arn,
            task_definition=task.arn,
            desired_count=props.min_tasks,
            launch_type="FARGATE",
            deployment_maximum_percent=200,
            deployment_minimum_healthy_percent=100,
            deployment_circuit_breaker=EcsServiceDeploymentCircuitBreaker(enable=True, rollback=True),
            availability_zone_rebalancing="ENABLED",
            load_balancer=[
                EcsServiceLoadBalancer(target_group_arn=props.target_group_arn, container_name=CONTAINER, container_port=WEB_PORT)
            ],
            health_check_grace_period_seconds=120,
            network_configuration=EcsServiceNetworkConfiguration(
                subnets=props.subnet_ids,
                security_groups=[props.security_group_id],
                assign_public_ip=False,
            ),
            enable_execute_command=True,
            enable_ecs_managed_tags=True,
            propagate_tags="SERVICE",
            wait_for_steady_state=False,
            tags={"Name": prefix},
            # Autoscaling owns the task count once the service exists.
            lifecycle=TerraformResourceLifecycle(ignore_changes=["desired_count"]),
            depends_on=list(props.depends_on) or None,
        )
        resource_id = f"service/{props.cluster.cluster_name}/{self.service.name}"
        target = AppautoscalingTarget(
            self,
            "scaling_target",
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=resource_id,
            min_capacity=props.min_tasks,
            max_capacity=props.max_tasks,
        )
        AppautoscalingPolicy(
            self,
            "scaling_policy",
            name=f"{prefix}-cpu",
            policy_type="TargetTrackingScaling",
            service_namespace=target.service_namespace,
            scalable_dimension=target.scalable_dimension,
            resource_id=target.resource_id,
            target_tracking_scaling_policy_configuration=AppautoscalingPolicyTargetTrackingScalingPolicyConfiguration(
                target_value=props.target_cpu_percent,
                predefined_metric_specification=AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecification(
                    predefined_metric_type="ECSServiceAverageCPUUtilization"
                ),
                scale_in_cooldown=300,
                scale_out_cooldown=60,
            ),
        )
        self.outputs = OmeroWebOutputs(service_name=self.service.name, log_group_name=logs.name)
