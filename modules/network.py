"""The VPC OMERO runs in: a new one (:class:`Network`) or an existing one (:class:`ExistingNetwork`).

Both expose the same :class:`NetworkOutputs`, so the stacks that place load balancers, services
and data in the network do not care which one it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import Postcondition, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.data_aws_availability_zones import (
    DataAwsAvailabilityZones,
    DataAwsAvailabilityZonesFilter,
)
from cdktf_cdktf_provider_aws.data_aws_subnet import DataAwsSubnet
from cdktf_cdktf_provider_aws.data_aws_vpc import DataAwsVpc
from cdktf_cdktf_provider_aws.default_security_group import DefaultSecurityGroup
from cdktf_cdktf_provider_aws.eip import Eip
from cdktf_cdktf_provider_aws.internet_gateway import InternetGateway
from cdktf_cdktf_provider_aws.nat_gateway import NatGateway
from cdktf_cdktf_provider_aws.route import Route
from cdktf_cdktf_provider_aws.route_table import RouteTable
from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc import Vpc
from cdktf_cdktf_provider_aws.vpc_endpoint import VpcEndpoint
from constructs import Construct

from modules.access import HTTPS_PORT, rule, security_group
from modules.context import stack_context


@dataclass(frozen=True, kw_only=True)
class NetworkOutputs:
    """What other stacks need from the network."""

    vpc_id: str
    vpc_cidr: str
    public_subnet_ids: list[str]
    private_subnet_ids: list[str]
    availability_zones: list[str]
    # Public addresses of the NAT gateways (the VPC's egress IPs); empty for an existing VPC.
    nat_public_ips: list[str]

    @property
    def zone_count(self) -> int:
        """How many AZs (and private subnets) there are: the lists' length, known at synth."""
        return len(self.private_subnet_ids)


@dataclass(frozen=True, kw_only=True)
class NetworkProps:
    name: str  # prefixes Name tags
    vpc_cidr: str
    public_subnet_cidrs: tuple[str, ...]  # one per AZ
    private_subnet_cidrs: tuple[str, ...]  # one per AZ, same order
    # Explicit AZ names; when empty, the region's first len(public_subnet_cidrs) zones.
    availability_zones: tuple[str, ...] = ()
    single_nat_gateway: bool = False  # one NAT per AZ unless True
    s3_gateway_endpoint: bool = False  # an S3 gateway endpoint in the private route tables


class Network(Construct):
    """A new VPC: public and private subnets in each AZ, an internet gateway, NAT gateways.

    Public subnets hold only load balancers and NAT gateways and do not hand out public IPs;
    everything else goes in the private subnets, which reach the internet through NAT. The
    VPC's default security group is emptied so nothing can use it by accident.

    The VPC and the subnets refuse to be destroyed (``prevent_destroy``): the storage stack's
    mount targets and database live in the private subnets, and a destroy would take the NAT
    gateways, routes and internet gateway before AWS refused the subnets, leaving live data in
    a half-destroyed network. A plan that destroys any of them fails as a whole, so ``terraform
    destroy`` of the stack stops before it touches anything, and so does a change that replaces
    or drops a subnet (a new CIDR, fewer zones). Route tables, routes and NAT gateways stay
    unprotected: switching ``single_nat_gateway`` adds or removes NAT gateways and re-points
    routes.

    With ``s3_gateway_endpoint``, an S3 gateway endpoint sits in the private route
    tables: S3 traffic from the private subnets (the file gateway's share bucket, the uploader's
    reads, the hosts' package repositories) goes straight to S3 instead of through the NAT
    gateways, which charge for every gigabyte they process. Its policy is AWS's default: the
    endpoint adds a path, not a permission; IAM and bucket policies decide as before.
    """

    def __init__(self, scope: Construct, id: str, *, props: NetworkProps):
        super().__init__(scope, id)
        zones = len(props.public_subnet_cidrs)
        if zones != len(props.private_subnet_cidrs):
            raise ValueError("one public and one private subnet CIDR per availability zone")

        if props.availability_zones:
            az_names = list(props.availability_zones)
        else:
            # Regular zones only (no Local or Wavelength Zones), and enough of them: indexing
            # fails loudly where Fn.element would wrap around and reuse a zone.
            available = DataAwsAvailabilityZones(
                self,
                "zones",
                state="available",
                filter=[DataAwsAvailabilityZonesFilter(name="zone-type", values=["availability-zone"])],
                lifecycle=TerraformResourceLifecycle(
                    postcondition=[
                        Postcondition(
                            condition=f"${{length(self.names) >= {zones}}}",
                            error_message=f"network.az_count: the region has fewer than {zones} availability zones.",
                        )
                    ]
                ),
            )
            az_names = [f"${{{available.fqn}.names[{i}]}}" for i in range(zones)]

        self.vpc = Vpc(
            self,
            "vpc",
            cidr_block=props.vpc_cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags={"Name": props.name},
            lifecycle=TerraformResourceLifecycle(prevent_destroy=True),
        )
        # An empty default security group: no rules, so it allows nothing.
        DefaultSecurityGroup(self, "default_sg", vpc_id=self.vpc.id, tags={"Name": f"{props.name}-default"})

        igw = InternetGateway(self, "igw", vpc_id=self.vpc.id, tags={"Name": props.name})

        public_rt = RouteTable(self, "public_rt", vpc_id=self.vpc.id, tags={"Name": f"{props.name}-public"})
        Route(self, "public_default", route_table_id=public_rt.id, destination_cidr_block="0.0.0.0/0", gateway_id=igw.id)

        self.public_subnets: list[Subnet] = []
        self.private_subnets: list[Subnet] = []
        self.nat_gateways: list[NatGateway] = []
        self.nat_ips: list[Eip] = []
        private_route_tables: list[RouteTable] = []
        for i in range(zones):
            public = Subnet(
                self,
                f"public_{i}",
                vpc_id=self.vpc.id,
                cidr_block=props.public_subnet_cidrs[i],
                availability_zone=az_names[i],
                map_public_ip_on_launch=False,
                tags={"Name": f"{props.name}-public-{i}", "tier": "public"},
                lifecycle=TerraformResourceLifecycle(prevent_destroy=True),
            )
            RouteTableAssociation(self, f"public_{i}_rt", subnet_id=public.id, route_table_id=public_rt.id)
            self.public_subnets.append(public)

            if i == 0 or not props.single_nat_gateway:
                eip = Eip(self, f"nat_{i}_ip", domain="vpc", tags={"Name": f"{props.name}-nat-{i}"}, depends_on=[igw])
                nat = NatGateway(
                    self,
                    f"nat_{i}",
                    allocation_id=eip.id,
                    subnet_id=public.id,
                    tags={"Name": f"{props.name}-nat-{i}"},
                    depends_on=[igw],
                )
                self.nat_ips.append(eip)
                self.nat_gateways.append(nat)

            private = Subnet(
                self,
                f"private_{i}",
                vpc_id=self.vpc.id,
                cidr_block=props.private_subnet_cidrs[i],
                availability_zone=az_names[i],
                map_public_ip_on_launch=False,
                tags={"Name": f"{props.name}-private-{i}", "tier": "private"},
                lifecycle=TerraformResourceLifecycle(prevent_destroy=True),
            )
            private_rt = RouteTable(self, f"private_{i}_rt", vpc_id=self.vpc.id, tags={"Name": f"{props.name}-private-{i}"})
            Route(
                self,
                f"private_{i}_default",
                route_table_id=private_rt.id,
                destination_cidr_block="0.0.0.0/0",
                nat_gateway_id=self.nat_gateways[-1].id,
            )
            RouteTableAssociation(self, f"private_{i}_rta", subnet_id=private.id, route_table_id=private_rt.id)
            self.private_subnets.append(private)
            private_route_tables.append(private_rt)

        self.s3_endpoint: VpcEndpoint | None = None
        if props.s3_gateway_endpoint:
            self.s3_endpoint = VpcEndpoint(
                self,
                "s3_endpoint",
                vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{stack_context(self).region}.s3",
                vpc_endpoint_type="Gateway",
                route_table_ids=[rt.id for rt in private_route_tables],
                tags={"Name": f"{props.name}-s3"},
            )

        self.private_cidrs = [s.cidr_block for s in self.private_subnets]
        self.outputs = NetworkOutputs(
            vpc_id=self.vpc.id,
            vpc_cidr=self.vpc.cidr_block,
            public_subnet_ids=[s.id for s in self.public_subnets],
            private_subnet_ids=[s.id for s in self.private_subnets],
            availability_zones=[s.availability_zone for s in self.private_subnets],
            nat_public_ips=[ip.public_ip for ip in self.nat_ips],
        )


@dataclass(frozen=True, kw_only=True)
class ExistingNetworkProps:
    vpc_id: str
    public_subnet_ids: tuple[str, ...]
    private_subnet_ids: tuple[str, ...]
    # The longest prefix each tier's subnets may have (config.network_plan.subnet_minimums: what
    # one subnet may have to hold; /28 is the smallest subnet AWS allows).
    public_min_prefix: int = 28
    private_min_prefix: int = 28


class ExistingNetwork(Construct):
    """An existing VPC and its subnets, looked up (and checked) at plan time.

    Each subnet must belong to the VPC and be large enough for what the deployment puts in it
    (no longer a prefix than ``<tier>_min_prefix``); ``terraform plan`` stops with a clear error
    otherwise. Free addresses are not checked: in a shared VPC they come and go with others'
    resources, and the deployment's own would fail the check on the next plan.
    """

    def __init__(self, scope: Construct, id: str, *, props: ExistingNetworkProps):
        super().__init__(scope, id)

        def lookup(tier: str, ids: tuple[str, ...], min_prefix: int) -> list[DataAwsSubnet]:
            return [
                DataAwsSubnet(
                    self,
                    f"{tier}_{i}",
                    id=subnet_id,
                    lifecycle=TerraformResourceLifecycle(
                        postcondition=[
                            Postcondition(
                                condition=f'${{self.vpc_id == "{props.vpc_id}"}}',
                                error_message=f"network.{tier}_subnet_ids: {subnet_id} is not in {props.vpc_id}.",
                            ),
                            Postcondition(
                                condition=f'${{tonumber(split("/", self.cidr_block)[1]) <= {min_prefix}}}',
                                error_message=(
                                    f"network.{tier}_subnet_ids: {subnet_id} is smaller than the /{min_prefix} this "
                                    f"deployment may need in one {tier} subnet (docs/architecture-and-cost.md, Subnet sizes)."
                                ),
                            ),
                        ]
                    ),
                )
                for i, subnet_id in enumerate(ids)
            ]

        public = lookup("public", props.public_subnet_ids, props.public_min_prefix)
        private = lookup("private", props.private_subnet_ids, props.private_min_prefix)

        def distinct_zones(tier: str, subnets: list[DataAwsSubnet]) -> Postcondition:
            zones = ", ".join(f"{s.fqn}.availability_zone" for s in subnets)
            return Postcondition(
                condition=f"${{length(distinct([{zones}])) == {len(subnets)}}}",
                error_message=f"network.{tier}_subnet_ids: the subnets must be in different availability zones.",
            )

        self.vpc = DataAwsVpc(
            self,
            "vpc",
            id=props.vpc_id,
            lifecycle=TerraformResourceLifecycle(
                postcondition=[
                    distinct_zones("public", public),
                    distinct_zones("private", private),
                    # The OMERO servers are found by their Cloud Map (private DNS) names.
                    Postcondition(
                        condition="${self.enable_dns_support && self.enable_dns_hostnames}",
                        error_message=f"network.vpc_id: {props.vpc_id} needs DNS resolution and DNS hostnames turned on (the OMERO services find each other by private DNS names).",
                    ),
                ]
            ),
        )
        self.private_cidrs = [s.cidr_block for s in private]
        self.outputs = NetworkOutputs(
            vpc_id=self.vpc.id,
            vpc_cidr=self.vpc.cidr_block,
            public_subnet_ids=[s.id for s in public],
            private_subnet_ids=[s.id for s in private],
            availability_zones=[s.availability_zone for s in private],
            nat_public_ips=[],
        )


@dataclass(frozen=True, kw_only=True)
class InterfaceEndpointsProps:
    name: str  # prefixes Name tags and the security group's name
    vpc_id: str
    subnet_ids: list[str]  # the private subnets: one endpoint network interface in each
    client_cidrs: list[str]  # the private subnets' CIDRs, the only sources let in
    services: tuple[str, ...]  # short names: "ecr.api", "logs", ... (config.network_plan)


class InterfaceEndpoints(Construct):
    """Interface VPC endpoints (AWS PrivateLink) for AWS services, in the private subnets.

    With private DNS on, the services' usual names (``api.ecr.<region>.amazonaws.com``, ...)
    resolve inside the VPC to the endpoints' addresses, so the tasks and hosts reach them without
    the NAT gateways and without a change on their side. AWS requires private DNS for ecr.dkr
    (ECR User Guide, "Amazon ECR interface VPC endpoints") and the VPC's DNS support and DNS
    hostnames, which the new VPC has and an existing one is checked for.

    One security group serves them all: HTTPS (443) in from the private subnets, which is what the
    ECR guide asks ("must allow incoming connections on port 443 from the private subnet of the
    VPC") and no more: the public subnets hold only load balancers and NAT gateways. The OMERO
    groups are made in the services stack, after this one, so they cannot be named here; their
    egress (HTTPS out) already reaches the endpoints. No egress rule: an endpoint only answers.
    Each endpoint keeps AWS's default policy: a path, not a permission; IAM decides as before.
    """

    def __init__(self, scope: Construct, id: str, *, props: InterfaceEndpointsProps):
        super().__init__(scope, id)
        self.security_group = security_group(
            self,
            "security_group",
            name=f"{props.name}-endpoints",
            vpc_id=props.vpc_id,
            description="Interface VPC endpoints: HTTPS from the private subnets only.",
        )
        for index, cidr in enumerate(props.client_cidrs):
            rule(
                self,
                f"https_in_{index}",
                self.security_group.id,
                HTTPS_PORT,
                inbound=True,
                cidr=cidr,
                description=f"HTTPS from private subnet {index}",
            )
        self.endpoints: dict[str, VpcEndpoint] = {}
        region = stack_context(self).region
        for service in props.services:
            self.endpoints[service] = VpcEndpoint(
                self,
                service.replace(".", "_").replace("-", "_"),
                vpc_id=props.vpc_id,
                service_name=f"com.amazonaws.{region}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=props.subnet_ids,
                security_group_ids=[self.security_group.id],
                tags={"Name": f"{props.name}-{service}"},
            )
