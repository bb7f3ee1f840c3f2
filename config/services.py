"""Configuration of the OMERO services: the ECS cluster, OMERO.server, OMERO.web and the load
balancers in front of them."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass

from config import checks
from config.fields import Block, Problem, key
from config.read_only_web import ReadOnlyPool
from config.secrets import secret_properties

# Default images, pinned by tags shown to exist on Docker Hub (a tag once shipped the wrong build,
# ome/omero-server-docker#50; pin a digest too where that matters):
# - OMERO.server 5.6.18 (May 2026, Bio-Formats 8.5.0, announced as the last of 5.6.x in
#   ome/openmicroscopy PR #6453): manics/kubernetes-omero commit 06197e8 "OMERO.server 5.6.18"
#   (omero-server/Chart.yaml appVersion), and ZMB-UZH/omero-docker-extended pins
#   openmicroscopy/omero-server:5.6.18@sha256:895317a8dba185da6a08fe412d337e62fb6bbb9f6579d33e485439020a43217f.
# - OMERO.web 5.33.0-1: manics/kubernetes-omero PR #66 "OMERO.web 5.33.0-1", and
#   ZMB-UZH/omero-docker-extended pins
#   openmicroscopy/omero-web-standalone:5.33.0-1@sha256:fac13ff1f14ee29c610091b1e0a8c717583a43c4256efadedae5685c4f4eedb4.
SERVER_IMAGE = "openmicroscopy/omero-server:5.6.18"
WEB_IMAGE = "openmicroscopy/omero-web-standalone:5.33.0-1"

# OMERO properties the stacks set themselves; a user value would fight them.
MANAGED_SERVER_PROPERTIES = (
    "omero.db.host",
    "omero.db.port",
    "omero.db.name",
    "omero.db.user",
    "omero.db.pass",
    "omero.cluster.read_only",
    "omero.cluster.read_only.db",
    "omero.cluster.read_only.repo",
    "omero.pixeldata.memoizer.dir.local",
    "omero.data.dir",
    "omero.jvmcfg.system_memory",
    "omero.jvmcfg.max_system_memory",  # the task's memory, so a large task is not capped at 48000 MB
    "omero.db.poolsize",  # server.db_pool_size
    "omero.glacier2.IceSSL.DefaultDir",  # local on read-only servers, /OMERO/certs on the read-write one
    # Glacier2's ports, which the security groups, load balancers and health checks assume.
    "omero.ports.prefix",
    "omero.ports.ssl",
    "omero.ports.tcp",
    "omero.ports.ws",
    "omero.ports.wss",
)
MANAGED_WEB_PROPERTIES = (
    "omero.web.server_list",
    "omero.web.secret_key",
    "omero.web.application_server.host",
    "omero.web.application_server.port",
)
# load_balancer.websocket_allowed_cidrs: 10 listener rules of 3 networks each.
WEBSOCKET_CIDRS_MAX = 30
# OMERO.web properties that web.workers and web.threads set.
GUNICORN_KEYS = {"omero.web.wsgi_workers": "workers", "omero.web.wsgi_threads": "threads"}
# Set by the stacks while web.session_store is on.
SESSION_STORE_PROPERTIES = ("omero.web.session_engine", "omero.web.caches")


@dataclass(frozen=True, kw_only=True)
class Ec2Capacity(Block):
    """Container instances for OMERO.server when ``cluster.launch_type = "ec2"``."""

    instance_type: str = key(
        "m6i.xlarge",
        "EC2 instance type of the container instances: m5, m6i, m7i, c5, c6i, r5 or r6i, large to 4xlarge (x86_64).",
        checks=[checks.instance_type, checks.container_instance_type],
    )
    min_instances: int = key(1, "Fewest container instances (ECS scales between min and max).", checks=[checks.between(1, 20)])
    max_instances: int = key(2, "Most container instances.", checks=[checks.between(1, 20)])
    root_volume_gb: int = key(
        50, "Encrypted gp3 root volume per instance, in GiB (30-16384).", checks=[checks.between(30, 16384)]
    )

    def cross_checks(self, given: frozenset[str]) -> Iterator[Problem]:
        if self.max_instances < self.min_instances:
            yield Problem("max_instances", self.max_instances, f"at least min_instances ({self.min_instances})")


@dataclass(frozen=True, kw_only=True)
class Cluster(Block):
    """The ECS cluster the OMERO services run in."""

    launch_type: str = key(
        "fargate",
        'Where OMERO.server runs: "fargate" or "ec2" (container instances; OMERO.web stays on Fargate).',
        choices=("fargate", "ec2"),
    )
    log_retention_days: int = key(
        365, "Days CloudWatch Logs keeps container and ECS Exec logs.", choices=checks.LOG_RETENTION_DAYS
    )
    logs_kms_key_arn: str | None = key(
        None,
        "Customer KMS key for the service log groups, ECS Exec sessions and OMERO.web's secret key (its policy must let logs.<region>.amazonaws.com use it); unset: AWS-managed encryption.",
        checks=[checks.kms_key_arn],
    )
    container_insights: str = key(
        "enhanced",
        "Container Insights level.",
        choices=("enhanced", "enabled", "disabled"),
    )
    ec2: Ec2Capacity = key(doc='Container instances (with launch_type = "ec2").', factory=Ec2Capacity)

    def cross_checks(self, given: frozenset[str]) -> Iterator[Problem]:
        if self.launch_type != "ec2" and "ec2" in given:
            yield Problem("ec2", None, "", text='block set, but it applies only with launch_type = "ec2"')


def _server_properties(value: dict[str, str]) -> str | None:
    return checks.omero_properties(value, prefix="omero.", managed=MANAGED_SERVER_PROPERTIES)


def _server_secret_properties(value: dict[str, str]) -> str | None:
    return secret_properties(value, prefix="omero.", managed=MANAGED_SERVER_PROPERTIES)


@dataclass(frozen=True, kw_only=True)
class ServerEgress(Block):
    """One destination outside the deployment that OMERO.server may connect to: an LDAP directory
    (omero.ldap.urls), a mail relay (omero.mail.host), ..."""

    cidr: str | None = key(
        None, 'IPv4 network of the destination, e.g. "10.20.0.10/32" (or prefix_list_id).', checks=[checks.ipv4_cidr]
    )
    prefix_list_id: str | None = key(
        None, "A managed prefix list of destinations (pl-...), instead of cidr.", checks=[checks.prefix_list_id]
    )
    port: int = key(
        doc="Destination port (1-65535): 636 LDAP over TLS, 389 LDAP, 587 or 465 mail submission, 25 SMTP.",
        checks=[checks.between(1, 65535)],
    )
    protocol: str = key("tcp", "IP protocol.", choices=("tcp", "udp"))

    def cross_checks(self, given: frozenset[str]) -> Iterator[Problem]:
        if (self.cidr is None) == (self.prefix_list_id is None):
            yield Problem("cidr", self.cidr, "", text="set exactly one of cidr and prefix_list_id")

    @property
    def destination(self) -> str:
        return self.cidr or self.prefix_list_id or ""


# A security group holds at most 60 outbound rules unless AWS raises the quota (Amazon VPC User
# Guide, "Amazon VPC quotas": inbound or outbound rules per security group, 60); the server group
# has three of its own (HTTPS, PostgreSQL, EFS).
EGRESS_MAX = 50


def _egress(values: tuple[ServerEgress, ...]) -> str | None:
    if len(values) > EGRESS_MAX:
        return f"at most {EGRESS_MAX} destinations (a security group takes 60 outbound rules)"
    seen = [(e.destination, e.port, e.protocol) for e in values]
    if len(set(seen)) != len(seen):
        return "each destination, port and protocol once (AWS refuses a duplicate rule)"
    return None


def _web_properties(value: dict[str, str]) -> str | None:
    return checks.omero_properties(value, prefix="omero.web.", managed=MANAGED_WEB_PROPERTIES)


def _web_secret_properties(value: dict[str, str]) -> str | None:
    return secret_properties(value, prefix="omero.web.", managed=MANAGED_WEB_PROPERTIES)


@dataclass(frozen=True, kw_only=True)
class Server(Block):
    """OMERO.server: the read-write server (always exactly one task) and optional read-only ones."""

    image: str = key(SERVER_IMAGE, "OMERO.server image, pinned by tag or digest (not latest).", checks=[checks.container_image])
    snapshot_before_upgrade: bool = key(
        True,
        "Take a manual RDS snapshot named after the image tag before a new server image starts (and upgrades the database schema).",
    )
    figure_export: bool = key(
        True,
        "Install OMERO.figure's export script (Figure_To_Pdf.py, copied from web.image and checked against its pinned sha256 "
        "in config/artifacts.py) into every server at start; off: figures cannot be exported as PDF or TIFF, "
        "e.g. for a web.image whose omero-figure release is not pinned yet (the servers would refuse to start).",
    )
    cpu: int = key(2048, "CPU units of the read-write server task (1024 = 1 vCPU).", checks=[checks.task_cpu])
    memory: int = key(
        8192, "Memory of the read-write server task in MiB (the JVMs are sized from it).", checks=[checks.between(2048, 122880)]
    )
    read_only_count: int = key(
        0,
        "Read-only OMERO.servers beside the read-write one (0-10), for viewers: web.read_only_pool serves them on a host name of their own (OMERO.web's login page only offers servers, it spreads nothing).",
        checks=[checks.between(0, 10)],
    )
    read_only_cpu: int = key(2048, "CPU units of each read-only server task.", checks=[checks.task_cpu])
    read_only_memory: int = key(8192, "Memory of each read-only server task in MiB.", checks=[checks.between(2048, 122880)])
    db_pool_size: int | None = key(
        None,
        "omero.db.poolsize: database connections each Java service of each server (Blitz, Indexer, PixelData) may hold, "
        "10-1000; unset: 50, or less where database.instance_class allows fewer (docs/ldap-mail-tuning.md).",
        checks=[checks.between(10, 1000)],
    )
    properties: dict[str, str] = key(
        None,
        'Extra OMERO properties for every server, e.g. { "omero.ldap.urls" = "ldaps://ldap.example.org:636" } (database and cluster settings are managed; secrets go in secret_properties).',
        checks=[_server_properties],
        factory=dict,
    )
    secret_properties: dict[str, str] = key(
        None,
        'OMERO properties read from Secrets Manager at task start, never written into the task definition: property -> secret ARN, or "ARN:<json-key>::" for one key of a JSON secret; only the servers\' execution roles may read them.',
        checks=[_server_secret_properties],
        factory=dict,
    )
    egress: tuple[ServerEgress, ...] = key(
        (),
        'Destinations outside the deployment the servers may connect to, e.g. [{ cidr = "10.20.0.10/32", port = 636 }] for LDAP over TLS; the servers reach only AWS (HTTPS), the database and EFS otherwise.',
        checks=[_egress],
    )

    def cross_checks(self, given: frozenset[str]) -> Iterator[Problem]:
        for name in sorted(set(self.properties) & set(self.secret_properties)):
            yield Problem("secret_properties", name, "", text=f'sets "{name}", which properties sets too (set it once)')


# ElastiCache node types for the session store (ElastiCache User Guide, "Supported node types":
# current-generation T4g/T3 burstable and M7g/M6g/R7g/R6g general-purpose and memory-optimised
# nodes). OMERO.web's sessions are a few KiB each: a micro node (0.5 GiB) holds tens of thousands.
SESSION_NODE_TYPES = tuple(
    [f"cache.{family}.{size}" for family in ("t4g", "t3") for size in ("micro", "small", "medium")]
    + [f"cache.{family}.{size}" for family in ("m7g", "m6g", "r7g", "r6g") for size in ("large", "xlarge", "2xlarge")]
)


@dataclass(frozen=True, kw_only=True)
class SessionStoreConfig(Block):
    """Where OMERO.web keeps its sessions: a Valkey replication group every web task shares."""

    enabled: bool = key(
        True,
        "Keep OMERO.web sessions in ElastiCache (Valkey), so a scale-in, deploy or task replacement logs nobody out; "
        "off: each task's local disk (sticky sessions only).",
    )
    node_type: str = key("cache.t4g.micro", "ElastiCache node type of each Valkey node.", choices=SESSION_NODE_TYPES)
    # CreateReplicationGroup: NumCacheClusters 1-6 (a primary and up to 5 replicas); automatic
    # failover and Multi-AZ need at least one replica.
    replicas: int = key(
        1,
        "Read replicas beside the primary (0-5); 1 or more turns on Multi-AZ automatic failover.",
        checks=[checks.between(0, 5)],
    )
    kms_key_arn: str | None = key(
        None,
        "Customer KMS key for the store at rest; unset: AWS-managed (its secrets use cluster.logs_kms_key_arn, like OMERO.web's secret key).",
        checks=[checks.kms_key_arn],
    )

    def cross_checks(self, given: frozenset[str]) -> Iterator[Problem]:
        if not self.enabled:
            for name in sorted(given - {"enabled"}):
                yield Problem(name, getattr(self, name), "only with enabled = true")


@dataclass(frozen=True, kw_only=True)
class Web(Block):
    """OMERO.web behind the application load balancer."""

    image: str = key(WEB_IMAGE, "OMERO.web image, pinned by tag or digest (not latest).", checks=[checks.container_image])
    cpu: int = key(1024, "CPU units of each OMERO.web task.", checks=[checks.task_cpu])
    memory: int = key(2048, "Memory of each OMERO.web task in MiB.", checks=[checks.between(1024, 122880)])
    min_tasks: int = key(2, "Fewest OMERO.web tasks (2+ keeps one per AZ).", checks=[checks.between(2, 50)])
    max_tasks: int = key(4, "Most OMERO.web tasks under load.", checks=[checks.between(2, 50)])
    target_cpu_percent: int = key(60, "Average CPU the web autoscaling aims at (20-90).", checks=[checks.between(20, 90)])
    # ALBRequestCountPerTarget counts a target group's requests a minute per healthy target. 1000 a
    # minute (about 17 a second) leaves a default task (3 workers x 8 threads) room for requests that
    # each wait a second on OMERO.server while a new task starts; watch TargetResponseTime to tune it.
    target_requests_per_task: int = key(
        1000,
        "Requests a minute per OMERO.web task the autoscaling aims at (ALBRequestCountPerTarget, 10-100000); it scales on whichever of this and target_cpu_percent asks for more tasks.",
        checks=[checks.between(10, 100000)],
    )
    workers: int | None = key(
        None,
        "Gunicorn worker processes per task (omero.web.wsgi_workers, 1-64); unset: 2 x vCPUs + 1, as OMERO.web's install guide advises.",
        checks=[checks.between(1, 64)],
    )
    # OME's install guide sets omero.web.wsgi_threads to "2-4 x NUM_CORES" (ome/omero-documentation
    # sysadmins/unix/install-web/web-deployment.rst, marked experimental), as gunicorn's settings do
    # for threads: sized for CPU work on a shared host. Here a request mostly waits on OMERO.server
    # in another task, so 8 a worker: 24 requests at once in a 1-vCPU task (3 workers).
    threads: int = key(
        8,
        "Threads per gunicorn worker (omero.web.wsgi_threads, 1-64): requests a worker serves at once, mostly waiting on OMERO.server (gthread workers; 1: sync workers, one request each).",
        checks=[checks.between(1, 64)],
    )
    properties: dict[str, str] = key(
        None,
        'Extra OMERO.web properties, e.g. { "omero.web.session_cookie_age" = "28800" }.',
        checks=[_web_properties],
        factory=dict,
    )
    secret_properties: dict[str, str] = key(
        None,
        'OMERO.web properties read from Secrets Manager at task start, never written into the task definition: property -> secret ARN, or "ARN:<json-key>::" for one key of a JSON secret; only OMERO.web\'s execution role may read them.',
        checks=[_web_secret_properties],
        factory=dict,
    )
    session_store: SessionStoreConfig = key(doc="The shared session store of the OMERO.web tasks.", factory=SessionStoreConfig)
    read_only_pool: ReadOnlyPool = key(
        doc="OMERO.web for viewers on its own host name, logging in to the read-only servers only.", factory=ReadOnlyPool
    )

    def cross_checks(self, given: frozenset[str]) -> Iterator[Problem]:
        if self.max_tasks < self.min_tasks:
            yield Problem("max_tasks", self.max_tasks, f"at least min_tasks ({self.min_tasks})")
        for name in sorted(set(self.secret_properties) & set(self.properties)):
            yield Problem("secret_properties", name, "", text=f'sets "{name}", which properties sets too (one or the other)')
        for where, values in (("properties", self.properties), ("secret_properties", self.secret_properties)):
            for name, own_key in GUNICORN_KEYS.items():
                if name in values:
                    yield Problem(where, name, "", text=f'sets "{name}": set web.{own_key} instead')
        if self.session_store.enabled:
            for where, values in (("properties", self.properties), ("secret_properties", self.secret_properties)):
                for name in sorted(set(SESSION_STORE_PROPERTIES) & set(values)):
                    yield Problem(
                        where, name, "", text=f'sets "{name}", which session_store manages (turn it off to set your own)'
                    )


@dataclass(frozen=True, kw_only=True)
class LoadBalancer(Block):
    """The internet-facing application load balancer in front of OMERO.web."""

    allowed_cidrs: tuple[str, ...] = key(
        ("0.0.0.0/0",),
        "IPv4 networks that may reach OMERO.web (ports 80 and 443).",
        checks=[checks.cidr_list],
    )
    domain_name: str | None = key(
        None,
        "Serve OMERO.web on https://<domain_name> (needs hosted_zone_id); unset: HTTP on the load balancer's DNS name.",
        checks=[checks.domain_name],
    )
    hosted_zone_id: str | None = key(
        None,
        "Existing Route 53 public hosted zone for domain_name (certificate validation and the alias record); read at plan time, which stops if it is private or domain_name is not in it.",
        checks=[checks.hosted_zone_id],
    )
    plain_http_waiver: str | None = key(
        None,
        "Why this production deployment serves OMERO.web over plain HTTP; needed there to leave domain_name unset.",
    )
    tls_policy: str = key(
        "ELBSecurityPolicy-TLS13-1-2-2021-06",
        "TLS policy of the HTTPS listener (TLS 1.2 and 1.3 only).",
        choices=checks.TLS_POLICIES,
    )
    deletion_protection: bool = key(True, "Refuse to delete the load balancer until this is turned off.")
    # ELBv2 API Reference, LoadBalancerAttribute idle_timeout.timeout_seconds: 1-4000.
    idle_timeout_seconds: int = key(
        300, "Idle connection timeout (large image exports need minutes).", checks=[checks.between(1, 4000)]
    )
    access_log_days: int = key(90, "Days the access-log bucket keeps load balancer logs.", checks=[checks.between(1, 3650)])
    websockets: bool = key(
        True,
        "With domain_name: OMERO clients (omero-py, the CLI) connect as wss://<domain_name>/omero-ws on 443 through this "
        "load balancer, which forwards /omero-ws to the read-write server's wss port 4066.",
    )
    # A listener rule holds at most 5 condition values ("Condition values per rule", Elastic Load
    # Balancing, "Quotas for your Application Load Balancers"; source-ip: "The total number of
    # values must be less than, or equal to five", SourceIpConditionConfig), 2 of them the
    # /omero-ws paths: 3 networks a rule, and 10 rules of the 100 a load balancer may hold.
    websocket_allowed_cidrs: tuple[str, ...] | None = key(
        None,
        "IPv4 networks that may open wss://<domain_name>/omero-ws (up to 30, each inside allowed_cidrs; others get 403); unset: allowed_cidrs, the networks that reach OMERO.web.",
        checks=[checks.cidr_list],
    )

    @property
    def tls(self) -> bool:
        return self.domain_name is not None

    @property
    def websocket_cidrs(self) -> tuple[str, ...]:
        """The networks that may reach the read-write server over wss."""
        return self.allowed_cidrs if self.websocket_allowed_cidrs is None else self.websocket_allowed_cidrs

    @property
    def wss(self) -> bool:
        """Whether clients reach the read-write server over wss through this load balancer."""
        return self.tls and self.websockets

    def cross_checks(self, given: frozenset[str]) -> Iterator[Problem]:
        if (self.domain_name is None) != (self.hosted_zone_id is None):
            missing, other = (
                ("hosted_zone_id", "domain_name") if self.hosted_zone_id is None else ("domain_name", "hosted_zone_id")
            )
            yield Problem(
                missing, None, "", text=f"missing; set together with {other} (TLS needs a domain and its Route 53 zone)"
            )
        if "tls_policy" in given and self.domain_name is None:
            yield Problem("tls_policy", self.tls_policy, "only with domain_name (HTTPS)")
        if "websockets" in given and self.websockets and self.domain_name is None:
            yield Problem("websockets", self.websockets, "only with domain_name (wss goes through the HTTPS listener)")
        yield from self._websocket_problems()

    def _websocket_problems(self) -> Iterator[Problem]:
        cidrs = self.websocket_allowed_cidrs
        if cidrs is None:
            return
        if not self.wss:
            yield Problem("websocket_allowed_cidrs", cidrs, "only with domain_name and websockets = true")
        elif not cidrs:
            yield Problem("websocket_allowed_cidrs", cidrs, "at least one network (turn websockets off to close /omero-ws)")
        elif len(cidrs) > WEBSOCKET_CIDRS_MAX:
            yield Problem("websocket_allowed_cidrs", cidrs, f"at most {WEBSOCKET_CIDRS_MAX} networks")
        elif checks.cidr_list(cidrs) is None and checks.cidr_list(self.allowed_cidrs) is None:
            allowed = [ipaddress.IPv4Network(c) for c in self.allowed_cidrs]
            for cidr in cidrs:
                if not any(ipaddress.IPv4Network(cidr).subnet_of(outer) for outer in allowed):
                    yield Problem(
                        "websocket_allowed_cidrs",
                        cidrs,
                        f"networks inside allowed_cidrs, which the load balancer's security group admits ({cidr} is not)",
                    )
                    break


@dataclass(frozen=True, kw_only=True)
class ServerLoadBalancerConfig(Block):
    """An optional network load balancer exposing OMERO.server to OMERO.insight and the CLI."""

    enabled: bool = key(False, "Expose the read-write OMERO.server on port 4064 (Ice over TLS) through an NLB.")
    allowed_cidrs: tuple[str, ...] = key(
        (), "IPv4 networks that may connect (required when enabled; never open by default).", checks=[checks.cidr_list]
    )
    plain_port: bool = key(False, "Also expose 4063 (Ice without TLS; session keys cross the network in clear).")

    def cross_checks(self, given: frozenset[str]) -> Iterator[Problem]:
        if not self.enabled:
            for name in sorted(given - {"enabled"}):
                yield Problem(name, getattr(self, name), "only with enabled = true")
        elif not self.allowed_cidrs:
            yield Problem("allowed_cidrs", self.allowed_cidrs, "at least one network when enabled (e.g. your campus range)")


ICE_TRANSPORTS = ("ssl", "tcp", "ws", "wss")  # omero.client.icetransports (ome/omero-py admin.py)


def transport_problems(server: Server, *, plain_port: bool) -> Iterator[Problem]:
    """A user's omero.client.icetransports (without load_balancer.websockets) must keep ssl, which
    OMERO.web and the NLB reach on 4064, and tcp while the NLB forwards 4063 (plain_port)."""
    value = server.properties.get("omero.client.icetransports")
    if value is None:
        return
    transports = value.split(",")
    if not set(transports) <= set(ICE_TRANSPORTS) or "ssl" not in transports:
        yield Problem(
            "server.properties",
            value,
            "",
            text='sets "omero.client.icetransports" to a list other than ssl, tcp, ws and wss with ssl among them '
            "(OMERO.web connects with ssl on 4064)",
        )
    elif plain_port and "tcp" not in transports:
        yield Problem(
            "server.properties",
            value,
            "",
            text='sets "omero.client.icetransports" without tcp, so nothing listens on 4063, which '
            "server_load_balancer.plain_port forwards",
        )


def fargate_problems(where: str, cpu: int, memory: int) -> Iterator[Problem]:
    problem = checks.fargate_memory(cpu, memory)
    if problem:
        yield Problem(f"{where}memory", memory, problem)
