"""pipenv run verify (tools/verify.py): what AWS's answers make of each check, the bounded wait,
and the command against the quick start as ``pipenv run rehearse --endpoint`` applied it.

The emulator runs no container: moto's ECS services report no running task (moto 5.2.5
``moto/ecs/models.py``: ``runningCount`` is ``$MOTO_ECS_SERVICE_RUNNING``, 0 unless set, and the
deployment stays IN_PROGRESS) and no task registers in a target group. So on the emulator those
checks must FAIL, as they would on AWS with no task running; the database, the file system and
its mount targets, the backup vault (no job yet) and the alarms are answered truly and are OK.
The emulator part runs inside tests/test_quickstart_on_emulator.py, which applies the quick start
once (``verify_the_rehearsed_quickstart`` below), before its last test destroys the services.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

from tools.progress import Console
from tools.verify import (
    Check,
    alarm_check,
    backup_check,
    database_check,
    file_system_check,
    service_check,
    target_group_check,
    verdict,
    wait_for,
)

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def service(running: int, desired: int, *rollouts: str, status: str = "ACTIVE") -> dict:
    """A service as ECS's DescribeServices returns it (the fields the check reads)."""
    deployments = [{"status": "PRIMARY", "rolloutState": r, "runningCount": running} for r in rollouts]
    return {
        "serviceName": "omero-web",
        "status": status,
        "runningCount": running,
        "desiredCount": desired,
        "deployments": deployments,
    }


def test_an_ecs_service_is_steady_at_its_desired_count_with_one_deployment():
    assert service_check(service(2, 2, "COMPLETED")) == Check(
        "ecs service omero-web", True, "2 of 2 tasks running, 1 deployment (COMPLETED)"
    )
    assert not service_check(service(1, 2, "IN_PROGRESS")).ok
    rolling = service_check(service(2, 2, "IN_PROGRESS", "COMPLETED"))  # a deployment still replacing tasks
    assert not rolling.ok and rolling.detail == "2 of 2 tasks running, 2 deployments (COMPLETED, IN_PROGRESS)"
    assert not service_check(service(2, 2, "FAILED")).ok
    assert not service_check(service(0, 0, "COMPLETED", status="DRAINING")).ok


def test_a_target_group_needs_targets_and_all_of_them_healthy():
    def target(ip: str, state: str, reason: str = "") -> dict:
        health = {"State": state, **({"Reason": reason} if reason else {})}
        return {"Target": {"Id": ip, "Port": 4080}, "TargetHealth": health}

    assert target_group_check("omero-quick-web", []) == Check(
        "target group omero-quick-web", False, "no targets registered (no task has joined it)"
    )
    assert target_group_check("web", [target("10.0.1.5", "healthy"), target("10.0.2.5", "healthy")]).ok
    sick = target_group_check(
        "web", [target("10.0.1.5", "healthy"), target("10.0.2.5", "unhealthy", "Target.FailedHealthChecks")]
    )
    assert not sick.ok and sick.detail == "1 of 2 targets healthy; 10.0.2.5:4080 unhealthy (Target.FailedHealthChecks)"


def test_the_database_and_the_file_system():
    assert database_check({"DBInstanceIdentifier": "db", "DBInstanceStatus": "backing-up"}).ok
    assert not database_check({"DBInstanceIdentifier": "db", "DBInstanceStatus": "storage-full"}).ok
    available = {"FileSystemId": "fs-1", "LifeCycleState": "available"}
    targets = [{"LifeCycleState": "available"}, {"LifeCycleState": "creating"}]
    assert file_system_check(available, targets) == Check("file system fs-1", False, "available, 1 of 2 mount targets available")
    assert file_system_check(available, targets[:1]).ok
    assert not file_system_check(available, []).ok


def test_the_last_backup_job_of_each_resource():
    def job(resource: str, state: str, hours_ago: int) -> dict:
        """A job as ListBackupJobs returns it (the fields the check reads)."""
        kind = "EFS" if ":elasticfilesystem:" in resource else "RDS"
        return {"ResourceArn": resource, "ResourceType": kind, "State": state, "CreationDate": NOW - timedelta(hours=hours_ago)}

    efs, rds = "arn:aws:elasticfilesystem:eu-west-1:1:file-system/fs-1", "arn:aws:rds:eu-west-1:1:db:omero"
    fresh = backup_check("vault", [], NOW - timedelta(hours=3), NOW)
    assert fresh == Check("backups in vault", True, "no backup job yet: the plan's first daily window is still ahead")
    assert not backup_check("vault", [], NOW - timedelta(days=3), NOW).ok  # a daily plan that never ran
    # the newest job of each resource counts: an old failure followed by a success is fine
    healed = backup_check("vault", [job(efs, "FAILED", 30), job(efs, "COMPLETED", 6), job(rds, "RUNNING", 1)], None, NOW)
    assert healed.ok and healed.detail == "last jobs: EFS COMPLETED 2026-12-07 06:00, RDS RUNNING 2026-12-07 11:00"
    broken = backup_check("vault", [job(efs, "COMPLETED", 30), job(efs, "FAILED", 6)], None, NOW)
    assert not broken.ok and f"{efs}: FAILED" in broken.detail


def test_an_alarm_in_alarm_fails():
    alarms = [
        {"AlarmName": "omero-quick-omero-db-cpu", "StateValue": "OK"},
        {"AlarmName": "omero-quick-omero-5xx", "StateValue": "ALARM"},
    ]
    assert alarm_check("omero-quick-omero-", alarms) == Check("alarms", False, "in ALARM: omero-quick-omero-5xx")
    assert alarm_check("omero-quick-omero-", alarms[:1]).ok


def test_waiting_asks_again_until_every_check_is_ok_and_no_longer_than_told():
    now = [0.0]
    rounds = iter(
        [
            [Check("a", False, "0 of 1"), Check("b", True, "")],
            [Check("a", False, "0 of 1"), Check("b", True, "")],
            [Check("a", True, ""), Check("b", True, "")],
        ]
    )
    stream = io.StringIO()
    console = Console(stream, tty=False, every=15, clock=lambda: now[0])

    def sleep(seconds: float) -> None:
        now[0] += seconds

    checks = wait_for(lambda: next(rounds), 600, console, interval=15, clock=lambda: now[0], sleep=sleep)
    assert all(c.ok for c in checks) and now[0] == 30.0
    assert stream.getvalue().splitlines() == [
        "waiting for 1 of 2 checks (a): 0 s of 10 min 00 s",
        "waiting for 1 of 2 checks (a): 15 s of 10 min 00 s",
    ]
    # never OK: asked again until the wait is over, then the last answer
    now[0] = 0.0
    asked = []
    failing = wait_for(
        lambda: asked.append(now[0]) or [Check("a", False, "x")], 40, console, interval=15, clock=lambda: now[0], sleep=sleep
    )
    assert asked == [0.0, 15.0, 30.0, 40.0] and not failing[0].ok
    assert verdict(failing) == "verify: 1 of 1 checks FAIL: a (x)"
    assert verdict(checks) == "verify: all 2 checks OK"


def verify_the_rehearsed_quickstart(quickstart, emulator, command) -> None:
    """``pipenv run verify --endpoint`` on the quick start that rehearse applied to ``emulator``
    (called by tests/test_quickstart_on_emulator.py while it is applied)."""
    config = quickstart.workdir / "quickstart.hcl"
    outdir = quickstart.synth.outdir
    storage = quickstart.applied.outputs["omero-quick-storage"]
    arguments = ("--config", str(config), "--outdir", str(outdir), "--endpoint", emulator.endpoint, "--wait", "3")
    ran = command("verify", *arguments, cwd=quickstart.workdir, timeout=600)
    assert ran.returncode == 1, ran.stdout + ran.stderr
    lines = ran.stdout.splitlines()
    assert lines[0] == f"verifying omero-quick in eu-west-1 on the emulator at {emulator.endpoint}"
    # what the emulator answers truly
    assert f"OK    database {storage['db_instance_id']}: available" in lines
    assert f"OK    file system {storage['efs_id']}: available, 2 of 2 mount targets available" in lines
    assert "OK    backups in omero-quick-omero: no backup job yet: the plan's first daily window is still ahead" in lines
    assert "OK    alarms: 0 alarms named omero-quick-omero-*, none in ALARM" in lines
    # what it cannot have: no task runs on moto, so none is running and none joined a target group
    assert "FAIL  ecs service omero-server: 0 of 1 tasks running, 1 deployment (IN_PROGRESS)" in lines
    assert "FAIL  ecs service omero-web: 0 of 2 tasks running, 1 deployment (IN_PROGRESS)" in lines
    [group] = [line for line in lines if line.startswith("FAIL  target group ")]
    assert group.endswith(": no targets registered (no task has joined it)")
    # it waited (bounded) and said for what, then named what is wrong
    assert re.search(
        r"^waiting for 3 of 7 checks \(ecs service omero-server, ecs service omero-web, target group [\w-]+\): \d+ s of 3 s$",
        ran.stdout,
        re.M,
    ), ran.stdout
    assert lines[-1].startswith("verify: 3 of 7 checks FAIL: ecs service omero-server (0 of 1 tasks running")
    assert "Traceback" not in ran.stderr


def test_bad_input_is_one_line_and_status_2(examples, tmp_path):
    from tests.conftest import EXAMPLES
    from tests.test_rehearse import command

    quick, prod = str(EXAMPLES["quickstart-http"]), str(EXAMPLES["tls-rw-ro"])
    outdir = str(examples["quickstart-http"].outdir)
    for arguments, message in (
        (("--config", quick, "--outdir", str(tmp_path / "none")), f"error: {tmp_path / 'none'}: no such directory"),
        (("--config", prod, "--outdir", outdir), f"error: {outdir} holds stacks of another deployment"),
        (
            ("--config", quick, "--outdir", outdir, "--endpoint", "http://10.0.0.1:5000"),
            "error: --endpoint http://10.0.0.1:5000: ",
        ),
    ):
        ran = command("verify", *arguments, cwd=tmp_path)
        assert ran.returncode == 2 and ran.stdout == "", ran.stdout + ran.stderr
        assert ran.stderr.startswith(message) and ran.stderr.count("\n") == 1, ran.stderr
