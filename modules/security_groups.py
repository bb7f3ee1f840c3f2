"""Who may talk to whom: every security group of the OMERO services and every rule between them.

Groups reference each other rather than address ranges; only the load balancers accept traffic
from networks, and only from the ones the configuration names:

    clients --80/443--> ALB --4080--> OMERO.web --4064--> OMERO.server --5432--> PostgreSQL
    clients --443 /omero-ws--> ALB --4066 (wss), 4067 (its health)--> OMERO.server (with TLS)
    clients --4064(/4063)--> NLB --------------------------^          \\--2049--> EFS
    OMERO.web --6379--> the session store (Valkey, with web.session_store)
    ECS container instances --NFS (111, 2049, 20048)--> S3 File Gateway (with a data share)

Tasks may also open HTTPS connections out (image registry, Secrets Manager, CloudWatch Logs), and
OMERO.server to the destinations the configuration names (``server.egress``: an LDAP directory,
a mail relay), each an outbound rule of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from constructs import Construct

from modules.access import NFS_PORT, allow_from, https_out, rule, security_group
from modules.omero_facts import PLAIN_PORT, SERVER_PORT
from modules.omero_web import WEB_PORT
from modules.server_websockets import HEALTH_PORT as WSS_HEALTH_PORT
from modules.server_websockets import WSS_PORT
from modules.session_store import PORT as SESSION_PORT

# NFS as the S3 File Gateway serves it: portmapper, nfsd and mountd, over TCP and UDP.
NFS_PORTS = (111, 2049, 20048)


@dataclass(frozen=True, kw_only=True)
class Egress:
    """A destination OMERO.server may connect to: a network or a managed prefix list, one port."""

    port: int
    protocol: str = "tcp"
    cidr: str | None = None
    prefix_list_id: str | None = None

    @property
    def destination(self) -> str:
        destination = self.cidr or self.prefix_list_id
        assert destination is not None and (self.cidr is None or self.prefix_list_id is None)  # exactly one
        return destination


@dataclass(frozen=True, kw_only=True)
class OmeroSecurityGroupsProps:
    name: str
    vpc_id: str
    web_cidrs: tuple[str, ...]  # may reach the ALB
    web_ports: tuple[int, ...]  # 80, and 443 with TLS
    database_security_group_id: str
    database_port: int
    file_system_security_group_id: str
    server_cidrs: tuple[str, ...] | None = None  # may reach the NLB; None: no NLB
    plain_port: bool = False  # the NLB also forwards 4063
    container_instances: bool = False  # EC2 launch type: a group for the instances
    # The NFS server of a data share (the S3 File Gateway add-on; EC2 launch type only). The
    # container instances mount the share for their tasks (Docker's NFS volume driver runs in
    # the host's network namespace, not the task's), so they are the NFS clients let in.
    data_share_security_group_id: str | None = None
    session_store: bool = False  # a group for OMERO.web's session store
    websockets: bool = False  # the ALB forwards wss (and its health checks) to the servers
    server_egress: tuple[Egress, ...] = ()  # where else the servers may connect (LDAP, mail)


class OmeroSecurityGroups(Construct):
    def __init__(self, scope: Construct, id: str, *, props: OmeroSecurityGroupsProps):
        super().__init__(scope, id)
        self._props = props

        def group(key: str, description: str) -> SecurityGroup:
            name = f"{props.name}-{key}"
            return security_group(self, key.replace("-", "_"), name=name, description=description, vpc_id=props.vpc_id)

        self.load_balancer = group("omero-alb", "OMERO.web load balancer: HTTP(S) from the allowed networks.")
        self.web = group("omero-web", "OMERO.web tasks: 4080 from the load balancer only.")
        self.server = group("omero-server", "OMERO.server tasks: 4064 from OMERO.web (and the NLB, if any).")
        for cidr_index, cidr in enumerate(props.web_cidrs):
            for port in props.web_ports:
                rule(
                    self,
                    f"alb_{port}_{cidr_index}_in",
                    self.load_balancer.id,
                    port,
                    inbound=True,
                    cidr=cidr,
                    description=f"HTTP{'S' if port == 443 else ''} from {cidr}",
                )
        allow_from(self, "alb_to_web", self.load_balancer.id, self.web.id, WEB_PORT, "OMERO.web")
        allow_from(self, "web_to_server", self.web.id, self.server.id, SERVER_PORT, "OMERO.server (Ice over TLS)")
        if props.websockets:
            allow_from(self, "alb_to_server_wss", self.load_balancer.id, self.server.id, WSS_PORT, "OMERO.server (Ice over wss)")
            allow_from(
                self,
                "alb_to_server_wss_health",
                self.load_balancer.id,
                self.server.id,
                WSS_HEALTH_PORT,
                "OMERO.server's wss health responder",
            )
        allow_from(
            self, "server_to_database", self.server.id, props.database_security_group_id, props.database_port, "PostgreSQL"
        )
        allow_from(self, "server_to_efs", self.server.id, props.file_system_security_group_id, NFS_PORT, "EFS (NFS over TLS)")
        for key, group_id in (("web", self.web.id), ("server", self.server.id)):
            https_out(
                self, f"{key}_https_out", group_id, description="HTTPS out: image registry, Secrets Manager, CloudWatch Logs"
            )
        self._server_egress(props.server_egress)

        self.session_store = None
        if props.session_store:
            self.session_store = group("omero-sessions", f"OMERO.web session store: {SESSION_PORT} from OMERO.web only.")
            allow_from(
                self, "web_to_sessions", self.web.id, self.session_store.id, SESSION_PORT, "the session store (Valkey over TLS)"
            )

        self.server_load_balancer = None
        if props.server_cidrs is not None:
            self.server_load_balancer = group("omero-nlb", "OMERO.server load balancer: Ice from the allowed networks.")
            ports = [SERVER_PORT] + ([PLAIN_PORT] if props.plain_port else [])
            for port in ports:
                for cidr_index, cidr in enumerate(props.server_cidrs):
                    rule(
                        self,
                        f"nlb_{port}_{cidr_index}_in",
                        self.server_load_balancer.id,
                        port,
                        inbound=True,
                        cidr=cidr,
                        description=f"OMERO clients from {cidr}",
                    )
                allow_from(
                    self, f"nlb_to_server_{port}", self.server_load_balancer.id, self.server.id, port, f"OMERO.server port {port}"
                )

        self.container_instances = None
        if props.container_instances:
            self.container_instances = group(
                "omero-ecs-hosts", "ECS container instances: no ingress; HTTPS out for the ECS and SSM agents."
            )
            https_out(self, "hosts_https_out", self.container_instances.id, description="HTTPS out: ECS, SSM, image registry")
        if props.data_share_security_group_id is not None:
            if self.container_instances is None:
                raise ValueError("an NFS data share is mounted by the EC2 container instances (container_instances=True)")
            for port in NFS_PORTS:
                for protocol in ("tcp", "udp"):
                    allow_from(
                        self,
                        f"hosts_to_share_{protocol}_{port}",
                        self.container_instances.id,
                        props.data_share_security_group_id,
                        port,
                        f"the data share (NFS {protocol.upper()} {port})",
                        protocol=protocol,
                    )

    def _server_egress(self, destinations: tuple[Egress, ...]) -> None:
        """One outbound rule on the servers' group (read-write and read-only alike) per destination,
        its id made of the destination, so reordering the list replaces nothing."""
        for egress in destinations:
            destination = egress.destination
            rule(
                self,
                f"server_to_{egress.protocol}_{egress.port}_{re.sub(r'[^A-Za-z0-9]', '_', destination)}_out",
                self.server.id,
                egress.port,
                inbound=False,
                cidr=egress.cidr,
                prefix_list_id=egress.prefix_list_id,
                protocol=egress.protocol,
                description=f"OMERO.server to {destination} ({egress.protocol.upper()} {egress.port}; server.egress)",
            )
