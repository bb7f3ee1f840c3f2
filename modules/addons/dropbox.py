"""Scheduled in-place import: an ECS task that runs ``omero import`` over a landing folder.

EventBridge Scheduler starts the task (``ScheduledImport``) on a rate or cron schedule, in a time
zone of the user's choosing. The task runs the OMERO.server image with its own start script
replaced by the import script below: it logs in to the read-write server as root (the initial root
password reaches the container only through ECS ``secrets``), on behalf of ``import_user`` when
another user is named, and imports each top-level entry of the landing folder with
``--exclude=clientpath``, so OMERO skips what it already imported from the same path.

With ``--transfer=ln_s`` the repository keeps symbolic links to the landed files, so the task mounts
/OMERO (and the S3 File Gateway share, if any) at exactly the paths the server does: a link the
importer writes must resolve on the server. Landed files must therefore stay where they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cdktf import Fn
from cdktf_cdktf_provider_aws.ecs_task_definition import EcsTaskDefinition, EcsTaskDefinitionVolume
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.scheduler_schedule import (
    SchedulerSchedule,
    SchedulerScheduleFlexibleTimeWindow,
    SchedulerScheduleTarget,
    SchedulerScheduleTargetEcsParameters,
    SchedulerScheduleTargetEcsParametersCapacityProviderStrategy,
    SchedulerScheduleTargetEcsParametersNetworkConfiguration,
    SchedulerScheduleTargetRetryPolicy,
)
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from constructs import Construct

from modules.access import NFS_PORT, allow_from, https_out, security_group
from modules.cluster import OmeroClusterOutputs
from modules.context import stack_context
from modules.ecs_task import awslogs, task_definition
from modules.efs import OmeroFileSystemOutputs
from modules.iam import allow, role_policy, service_trust, when
from modules.logs import log_group
from modules.omero_facts import DATA_DIR, SERVER_PORT, SHARE_VOLUME, NfsShare, nfs_volume
from modules.task_roles import TaskRoles, TaskRolesProps

CONTAINER = "omero-import"
OMERO_CLI = "/opt/omero/server/venv3/bin/omero"  # the CLI inside the OMERO.server image

# The task's program (bash): landing_import.sh beside this file, read once. Its header comment (up
# to the first blank line) stays behind; the rest is the task's command, with the image's CLI in it.
IMPORT_SCRIPT_FILE = Path(__file__).with_name("landing_import.sh")
IMPORT_SCRIPT_HEADER, _PROGRAM = IMPORT_SCRIPT_FILE.read_text().split("\n\n", 1)


def import_script(omero_cli: str = OMERO_CLI) -> str:
    """The import program as ECS runs it (``bash -c``), with ``omero_cli`` as its ``omero``."""
    return _PROGRAM.replace("@OMERO_CLI@", omero_cli)


IMPORT_SCRIPT = import_script()


@dataclass(frozen=True, kw_only=True)
class ScheduledImportProps:
    name: str  # the deployment name; prefixes names
    image: str  # the OMERO.server image (its CLI does the import)
    cluster: OmeroClusterOutputs
    vpc_id: str
    subnet_ids: list[str]  # private subnets; the task gets no public IP
    server_host: str  # the read-write OMERO.server (Cloud Map name)
    server_security_group_id: str  # gets an ingress rule on 4064 from the task
    # EFS through its access point, mounted at /OMERO unless the share holds it; its security group
    # gets an ingress rule on 2049 from the task.
    data: OmeroFileSystemOutputs
    root_password_secret_arn: str
    secrets_kms_key_arn: str | None  # the customer key encrypting the secret, if any
    landing_dir: str
    schedule: str  # rate(...) or cron(...)
    schedule_timezone: str = "UTC"
    import_user: str = "root"
    import_group: str | None = None  # None: the user's default group
    import_args: tuple[str, ...] = ("--transfer=ln_s",)
    settle_minutes: int = 15
    cpu: int = 1024
    memory: int = 4096
    log_retention_days: int = 365
    # The S3 File Gateway share, mounted where the servers mount it (EC2 launch type only).
    data_share: NfsShare | None = None
    capacity_provider: str | None = None  # run on the EC2 capacity provider; None: Fargate
    cache_repositories_arn: str | None = None  # the ECR pull-through cache ``image`` comes through


@dataclass(frozen=True, kw_only=True)
class ScheduledImportOutputs:
    schedule_name: str
    task_family: str
    task_definition_arn: str
    security_group_id: str
    log_group_name: str
    run_task_command: str  # an import now, from a shell with the AWS CLI


class ScheduledImport(Construct):
    def __init__(self, scope: Construct, id: str, *, props: ScheduledImportProps):
        super().__init__(scope, id)
        prefix = f"{props.name}-omero-import"
        cluster = props.cluster
        share = props.data_share
        on_efs = share is None or not share.holds_repository
        logs = log_group(
            self,
            "logs",
            name=f"/omero/{props.name}/omero-import",
            retention_days=props.log_retention_days,
            kms_key_arn=cluster.kms_key_arn,
        )
        group = self._security_group(props, prefix=prefix, on_efs=on_efs)
        roles = self._roles(props, prefix=prefix, log_group_arn=logs.arn, on_efs=on_efs)
        task = self._task(props, prefix=prefix, roles=roles, log_group_name=logs.name, on_efs=on_efs)
        scheduler_role = self._scheduler_role(props, prefix=prefix, roles=roles)
        schedule = self._schedule(props, prefix=prefix, role=scheduler_role, task=task, group=group)
        self.outputs = ScheduledImportOutputs(
            schedule_name=schedule.name,
            task_family=task.family,
            task_definition_arn=task.arn,
            security_group_id=group.id,
            log_group_name=logs.name,
            run_task_command=self._run_task_command(props, prefix=prefix, group=group),
        )

    def _security_group(self, props: ScheduledImportProps, *, prefix: str, on_efs: bool) -> SecurityGroup:
        """The task's network: out to the server (4064), EFS (2049) and HTTPS endpoints only."""
        group = security_group(
            self,
            "security_group",
            name=prefix,
            vpc_id=props.vpc_id,
            description="Scheduled OMERO import task: no ingress; out to OMERO.server, EFS and HTTPS.",
        )
        pairs = [("server", props.server_security_group_id, SERVER_PORT, "OMERO.server (Ice over TLS)")]
        if on_efs:
            pairs.append(("efs", props.data.security_group_id, NFS_PORT, "EFS (NFS over TLS)"))
        for key, target, port, what in pairs:
            allow_from(
                self,
                (f"to_{key}", f"{key}_from_import"),
                group.id,
                target,
                port,
                what,
                clients=f"{what} from the scheduled import",
            )
        https_out(self, "https_out", group.id, description="HTTPS out: image registry, Secrets Manager, CloudWatch Logs")
        return group

    def _roles(self, props: ScheduledImportProps, *, prefix: str, log_group_arn: str, on_efs: bool) -> TaskRoles:
        """The execution and task roles: the root password secret, and /OMERO on EFS if it is there."""
        task_statements = (props.data.client_statement(),) if on_efs else ()
        return TaskRoles(
            self,
            "roles",
            props=TaskRolesProps(
                name=prefix,
                description="the scheduled OMERO import",
                log_group_arn=log_group_arn,
                image=props.image,
                cache_repositories_arn=props.cache_repositories_arn,
                secret_arns=(props.root_password_secret_arn,),
                secrets_kms_key_arn=props.secrets_kms_key_arn,
                task_statements=task_statements,
            ),
        )

    @staticmethod
    def _volumes(props: ScheduledImportProps, *, on_efs: bool) -> tuple[list[EcsTaskDefinitionVolume], list[dict[str, object]]]:
        """The volumes and mount points of the read-write server (modules/omero_server.py)."""
        # The container instance mounts the share, so its NFS traffic is the instance's, which the
        # services stack already lets reach the gateway.
        share = props.data_share
        volumes, mounts = [], []
        if share is not None and share.holds_repository:
            volumes.append(nfs_volume("omero-data", share, read_only=False))
            mounts.append({"sourceVolume": "omero-data", "containerPath": DATA_DIR, "readOnly": False})
        if on_efs:
            volumes.append(props.data.task_volume())
            mounts.append({"sourceVolume": "omero-data", "containerPath": DATA_DIR, "readOnly": False})
        if share is not None and on_efs:
            volumes.append(nfs_volume(SHARE_VOLUME, share, read_only=False))
            mounts.append({"sourceVolume": SHARE_VOLUME, "containerPath": share.container_path, "readOnly": False})
        return volumes, mounts

    def _container(
        self, props: ScheduledImportProps, *, log_group_name: str, mounts: list[dict[str, object]]
    ) -> dict[str, object]:
        """The import container: the OMERO.server image running the import script instead of a server."""
        environment = {
            "OMERO_HOST": props.server_host,
            "OMERO_PORT": str(SERVER_PORT),
            "LANDING_DIR": props.landing_dir,
            "IMPORT_USER": props.import_user,
            "SETTLE_MINUTES": str(props.settle_minutes),
            "OMERO_SESSIONDIR": "/tmp/omero-sessions",
        }
        if props.import_group:
            environment["IMPORT_GROUP"] = props.import_group
        return {
            "name": CONTAINER,
            "image": props.image,
            "essential": True,
            # Not the image's start script (that one starts a server): the import script.
            "entryPoint": ["/bin/bash", "-c"],
            "command": [IMPORT_SCRIPT, CONTAINER, *props.import_args],
            "environment": [{"name": k, "value": v} for k, v in sorted(environment.items())],
            "secrets": [{"name": "OMERO_PASSWORD", "valueFrom": props.root_password_secret_arn}],
            "mountPoints": mounts,
            "linuxParameters": {"initProcessEnabled": True},
            "stopTimeout": 120,
            "logConfiguration": awslogs(log_group_name, stack_context(self).region, "import"),
        }

    def _task(
        self,
        props: ScheduledImportProps,
        *,
        prefix: str,
        roles: TaskRoles,
        log_group_name: str,
        on_efs: bool,
    ) -> EcsTaskDefinition:
        """The import task definition, on Fargate or the EC2 capacity provider."""
        volumes, mounts = self._volumes(props, on_efs=on_efs)
        container = self._container(props, log_group_name=log_group_name, mounts=mounts)
        return task_definition(
            self,
            family=prefix,
            launch_type="EC2" if props.capacity_provider is not None else "FARGATE",
            cpu=props.cpu,
            memory=props.memory,
            roles=roles,
            container=container,
            volumes=volumes,
        )

    def _scheduler_role(self, props: ScheduledImportProps, *, prefix: str, roles: TaskRoles) -> IamRole:
        """The role EventBridge Scheduler assumes: it may run the import task in the cluster, and no more."""
        cluster, aws = props.cluster, stack_context(self)
        scheduler_role = IamRole(
            self,
            "scheduler_role",
            name=f"{prefix}-scheduler",
            description="Lets EventBridge Scheduler start the scheduled OMERO import task.",
            assume_role_policy=service_trust(self, "scheduler_trust", "scheduler.amazonaws.com", source_account=aws.account_id),
        )
        task_definitions = f"arn:{aws.partition}:ecs:{aws.region}:{aws.account_id}:task-definition/{prefix}:*"
        role_policy(
            self,
            "scheduler_policy",
            role_id=scheduler_role.id,
            name="run-import-task",
            document_id="scheduler_document",
            statements=[
                allow(["ecs:RunTask"], [task_definitions], condition=[when("ArnEquals", "ecs:cluster", cluster.cluster_arn)]),
                # RunTask with tags also tags the new task.
                allow(
                    ["ecs:TagResource"],
                    [f"arn:{aws.partition}:ecs:{aws.region}:{aws.account_id}:task/{cluster.cluster_name}/*"],
                    condition=[when("StringEquals", "ecs:CreateAction", "RunTask")],
                ),
                allow(
                    ["iam:PassRole"],
                    [roles.execution_role_arn, roles.task_role_arn],
                    condition=[when("StringEquals", "iam:PassedToService", "ecs-tasks.amazonaws.com")],
                ),
                # A schedule encrypted with a customer key is decrypted with the role's permissions.
                *([allow(["kms:Decrypt"], [cluster.kms_key_arn])] if cluster.kms_key_arn else []),
            ],
        )
        return scheduler_role

    def _schedule(
        self,
        props: ScheduledImportProps,
        *,
        prefix: str,
        role: IamRole,
        task: EcsTaskDefinition,
        group: SecurityGroup,
    ) -> SchedulerSchedule:
        """The EventBridge schedule that starts one import task on props.schedule."""
        cluster = props.cluster
        placement: dict[str, Any] = dict(launch_type="FARGATE")
        if props.capacity_provider is not None:
            placement = dict(
                capacity_provider_strategy=[
                    SchedulerScheduleTargetEcsParametersCapacityProviderStrategy(
                        capacity_provider=props.capacity_provider, weight=1, base=0
                    )
                ]
            )
        return SchedulerSchedule(
            self,
            "schedule",
            name=prefix,
            description=f"Imports new files under {props.landing_dir} into OMERO ({props.name}).",
            schedule_expression=props.schedule,
            schedule_expression_timezone=props.schedule_timezone,
            flexible_time_window=SchedulerScheduleFlexibleTimeWindow(mode="OFF"),
            state="ENABLED",
            # The cluster's customer key, when one is configured (cluster.logs_kms_key_arn); else
            # the key AWS owns for EventBridge Scheduler. The schedule holds no secret either way.
            kms_key_arn=cluster.kms_key_arn,
            target=SchedulerScheduleTarget(
                arn=cluster.cluster_arn,
                role_arn=role.arn,
                ecs_parameters=SchedulerScheduleTargetEcsParameters(
                    task_definition_arn=task.arn,
                    task_count=1,
                    **placement,
                    network_configuration=SchedulerScheduleTargetEcsParametersNetworkConfiguration(
                        subnets=props.subnet_ids,
                        security_groups=[group.id],
                        assign_public_ip=False,
                    ),
                    enable_ecs_managed_tags=True,
                    propagate_tags="TASK_DEFINITION",
                ),
                # A run that cannot start within the hour is dropped: the next one does its work.
                retry_policy=SchedulerScheduleTargetRetryPolicy(maximum_event_age_in_seconds=3600, maximum_retry_attempts=3),
            ),
        )

    def _run_task_command(self, props: ScheduledImportProps, *, prefix: str, group: SecurityGroup) -> str:
        """An AWS CLI command that runs one import now, as the schedule would."""
        placement_args = (
            f"--capacity-provider-strategy capacityProvider={props.capacity_provider},weight=1"
            if props.capacity_provider is not None
            else "--launch-type FARGATE"
        )
        return (
            f"aws ecs run-task --region {stack_context(self).region} --cluster {props.cluster.cluster_name} --task-definition {prefix} "
            f"{placement_args} --enable-ecs-managed-tags --propagate-tags TASK_DEFINITION "
            f"--network-configuration 'awsvpcConfiguration={{subnets=[{Fn.join(',', props.subnet_ids)}],"
            f"securityGroups=[{group.id}],assignPublicIp=DISABLED}}'"
        )
