"""Is it up? Ask AWS about what a deployment's stacks made, one line per check.

    pipenv run verify [--config FILE] [--outdir cdktf.out] [--wait SECONDS] [--endpoint URL]

Reads each stack's outputs from its state (``terraform init`` and ``terraform output -json`` in the
synthesized ``--outdir``, as ``pipenv run inspect --state`` does) and asks AWS, in the deployment's
region, with this environment's credentials:

- every ECS service of the cluster steady: as many tasks running as desired, one deployment;
- every target group of the deployment's load balancers: targets registered, all healthy;
- the database available;
- the EFS file system and every mount target available;
- the last backup job of each resource in the backup vault (when the backup stack exists) not
  failed, and a job at all once the plan is older than two days;
- no CloudWatch alarm of the deployment (named ``<name>-omero-*``) in ALARM.

One line per check, ``OK`` or ``FAIL`` and what was found. ``--wait N`` asks again every 15 s
until every check is OK or N seconds have passed (a progress line says what it waits for).
``--endpoint http://127.0.0.1:PORT`` asks a local AWS API emulator instead (loopback only).
Exit status: 0 every check OK, 1 a check failed (the last line names which), 2 bad input or a
missing tool.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from config import config_path
from tools.common import Parser, ToolError
from tools.deployment import Stack, load_deployment, read_stacks, read_state, terraform_runner
from tools.on_emulator import attach
from tools.progress import Console, elapsed

POLL_SECONDS = 15.0
# A daily backup rule starts a job every day within its start window (AWS Backup, "Backup plan
# options and configuration": start window, completion window); two days leave room for both.
FIRST_JOB_WITHIN = timedelta(days=2)
# DB instance statuses in which the database serves (RDS User Guide, "Viewing Amazon RDS DB instance status").
DATABASE_SERVING = (
    "available",
    "backing-up",
    "storage-optimization",
    "configuring-enhanced-monitoring",
    "configuring-log-exports",
)
# Backup job states (AWS Backup API, BackupJob.State) that are not a failure.
BACKUP_FINE = ("COMPLETED", "CREATED", "PENDING", "RUNNING")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'OK' if self.ok else 'FAIL':<4}  {self.name}: {self.detail}"


# --- reading what AWS says (pure: AWS's own response shapes in, checks out) -----------------


def service_check(service: dict) -> Check:
    """One ECS service (DescribeServices): steady when running == desired and one deployment."""
    running, desired = service.get("runningCount", 0), service.get("desiredCount", 0)
    deployments = service.get("deployments") or []
    states = sorted({d.get("rolloutState", "") for d in deployments} - {""})
    detail = f"{running} of {desired} tasks running, {len(deployments)} deployment{'s' * (len(deployments) != 1)}"
    detail += f" ({', '.join(states)})" if states else ""
    ok = service.get("status") == "ACTIVE" and running == desired and len(deployments) == 1 and "FAILED" not in states
    return Check(f"ecs service {service.get('serviceName')}", ok, detail)


def target_group_check(name: str, descriptions: list[dict]) -> Check:
    """One target group's DescribeTargetHealth: targets registered and every one healthy."""
    if not descriptions:
        return Check(f"target group {name}", False, "no targets registered (no task has joined it)")
    unhealthy = [d for d in descriptions if d["TargetHealth"]["State"] != "healthy"]
    detail = f"{len(descriptions) - len(unhealthy)} of {len(descriptions)} targets healthy"
    for d in unhealthy[:3]:
        health = d["TargetHealth"]
        detail += f"; {d['Target']['Id']}:{d['Target'].get('Port', '')} {health['State']}"
        detail += f" ({health.get('Reason', '')})" if health.get("Reason") else ""
    return Check(f"target group {name}", not unhealthy, detail)


def database_check(instance: dict) -> Check:
    status = instance.get("DBInstanceStatus", "unknown")
    return Check(f"database {instance.get('DBInstanceIdentifier')}", status in DATABASE_SERVING, status)


def file_system_check(file_system: dict, mount_targets: list[dict]) -> Check:
    state = file_system.get("LifeCycleState", "unknown")
    ready = [t for t in mount_targets if t.get("LifeCycleState") == "available"]
    detail = f"{state}, {len(ready)} of {len(mount_targets)} mount targets available"
    ok = state == "available" and bool(mount_targets) and len(ready) == len(mount_targets)
    return Check(f"file system {file_system.get('FileSystemId')}", ok, detail)


def backup_check(vault: str, jobs: list[dict], plan_created: datetime | None, now: datetime) -> Check:
    """The newest backup job of each resource in ``vault`` (ListBackupJobs); none at all is a
    failure only once the plan is older than FIRST_JOB_WITHIN."""
    name = f"backups in {vault}"
    if not jobs:
        if plan_created is not None and now - plan_created > FIRST_JOB_WITHIN:
            return Check(name, False, f"no backup job, and the plan was made {plan_created:%Y-%m-%d %H:%M} UTC")
        return Check(name, True, "no backup job yet: the plan's first daily window is still ahead")
    newest: dict[str, dict] = {}
    for job in sorted(jobs, key=lambda j: j["CreationDate"]):
        newest[job.get("ResourceArn", "")] = job
    bad = [j for j in newest.values() if j.get("State") not in BACKUP_FINE]
    described = [f"{j.get('ResourceType', '?')} {j.get('State')} {j['CreationDate']:%Y-%m-%d %H:%M}" for j in newest.values()]
    detail = "last jobs: " + ", ".join(described)
    if bad:
        detail += "; " + "; ".join(f"{j.get('ResourceArn')}: {j.get('StatusMessage', j.get('State'))}" for j in bad[:2])
    return Check(name, not bad, detail)


def alarm_check(prefix: str, alarms: list[dict]) -> Check:
    firing = [a["AlarmName"] for a in alarms if a.get("StateValue") == "ALARM"]
    if firing:
        return Check("alarms", False, f"in ALARM: {', '.join(firing)}")
    return Check("alarms", True, f"{len(alarms)} alarms named {prefix}*, none in ALARM")


# --- asking AWS ------------------------------------------------------------------------------


def _pages(client, operation: str, key: str, **kwargs) -> list:
    found: list = []
    for page in client.get_paginator(operation).paginate(**kwargs):
        found += page.get(key, [])
    return found


def ecs_checks(ecs, cluster: str) -> list[Check]:
    arns = _pages(ecs, "list_services", "serviceArns", cluster=cluster)
    if not arns:
        return [Check(f"ecs cluster {cluster}", False, "no services")]
    services: list[dict] = []
    for start in range(0, len(arns), 10):  # DescribeServices takes at most 10 services
        services += ecs.describe_services(cluster=cluster, services=arns[start : start + 10])["services"]
    return [service_check(s) for s in sorted(services, key=lambda s: s["serviceName"])]


def target_group_checks(elbv2, dns_names: Iterable[str | None]) -> list[Check]:
    wanted = {name.lower() for name in dns_names if name}
    balancers = [b for b in _pages(elbv2, "describe_load_balancers", "LoadBalancers") if b["DNSName"].lower() in wanted]
    checks = [
        Check(f"load balancer {name}", False, "not found") for name in sorted(wanted - {b["DNSName"].lower() for b in balancers})
    ]
    for balancer in balancers:
        groups = elbv2.describe_target_groups(LoadBalancerArn=balancer["LoadBalancerArn"])["TargetGroups"]
        for group in groups:
            health = elbv2.describe_target_health(TargetGroupArn=group["TargetGroupArn"])["TargetHealthDescriptions"]
            checks.append(target_group_check(group["TargetGroupName"], health))
    return checks


def storage_checks(rds, efs, outputs: dict[str, Any]) -> list[Check]:
    checks = []
    if outputs.get("db_instance_id"):
        [instance] = rds.describe_db_instances(DBInstanceIdentifier=outputs["db_instance_id"])["DBInstances"]
        checks.append(database_check(instance))
    if outputs.get("efs_id"):
        [file_system] = efs.describe_file_systems(FileSystemId=outputs["efs_id"])["FileSystems"]
        targets = efs.describe_mount_targets(FileSystemId=outputs["efs_id"])["MountTargets"]
        checks.append(file_system_check(file_system, targets))
    return checks


def backup_checks(backup, outputs: dict[str, Any], now: datetime) -> list[Check]:
    vault = outputs["vault_name"]
    jobs = _pages(backup, "list_backup_jobs", "BackupJobs", ByBackupVaultName=vault)
    created = backup.get_backup_plan(BackupPlanId=outputs["plan_id"]).get("CreationDate") if outputs.get("plan_id") else None
    return [backup_check(vault, jobs, created, now)]


def alarm_checks(cloudwatch, prefix: str) -> list[Check]:
    pages = cloudwatch.get_paginator("describe_alarms").paginate(
        AlarmNamePrefix=prefix, AlarmTypes=["MetricAlarm", "CompositeAlarm"]
    )
    alarms = [a for page in pages for a in page.get("MetricAlarms", []) + page.get("CompositeAlarms", [])]
    return [alarm_check(prefix, alarms)]


def checks_of(deployment, outputs: dict[str, dict[str, Any]], client: Callable[[str], Any]) -> list[Check]:
    """Every check, from the stacks' outputs (by role); an AWS error fails the check it belongs to."""
    from botocore.exceptions import BotoCoreError, ClientError

    services, storage = outputs.get("services", {}), outputs.get("storage", {})
    asked: list[tuple[str, Callable[[], list[Check]]]] = [
        ("ecs services", lambda: ecs_checks(client("ecs"), services["cluster_name"])),
        (
            "target groups",
            lambda: target_group_checks(
                client("elbv2"), (services.get("web_load_balancer_dns_name"), services.get("server_load_balancer_dns_name"))
            ),
        ),
        ("storage", lambda: storage_checks(client("rds"), client("efs"), storage)),
    ]
    if "backup" in outputs:
        asked.append(("backups", lambda: backup_checks(client("backup"), outputs["backup"], datetime.now(UTC))))
    asked.append(("alarms", lambda: alarm_checks(client("cloudwatch"), f"{deployment.name}-omero-")))
    checks: list[Check] = []
    for name, ask in asked:
        try:
            checks += ask()
        except (BotoCoreError, ClientError) as error:
            checks.append(Check(name, False, f"could not ask AWS: {error}"))
        except KeyError as missing:
            checks.append(Check(name, False, f"no output {missing} in the stack's state: deploy it first"))
    return checks


# --- the command -----------------------------------------------------------------------------


def stack_outputs(stacks: Sequence[Stack], runner, timeout: float) -> tuple[dict[str, dict[str, Any]], list[Check]]:
    """Each applied stack's outputs by role; a FAIL check for each stack not applied or unreadable."""
    outputs: dict[str, dict[str, Any]] = {}
    problems: list[Check] = []
    for stack in stacks:
        state = read_state(stack, runner, timeout)
        if state.error or state.empty:
            problems.append(Check(f"stack {stack.name}", False, state.error or "not applied: no state"))
        else:
            outputs[stack.role] = state.outputs
    return outputs, problems


def wait_for(
    collect: Callable[[], list[Check]],
    wait: float,
    console: Console,
    *,
    interval=POLL_SECONDS,
    clock=time.monotonic,
    sleep=time.sleep,
) -> list[Check]:
    """``collect()`` until every check is OK or ``wait`` seconds have passed; a progress line between."""
    started = clock()
    while True:
        checks = collect()
        waited = clock() - started
        failing = [c.name for c in checks if not c.ok]
        if not failing or waited >= wait:
            console.status("")
            return checks
        shown = ", ".join(failing[:3]) + (f" and {len(failing) - 3} more" if len(failing) > 3 else "")
        console.status(f"waiting for {len(failing)} of {len(checks)} checks ({shown}): {elapsed(waited)} of {elapsed(wait)}")
        sleep(max(0.0, min(interval, wait - waited)))


def verdict(checks: Sequence[Check]) -> str:
    failing = [c for c in checks if not c.ok]
    if not failing:
        return f"verify: all {len(checks)} checks OK"
    return f"verify: {len(failing)} of {len(checks)} checks FAIL: " + "; ".join(f"{c.name} ({c.detail})" for c in failing)


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = Parser(prog="pipenv run verify", description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, help="deployment file (default: $OMERO_CONFIG, else config/default.hcl)")
    parser.add_argument("--outdir", type=Path, help="the synthesized deployment (default: $CDKTF_OUTDIR, else cdktf.out)")
    parser.add_argument(
        "--wait", type=float, default=0.0, help="seconds to keep asking until every check is OK (default 0: ask once)"
    )
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per terraform command (default %(default)s)")
    parser.add_argument("--endpoint", metavar="URL", help="a local AWS API emulator instead of AWS: http://127.0.0.1:PORT")
    return parser.parse_args(argv)


def _clients(region: str, endpoint: str | None) -> tuple[Callable[[str], Any], dict[str, str]]:
    """A boto3 client maker for the deployment's region, and the environment for terraform."""
    import boto3
    from botocore.config import Config

    config = Config(connect_timeout=10, read_timeout=60, retries={"max_attempts": 3, "mode": "standard"})
    if endpoint is None:
        session = boto3.session.Session(region_name=region)
        return (lambda service: session.client(service, config=config)), dict(os.environ)
    server = attach(endpoint)
    environ = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"), **server.env(region)}
    return (lambda service: server.client(service, region)), environ


def _stacks(options: argparse.Namespace, deployment, path: Path) -> list[Stack]:
    outdir = options.outdir or Path(os.environ.get("CDKTF_OUTDIR") or "cdktf.out")
    stacks = read_stacks(outdir)
    strangers = [s.name for s in stacks if not s.name.startswith(f"{deployment.name}-")]
    if strangers:
        raise ToolError(
            f"{outdir} holds stacks of another deployment ({', '.join(strangers)}), not {deployment.name}: deploy {path} first"
        )
    return stacks


def main(argv: Sequence[str] | None = None) -> int:
    options = _parse(argv)
    path = options.config or config_path(os.environ)
    console = Console(every=POLL_SECONDS)
    with tempfile.TemporaryDirectory(prefix="omero-verify-") as tmp:
        try:
            deployment = load_deployment(path)
            stacks = _stacks(options, deployment, path)
            client, environ = _clients(deployment.region, options.endpoint)
            outputs, problems = stack_outputs(stacks, terraform_runner(Path(tmp), environ), options.timeout)
        except ToolError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
    print(
        f"verifying {deployment.name} in {deployment.region}"
        + (f" on the emulator at {options.endpoint}" if options.endpoint else ""),
        flush=True,
    )
    checks = problems + wait_for(lambda: checks_of(deployment, outputs, client), max(0.0, options.wait), console)
    for check in checks:
        print(check.line())
    print(verdict(checks))
    return 0 if all(c.ok for c in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
