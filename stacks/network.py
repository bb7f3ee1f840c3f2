"""The network stack: a new VPC (or an existing one) and, optionally, its flow logs."""

from __future__ import annotations

from cdktf import TerraformOutput
from constructs import Construct

from config import Deployment
from config.network_plan import interface_endpoint_services, subnet_minimums
from modules.flow_logs import FlowLogs, FlowLogsProps
from modules.network import (
    ExistingNetwork,
    ExistingNetworkProps,
    InterfaceEndpoints,
    InterfaceEndpointsProps,
    Network,
    NetworkOutputs,
    NetworkProps,
)
from stacks.base import DeploymentStack, SynthSettings


class NetworkStack(DeploymentStack):
    def __init__(self, scope: Construct, *, deployment: Deployment, settings: SynthSettings):
        super().__init__(scope, "network", deployment=deployment, settings=settings)
        config = deployment.network
        s3_endpoint = None
        if config.creates_vpc:
            public, private = config.subnet_plan()
            network = Network(
                self,
                "network",
                props=NetworkProps(
                    name=deployment.name,
                    vpc_cidr=config.vpc_cidr,
                    public_subnet_cidrs=public,
                    private_subnet_cidrs=private,
                    availability_zones=config.availability_zones,
                    single_nat_gateway=config.nat_gateways == "single",
                    s3_gateway_endpoint=config.s3_gateway_endpoint,
                ),
            )
            s3_endpoint = network.s3_endpoint
        else:
            assert config.vpc_id is not None  # the existing-VPC branch
            public_min, private_min = subnet_minimums(deployment)
            network = ExistingNetwork(
                self,
                "network",
                props=ExistingNetworkProps(
                    vpc_id=config.vpc_id,
                    public_subnet_ids=config.public_subnet_ids,
                    private_subnet_ids=config.private_subnet_ids,
                    public_min_prefix=public_min,
                    private_min_prefix=private_min,
                ),
            )
        self.outputs: NetworkOutputs = network.outputs
        services = interface_endpoint_services(deployment)
        if services:
            endpoints = InterfaceEndpoints(
                self,
                "interface_endpoints",
                props=InterfaceEndpointsProps(
                    name=deployment.name,
                    vpc_id=network.outputs.vpc_id,
                    subnet_ids=network.outputs.private_subnet_ids,
                    client_cidrs=network.private_cidrs,
                    services=services,
                ),
            )
            TerraformOutput(
                self,
                "interface_endpoint_ids",
                value={service: endpoint.id for service, endpoint in endpoints.endpoints.items()},
                description="Interface VPC endpoints in the private subnets, by service.",
            )
        if s3_endpoint is not None:
            TerraformOutput(
                self,
                "s3_gateway_endpoint_id",
                value=s3_endpoint.id,
                description="The S3 gateway endpoint in the private route tables.",
            )

        flow_logs = config.flow_logs
        if flow_logs.enabled:
            logs = FlowLogs(
                self,
                "flow_logs",
                props=FlowLogsProps(
                    name=deployment.name,
                    vpc_id=self.outputs.vpc_id,
                    traffic_type=flow_logs.traffic_type,
                    retention_days=flow_logs.retention_days,
                    kms_key_arn=flow_logs.kms_key_arn,
                ),
            )
            TerraformOutput(
                self,
                "flow_log_group",
                value=logs.outputs.log_group_name,
                description="CloudWatch Logs group receiving the VPC flow logs.",
            )

        out = self.outputs
        TerraformOutput(self, "vpc_id", value=out.vpc_id, description="The VPC OMERO runs in.")
        TerraformOutput(self, "vpc_cidr", value=out.vpc_cidr, description="The VPC's IPv4 CIDR block.")
        TerraformOutput(
            self,
            "public_subnet_ids",
            value=out.public_subnet_ids,
            description="Public subnets (load balancers, NAT), one per AZ.",
        )
        TerraformOutput(
            self,
            "private_subnet_ids",
            value=out.private_subnet_ids,
            description="Private subnets (services, EFS, RDS), one per AZ.",
        )
        TerraformOutput(
            self,
            "availability_zones",
            value=out.availability_zones,
            description="Availability zones of the private subnets, in order.",
        )
        TerraformOutput(
            self,
            "nat_public_ips",
            value=out.nat_public_ips,
            description="Egress IPs of the NAT gateways (empty for an existing VPC).",
        )
