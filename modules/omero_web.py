"""OMERO.web on ECS Fargate behind the application load balancer, scaled on requests and CPU.

Every task gets the same Django secret key (from Secrets Manager), so a session or CSRF token
made by one task is good on another. With a session store (:mod:`modules.session_store`) the
sessions themselves are shared too; without one they are files on each task's disk, and only the
load balancer's sticky sessions keep a browser on the task that has its session.

Gunicorn runs threaded workers: ``omero.web.wsgi_threads`` above 1 makes ``omero web start`` pass
``--threads`` to gunicorn's default worker class, which gunicorn then runs as ``gthread`` ("If you
try to use the sync worker type and set the threads setting to more than 1, the gthread worker
type will be used instead", gunicorn settings, ``threads``; omero-web ``omero/plugins/web.py``
``_build_run_cmd``). A worker then serves that many requests at once, most of them waiting on
OMERO.server, and a slow download holds one thread, not a whole worker.

The same construct runs the read-only pool (``web.read_only_pool``) as a second service.
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
from modules.context import stack_context
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
    service_name: str = "omero-web"  # the ECS service; "<name>-<service_name>" names its task, roles and logs
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
    log_retention_days: int
    # The load balancer's idle timeout (load_balancer.idle_timeout_seconds): it closes a connection
    # to a task after this long without data, so gunicorn keeps idle connections open longer.
    idle_timeout_seconds: int = 60
    workers: int | None = None  # gunicorn worker processes per task; None: wsgi_workers(cpu)
    threads: int = 8  # threads per worker; 1: gunicorn's sync worker
    # ALB requests a minute per task the autoscaling aims at (ALBRequestCountPerTarget).
    target_requests_per_task: int = 1000
    load_balancer_arn_suffix: str  # "app/<name>/<id>": with target_group_arn_suffix, the requests metric
    target_group_arn_suffix: str  # "targetgroup/<name>/<id>" of target_group_arn
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


# The worker heartbeat with threads: omero-web's default omero.web.wsgi_timeout (settings.py). For
# gthread workers gunicorn's timeout "just means that the worker process is still communicating and
# is not tied to the length of time required to handle a single request" (gunicorn settings,
# ``timeout``): the worker's main loop reports in while its threads serve, so only a hung process
# is killed, never a long download.
HEARTBEAT_SECONDS = 60
# Gunicorn keeps an idle connection this much longer than the load balancer does, so the load
# balancer always closes it first: AWS recommends "the idle timeout of your application to be
# larger than the idle timeout configured for the load balancer", or a request the load balancer
# sends on a connection the target is closing gets a 502 (Elastic Load Balancing, "Edit
# attributes for your Application Load Balancer", Connection idle timeout).
KEEP_ALIVE_MARGIN_SECONDS = 5


def gunicorn_properties(props: OmeroWebProps) -> dict[str, str]:
    """OMERO.web's gunicorn settings, which ``omero web start`` turns into gunicorn's options:
    ``--workers``, ``--threads`` (sync worker class), ``--timeout`` and the ``omero.web.wsgi_args``
    string split on whitespace (omero-web ``omero/plugins/web.py``, ``_build_run_cmd`` and ``start``)."""
    # A sync worker (threads = 1) serves one request start to end, and gunicorn kills it after
    # timeout seconds however busy it is: there the timeout must let a request run as long as the
    # load balancer does.
    timeout = HEARTBEAT_SECONDS if props.threads > 1 else props.idle_timeout_seconds
    # --keep-alive: "the number of seconds to wait for requests on a Keep-Alive connection"; the
    # sync worker keeps no connection open and ignores it (gunicorn settings, keepalive).
    wsgi_args = f"--keep-alive {props.idle_timeout_seconds + KEEP_ALIVE_MARGIN_SECONDS}"
    extra = props.properties.get("omero.web.wsgi_args")
    return {
        "omero.web.wsgi_workers": str(props.workers or wsgi_workers(props.cpu)),
        "omero.web.wsgi_threads": str(props.threads),
        "omero.web.wsgi_timeout": str(timeout),
        # A deployment's own omero.web.wsgi_args follow ours: gunicorn takes the last of a repeated option.
        "omero.web.wsgi_args": f"{wsgi_args} {extra}" if extra else wsgi_args,
    }


def web_properties(props: OmeroWebProps) -> dict[str, str]:
    properties = {"omero.web.server_list": server_list(props.servers)}
    properties.update(gunicorn_properties(props))
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
    properties.update({name: value for name, value in props.properties.items() if name != "omero.web.wsgi_args"})
    return properties


class OmeroWebService(Construct):
    def __init__(self, scope: Construct, id: str, *, props: OmeroWebProps):
        super().__init__(scope, id)
        prefix = f"{props.name}-{props.service_name}"
        secrets = {"omero.web.secret_key": props.secret_key_arn}
        if props.session_caches_secret_arn:
            secrets["omero.web.caches"] = props.session_caches_secret_arn
        secrets.update(props.secret_properties)
        logs = log_group(
            self,
            "logs",
            name=f"/omero/{props.name}/{props.service_name}",
            retention_days=props.log_retention_days,
            kms_key_arn=props.cluster.kms_key_arn,
        )
        roles = TaskRoles(
            self,
            "roles",
            props=TaskRolesProps(
                name=prefix,
                description="OMERO.web",
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
            "logConfiguration": awslogs(logs.name, stack_context(self).region, props.service_name),
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
        self.service = self._service(props, prefix, task.arn)
        self._autoscaling(props, prefix)
        self.outputs = OmeroWebOutputs(service_name=self.service.name, log_group_name=logs.name)

    def _service(self, props: OmeroWebProps, prefix: str, task_definition_arn: str) -> EcsService:
        """The ECS service: its tasks across the private subnets' zones, registered with the target group."""
        return EcsService(
            self,
            "service",
            name=props.service_name,
            cluster=props.cluster.cluster_arn,
            task_definition=task_definition_arn,
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

    def _autoscaling(self, props: OmeroWebProps, prefix: str) -> None:
        """Target tracking on two signals, requests per task and CPU. Application Auto Scaling scales
        out when any policy asks to and in only when all of them do (Application Auto Scaling User
        Guide, "How target tracking scaling works", Multiple scaling policies): workers waiting on
        OMERO.server show in the request count long before they show in CPU."""
        target = AppautoscalingTarget(
            self,
            "scaling_target",
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=f"service/{props.cluster.cluster_name}/{self.service.name}",
            min_capacity=props.min_tasks,
            max_capacity=props.max_tasks,
        )
        # ALBRequestCountPerTarget: the target group's requests a minute divided by its healthy
        # targets; ResourceLabel is "<load balancer ARN's final part>/<target group ARN's final
        # part>", app/<name>/<id>/targetgroup/<name>/<id> (Application Auto Scaling API Reference,
        # PredefinedMetricSpecification), the ARN suffixes Terraform exports as arn_suffix.
        signals = (
            ("request_scaling_policy", "requests", props.target_requests_per_task, "ALBRequestCountPerTarget"),
            ("scaling_policy", "cpu", props.target_cpu_percent, "ECSServiceAverageCPUUtilization"),
        )
        for construct_id, suffix, target_value, metric in signals:
            label = f"{props.load_balancer_arn_suffix}/{props.target_group_arn_suffix}" if metric.startswith("ALB") else None
            AppautoscalingPolicy(
                self,
                construct_id,
                name=f"{prefix}-{suffix}",
                policy_type="TargetTrackingScaling",
                service_namespace=target.service_namespace,
                scalable_dimension=target.scalable_dimension,
                resource_id=target.resource_id,
                target_tracking_scaling_policy_configuration=AppautoscalingPolicyTargetTrackingScalingPolicyConfiguration(
                    target_value=target_value,
                    predefined_metric_specification=AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecification(
                        predefined_metric_type=metric, resource_label=label
                    ),
                    scale_in_cooldown=300,
                    scale_out_cooldown=60,
                ),
            )
