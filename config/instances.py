"""What an ECS container instance offers OMERO.server tasks, by instance type.

With ``cluster.launch_type = "ec2"`` the servers (and the scheduled import task) are placed on
container instances of ``cluster.ec2.instance_type``. A task that fits no instance is never
placed: the service stays at zero tasks while the capacity provider scales the group to its
maximum for nothing. So the types are a table, and a deployment whose tasks cannot all be placed
on ``max_instances`` of them is refused before anything is built.

Sources:
- vCPUs, memory and network interfaces: the EC2 instance type tables (Amazon EC2 User Guide,
  "Amazon EC2 instance types" and "Maximum IP addresses per network interface"; the same ENI
  limits are in aws/amazon-vpc-cni-k8s pkg/vpc/vpc_ip_resource_limit.go).
- Memory ECS can give to tasks: less than the instance's, because the kernel and the agents keep
  some. AWS's one worked example is an m4.large (8 GiB) that registers 7,985 MiB, 97.5 % of it
  (Amazon ECS Developer Guide, "Container instance memory management"), and AWS publishes no
  table for other types. A task may ask for at most ``REGISTERED_SHARE`` of the memory here,
  which leaves more than that example's margin for the larger types' page tables.
- CPU: ECS registers 1,024 units per vCPU.
- Tasks per instance: an ``awsvpc`` task takes a network interface of its own, and the primary
  interface is the instance's, so an instance runs one task fewer than its interface limit
  ("Amazon ECS task networking options for EC2": a c5.large with 3 interfaces runs two).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

REGISTERED_SHARE = 0.95  # of the instance's memory, the most a task may ask for
CPU_UNITS_PER_VCPU = 1024


@dataclass(frozen=True)
class InstanceType:
    vcpus: int
    memory_gib: int
    network_interfaces: int

    @property
    def cpu_units(self) -> int:
        return self.vcpus * CPU_UNITS_PER_VCPU

    @property
    def task_memory_mib(self) -> int:
        """The most memory one task may ask for (MiB)."""
        return int(self.memory_gib * 1024 * REGISTERED_SHARE)

    @property
    def awsvpc_tasks(self) -> int:
        return self.network_interfaces - 1


# (vCPUs, network interfaces) by size, the same for every family below.
_SIZES = {"large": (2, 3), "xlarge": (4, 4), "2xlarge": (8, 4), "4xlarge": (16, 8)}
# GiB of memory per vCPU: general purpose, compute and memory optimised (x86_64, Nitro).
_FAMILIES = {"m5": 4, "m6i": 4, "m7i": 4, "c5": 2, "c6i": 2, "r5": 8, "r6i": 8}

CONTAINER_INSTANCE_TYPES: dict[str, InstanceType] = {
    f"{family}.{size}": InstanceType(vcpus=vcpus, memory_gib=vcpus * per_vcpu, network_interfaces=enis)
    for family, per_vcpu in _FAMILIES.items()
    for size, (vcpus, enis) in _SIZES.items()
}


@dataclass(frozen=True)
class Task:
    what: str  # the key prefix that sizes it, e.g. "server." or "server.read_only_"
    cpu: int
    memory: int  # MiB


def placement_problem(instance_type: str, max_instances: int, tasks: Iterable[Task]) -> tuple[str, str] | None:
    """(key, what is wrong) when ``tasks`` cannot all run on ``max_instances`` of the type."""
    instance = CONTAINER_INSTANCE_TYPES[instance_type]
    tasks = list(tasks)
    for task in tasks:
        if task.memory > instance.task_memory_mib:
            return f"{task.what}memory", (
                f"at most {instance.task_memory_mib} MiB on {instance_type} ({instance.memory_gib} GiB, of which ECS can give "
                f"a task about {int(REGISTERED_SHARE * 100)} %), or a larger cluster.ec2.instance_type"
            )
        if task.cpu > instance.cpu_units:
            return (
                f"{task.what}cpu",
                f"at most {instance.cpu_units} on {instance_type} ({instance.vcpus} vCPUs), or a larger cluster.ec2.instance_type",
            )
    if _instances_needed(instance, tasks) > max_instances:
        return "cluster.ec2.max_instances", (
            f"at least {_instances_needed(instance, tasks)} to place the {len(tasks)} server tasks on {instance_type} "
            f"({instance.awsvpc_tasks} awsvpc tasks, {instance.vcpus} vCPUs and {instance.task_memory_mib} MiB each)"
        )
    return None


def _instances_needed(instance: InstanceType, tasks: list[Task]) -> int:
    """Instances first-fit packing needs for ``tasks``, largest first: an upper bound that
    ECS's binpack or spread placement reaches whenever the group may grow to it."""
    free: list[list[int]] = []  # per instance: [interfaces, cpu, memory] left
    for task in sorted(tasks, key=lambda t: (t.memory, t.cpu), reverse=True):
        for left in free:
            if left[0] >= 1 and left[1] >= task.cpu and left[2] >= task.memory:
                left[0] -= 1
                left[1] -= task.cpu
                left[2] -= task.memory
                break
        else:
            free.append([instance.awsvpc_tasks - 1, instance.cpu_units - task.cpu, instance.task_memory_mib - task.memory])
    return len(free)
