"""The quick start on the emulator, applied once for every test that reads it.

In order (one module, one worker): ``pipenv run rehearse --endpoint`` applies it into this
session's emulator, and what the rehearsal reports and the applied stacks hold (local state) are
checked; three plan reviews against that state (tools/plan/review.py): unchanged (exit 0), an
in-place change (exit 1, no stateful alert, no secret in any report), and a change that would
replace the file system (exit 3, Terraform refuses it because of prevent_destroy, and the report
names it and why); last, what destroying the services leaves (the pre-upgrade database snapshot
included), and the PostgreSQL 16 to 17 upgrade of the runbook.
"""

from __future__ import annotations

import dataclasses
import json
import re
import socket
from pathlib import Path
from typing import NamedTuple

import pytest

from config import load
from emulator.drift import unexpected_changes
from modules.upgrade import snapshot_identifier
from tests.conftest import EXAMPLES
from tests.harness.apply import APPLY_TIMEOUT, Applied, apply_all, aws, disposable
from tests.harness.defaults import POSTGRES_UPGRADE
from tests.harness.synth import Synthesis, synthesize, synthesized
from tests.test_emulator import ecs_services, task_definition
from tests.test_plan_review import REGION, reviewed
from tests.test_rehearse import command
from tests.test_verify import verify_the_rehearsed_quickstart
from tools.deployment import applied_state, read_stacks

pytestmark = [pytest.mark.emulator, pytest.mark.terraform, pytest.mark.xdist_group("quickstart")]
ROLES = ("network", "storage", "backup", "services")


class Quickstart(NamedTuple):
    deployment: object
    synth: Synthesis
    applied: Applied
    state_dir: Path  # the local-backend state files
    rehearsal: str  # what pipenv run rehearse printed
    workdir: Path  # where it ran


@pytest.fixture(scope="module")
def quickstart(emulator, tf, examples, tmp_path_factory) -> Quickstart:
    """examples/quickstart-http.hcl applied once, by ``pipenv run rehearse --endpoint`` into this
    session's emulator, with the load balancer's deletion protection off so that the last test can
    destroy the services; then each stack's outputs and state as terraform reads them."""
    work = tmp_path_factory.mktemp("quickstart")
    config = work / "quickstart.hcl"
    config.write_text(EXAMPLES["quickstart-http"].read_text() + "\nload_balancer {\n  deletion_protection = false\n}\n")
    deployment = disposable(examples["quickstart-http"].deployment)
    assert load(config) == deployment
    outdir = work / "out"
    arguments = ("--config", str(config), "--outdir", str(outdir), "--endpoint", emulator.endpoint)
    ran = command("rehearse", *arguments, cwd=work, timeout=2400)
    assert ran.returncode == 0, ran.stdout[-6000:] + ran.stderr[-3000:]
    synth = synthesized(deployment, outdir, [stack.name for stack in read_stacks(outdir)])
    tf = tf.with_env(AWS_REGION=deployment.region, AWS_DEFAULT_REGION=deployment.region)
    read = {name: applied_state(tf, outdir / "stacks" / name) for name in synth.order}
    applied = Applied({name: outputs for name, (_, outputs) in read.items()}, {name: state for name, (state, _) in read.items()})
    return Quickstart(deployment, synth, applied, outdir / "local-state", ran.stdout, work)


def reviewable(quickstart: Quickstart):
    """What plan review's ``reviewed`` takes: the deployment and where its local state is."""
    return quickstart.deployment, quickstart.state_dir


def test_local_state_deployment(quickstart, emulator):
    applied, state_dir = quickstart.applied, quickstart.state_dir
    network = applied.outputs["omero-quick-network"]
    assert len(network["nat_public_ips"]) == 1
    assert len(network["availability_zones"]) == 2
    assert (state_dir / "terraform.omero-quick-network.tfstate").is_file()
    ec2 = aws(emulator, "ec2", "eu-west-1")
    subnets = ec2.describe_subnets(SubnetIds=network["private_subnet_ids"])["Subnets"]
    assert {s["CidrBlock"] for s in subnets} == {"10.20.128.0/20", "10.20.144.0/20"}
    assert not any(s["MapPublicIpOnLaunch"] for s in subnets)

    storage = applied.outputs["omero-quick-storage"]
    efs = aws(emulator, "efs", "eu-west-1")
    [fs] = efs.describe_file_systems(FileSystemId=storage["efs_id"])["FileSystems"]
    assert fs["Encrypted"] and fs["ThroughputMode"] == "elastic"
    # The backup plan (on by default) covers EFS, so its own automatic backups are off.
    assert efs.describe_backup_policy(FileSystemId=storage["efs_id"])["BackupPolicy"]["Status"] == "DISABLED"
    vault = aws(emulator, "backup", "eu-west-1").describe_backup_vault(
        BackupVaultName=applied.outputs["omero-quick-backup"]["vault_name"]
    )
    assert vault["BackupVaultName"] == "omero-quick-omero" and vault["EncryptionKeyArn"]
    targets = efs.describe_mount_targets(FileSystemId=storage["efs_id"])["MountTargets"]
    assert {t["SubnetId"] for t in targets} == set(network["private_subnet_ids"])
    [point] = efs.describe_access_points(AccessPointId=storage["efs_access_point_id"])["AccessPoints"]
    assert point["PosixUser"]["Uid"] == 1000 and point["RootDirectory"]["Path"] == "/omero"
    rds = aws(emulator, "rds", "eu-west-1")
    [db] = rds.describe_db_instances(DBInstanceIdentifier=storage["db_instance_id"])["DBInstances"]
    assert db["StorageEncrypted"] and not db["PubliclyAccessible"] and db["DeletionProtection"]
    assert db["Endpoint"]["Address"] == storage["db_address"]
    # the password generated during apply reached Secrets Manager, and the state never saw it
    secrets = aws(emulator, "secretsmanager", "eu-west-1")
    password = secrets.get_secret_value(SecretId=storage["db_password_secret_arn"])["SecretString"]
    assert len(password) == 32
    assert password not in (state_dir / "terraform.omero-quick-storage.tfstate").read_text()

    # the services reach storage through the rules this stack added to its security groups
    services = applied.outputs["omero-quick-services"]
    assert services["web_url"].startswith("http://")
    running = ecs_services(emulator, "eu-west-1", services["cluster_name"])
    assert {name: s["desiredCount"] for name, s in running.items()} == {"omero-server": 1, "omero-web": 2}
    registered = task_definition(emulator, "eu-west-1", running["omero-server"]["taskDefinition"])
    server, stager = registered["containerDefinitions"]
    assert {s["name"] for s in server["secrets"]} == {"CONFIG_omero_db_pass", "ROOTPASS"}
    # OMERO.figure's script: staged by an init container from the web image, its pins in the
    # server's environment, the server started only after the stager succeeded (server_extras)
    assert stager["name"] == "stage-figure-script" and stager["essential"] is False
    assert server["dependsOn"] == [{"containerName": "stage-figure-script", "condition": "SUCCESS"}]
    extras = {e["name"]: e["value"] for e in server["environment"]}["OMERO_SERVER_EXTRAS"]
    assert extras.startswith("lib/scripts/omero/figure_scripts/Figure_To_Pdf.py=")
    [staged] = [v for v in registered["volumes"] if v["name"] == "omero-server-extras"]
    assert "efsVolumeConfiguration" not in staged and "dockerVolumeConfiguration" not in staged, staged  # the task's own
    assert (
        password not in json.dumps(server) and password not in (state_dir / "terraform.omero-quick-services.tfstate").read_text()
    )
    db_group = db["VpcSecurityGroups"][0]["VpcSecurityGroupId"]
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [db_group]}])["SecurityGroupRules"]
    assert [(r["FromPort"], r["IsEgress"]) for r in rules if "ReferencedGroupInfo" in r] == [(5432, False)]

    # OMERO.web's session store: a Valkey primary and a replica with failover, TLS, AUTH and
    # encryption at rest; OMERO.web's cache settings (a secret) name its primary and the token.
    cache = aws(emulator, "elasticache", "eu-west-1")
    [group] = cache.describe_replication_groups(ReplicationGroupId="omero-quick-omero-sessions")["ReplicationGroups"]
    assert group["TransitEncryptionEnabled"] and group["AtRestEncryptionEnabled"] and group["AuthTokenEnabled"]
    assert group["MemberClusters"] == ["omero-quick-omero-sessions-001", "omero-quick-omero-sessions-002"]
    assert group["AutomaticFailover"] == "enabled" and group["MultiAZ"] == "enabled"
    zones = set()
    for member_id in group["MemberClusters"]:
        [member] = cache.describe_cache_clusters(CacheClusterId=member_id)["CacheClusters"]
        assert member["Engine"] == "valkey" and member["CacheSubnetGroupName"] == "omero-quick-omero-sessions"
        zones.add(member["PreferredAvailabilityZone"])
    assert zones == set(network["availability_zones"])
    [web] = task_definition(emulator, "eu-west-1", running["omero-web"]["taskDefinition"])["containerDefinitions"]
    caches_arn = {s["name"]: s["valueFrom"] for s in web["secrets"]}["CONFIG_omero_web_caches"]
    caches = json.loads(secrets.get_secret_value(SecretId=caches_arn)["SecretString"])
    [token_secret] = [
        s for s in secrets.list_secrets()["SecretList"] if s["Name"].startswith("omero-quick/omero/web-sessions-token-")
    ]
    token = secrets.get_secret_value(SecretId=token_secret["ARN"])["SecretString"]
    assert len(token) == 32 and token.isalnum()
    assert caches["default"]["LOCATION"] == f"rediss://:{token}@{services['session_store_endpoint']}:6379/0"
    assert token not in json.dumps(web)


def test_rehearsal_of_the_quickstart(quickstart, emulator):
    """What ``pipenv run rehearse`` reported, and what ``inspect --state`` reads from its output."""
    text = quickstart.rehearsal
    for role in ROLES:
        line = next(candidate for candidate in text.splitlines() if candidate.startswith(f"  omero-quick-{role}: "))
        assert re.search(r"applied in \d+ s, \d+ resources, \d+ data sources; second plan: empty$", line), line
    assert re.search(r'^    vpc_id = "vpc-[0-9a-f]+"$', text, re.M)
    assert re.search(r'^    web_url = "http://', text, re.M)
    assert "cross-stack-output-" not in text
    assert "\nresult: ok: 4 stacks applied, 0 not ok\n" in text
    *_, wall, next_step = text.rstrip().splitlines()
    assert wall.startswith("wall time: ")
    assert next_step.startswith("Next: review a change with `pipenv run plan --rehearse") and "pipenv run deploy" in next_step
    # the emulator it was given is used and left running, not stopped
    assert f"emulator: moto on {emulator.endpoint} (already running)" in text
    assert f"emulator left running on {emulator.endpoint}" in text and "emulator stopped" not in text
    with socket.create_connection(("127.0.0.1", int(emulator.endpoint.rsplit(":", 1)[1])), timeout=5):
        pass
    # local state stays inside the output directory, never beside the caller's own
    assert sorted(p.name for p in quickstart.state_dir.glob("*.tfstate")) == [
        f"terraform.omero-quick-{role}.tfstate" for role in sorted(ROLES)
    ]
    assert not list(quickstart.workdir.glob("terraform.*.tfstate"))

    # inspect --state reads what terraform wrote: the same outputs, offline (local backend)
    vpc_id = re.search(r'^    vpc_id = ("vpc-[0-9a-f]+")$', text, re.M).group(1)
    outdir = quickstart.synth.outdir
    state = command("inspect_deployment", "--state", "--outdir", str(outdir), cwd=quickstart.workdir, timeout=600)
    assert state.returncode == 0, state.stdout + state.stderr
    assert re.search(r"^omero-quick-network: \d+ resources, \d+ data sources, 8 outputs$", state.stdout, re.M), state.stdout
    assert f"  output vpc_id = {vpc_id}" in state.stdout
    assert "  aws_vpc.network_vpc_4E8F0223" in state.stdout.splitlines()


def test_verify_asks_the_emulator_about_the_applied_quickstart(quickstart, emulator):
    """``pipenv run verify --endpoint``: what it must find is in tests/test_verify.py."""
    verify_the_rehearsed_quickstart(quickstart, emulator, command)


def test_no_change_exits_0(quickstart, emulator, tmp_path):
    plans, code, reports = reviewed(reviewable(quickstart), emulator, tmp_path, keep_plans=True)
    assert [p.name for p in plans] == [f"omero-quick-{s}" for s in ROLES]
    # --out keeps every stack's plan and its JSON, unchanged ones too
    for name in (p.name for p in plans):
        assert (tmp_path / "out" / f"{name}.tfplan").is_file()
        assert json.loads((tmp_path / "out" / f"{name}.plan.json").read_text())["format_version"]
    # nothing to change anywhere: the emulator stores every setting the stacks make (emulator.drift)
    assert not [(plan.name, resource) for plan in plans for resource in plan.resources]
    assert not [a for p in plans for a in p.alerts]
    assert code == 0
    assert "no changes" in reports["txt"]


def test_in_place_change_exits_1_without_alerts_or_secrets(quickstart, emulator, tmp_path):
    base, _ = applied = reviewable(quickstart)
    changed = dataclasses.replace(
        base,
        web=dataclasses.replace(base.web, max_tasks=5, memory=4096),
        database=dataclasses.replace(base.database, backup_retention_days=14),
    )
    plans, code, reports = reviewed(applied, emulator, tmp_path, changed)
    assert code == 1
    by_stack = {p.name: p for p in plans}
    storage = by_stack["omero-quick-storage"]
    [db] = [r for r in storage.resources if r.address.startswith("aws_db_instance.")]
    assert db.action == "change" and "backup_retention_period: 7 → 14" in db.changes
    services = by_stack["omero-quick-services"]
    assert any("max_capacity: 4 → 5" in line for r in services.resources for line in r.changes)
    assert services.provisional == ["omero-quick-storage"]  # planned while storage has pending changes
    assert not [a for p in plans for a in p.alerts if a.level == "STATEFUL"]
    # no secret of the deployment in any report: the generated passwords, keys and the session token
    secrets = aws(emulator, "secretsmanager", REGION)
    values = [
        secrets.get_secret_value(SecretId=s["ARN"])["SecretString"]
        for s in secrets.list_secrets()["SecretList"]
        if s["Name"].startswith("omero-quick/")
    ]
    assert len(values) >= 5
    for text in reports.values():
        for value in values:
            assert value not in text
    assert json.loads(reports["json"])["exit_code"] == 1


def test_replacing_what_omero_keeps_exits_3_and_names_it(quickstart, emulator, tmp_path):
    base, _ = applied = reviewable(quickstart)
    key = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    changed = dataclasses.replace(base, storage=dataclasses.replace(base.storage, kms_key_arn=key))
    plans, code, reports = reviewed(applied, emulator, tmp_path, changed)
    assert code == 3
    storage = {p.name: p for p in plans}["omero-quick-storage"]
    assert storage.refused
    [efs] = [a for a in storage.alerts if "aws_efs_file_system." in a.message]
    assert efs.level == "STATEFUL" and "kms_key_id" in efs.message and key in efs.message and "prevent_destroy" in efs.message
    assert "STATEFUL" in reports["md"] and "[!CAUTION]" in reports["md"]


def test_destroying_the_services_keeps_what_omero_keeps_and_the_database_upgrades(quickstart, emulator, tf):
    """Last: destroys the services and upgrades PostgreSQL (the tests above read the applied state)."""
    deployment, synth, applied = quickstart.deployment, quickstart.synth, quickstart.applied
    storage, services = applied.outputs["omero-quick-storage"], applied.outputs["omero-quick-services"]
    ec2, efs, rds = (aws(emulator, service, "eu-west-1") for service in ("ec2", "efs", "rds"))
    secrets, cache = aws(emulator, "secretsmanager", "eu-west-1"), aws(emulator, "elasticache", "eu-west-1")
    password = secrets.get_secret_value(SecretId=storage["db_password_secret_arn"])["SecretString"]
    [db] = rds.describe_db_instances(DBInstanceIdentifier=storage["db_instance_id"])["DBInstances"]
    db_group = db["VpcSecurityGroups"][0]["VpcSecurityGroupId"]

    # destroying the services leaves what OMERO keeps
    tf_region = tf.with_env(AWS_REGION="eu-west-1", AWS_DEFAULT_REGION="eu-west-1")
    destroyed = tf_region(
        synth.stack_dir("services"), "destroy", "-auto-approve", "-input=false", "-no-color", timeout=APPLY_TIMEOUT
    )
    assert destroyed.returncode == 0, str(destroyed)
    assert efs.describe_file_systems(FileSystemId=storage["efs_id"])["FileSystems"]
    assert rds.describe_db_instances(DBInstanceIdentifier=storage["db_instance_id"])["DBInstances"]
    # and the snapshot taken before the server's image first started: the way back from its upgrade
    assert storage["upgrade_snapshot_id"] == snapshot_identifier(deployment.name, deployment.server.image)
    [kept] = rds.describe_db_snapshots(DBSnapshotIdentifier=storage["upgrade_snapshot_id"])["DBSnapshots"]
    assert kept["DBInstanceIdentifier"] == storage["db_instance_id"] and kept["SnapshotType"] == "manual"
    assert secrets.get_secret_value(SecretId=storage["db_password_secret_arn"])["SecretString"] == password
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [db_group]}])["SecurityGroupRules"]
    assert not [r for r in rules if not r["IsEgress"]]  # the server's access went with the services
    clusters = aws(emulator, "ecs", "eu-west-1").describe_clusters(clusters=[services["cluster_name"]])["clusters"]
    assert all(c["status"] == "INACTIVE" for c in clusters)
    assert not cache.describe_replication_groups()["ReplicationGroups"]  # sessions go with the services
    storage_replan = tf_region(
        synth.stack_dir("storage"),
        "plan",
        "-detailed-exitcode",
        "-input=false",
        "-no-color",
        "-out=after.tfplan",
        timeout=APPLY_TIMEOUT,
    )
    assert storage_replan.returncode in (0, 2), str(storage_replan)
    if storage_replan.returncode == 2:
        shown = tf_region(synth.stack_dir("storage"), "show", "-json", "after.tfplan")
        assert not unexpected_changes(json.loads(shown.stdout))

    # A PostgreSQL major upgrade as the runbook (docs/backups-restores-upgrades.md) makes it (the servers are gone already):
    # the default major to the next, applied at once, the new family's parameter group replacing the old one.
    [old_group] = [g["DBParameterGroupName"] for g in db["DBParameterGroups"]]
    database = dataclasses.replace(deployment.database, engine_version=POSTGRES_UPGRADE, apply_immediately=True)
    upgraded = synthesize(  # beside the rehearsal's output, whose local state it uses
        dataclasses.replace(deployment, database=database),
        quickstart.workdir / "upgraded" / "cdktf.out",
        emulator_endpoint=emulator.endpoint,
        local_state_dir=quickstart.state_dir,
    )
    apply_all(tf, upgraded, only=[f"{deployment.name}-storage"])
    [db] = rds.describe_db_instances(DBInstanceIdentifier=storage["db_instance_id"])["DBInstances"]
    assert db["EngineVersion"].split(".")[0] == POSTGRES_UPGRADE
    [new_group] = [g["DBParameterGroupName"] for g in db["DBParameterGroups"]]
    [group] = rds.describe_db_parameter_groups(DBParameterGroupName=new_group)["DBParameterGroups"]
    assert group["DBParameterGroupFamily"] == f"postgres{POSTGRES_UPGRADE}" and new_group != old_group
    assert old_group not in {g["DBParameterGroupName"] for g in rds.describe_db_parameter_groups()["DBParameterGroups"]}
