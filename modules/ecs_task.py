"""What every OMERO ECS task definition has: one Linux x86_64 container in awsvpc mode, run with
its two roles (:mod:`modules.task_roles`) and logging to its CloudWatch Logs group."""

from __future__ import annotations

import json
from typing import Any

from cdktf_cdktf_provider_aws.ecs_task_definition import (
    EcsTaskDefinition,
    EcsTaskDefinitionRuntimePlatform,
    EcsTaskDefinitionVolume,
)
from constructs import Construct

from modules.task_roles import TaskRoles


def awslogs(log_group_name: str, region: str, stream_prefix: str) -> dict[str, Any]:
    """A container's ``logConfiguration``: the awslogs driver into ``log_group_name``."""
    return {
        "logDriver": "awslogs",
        "options": {
            "awslogs-group": log_group_name,
            "awslogs-region": region,
            "awslogs-stream-prefix": stream_prefix,
        },
    }


def task_definition(
    scope: Construct,
    *,
    family: str,
    launch_type: str,
    cpu: int,
    memory: int,
    roles: TaskRoles,
    container: dict[str, Any],
    volumes: list[EcsTaskDefinitionVolume] | None = None,
    init_containers: list[dict[str, Any]] | None = None,
) -> EcsTaskDefinition:
    """The ``aws_ecs_task_definition`` "task" of one container, for ``launch_type`` (FARGATE or EC2),
    tagged with its family name; ``init_containers`` run before it, as its ``dependsOn`` says."""
    return EcsTaskDefinition(
        scope,
        "task",
        family=family,
        requires_compatibilities=[launch_type],
        network_mode="awsvpc",
        cpu=str(cpu),
        memory=str(memory),
        runtime_platform=EcsTaskDefinitionRuntimePlatform(operating_system_family="LINUX", cpu_architecture="X86_64"),
        execution_role_arn=roles.execution_role_arn,
        task_role_arn=roles.task_role_arn,
        container_definitions=json.dumps([container, *(init_containers or [])]),
        volume=volumes,
        tags={"Name": family},
    )
