"""The two IAM roles of an ECS task, each allowed exactly what that task needs.

The *execution role* is what ECS itself uses to start the task: write to the task's log group,
read the secrets handed to the containers (and decrypt them), pull from ECR when the image lives
there. The *task role* is what the containers run as: whatever the caller grants (EFS access for
OMERO.server), plus what ECS Exec needs to open a session and log it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import DataAwsIamPolicyDocumentStatement
from cdktf_cdktf_provider_aws.iam_role import IamRole
from constructs import Construct

from modules.context import stack_context
from modules.iam import allow, role_policy, service_trust

_ECR_IMAGE = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/(?P<repository>[^:@]+)")


@dataclass(frozen=True, kw_only=True)
class TaskRolesProps:
    name: str  # role names are <name>-execution and <name>-task
    description: str  # what runs in the task, e.g. "the read-write OMERO.server"
    log_group_arn: str
    image: str
    other_images: tuple[str, ...] = ()  # of the task's init containers, pulled with the same role
    secret_arns: tuple[str, ...] = ()
    secrets_kms_key_arn: str | None = None  # the customer key encrypting secret_arns, if any
    exec_log_group_arn: str | None = None  # ECS Exec audit log; None: no ECS Exec
    exec_kms_key_arn: str | None = None
    task_statements: tuple[DataAwsIamPolicyDocumentStatement, ...] = field(default=())
    # The repositories of an ECR pull-through cache the image comes through, if it does.
    cache_repositories_arn: str | None = None


class TaskRoles(Construct):
    def __init__(self, scope: Construct, id: str, *, props: TaskRolesProps):
        super().__init__(scope, id)
        trust = service_trust(self, "trust", "ecs-tasks.amazonaws.com", source_account=stack_context(self).account_id)

        execution = [allow(["logs:CreateLogStream", "logs:PutLogEvents"], [f"{props.log_group_arn}:*"])]
        if props.secret_arns:
            execution.append(allow(["secretsmanager:GetSecretValue"], list(props.secret_arns)))
            if props.secrets_kms_key_arn:
                execution.append(allow(["kms:Decrypt"], [props.secrets_kms_key_arn]))
        repositories = self._ecr_repositories(props)
        if props.cache_repositories_arn:
            # The first pull of a tag creates its repository and imports it from upstream
            # (Amazon ECR User Guide, "IAM permissions required to sync an upstream registry").
            execution.append(
                allow(
                    ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchImportUpstreamImage", "ecr:CreateRepository"],
                    [props.cache_repositories_arn],
                )
            )
            execution.append(allow(["ecr:GetAuthorizationToken"], ["*"]))
        elif repositories:
            execution.append(allow(["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], repositories))
            # GetAuthorizationToken has no resource-level permissions: AWS requires "*".
            execution.append(allow(["ecr:GetAuthorizationToken"], ["*"]))
        self.execution_role = IamRole(
            self,
            "execution_role",
            name=f"{props.name}-execution",
            description=f"Lets ECS start {props.description}: logs, its secrets, its image.",
            assume_role_policy=trust,
        )
        role_policy(
            self,
            "execution_policy",
            role_id=self.execution_role.id,
            name="start-task",
            document_id="execution_document",
            statements=execution,
        )

        task = list(props.task_statements)
        if props.exec_log_group_arn:
            # ECS Exec: the SSM agent in the task opens the session channels (these actions
            # have no resource-level permissions: AWS requires "*") and writes the audit log.
            task.append(
                allow(
                    [
                        "ssmmessages:CreateControlChannel",
                        "ssmmessages:CreateDataChannel",
                        "ssmmessages:OpenControlChannel",
                        "ssmmessages:OpenDataChannel",
                    ],
                    ["*"],
                )
            )
            task.append(allow(["logs:DescribeLogGroups"], ["*"]))
            task.append(
                allow(
                    ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
                    [f"{props.exec_log_group_arn}:*"],
                )
            )
            if props.exec_kms_key_arn:
                task.append(allow(["kms:Decrypt", "kms:GenerateDataKey"], [props.exec_kms_key_arn]))
        self.task_role = IamRole(
            self,
            "task_role",
            name=f"{props.name}-task",
            description=f"What {props.description} may do in AWS.",
            assume_role_policy=trust,
        )
        if task:
            role_policy(self, "task_policy", role_id=self.task_role.id, name="task", document_id="task_document", statements=task)
        self.execution_role_arn = self.execution_role.arn
        self.task_role_arn = self.task_role.arn

    def _ecr_repositories(self, props: TaskRolesProps) -> list[str]:
        """The ARNs of the ECR repositories the task's images (its own and its init containers')
        come from, in order and once each; images from elsewhere need no permission here."""
        arns: list[str] = []
        for image in (props.image, *props.other_images):
            ecr = _ECR_IMAGE.match(image)
            if ecr:
                arn = f"arn:{stack_context(self).partition}:ecr:{ecr['region']}:{ecr['account']}:repository/{ecr['repository']}"
                arns += [arn] if arn not in arns else []
        return arns
