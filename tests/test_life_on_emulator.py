"""One deployment's life on the emulator: the steps an operator takes, each applied over the last.

The quick start (examples/quickstart-http.hcl, renamed ``omero-life`` and moved to us-west-2) is
applied fresh; then a domain and TLS are added (examples/tls-rw.hcl's ``load_balancer``, ``server``
and ``web`` blocks), then the network load balancer for OMERO.insight (examples/tls-rw-nlb.hcl's
``server_load_balancer`` block), then read-only servers and the read-only OMERO.web pool
(examples/tls-rw-ro.hcl's ``server`` and ``web`` blocks), then OMERO.server moved onto EC2
container instances (examples/ec2-launch-type.hcl's ``cluster`` block and server size), then an
S3 File Gateway share for in-place import (examples/s3-file-gateway-tls.hcl's ``file_gateway``
block). Each step is first reviewed with the plan
review (tools/plan, ``pipenv run plan``): exit status 1 (changes, nothing refused) and no STATEFUL
alert, since no step touches what OMERO keeps. Then the stacks it changes, and those waiting for an
upstream's new output, are applied, and planned again and found empty (``apply_all``); the review
has just found the others' plans empty. As ``pipenv run deploy`` applies the plan it showed, a
changed stack none of whose upstreams changes applies its reviewed plan; the others are planned
anew as they are applied, after their upstreams.
Each step prints the CPU its terraform commands and the emulator used (``-s`` shows it).

The steps run in order on one worker (one module, one xdist group); a step whose predecessor
failed fails too. Run one step with the ones before it: ``pipenv run pytest -n 0 -s
tests/test_life_on_emulator.py -k "quick_start or tls"``.
"""

from __future__ import annotations

import dataclasses
import os
import resource
import time
from pathlib import Path

import pytest

from config import Deployment, load
from emulator import with_hosted_zone
from tests.harness.apply import Applied, apply_all, aws, through_emulator
from tests.harness.synth import EXAMPLES, synthesize, synthesized
from tests.test_emulator import assert_share_mounted, ecs_services, task_definition
from tools.plan.review import applicable_plans, exit_code, review

pytestmark = [pytest.mark.emulator, pytest.mark.terraform, pytest.mark.xdist_group("life")]
NAME = "omero-life"
REGION = "us-west-2"


@dataclasses.dataclass
class Life:
    """The deployment as last applied, where its local state is, and what each step applied."""

    deployment: Deployment
    state_dir: Path
    applied: dict[str, Applied] = dataclasses.field(default_factory=dict)
    reviews: dict[str, list] = dataclasses.field(default_factory=dict)  # step -> its plan review (StackPlan)


def cpu_of_children() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def cpu_of(pid: int | None) -> float:
    """User and system CPU of process ``pid`` and its waited-for children (/proc/<pid>/stat fields 14-17)."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def take_step(life: Life, name: str, deployment: Deployment, emulator, tf, tmp_path: Path, *, proxy: bool = False) -> Applied:
    """Review ``deployment`` against what is applied (exit 1, no STATEFUL alert), apply it over
    the same local state, and keep it as the life's current form (``proxy``: terraform's plain-HTTP
    requests to the VPC's addresses go to the emulator, as a file gateway's activation does)."""
    # Each block of a step comes from an example the loader read; the combination gets the checks
    # across blocks the loader runs on a whole file (placement on the hosts, the gateway's launch type...).
    assert not list(deployment.cross_checks(frozenset())), f"step {name} is no valid deployment"
    environ = {**emulator.env(REGION), "PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    pid = emulator.process.pid if emulator.process else None
    started = (cpu_of_children(), cpu_of(pid), time.monotonic())
    plans = review(deployment, workdir=life.state_dir / name, environ=environ, local_state_dir=life.state_dir)
    reviewed = (cpu_of_children(), cpu_of(pid), time.monotonic())
    # A stack reading an output its upstream is still to make waits for it (the review says "planned
    # once <upstream> is applied"); any other error fails the step.
    assert not [(p.name, p.error) for p in plans if p.error and not p.waiting], "the review failed"
    assert exit_code(plans) == 1
    assert not [a.message for p in plans for a in p.alerts if a.level == "STATEFUL"]
    synth = synthesized(deployment, life.state_dir / name / "cdktf.out", [p.name for p in plans])
    # Only the stacks the review found changed or waiting: the others' plans were just found empty.
    # As an operator applies what was reviewed: each changed stack whose upstreams do not change
    # applies its reviewed plan; the others (they read an upstream's new outputs) are planned anew.
    changed = [p.name for p in plans if p.changed or p.waiting]
    applied = apply_all(through_emulator(tf, emulator) if proxy else tf, synth, only=changed, plan_files=applicable_plans(plans))
    done = (cpu_of_children(), cpu_of(pid), time.monotonic())
    for label, (a, b) in {"review": (started, reviewed), "apply": (reviewed, done)}.items():
        print(
            f"\nSTEP {name} {label}: terraform CPU {b[0] - a[0]:.0f} s, emulator CPU {b[1] - a[1]:.0f} s, wall {b[2] - a[2]:.0f} s"
        )
    life.deployment = deployment
    life.applied[name] = applied
    life.reviews[name] = plans
    return applied


@pytest.fixture(scope="module")
def life(emulator, tf, tmp_path_factory) -> Life:
    """The quick start applied fresh, as ``omero-life`` in us-west-2, with local state."""
    quick = load(EXAMPLES / "quickstart-http.hcl")
    deployment = dataclasses.replace(quick, name=NAME, region=REGION)
    state_dir = tmp_path_factory.mktemp("life")
    pid = emulator.process.pid if emulator.process else None
    started = (cpu_of_children(), cpu_of(pid), time.monotonic())
    synth = synthesize(
        deployment, state_dir / "quick-start" / "cdktf.out", emulator_endpoint=emulator.endpoint, local_state_dir=state_dir
    )
    applied = apply_all(tf, synth)
    done = (cpu_of_children(), cpu_of(pid), time.monotonic())
    print(
        f"\nSTEP quick-start fresh apply: terraform CPU {done[0] - started[0]:.0f} s, "
        f"emulator CPU {done[1] - started[1]:.0f} s, wall {done[2] - started[2]:.0f} s"
    )
    return Life(deployment, state_dir, {"quick-start": applied})


def test_quick_start_serves_http(life):
    services = life.applied["quick-start"].outputs[f"{NAME}-services"]
    assert services["web_url"].startswith("http://")


def test_tls_added_to_the_quick_start(life, emulator, tf, tmp_path):
    """A domain and TLS added to the running quick start: examples/tls-rw.hcl's blocks."""
    tls = with_hosted_zone(emulator, dataclasses.replace(load(EXAMPLES / "tls-rw.hcl"), name=NAME))
    step = dataclasses.replace(life.deployment, load_balancer=tls.load_balancer, server=tls.server, web=tls.web)
    applied = take_step(life, "tls", step, emulator, tf, tmp_path)
    services = applied.outputs[f"{NAME}-services"]
    assert services["web_url"] == "https://omero.example.org"
    elbv2 = aws(emulator, "elbv2", REGION)
    [alb] = elbv2.describe_load_balancers(Names=[f"{NAME}-omero-web"])["LoadBalancers"]
    listeners = {
        listener["Port"]: listener for listener in elbv2.describe_listeners(LoadBalancerArn=alb["LoadBalancerArn"])["Listeners"]
    }
    assert listeners[443]["Protocol"] == "HTTPS" and listeners[443]["SslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert listeners[80]["DefaultActions"][0]["Type"] == "redirect"
    attributes = {
        a["Key"]: a["Value"]
        for a in elbv2.describe_load_balancer_attributes(LoadBalancerArn=alb["LoadBalancerArn"])["Attributes"]
    }
    assert attributes["routing.http.drop_invalid_header_fields.enabled"] == "true"
    assert attributes["access_logs.s3.bucket"] == services["access_log_bucket"]
    ec2 = aws(emulator, "ec2", REGION)
    vpc = life.applied["quick-start"].outputs[f"{NAME}-network"]["vpc_id"]
    rules = ec2.describe_security_group_rules()["SecurityGroupRules"]
    groups = {g["GroupId"] for g in ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["SecurityGroups"]}
    open_rules = [r for r in rules if r["GroupId"] in groups and r.get("CidrIpv4") and not r["IsEgress"]]
    # the quick start's HTTP from anywhere is gone: only the facility's networks
    assert {r["CidrIpv4"] for r in open_rules} == {"192.0.2.0/24", "198.51.100.0/24"}


def test_server_load_balancer_added(life, emulator, tf, tmp_path):
    """The network load balancer for OMERO.insight added: examples/tls-rw-nlb.hcl's block."""
    nlb_example = load(EXAMPLES / "tls-rw-nlb.hcl")
    step = dataclasses.replace(life.deployment, server_load_balancer=nlb_example.server_load_balancer)
    applied = take_step(life, "server-load-balancer", step, emulator, tf, tmp_path)
    services = applied.outputs[f"{NAME}-services"]
    elbv2 = aws(emulator, "elbv2", REGION)
    [nlb] = elbv2.describe_load_balancers(Names=[f"{NAME}-omero-srv"])["LoadBalancers"]
    assert nlb["Type"] == "network" and nlb["DNSName"] == services["server_load_balancer_dns_name"]
    [listener] = elbv2.describe_listeners(LoadBalancerArn=nlb["LoadBalancerArn"])["Listeners"]
    assert (listener["Port"], listener["Protocol"]) == (4064, "TCP")
    running = ecs_services(emulator, REGION, services["cluster_name"])
    # the NLB's 4064, and (with TLS) the HTTPS load balancer's wss on 4066
    assert sorted(b["containerPort"] for b in running["omero-server"]["loadBalancers"]) == [4064, 4066]


def test_read_only_servers_and_pool_added(life, emulator, tf, tmp_path):
    """Two read-only servers and the read-only OMERO.web pool on view.omero.example.org added:
    examples/tls-rw-ro.hcl's ``server`` and ``web`` blocks (its ``state``, ``network``, ``database``
    and ``images`` blocks are applied with examples/full.hcl: test_emulator.py)."""
    production = load(EXAMPLES / "tls-rw-ro.hcl")
    step = dataclasses.replace(life.deployment, server=production.server, web=production.web)
    applied = take_step(life, "read-only", step, emulator, tf, tmp_path)
    # The read-only servers' database password is a new secret of the storage stack, which the
    # services read: the review planned them once storage is applied, and the step applied both.
    review = {plan.name: plan for plan in life.reviews["read-only"]}
    assert review[f"{NAME}-services"].waiting and review[f"{NAME}-services"].provisional == [f"{NAME}-storage"]
    assert sorted(applied.outputs) == [f"{NAME}-services", f"{NAME}-storage"]
    services = applied.outputs[f"{NAME}-services"]
    assert services["web_url"] == "https://omero.example.org"
    running = ecs_services(emulator, REGION, services["cluster_name"])
    assert {name: s["desiredCount"] for name, s in running.items() if name != "omero-web"} == {
        "omero-server": 1,
        "omero-server-ro-1": 1,
        "omero-server-ro-2": 1,
        "omero-web-ro": 2,  # the read-only pool, for viewers on view.omero.example.org
    }
    # OMERO.web's task count is Application Auto Scaling's once the service exists (Terraform
    # ignores desired_count): web.min_tasks 3 raises the scalable target's minimum, and registering it
    # "changes the resource's current capacity to a value that is inside of this range" (Application
    # Auto Scaling API Reference, RegisterScalableTarget); the emulator runs no scaling.
    scaling = aws(emulator, "application-autoscaling", REGION).describe_scalable_targets(
        ServiceNamespace="ecs", ResourceIds=[f"service/{services['cluster_name']}/omero-web"]
    )
    [target] = scaling["ScalableTargets"]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (3, 9)
    assert services["read_only_web_url"] == "https://view.omero.example.org"
    assert services["read_only_service_names"] == ["omero-server-ro-1", "omero-server-ro-2"]
    # (moto reports no deployment configuration; the singletons' 100/0 is asserted on the JSON)
    password_arns = tuple(
        s["ARN"]
        for s in aws(emulator, "secretsmanager", REGION).list_secrets()["SecretList"]
        if s["Name"] == f"{NAME}/omero/db-readonly-password"
    )
    for name in services["read_only_service_names"]:
        read_only = task_definition(emulator, REGION, running[name]["taskDefinition"])
        definition, *stagers = read_only["containerDefinitions"]  # the server first, then its init containers
        assert "stage-figure-script" in [s["name"] for s in stagers]
        assert {"name": "CONFIG_omero_cluster_read__only_db", "value": "true"} in definition["environment"]
        assert definition["mountPoints"][0]["readOnly"] is True
        # they log in as the SELECT-only role, with its own password
        assert {"name": "CONFIG_omero_db_user", "value": "omero_ro"} in definition["environment"]
        # beside the LDAP bind password (server.secret_properties)
        secrets = {secret["name"]: secret for secret in definition["secrets"]}
        assert sorted(secrets) == ["CONFIG_omero_db_pass", "CONFIG_omero_ldap_password"]
        assert password_arns and secrets["CONFIG_omero_db_pass"]["valueFrom"].endswith(password_arns)
    # each read-only server registered under a name of its own
    discovery = aws(emulator, "servicediscovery", REGION)
    names = {s["Name"] for s in discovery.list_services()["Services"]}
    assert {"omero-server", "omero-server-ro-1", "omero-server-ro-2"} <= names
    # OMERO clients over wss: /omero-ws on the HTTPS listener, to the read-write server's 4066
    elbv2 = aws(emulator, "elbv2", REGION)
    [wss] = [g for g in elbv2.describe_target_groups()["TargetGroups"] if g["TargetGroupName"] == f"{NAME}-omero-wss"]
    assert (wss["Protocol"], wss["Port"], wss["HealthCheckPort"]) == ("HTTPS", 4066, "4067")
    assert services["server_websocket_url"] == "wss://omero.example.org/omero-ws"
    acm = aws(emulator, "acm", REGION)
    certificates = {c["DomainName"]: c for c in acm.list_certificates()["CertificateSummaryList"]}
    assert set(certificates) == {"omero.example.org", "view.omero.example.org"}  # the pool's, by SNI
    assert all(c["Status"] == "ISSUED" for c in certificates.values())
    records = aws(emulator, "route53", REGION).list_resource_record_sets(HostedZoneId=step.load_balancer.hosted_zone_id)
    alias = [r for r in records["ResourceRecordSets"] if r["Type"] == "A" and r["Name"].rstrip(".") == "omero.example.org"]
    assert alias and alias[0]["AliasTarget"]["DNSName"].rstrip(".").lower() == services["web_load_balancer_dns_name"].lower()


def latest_outputs(life: Life, stack: str) -> dict:
    """``stack``'s outputs as last applied in the life (a step applies only the stacks it changes)."""
    return next(applied.outputs[stack] for applied in reversed(life.applied.values()) if stack in applied.outputs)


def test_moved_to_ec2_container_instances(life, emulator, tf, tmp_path):
    """OMERO.server moved from Fargate onto EC2 container instances: examples/ec2-launch-type.hcl's
    ``cluster`` block and its server's size (the read-only servers keep theirs and move too)."""
    ec2_example = load(EXAMPLES / "ec2-launch-type.hcl")
    server = dataclasses.replace(life.deployment.server, cpu=ec2_example.server.cpu, memory=ec2_example.server.memory)
    step = dataclasses.replace(life.deployment, cluster=ec2_example.cluster, server=server)
    applied = take_step(life, "ec2", step, emulator, tf, tmp_path)
    review = {plan.name: plan for plan in life.reviews["ec2"]}
    # what OMERO keeps is untouched: only the services change (the servers restart on the hosts)
    assert [name for name, plan in review.items() if plan.changed] == [f"{NAME}-services"]
    assert any(a.level == "OMERO RESTART" for a in review[f"{NAME}-services"].alerts)
    services = applied.outputs[f"{NAME}-services"]
    host = f"{NAME}-omero-ecs-host"
    ecs = aws(emulator, "ecs", REGION)
    [cluster] = ecs.describe_clusters(clusters=[services["cluster_name"]])["clusters"]
    assert host in cluster["capacityProviders"]
    running = ecs_services(emulator, REGION, services["cluster_name"])
    for name in ("omero-server", *services["read_only_service_names"]):
        assert running[name]["capacityProviderStrategy"][0]["capacityProvider"] == host, name
    assert running["omero-web"]["launchType"] == "FARGATE"
    template = aws(emulator, "ec2", REGION).describe_launch_template_versions(LaunchTemplateName=host)
    data = template["LaunchTemplateVersions"][0]["LaunchTemplateData"]
    assert data["MetadataOptions"]["HttpTokens"] == "required"
    assert data["BlockDeviceMappings"][0]["Ebs"]["Encrypted"] is True
    [group] = aws(emulator, "autoscaling", REGION).describe_auto_scaling_groups(AutoScalingGroupNames=[host])["AutoScalingGroups"]
    assert group["NewInstancesProtectedFromScaleIn"] is True
    [provider] = ecs.describe_capacity_providers(capacityProviders=[host])["capacityProviders"]
    assert provider["autoScalingGroupProvider"]["managedTerminationProtection"] == "ENABLED"
    # ECS drains a host the group terminates (an instance refresh onto a new AMI, a scale-in)
    assert provider["autoScalingGroupProvider"]["managedDraining"] == "ENABLED"
    # The server services start after the storage stack's pre-upgrade snapshot, read back from RDS.
    storage = latest_outputs(life, f"{NAME}-storage")
    [snapshot] = aws(emulator, "rds", REGION).describe_db_snapshots(DBSnapshotIdentifier=storage["upgrade_snapshot_id"])[
        "DBSnapshots"
    ]
    assert snapshot["DBInstanceIdentifier"] == storage["db_instance_id"]
    assert "data.aws_db_snapshot.upgrade_snapshot_C7155DFA" in applied.state[f"{NAME}-services"]


def test_import_share_added(life, emulator, tf, tmp_path):
    """An S3 File Gateway share beside EFS for in-place import added to the deployment on EC2:
    examples/s3-file-gateway-tls.hcl's ``file_gateway`` block. A real appliance hands out its
    activation key on its port 80, valid for 30 minutes, so none can be written before the instance
    exists; here the emulated appliance hands one to Terraform (activation by IP from the VPC's own
    range, as s3-file-gateway-http.hcl does); the rest of the block is as written."""
    gateway = load(EXAMPLES / "s3-file-gateway-tls.hcl").file_gateway
    by_ip = dataclasses.replace(gateway, activation_key=None, activation_cidrs=(life.deployment.network.vpc_cidr,))
    step = dataclasses.replace(life.deployment, file_gateway=by_ip)
    applied = take_step(life, "import-share", step, emulator, tf, tmp_path, proxy=True)
    review = {plan.name: plan for plan in life.reviews["import-share"]}
    order = list(review)
    assert order.index(f"{NAME}-file-gateway") < order.index(f"{NAME}-services")
    # The network changes only outputs: the ones the new gateway stack reads (its subnet's zone,
    # the VPC's range), so the gateway waits for it, and the services for the gateway.
    network = review[f"{NAME}-network"]
    assert network.outputs and not network.resources
    assert review[f"{NAME}-file-gateway"].waiting and review[f"{NAME}-file-gateway"].provisional == [f"{NAME}-network"]
    # and the backup stack's selection takes in the gateway's bucket (by name: it comes first)
    assert sorted(applied.outputs) == sorted(f"{NAME}-{role}" for role in ("network", "backup", "file-gateway", "services"))
    assert_share_mounted(emulator, REGION, applied.outputs[f"{NAME}-services"], gateway.container_path)
