"""VPC flow logs delivered to CloudWatch Logs, with a role that can write only there."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.flow_log import FlowLog
from cdktf_cdktf_provider_aws.iam_role import IamRole
from constructs import Construct

from modules.context import stack_context
from modules.iam import allow, role_policy, service_trust
from modules.logs import log_group


@dataclass(frozen=True, kw_only=True)
class FlowLogsProps:
    name: str  # prefixes the log group and role names
    vpc_id: str
    traffic_type: str = "ALL"  # ACCEPT, REJECT or ALL
    retention_days: int = 365
    kms_key_arn: str | None = None  # CloudWatch Logs' own encryption when None


@dataclass(frozen=True, kw_only=True)
class FlowLogsOutputs:
    log_group_name: str
    log_group_arn: str


class FlowLogs(Construct):
    def __init__(self, scope: Construct, id: str, *, props: FlowLogsProps):
        super().__init__(scope, id)
        self.log_group = log_group(
            self,
            "log_group",
            name=f"/omero/{props.name}/vpc-flow-logs",
            retention_days=props.retention_days,
            kms_key_arn=props.kms_key_arn,
        )
        self.role = IamRole(
            self,
            "role",
            name=f"{props.name}-vpc-flow-logs",
            description="Delivers VPC flow logs to their CloudWatch Logs group.",
            assume_role_policy=service_trust(
                self, "trust", "vpc-flow-logs.amazonaws.com", source_account=stack_context(self).account_id
            ),
        )
        role_policy(
            self,
            "policy",
            role_id=self.role.id,
            name="write-flow-logs",
            document_id="write",
            statements=[
                allow(
                    ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogGroups", "logs:DescribeLogStreams"],
                    [self.log_group.arn, f"{self.log_group.arn}:*"],
                )
            ],
        )
        self.flow_log = FlowLog(
            self,
            "flow_log",
            vpc_id=props.vpc_id,
            traffic_type=props.traffic_type,
            log_destination_type="cloud-watch-logs",
            log_destination=self.log_group.arn,
            iam_role_arn=self.role.arn,
            max_aggregation_interval=600,
            tags={"Name": f"{props.name}-vpc"},
        )
        self.outputs = FlowLogsOutputs(log_group_name=self.log_group.name, log_group_arn=self.log_group.arn)
