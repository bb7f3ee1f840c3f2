"""The services stack: OMERO.server and OMERO.web on ECS, and the load balancers in front.

Everything here can be destroyed and redeployed without touching what OMERO keeps: the file
system, the database and their secrets live in the storage stack. This stack only adds rules to
their security groups so that the OMERO servers may reach them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import DataAwsIamPolicyDocumentStatement
from constructs import Construct

from config import Deployment
from config.artifacts import pins, server_artifacts, staged_artifacts
from config.db_pool import pool_size
from config.services import LoadBalancer
from modules.cluster import OmeroCluster, OmeroClusterOutputs, OmeroClusterProps
from modules.container_instances import ContainerInstances, ContainerInstancesProps
from modules.database import OmeroDatabaseOutputs
from modules.efs import OmeroFileSystemOutputs
from modules.iam import role_policies
from modules.image_cache import DockerHubCache, ImageCacheOutputs, ImageCacheProps
from modules.network import NetworkOutputs
from modules.omero_facts import SERVER_PORT, NfsShare
from modules.omero_server import Database, OmeroServerProps, OmeroServerService
from modules.omero_web import OmeroWebProps, OmeroWebService
from modules.secrets import GeneratedSecret, GeneratedSecretProps
from modules.security_groups import Egress, OmeroSecurityGroups, OmeroSecurityGroupsProps
from modules.server_extras import ServerExtras, Stager, figure_stager
from modules.server_load_balancer import ServerLoadBalancer, ServerLoadBalancerProps
from modules.server_websockets import WSS_PORT, ServerWebSockets, ServerWebSocketsProps
from modules.session_store import SessionStore, SessionStoreOutputs, SessionStoreProps
from modules.upgrade import SnapshotTaken, SnapshotTakenProps
from modules.web_load_balancer import HttpsSite, ReadOnlyWebRoute, ReadOnlyWebRouteProps, WebLoadBalancer, WebLoadBalancerProps
from stacks.base import DeploymentStack, SynthSettings

if TYPE_CHECKING:  # the add-on's module loads only when it is on
    from modules.addons.zarr import ZarrOutputs


@dataclass(frozen=True, kw_only=True)
class ServerTaskRole:
    """The IAM role one OMERO.server task runs as, as a grant names it."""

    name: str
    arn: str  # a resource policy's principal (a bucket policy, a key policy)
    id: str  # Terraform's id of the aws_iam_role (its name): aws_iam_role_policy's role


@dataclass(frozen=True, kw_only=True)
class ServicesOutputs:
    """What the add-on stacks need from the services."""

    cluster: OmeroClusterOutputs
    # The read-write server's task role first, then each read-only server's (read_only_service_names' order).
    server_task_roles: tuple[ServerTaskRole, ...]
    server_security_group_id: str  # every OMERO.server task; add-ons add ingress rules to it
    web_security_group_id: str
    server_service_name: str
    server_dns_name: str  # Cloud Map name of the read-write server
    server_log_group_name: str
    server_image: str  # as the tasks pull it (through the image cache, if there is one)
    image_cache_repositories_arn: str | None  # the ECR pull-through cache's repositories
    read_only_service_names: tuple[str, ...]  # one service per read-only server
    web_service_name: str
    web_log_group_name: str
    web_load_balancer_arn_suffix: str  # CloudWatch dimension LoadBalancer
    web_target_group_arn_suffix: str  # CloudWatch dimension TargetGroup
    container_instances_group_name: str | None  # the Auto Scaling group, on the EC2 launch type
    capacity_provider_name: str | None  # places tasks on those instances, on the EC2 launch type

    def grant_servers(
        self,
        scope: Construct,
        id: str,
        *,
        name: str,
        statements: Sequence[DataAwsIamPolicyDocumentStatement],
        read_only_servers: bool = True,
    ) -> None:
        """Let the OMERO.server tasks do what ``statements`` allow (e.g. read an add-on's bucket):
        the inline policy ``name`` on the read-write server's task role (``<id>_0``) and, with
        ``read_only_servers``, on each read-only server's (``<id>_<n>``), made in ``scope``, the
        add-on's stack. Running tasks get it with their next credentials, with no restart."""
        roles = self.server_task_roles if read_only_servers else self.server_task_roles[:1]
        role_policies(scope, id, role_ids=[role.id for role in roles], name=name, statements=statements)


@dataclass(frozen=True, kw_only=True)
class _ReadOnlyWeb:
    """The read-only OMERO.web pool (web.read_only_pool): its way in and its service."""

    route: ReadOnlyWebRoute
    service: OmeroWebService


@dataclass(frozen=True, kw_only=True)
class _Account:
    """Where the services' tasks pull images from."""

    cache: ImageCacheOutputs | None  # the Docker Hub pull-through cache, if the deployment has one

    def pulled(self, upstream: str) -> str:
        """An image as the tasks pull it: through the deployment's cache, or from Docker Hub."""
        return self.cache.image(upstream) if self.cache else upstream

    @property
    def cache_repositories_arn(self) -> str | None:
        """The repositories the cache creates and fills, which the task roles may pull from."""
        return self.cache.repositories_arn if self.cache else None


def https_site(alb: LoadBalancer) -> HttpsSite | None:
    """OMERO.web's HTTPS site when ``load_balancer.tls``, the one place TLS is decided, says so."""
    if not alb.tls:
        return None
    assert alb.domain_name is not None and alb.hosted_zone_id is not None  # both or neither (LoadBalancer.cross_checks)
    return HttpsSite(domain_name=alb.domain_name, hosted_zone_id=alb.hosted_zone_id, tls_policy=alb.tls_policy)


class ServicesStack(DeploymentStack):
    def __init__(
        self,
        scope: Construct,
        *,
        deployment: Deployment,
        settings: SynthSettings,
        network: NetworkOutputs,
        file_system: OmeroFileSystemOutputs,
        database: OmeroDatabaseOutputs,
        data_share: NfsShare | None = None,
        upgrade_snapshot: str | None = None,
        zarr: ZarrOutputs | None = None,
    ):
        """``data_share``: an NFS share (the S3 File Gateway add-on) the servers mount too, or
        instead of EFS when it holds /OMERO. ``upgrade_snapshot``: the storage stack's snapshot
        taken before ``server.image`` first starts (with ``server.snapshot_before_upgrade``).
        ``zarr``: the zarr add-on's buckets, which every server reads (images, staged JARs)."""
        super().__init__(scope, "services", deployment=deployment, settings=settings)
        self._upgrade_snapshot = upgrade_snapshot
        self._zarr = zarr
        account = self._account(deployment)
        groups = self._security_groups(deployment, network, file_system, database, data_share)
        cluster = self._cluster(deployment, network)
        instances = self._container_instances(deployment, network, cluster, groups, account)
        web_lb, websockets, server_lb = self._load_balancers(deployment, network, groups, account)
        read_write, read_only = self._servers(
            deployment,
            account,
            network=network,
            file_system=file_system,
            database=database,
            data_share=data_share,
            cluster=cluster,
            groups=groups,
            instances=instances,
            server_lb=server_lb,
            websockets=websockets,
        )
        web_service, read_only_web, sessions = self._web(
            deployment,
            account,
            network=network,
            cluster=cluster,
            groups=groups,
            web_lb=web_lb,
            read_write=read_write,
            read_only=read_only,
        )
        self._outputs(
            deployment,
            file_system=file_system,
            database=database,
            cluster=cluster,
            web_lb=web_lb,
            websockets=websockets,
            server_lb=server_lb,
            read_write=read_write,
            read_only=read_only,
            web_service=web_service,
            read_only_web=read_only_web,
            sessions=sessions,
        )
        self.outputs = ServicesOutputs(
            cluster=cluster,
            server_task_roles=tuple(
                ServerTaskRole(name=s.outputs.task_role_name, arn=s.outputs.task_role_arn, id=s.outputs.task_role_id)
                for s in (read_write, *read_only)
            ),
            server_security_group_id=groups.server.id,
            web_security_group_id=groups.web.id,
            server_service_name=read_write.outputs.service_name,
            server_dns_name=read_write.outputs.dns_name,
            server_log_group_name=read_write.outputs.log_group_name,
            server_image=account.pulled(deployment.server.image),
            image_cache_repositories_arn=account.cache_repositories_arn,
            read_only_service_names=tuple(r.outputs.service_name for r in read_only),
            web_service_name=web_service.outputs.service_name,
            web_log_group_name=web_service.outputs.log_group_name,
            web_load_balancer_arn_suffix=web_lb.outputs.arn_suffix,
            web_target_group_arn_suffix=web_lb.outputs.target_group_arn_suffix,
            container_instances_group_name=instances.group_name if instances else None,
            capacity_provider_name=instances.capacity_provider_name if instances else None,
        )

    def _account(self, deployment: Deployment) -> _Account:
        """The Docker Hub pull-through cache (images.pull_through), if the deployment has one."""
        cache = None
        if deployment.images.pull_through:
            assert deployment.images.docker_hub_secret_arn is not None  # the loader requires it with pull_through
            cache = DockerHubCache(
                self,
                "image_cache",
                props=ImageCacheProps(
                    name=deployment.name,
                    credential_arn=deployment.images.docker_hub_secret_arn,
                ),
            ).outputs
        return _Account(cache=cache)

    def _security_groups(
        self,
        deployment: Deployment,
        network: NetworkOutputs,
        file_system: OmeroFileSystemOutputs,
        database: OmeroDatabaseOutputs,
        data_share: NfsShare | None,
    ) -> OmeroSecurityGroups:
        """The security groups of the load balancers, the OMERO tasks and what they reach."""
        alb, nlb = deployment.load_balancer, deployment.server_load_balancer
        return OmeroSecurityGroups(
            self,
            "security_groups",
            props=OmeroSecurityGroupsProps(
                name=deployment.name,
                vpc_id=network.vpc_id,
                web_cidrs=alb.allowed_cidrs,
                web_ports=(80, 443) if alb.tls else (80,),
                database_security_group_id=database.security_group_id,
                database_port=database.port,
                file_system_security_group_id=file_system.security_group_id,
                server_cidrs=nlb.allowed_cidrs if nlb.enabled else None,
                plain_port=nlb.plain_port,
                container_instances=deployment.cluster.launch_type == "ec2",
                data_share_security_group_id=data_share.security_group_id if data_share else None,
                session_store=deployment.web.session_store.enabled,
                websockets=alb.wss,
                server_egress=tuple(
                    Egress(port=e.port, protocol=e.protocol, cidr=e.cidr, prefix_list_id=e.prefix_list_id)
                    for e in deployment.server.egress
                ),
            ),
        )

    def _cluster(self, deployment: Deployment, network: NetworkOutputs) -> OmeroClusterOutputs:
        """The ECS cluster, its Cloud Map namespace and its logging."""
        cluster_config = deployment.cluster
        return OmeroCluster(
            self,
            "cluster",
            props=OmeroClusterProps(
                name=deployment.name,
                vpc_id=network.vpc_id,
                container_insights=cluster_config.container_insights,
                log_retention_days=cluster_config.log_retention_days,
                logs_kms_key_arn=cluster_config.logs_kms_key_arn,
            ),
        ).outputs

    def _container_instances(
        self,
        deployment: Deployment,
        network: NetworkOutputs,
        cluster: OmeroClusterOutputs,
        groups: OmeroSecurityGroups,
        account: _Account,
    ) -> ContainerInstances | None:
        """The EC2 container instances and their capacity provider, or None on Fargate."""
        if deployment.cluster.launch_type != "ec2":
            return None
        ec2 = deployment.cluster.ec2
        assert groups.container_instances is not None  # made with the EC2 launch type
        return ContainerInstances(
            self,
            "container_instances",
            props=ContainerInstancesProps(
                name=deployment.name,
                cluster_name=cluster.cluster_name,
                subnet_ids=network.private_subnet_ids,
                security_group_id=groups.container_instances.id,
                instance_type=ec2.instance_type,
                min_instances=ec2.min_instances,
                max_instances=ec2.max_instances,
                root_volume_gb=ec2.root_volume_gb,
            ),
        )

    def _load_balancers(
        self,
        deployment: Deployment,
        network: NetworkOutputs,
        groups: OmeroSecurityGroups,
        account: _Account,
    ) -> tuple[WebLoadBalancer, ServerWebSockets | None, ServerLoadBalancer | None]:
        """OMERO.web's load balancer, the server's websockets behind it (load_balancer.wss) and the
        server's own load balancer (server_load_balancer), each of the last two if enabled."""
        alb = deployment.load_balancer
        web_lb = WebLoadBalancer(
            self,
            "web_load_balancer",
            props=WebLoadBalancerProps(
                name=deployment.name,
                vpc_id=network.vpc_id,
                subnet_ids=network.public_subnet_ids,
                security_group_id=groups.load_balancer.id,
                deletion_protection=alb.deletion_protection,
                idle_timeout_seconds=alb.idle_timeout_seconds,
                access_log_days=alb.access_log_days,
                https=https_site(alb),
            ),
        )
        websockets = None
        if alb.wss:
            assert alb.domain_name is not None  # wss is on only with TLS, which needs the domain
            websockets = ServerWebSockets(
                self,
                "server_websockets",
                props=ServerWebSocketsProps(
                    name=deployment.name,
                    vpc_id=network.vpc_id,
                    listener_arn=web_lb.listener.arn,
                    domain_name=alb.domain_name,
                    # The security group already admits allowed_cidrs alone: a rule on the client's
                    # address only where load_balancer.websocket_allowed_cidrs narrows them.
                    allowed_cidrs=None if set(alb.websocket_cidrs) == set(alb.allowed_cidrs) else alb.websocket_cidrs,
                ),
            )
        return web_lb, websockets, self._server_load_balancer(deployment, network, groups)

    def _server_load_balancer(
        self,
        deployment: Deployment,
        network: NetworkOutputs,
        groups: OmeroSecurityGroups,
    ) -> ServerLoadBalancer | None:
        """The network load balancer for OMERO.insight and the CLI (server_load_balancer), or None."""
        nlb = deployment.server_load_balancer
        if not nlb.enabled:
            return None
        assert groups.server_load_balancer is not None  # made with the NLB
        return ServerLoadBalancer(
            self,
            "server_load_balancer",
            props=ServerLoadBalancerProps(
                name=deployment.name,
                vpc_id=network.vpc_id,
                subnet_ids=network.public_subnet_ids,
                security_group_id=groups.server_load_balancer.id,
                plain_port=nlb.plain_port,
                deletion_protection=deployment.load_balancer.deletion_protection,
            ),
        )

    def _servers(
        self,
        deployment: Deployment,
        account: _Account,
        *,
        network: NetworkOutputs,
        file_system: OmeroFileSystemOutputs,
        database: OmeroDatabaseOutputs,
        data_share: NfsShare | None,
        cluster: OmeroClusterOutputs,
        groups: OmeroSecurityGroups,
        instances: ContainerInstances | None,
        server_lb: ServerLoadBalancer | None,
        websockets: ServerWebSockets | None,
    ) -> tuple[OmeroServerService, list[OmeroServerService]]:
        """The read-write OMERO.server and the read-only ones (server.read_only_count)."""
        server = deployment.server
        common = dict(
            name=deployment.name,
            image=account.pulled(server.image),
            cluster=cluster,
            subnet_ids=network.private_subnet_ids,
            security_group_id=groups.server.id,
            database=self._server_database(database),
            data=file_system,
            log_retention_days=deployment.cluster.log_retention_days,
            properties={**server.properties, **deployment.zarr.server_properties()},
            secret_properties=server.secret_properties,
            db_pool_size=pool_size(deployment),
            data_share=data_share,
            capacity_provider=instances.capacity_provider_name if instances else None,
            cache_repositories_arn=account.cache_repositories_arn,
            extras=self._server_extras(deployment, account, self._zarr),
            task_statements=self._zarr_statements(deployment, self._zarr),
        )
        placed_after = self._placed_after(deployment, instances)
        read_write = OmeroServerService(
            self,
            "server",
            props=OmeroServerProps(
                **{**common, "properties": {**common["properties"], **deployment.dropbox.server_properties()}},
                make_dirs=deployment.dropbox.watch_directories(),
                read_only=False,
                cpu=server.cpu,
                memory=server.memory,
                target_groups=(server_lb.outputs.target_groups if server_lb else ())
                + (((websockets.outputs.target_group_arn, WSS_PORT),) if websockets else ()),
                websockets=websockets is not None,
                plain_port=server_lb is not None and deployment.server_load_balancer.plain_port,
                depends_on=placed_after
                + tuple(server_lb.listeners if server_lb else ())
                + ((websockets.rule,) if websockets else ()),
            ),
        )
        read_only = [
            OmeroServerService(
                self,
                f"read_only_server_{index}",
                props=OmeroServerProps(
                    **common,
                    read_only=True,
                    index=index,
                    cpu=server.read_only_cpu,
                    memory=server.read_only_memory,
                    depends_on=placed_after,
                ),
            )
            for index in range(1, server.read_only_count + 1)
        ]
        return read_write, read_only

    def _placed_after(self, deployment: Deployment, instances: ContainerInstances | None) -> tuple[object, ...]:
        """What every OMERO.server waits for: the capacity provider, and the pre-upgrade snapshot."""
        # Tasks on EC2 need the capacity provider attached to the cluster first.
        placed_after = (instances.association,) if instances else ()
        if deployment.server.snapshot_before_upgrade:
            # A new server image starts only once the storage stack has snapshotted the database
            # it may upgrade (the snapshot lives there, so destroying this stack keeps it).
            assert self._upgrade_snapshot is not None  # the storage stack takes it with this setting
            taken = SnapshotTaken(
                self,
                "upgrade_snapshot",
                props=SnapshotTakenProps(
                    name=deployment.name, image=deployment.server.image, snapshot_identifier=self._upgrade_snapshot
                ),
            )
            placed_after += (taken.snapshot,)
        return placed_after

    @staticmethod
    def _server_extras(deployment: Deployment, account: _Account, zarr: ZarrOutputs | None) -> ServerExtras | None:
        """The files every OMERO.server installs at start (config/artifacts.py) and the init
        containers that stage them: OMERO.figure's export script from the web service's own image,
        and the zarr add-on's pixel buffer JARs from the deployment's artifacts bucket."""
        artifacts = server_artifacts(deployment)
        stagers: tuple[Stager, ...] = ()
        if deployment.server.figure_export:
            stagers += (figure_stager(account.pulled(deployment.web.image)),)
        if zarr is not None:
            from modules.addons.zarr import pixel_buffer_stager

            image = account.pulled(deployment.server.image)
            stagers += (pixel_buffer_stager(image, zarr.artifacts_url, deployment.region, staged_artifacts(deployment)),)
        return ServerExtras(pins=pins(artifacts), stagers=stagers) if artifacts else None

    @staticmethod
    def _zarr_statements(deployment: Deployment, zarr: ZarrOutputs | None) -> tuple[DataAwsIamPolicyDocumentStatement, ...]:
        """What the zarr add-on lets every server's task role do: read its bucket of images (the
        pixel buffer), and get the staged JARs by their keys (the init container)."""
        if zarr is None:
            return ()
        return (*zarr.read_statements(), zarr.artifacts_statement(staged_artifacts(deployment)))

    @staticmethod
    def _server_database(database: OmeroDatabaseOutputs) -> Database:
        """The OMERO database as the servers log in to it."""
        return Database(
            host=database.address,
            port=database.port,
            name=database.db_name,
            user=database.username,
            password_secret_arn=database.password_secret_arn,
            root_password_secret_arn=database.root_password_secret_arn,
            kms_key_arn=database.kms_key_arn,
            read_only_user=database.read_only_username,
            read_only_password_secret_arn=database.read_only_password_secret_arn,
        )

    def _web(
        self,
        deployment: Deployment,
        account: _Account,
        *,
        network: NetworkOutputs,
        cluster: OmeroClusterOutputs,
        groups: OmeroSecurityGroups,
        web_lb: WebLoadBalancer,
        read_write: OmeroServerService,
        read_only: list[OmeroServerService],
    ) -> tuple[OmeroWebService, _ReadOnlyWeb | None, SessionStoreOutputs | None]:
        """OMERO.web, its Django secret key and session store, and the OMERO.servers it offers; and the
        read-only pool beside it (web.read_only_pool)."""
        name, web, alb = deployment.name, deployment.web, deployment.load_balancer
        cluster_config = deployment.cluster
        servers = [(read_write.outputs.dns_name, SERVER_PORT, "omero")]
        # Each read-only server by its own name: a session stays on the server that made it.
        read_only_servers = [
            (r.outputs.dns_name, SERVER_PORT, f"omero-read-only-{index}") for index, r in enumerate(read_only, 1)
        ]
        # omero.web.server_list is the login page's choice of server, not a spread of sessions, and
        # on a read-only server OMERO.web hides only a few create buttons (it asks omero-py's
        # canCreate at login): with the read-only pool the main OMERO.web offers the read-write
        # server alone (no login lands where saves fail) and viewers reach the read-only servers
        # through the pool; without it they stay in the list, their only way in, for users who
        # pick them to browse.
        if not web.read_only_pool.enabled:
            servers += read_only_servers
        secret_key = GeneratedSecret(
            self,
            "web_secret_key",
            props=GeneratedSecretProps(
                name_prefix=f"{name}/omero/web-secret-key-",
                description=f"Django SECRET_KEY shared by the OMERO.web tasks of {name}.",
                version=1,
                length=50,
                kms_key_arn=cluster_config.logs_kms_key_arn,
            ),
        )
        sessions = self._session_store(deployment, network, groups)
        # What both OMERO.web services share: image, size, secret key, session store and gunicorn.
        common = dict(
            name=name,
            image=account.pulled(web.image),
            cpu=web.cpu,
            memory=web.memory,
            target_cpu_percent=web.target_cpu_percent,
            cluster=cluster,
            subnet_ids=network.private_subnet_ids,
            security_group_id=groups.web.id,
            secret_key_arn=secret_key.arn,
            secret_key_kms_key_arn=cluster_config.logs_kms_key_arn,
            log_retention_days=cluster_config.log_retention_days,
            idle_timeout_seconds=alb.idle_timeout_seconds,
            workers=web.workers,
            threads=web.threads,
            target_requests_per_task=web.target_requests_per_task,
            load_balancer_arn_suffix=web_lb.outputs.arn_suffix,
            session_caches_secret_arn=sessions.caches_secret_arn if sessions else None,
            cache_repositories_arn=account.cache_repositories_arn,
        )
        web_service = OmeroWebService(
            self,
            "web",
            props=OmeroWebProps(
                **common,
                min_tasks=web.min_tasks,
                max_tasks=web.max_tasks,
                target_group_arn=web_lb.outputs.target_group_arn,
                target_group_arn_suffix=web_lb.outputs.target_group_arn_suffix,
                servers=servers,
                public_origin=web_lb.outputs.url if alb.tls else None,  # https://<domain_name>
                properties=web.properties,
                secret_properties=web.secret_properties,
                depends_on=(web_lb.listener,),
            ),
        )
        read_only_web = None
        if web.read_only_pool.enabled:
            read_only_web = self._read_only_web(deployment, common, network=network, web_lb=web_lb, servers=read_only_servers)
        return web_service, read_only_web, sessions

    def _read_only_web(
        self,
        deployment: Deployment,
        common: dict,
        *,
        network: NetworkOutputs,
        web_lb: WebLoadBalancer,
        servers: list[tuple[str, int, str]],
    ) -> _ReadOnlyWeb:
        """The read-only pool: a second OMERO.web service, reached on its own host name through the
        same load balancer, whose login page offers only the read-only servers; with
        web.read_only_pool.public, visitors browse as OMERO.web's public user (its password a secret)."""
        web, alb = deployment.web, deployment.load_balancer
        pool = web.read_only_pool
        assert alb.domain_name is not None  # the loader allows the pool only with a domain
        route = ReadOnlyWebRoute(
            self,
            "read_only_web_route",
            props=ReadOnlyWebRouteProps(
                name=deployment.name,
                vpc_id=network.vpc_id,
                host_name=pool.host(alb.domain_name),
                hosted_zone_id=alb.hosted_zone_id,
                load_balancer=web_lb,
            ),
        )
        service = OmeroWebService(
            self,
            "read_only_web",
            props=OmeroWebProps(
                **common,
                service_name="omero-web-ro",
                min_tasks=pool.min_tasks,
                max_tasks=pool.max_tasks,
                target_group_arn=route.outputs.target_group_arn,
                target_group_arn_suffix=route.outputs.target_group_arn_suffix,
                servers=servers,
                public_origin=route.outputs.url,
                # web.properties and web.secret_properties apply to both pools; the public user's to this one
                properties={**web.properties, **pool.public.properties()},
                secret_properties={**web.secret_properties, **pool.public.secret_properties()},
                depends_on=(route.rule,),
            ),
        )
        return _ReadOnlyWeb(route=route, service=service)

    def _outputs(
        self,
        deployment: Deployment,
        *,
        file_system: OmeroFileSystemOutputs,
        database: OmeroDatabaseOutputs,
        cluster: OmeroClusterOutputs,
        web_lb: WebLoadBalancer,
        websockets: ServerWebSockets | None,
        server_lb: ServerLoadBalancer | None,
        read_write: OmeroServerService,
        read_only: list[OmeroServerService],
        web_service: OmeroWebService,
        read_only_web: _ReadOnlyWeb | None,
        sessions: SessionStoreOutputs | None,
    ) -> None:
        """The stack's Terraform outputs: where users connect, and names for operators."""
        region = deployment.region
        exec_command = (
            f"aws ecs execute-command --region {region} --cluster {cluster.cluster_name} "
            f"--task $(aws ecs list-tasks --region {region} --cluster {cluster.cluster_name} "
            f"--service-name {read_write.outputs.service_name} --query 'taskArns[0]' --output text) "
            f"--container {read_write.outputs.container_name} --interactive --command /bin/bash"
        )
        out = self.output
        out("web_url", web_lb.outputs.url, "Where users open OMERO.web.")
        out("web_load_balancer_dns_name", web_lb.outputs.dns_name, "DNS name of the OMERO.web load balancer.")
        out("access_log_bucket", web_lb.outputs.access_log_bucket, "S3 bucket receiving the load balancer's access logs.")
        if websockets:
            out(
                "server_websocket_url",
                websockets.outputs.url,
                "Where omero-py and the CLI connect over wss (omero login -s <url>).",
            )
        if server_lb:
            out(
                "server_load_balancer_dns_name",
                server_lb.outputs.dns_name,
                "Host name for OMERO.insight and the CLI (port 4064).",
            )
        out("cluster_name", cluster.cluster_name, "The ECS cluster.")
        out("server_service_name", read_write.outputs.service_name, "ECS service of the read-write OMERO.server.")
        out("server_dns_name", read_write.outputs.dns_name, "Cloud Map name of the read-write OMERO.server inside the VPC.")
        if read_only:
            out(
                "read_only_service_names",
                [r.outputs.service_name for r in read_only],
                "ECS services of the read-only OMERO.servers, one each.",
            )
            out(
                "read_only_dns_names",
                [r.outputs.dns_name for r in read_only],
                "Cloud Map names of the read-only OMERO.servers, one each.",
            )
        out("web_service_name", web_service.outputs.service_name, "ECS service of OMERO.web.")
        if read_only_web:
            out("read_only_web_url", read_only_web.route.outputs.url, "Where viewers open the read-only OMERO.web pool.")
            out(
                "read_only_web_service_name",
                read_only_web.service.outputs.service_name,
                "ECS service of the read-only OMERO.web pool.",
            )
        if sessions:
            out(
                "session_store_endpoint",
                sessions.endpoint,
                "Primary endpoint of OMERO.web's session store (Valkey, TLS, port 6379).",
            )
        out("server_log_group", read_write.outputs.log_group_name, "Log group of the read-write OMERO.server.")
        out("efs_id", file_system.file_system_id, "EFS file system holding /OMERO.")
        out("efs_access_point_id", file_system.access_point_id, "Access point the OMERO servers mount.")
        out("db_address", database.address, "Host name of the OMERO PostgreSQL instance.")
        out("db_password_secret_arn", database.password_secret_arn, "Secret holding the database password.")
        out("root_password_secret_arn", database.root_password_secret_arn, "Secret holding OMERO's initial root password.")
        out("exec_command", exec_command, "A shell in the read-write OMERO.server container (ECS Exec).")

    def _session_store(
        self, deployment: Deployment, network: NetworkOutputs, groups: OmeroSecurityGroups
    ) -> SessionStoreOutputs | None:
        """OMERO.web's shared sessions (web.session_store), or None: sessions on each task's disk."""
        store = deployment.web.session_store
        if not store.enabled:
            return None
        assert groups.session_store is not None  # made with the store
        return SessionStore(
            self,
            "session_store",
            props=SessionStoreProps(
                name=deployment.name,
                subnet_ids=network.private_subnet_ids,
                security_group_id=groups.session_store.id,
                node_type=store.node_type,
                replicas=store.replicas,
                kms_key_arn=store.kms_key_arn,
                secrets_kms_key_arn=deployment.cluster.logs_kms_key_arn,
            ),
        ).outputs
