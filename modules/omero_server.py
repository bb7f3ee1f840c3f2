"""OMERO.server on ECS: the read-write server and the read-only ones.

The read-write server owns ``/OMERO``: exactly one task may ever run (desired count 1, and a
deployment stops the old task before it starts the new one), because two writers on one binary
repository corrupt it. Read-only servers (``omero.cluster.read_only.db`` and ``.repo``) mount
``/OMERO`` read-only, with EFS client permissions that cannot write, and keep their Bio-Formats
memo files on local disk. Each read-only server is a service of its own with one task and its
own Cloud Map name: an OMERO session lives in the memory of the server that created it
("OmeroSessions are sticky to a cluster node", OMERO developer docs, Server/Clustering), and
OMERO.web joins it by host name on every request, so one name must always reach one server.

The database password and the initial root password reach the container only through ECS
``secrets``; every other setting is a ``CONFIG_omero_*`` variable (see ``omero_config``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import DataAwsIamPolicyDocumentStatement
from cdktf_cdktf_provider_aws.ecs_service import (
    EcsService,
    EcsServiceCapacityProviderStrategy,
    EcsServiceDeploymentCircuitBreaker,
    EcsServiceLoadBalancer,
    EcsServiceNetworkConfiguration,
    EcsServiceServiceRegistries,
)
from cdktf_cdktf_provider_aws.ecs_task_definition import (
    EcsTaskDefinition,
    EcsTaskDefinitionVolume,
)
from cdktf_cdktf_provider_aws.service_discovery_service import (
    ServiceDiscoveryService,
    ServiceDiscoveryServiceDnsConfig,
    ServiceDiscoveryServiceDnsConfigDnsRecords,
    ServiceDiscoveryServiceHealthCheckCustomConfig,
)
from constructs import Construct

from modules.cluster import OmeroClusterOutputs
from modules.context import stack_context
from modules.ecs_task import awslogs, task_definition
from modules.efs import OmeroFileSystemOutputs
from modules.logs import log_group
from modules.omero_config import config_environment, config_variable, secret_arns
from modules.omero_facts import DATA_DIR, PLAIN_PORT, SERVER_PORT, SHARE_VOLUME, NfsShare, nfs_volume
from modules.server_extras import STAGED_DIR, ServerExtras, server_container_parts, stager_container, staging_volume
from modules.server_start import READ_ONLY_PASSWORD_VARIABLE, STOP_TIMEOUT_SECONDS, health_check, start_command
from modules.server_websockets import HEALTH_PORT as WSS_HEALTH_PORT
from modules.server_websockets import WSS_PORT
from modules.task_roles import TaskRoles, TaskRolesProps

# Glacier2 listens on one port per transport of omero.client.icetransports, "ssl,tcp" when unset
# (ome/omero-py src/omero/plugins/admin.py, rewrite: "{tp} -p {prefix}{port}" for each transport,
# ports omero.ports.ssl/tcp/ws/wss, 4064/4063/4065/4066 by default).
DEFAULT_TRANSPORTS = "ssl,tcp"
TRANSPORT_PORTS = {"ssl": SERVER_PORT, "tcp": PLAIN_PORT, "ws": 4065, "wss": WSS_PORT}
CONTAINER = "omero-server"
MEMO_DIR = "/tmp/BioFormatsCache"  # read-only servers write Bio-Formats memo files here


@dataclass(frozen=True, kw_only=True)
class Database:
    host: str
    port: int
    name: str
    user: str
    password_secret_arn: str
    root_password_secret_arn: str
    kms_key_arn: str | None  # encrypts the secrets, if a customer key
    # The SELECT-only role of the read-only servers (None: they log in as ``user``).
    read_only_user: str | None = None
    read_only_password_secret_arn: str | None = None


@dataclass(frozen=True, kw_only=True)
class OmeroServerProps:
    name: str  # the deployment name; prefixes names
    read_only: bool
    image: str
    cpu: int
    memory: int  # MiB; the JVMs are sized from it
    db_pool_size: int = 10  # omero.db.poolsize, per Java service (OMERO's default 10)
    index: int = 0  # read-only servers: 1, 2, ... (each its own service); 0 for the read-write one
    cluster: OmeroClusterOutputs
    subnet_ids: list[str]
    security_group_id: str  # shared by every OMERO.server task
    database: Database
    data: OmeroFileSystemOutputs  # /OMERO on EFS, mounted through its access point
    log_retention_days: int
    properties: Mapping[str, str] = field(default_factory=dict)  # extra OMERO properties
    # OMERO properties from Secrets Manager: property -> ECS valueFrom (a secret ARN, optionally
    # with ":json-key:version-stage:version-id"); never in the task definition's environment.
    secret_properties: Mapping[str, str] = field(default_factory=dict)
    capacity_provider: str | None = None  # EC2 capacity provider; None: Fargate
    cache_repositories_arn: str | None = None  # the ECR pull-through cache ``image`` comes through
    data_share: NfsShare | None = None  # an NFS share to mount as well as, or instead of, EFS (EC2 only)
    # Directories the server creates (as its own user) before it starts, e.g. DropBox watch folders.
    make_dirs: tuple[str, ...] = ()
    # Files installed into OMERO.server at start, verified against their pins (server_extras).
    extras: ServerExtras | None = None
    # More the task role may do (an add-on's buckets), beside /OMERO through the access point.
    task_statements: tuple[DataAwsIamPolicyDocumentStatement, ...] = ()
    # (target group ARN, container port) pairs of the load balancers in front of this server
    target_groups: tuple[tuple[str, int], ...] = ()
    # Also listen for secure websockets (the read-write server behind the HTTPS load balancer).
    websockets: bool = False
    # The network load balancer forwards plain Ice (4063) to this server, so it must listen there.
    plain_port: bool = False
    # Resources the service needs before it can start (listeners, the capacity provider).
    depends_on: tuple[object, ...] = ()


@dataclass(frozen=True, kw_only=True)
class OmeroServerOutputs:
    service_name: str
    dns_name: str  # <service>.<namespace>, resolves to the running tasks
    log_group_name: str
    # The task role, which add-ons grant more to (an inline aws_iam_role_policy names it by its id,
    # which Terraform sets to the role name).
    task_role_arn: str
    task_role_name: str
    task_role_id: str
    container_name: str


class OmeroServerService(Construct):
    def __init__(self, scope: Construct, id: str, *, props: OmeroServerProps):
        super().__init__(scope, id)
        if props.read_only != (props.index > 0):
            raise ValueError("read-only OMERO.servers are numbered from 1; the read-write one has no number")
        share = props.data_share
        if share is not None and not props.capacity_provider:
            raise ValueError("an NFS data share needs the EC2 launch type (Fargate tasks cannot mount NFS exports)")
        efs_repository = share is None or not share.holds_repository
        kind = "read-only" if props.read_only else "read-write"
        service_name = f"omero-server-ro-{props.index}" if props.read_only else "omero-server"
        prefix = f"{props.name}-{service_name}"
        cluster = props.cluster
        logs = log_group(
            self,
            "logs",
            name=f"/omero/{props.name}/{service_name}",
            retention_days=props.log_retention_days,
            kms_key_arn=cluster.kms_key_arn,
        )
        secrets = self._secrets(props)
        roles = self._roles(
            props,
            prefix=prefix,
            kind=kind,
            log_group_arn=logs.arn,
            secrets=secrets,
            efs_repository=efs_repository,
        )
        container = self._container(
            props,
            service_name=service_name,
            log_group_name=logs.name,
            secrets=secrets,
            efs_repository=efs_repository,
        )
        task = task_definition(
            self,
            family=prefix,
            launch_type="EC2" if props.capacity_provider else "FARGATE",
            cpu=props.cpu,
            memory=props.memory,
            roles=roles,
            container=container,
            volumes=self._volumes(props, efs_repository=efs_repository) + ([staging_volume()] if props.extras else []),
            init_containers=[
                stager_container(s, container["logConfiguration"]) for s in (props.extras.stagers if props.extras else ())
            ],
        )
        discovery = self._discovery(props, service_name=service_name, kind=kind)
        self.service = self._service(props, service_name=service_name, prefix=prefix, task=task, discovery=discovery)
        self.outputs = OmeroServerOutputs(
            service_name=self.service.name,
            dns_name=f"{service_name}.{cluster.namespace_name}",
            log_group_name=logs.name,
            task_role_arn=roles.task_role_arn,
            task_role_name=roles.task_role.name,
            task_role_id=roles.task_role.id,
            container_name=CONTAINER,
        )

    @staticmethod
    def _own_role(props: OmeroServerProps) -> bool:
        """Whether this server logs in to the database as the SELECT-only role."""
        return props.read_only and props.database.read_only_user is not None

    @classmethod
    def _secrets(cls, props: OmeroServerProps) -> dict[str, str]:
        """The container's secrets by variable: the database password, and for the read-write
        server the initial root password (and the read-only role's, to keep it in step)."""
        database = props.database
        own_role = cls._own_role(props)
        password = database.read_only_password_secret_arn if own_role else database.password_secret_arn
        assert password is not None  # the read-only role's secret exists whenever a server logs in as it
        secrets = {"CONFIG_omero_db_pass": password}
        # The image's 50-config.py sets every CONFIG_* variable of its environment, and ECS puts
        # secrets there too (ome/omero-server-docker 50-config.py).
        secrets.update({config_variable(p): reference for p, reference in sorted(props.secret_properties.items())})
        if not props.read_only:
            secrets["ROOTPASS"] = database.root_password_secret_arn
            if database.read_only_user:  # the read-write server keeps the read-only role in step
                assert database.read_only_password_secret_arn is not None  # made with the role
                secrets[READ_ONLY_PASSWORD_VARIABLE] = database.read_only_password_secret_arn
        return secrets

    def _roles(
        self,
        props: OmeroServerProps,
        *,
        prefix: str,
        kind: str,
        log_group_arn: str,
        secrets: dict[str, str],
        efs_repository: bool,
    ) -> TaskRoles:
        """The execution and task roles; with /OMERO on EFS, the task may mount it through the access point."""
        return TaskRoles(
            self,
            "roles",
            props=TaskRolesProps(
                name=prefix,
                description=f"the {kind} OMERO.server",
                log_group_arn=log_group_arn,
                image=props.image,
                other_images=tuple(s.image for s in props.extras.stagers) if props.extras else (),
                cache_repositories_arn=props.cache_repositories_arn,
                # Each secret by its ARN, without the JSON key and version fields ECS may take.
                secret_arns=secret_arns(secrets),
                secrets_kms_key_arn=props.database.kms_key_arn,
                exec_log_group_arn=props.cluster.exec_log_group_arn,
                exec_kms_key_arn=props.cluster.kms_key_arn,
                # Read-write: mount and write through the access point. Read-only: mount only, so the
                # file system itself refuses writes whatever the container does.
                task_statements=((props.data.client_statement(read_only=props.read_only),) if efs_repository else ())
                + props.task_statements,
            ),
        )

    @classmethod
    def _properties(cls, props: OmeroServerProps) -> dict[str, str]:
        """The OMERO properties: the database, the JVMs' memory, the read-only flags and wss."""
        database = props.database
        user = database.read_only_user if cls._own_role(props) else database.user
        assert user is not None  # a server logs in as the read-only role only when there is one
        properties = {
            "omero.db.host": database.host,
            "omero.db.port": str(database.port),
            "omero.db.name": database.name,
            "omero.db.user": user,
            # The JVMs are sized as percentages of this, not of the host's memory, and OMERO caps it
            # at max_system_memory, 48000 MB unless set (ome/omero-py src/omero/install/jvmcfg.py:
            # active = max(min(total, max_system_memory), min_system_memory)).
            "omero.jvmcfg.system_memory": str(props.memory),
            "omero.jvmcfg.max_system_memory": str(props.memory),
            "omero.db.poolsize": str(props.db_pool_size),
            **props.properties,
        }
        if props.read_only:
            properties.update(
                {
                    "omero.cluster.read_only.db": "true",
                    "omero.cluster.read_only.repo": "true",
                    "omero.pixeldata.memoizer.dir.local": MEMO_DIR,
                }
            )
        if props.websockets:
            # Glacier2 listens for wss too (OMERO sysadmin docs, "Websockets": omero.client.icetransports,
            # omero.ports.wss = 4066), and a health responder for it answers the load balancer. Naming
            # the transports replaces OMERO's default "ssl,tcp": tcp stays only while the network load
            # balancer forwards 4063, whose health check would otherwise fail forever.
            properties["omero.client.icetransports"] = "ssl,tcp,wss" if props.plain_port else "ssl,wss"
        return properties

    @classmethod
    def _ports(cls, props: OmeroServerProps) -> list[int]:
        """The ports Glacier2 listens on (one per transport), and the wss health responder's."""
        transports = cls._properties(props).get("omero.client.icetransports", DEFAULT_TRANSPORTS)
        ports = [TRANSPORT_PORTS[t] for t in TRANSPORT_PORTS if t in transports.split(",")]
        return ports + ([WSS_HEALTH_PORT] if props.websockets else [])

    def _container(
        self,
        props: OmeroServerProps,
        *,
        service_name: str,
        log_group_name: str,
        secrets: dict[str, str],
        efs_repository: bool,
    ) -> dict[str, object]:
        """The OMERO.server container definition: ports, configuration, mounts, health and logs."""
        share = props.data_share
        ports = self._ports(props)  # only what listens: a published port nothing answers fails its checks
        container = {
            "name": CONTAINER,
            "image": props.image,
            "essential": True,
            "portMappings": [{"containerPort": p, "hostPort": p, "protocol": "tcp"} for p in ports],
            "environment": config_environment(self._properties(props)),
            "secrets": [{"name": n, "valueFrom": arn} for n, arn in sorted(secrets.items())],
            "mountPoints": [{"sourceVolume": "omero-data", "containerPath": DATA_DIR, "readOnly": props.read_only}]
            + (
                [{"sourceVolume": SHARE_VOLUME, "containerPath": share.container_path, "readOnly": props.read_only}]
                if share is not None and efs_repository
                else []
            ),
            "ulimits": [{"name": "nofile", "softLimit": 65536, "hardLimit": 65536}],
            "linuxParameters": {"initProcessEnabled": True},
            # On SIGTERM the start shell runs omero admin stop, all within this (server_start).
            "stopTimeout": STOP_TIMEOUT_SECONDS,
            # A hung Blitz or a wedged grid is replaced; a schema upgrade is waited out.
            "healthCheck": health_check(SERVER_PORT),
            "logConfiguration": awslogs(log_group_name, stack_context(self).region, service_name),
        }
        # The server's own log files onto stdout, then the image's start steps (see server_start).
        container["entryPoint"] = ["/bin/bash", "-c"]
        container["command"] = [
            start_command(
                read_only=props.read_only,
                make_dirs=props.make_dirs,
                websocket=(WSS_PORT, WSS_HEALTH_PORT) if props.websockets else None,
                read_only_user=None if props.read_only else props.database.read_only_user,
                extras=STAGED_DIR if props.extras else None,
            )
        ]
        if props.extras:  # the staged files, their pins, and the stagers it waits for
            for name, parts in server_container_parts(props.extras).items():
                existing = container.get(name, [])
                assert isinstance(existing, list)  # mountPoints and environment are lists; dependsOn is new
                container[name] = existing + parts
        return container

    @staticmethod
    def _volumes(props: OmeroServerProps, *, efs_repository: bool) -> list[EcsTaskDefinitionVolume]:
        """/OMERO on EFS through the access point (and the share beside it), or /OMERO on the share."""
        share = props.data_share
        if not efs_repository:
            # The share holds /OMERO: the same volume name and mount point, served over NFS.
            assert share is not None  # /OMERO is off EFS only on a share
            return [nfs_volume("omero-data", share, read_only=props.read_only)]
        volumes = [props.data.task_volume()]
        if share is not None:
            volumes.append(nfs_volume(SHARE_VOLUME, share, read_only=props.read_only))
        return volumes

    def _discovery(self, props: OmeroServerProps, *, service_name: str, kind: str) -> ServiceDiscoveryService:
        """The server's Cloud Map name, <service>.<namespace>, that OMERO.web and add-ons connect to."""
        return ServiceDiscoveryService(
            self,
            "discovery",
            name=service_name,
            description=f"The {kind} OMERO.server{f' {props.index}' if props.read_only else ''}.",
            dns_config=ServiceDiscoveryServiceDnsConfig(
                namespace_id=props.cluster.namespace_id,
                routing_policy="MULTIVALUE",
                dns_records=[ServiceDiscoveryServiceDnsConfigDnsRecords(type="A", ttl=10)],
            ),
            # Registered and deregistered by ECS as tasks start and stop (AWS fixes the threshold at 1).
            health_check_custom_config=ServiceDiscoveryServiceHealthCheckCustomConfig(failure_threshold=1),
            force_destroy=True,
        )

    def _service(
        self,
        props: OmeroServerProps,
        *,
        service_name: str,
        prefix: str,
        task: EcsTaskDefinition,
        discovery: ServiceDiscoveryService,
    ) -> EcsService:
        """The ECS service: one task, stopped before its replacement starts, behind any load balancers."""
        placement: dict[str, Any] = dict(launch_type="FARGATE")
        if props.capacity_provider:
            placement = dict(
                capacity_provider_strategy=[
                    EcsServiceCapacityProviderStrategy(capacity_provider=props.capacity_provider, weight=1, base=0)
                ]
            )
        # Stop the old task before starting the new one: never two writers on /OMERO, and never
        # two read-only tasks behind one name (a session found on one is unknown to the other).
        deployment = dict(deployment_maximum_percent=100, deployment_minimum_healthy_percent=0)
        balanced = (
            dict(
                load_balancer=[
                    EcsServiceLoadBalancer(target_group_arn=arn, container_name=CONTAINER, container_port=port)
                    for arn, port in props.target_groups
                ],
                # The start script may upgrade the database schema after an image bump: give it
                # time before failing load balancer health checks count.
                health_check_grace_period_seconds=1800,
            )
            if props.target_groups
            else {}
        )
        return EcsService(
            self,
            "service",
            name=service_name,
            cluster=props.cluster.cluster_arn,
            task_definition=task.arn,
            desired_count=1,  # one task a service: the read-write one alone on /OMERO, a read-only one per name
            **placement,
            **deployment,
            **balanced,
            deployment_circuit_breaker=EcsServiceDeploymentCircuitBreaker(enable=True, rollback=True),
            network_configuration=EcsServiceNetworkConfiguration(
                subnets=props.subnet_ids,
                security_groups=[props.security_group_id],
                assign_public_ip=False,
            ),
            service_registries=EcsServiceServiceRegistries(registry_arn=discovery.arn),
            enable_execute_command=True,
            enable_ecs_managed_tags=True,
            propagate_tags="SERVICE",
            wait_for_steady_state=False,
            tags={"Name": prefix},
            depends_on=list(props.depends_on) or None,
        )
