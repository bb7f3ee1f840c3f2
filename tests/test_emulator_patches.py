"""The emulator's patches to moto (emulator/patches/), each against stock moto and patched.

For every patch a test decorated with ``stock_gap(name)`` shows that stock moto 5.2.5 still has the
gap the patch's description names: when a moto upgrade closes it, that test fails and says the patch
can go. Other tests show that with the patch applied the emulator answers as described. Patches are
applied with ``applied(...)`` and undone after each test, so the order of tests never matters.

These run moto in-process (``mock_aws``: no server, no network); the patches that answer at the
WSGI layer are tested on moto's threaded server in tests/test_emulator_patches_wsgi.py.
"""

from __future__ import annotations

import ast
import functools
import json
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto import mock_aws

from emulator import patches, server
from emulator.patches import EMULATOR_PATCHES, MOTO_VERSION, MotoVersionError, applied

ROOT = Path(__file__).resolve().parents[1]
REGION = "eu-west-1"
ACCOUNT = "123456789012"  # moto's default account
IMAGE = "ami-12c6146b"  # one of moto's own images
ONE_TRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})
FAKE_KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "aws_session_token": "testing"}
SESSION = boto3.session.Session()  # one per process, so that botocore reads its models once


def stock_gap(name: str):
    """Mark a test as showing that stock moto still has the gap the patch ``name`` closes; if the
    test fails, moto has closed it and the patch may go."""
    assert name in EMULATOR_PATCHES, name

    def decorate(test):
        @functools.wraps(test)
        def run(*args, **kwargs):
            try:
                test(*args, **kwargs)
            except (AssertionError, pytest.fail.Exception) as error:
                raise AssertionError(
                    f"stock moto {patches.installed_moto_version()} no longer has the gap the emulator patch "
                    f"{name!r} closes: check its patched tests without it and drop the patch ({error})"
                ) from error

        return run

    return decorate


@pytest.fixture(autouse=True)
def no_default_images(monkeypatch):
    """moto loads some 5,000 AMIs into every EC2 region it starts; the instances here need none."""
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")


def client(service: str):
    return SESSION.client(service, region_name=REGION, config=ONE_TRY, **FAKE_KEYS)


# The declarations, the version guard and undo


def test_patches_are_declared_once_and_listed_in_order():
    assert server.EMULATOR_PATCHES is EMULATOR_PATCHES
    assert [p.name for p in patches.PATCHES] == list(EMULATOR_PATCHES)
    assert len(EMULATOR_PATCHES) == 22
    for declared in patches.PATCHES:
        module = declared.apply.__module__
        assert module.startswith("emulator.patches.") and not module.endswith("._wsgi"), declared.name
        assert "moto" in declared.description, declared.name
    with pytest.raises(ValueError, match="declared twice"):
        patches.patch("appstream", "again")(lambda patcher: None)


def test_every_patch_has_a_stock_gap_test_and_a_patched_test():
    stock, patched = set(), set()
    for path in [*ROOT.glob("tests/test_emulator_patches*.py"), ROOT / "tests/test_emulator_elasticache.py"]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                names = {a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)}
                if node.func.id == "stock_gap":
                    stock |= names
                elif node.func.id in ("applied", "serve"):
                    patched |= names
    assert stock == set(EMULATOR_PATCHES)
    assert set(EMULATOR_PATCHES) <= patched


def test_importing_the_patches_imports_no_moto():
    """So that the version guard runs before any patch touches moto's internals."""
    code = "import sys, emulator.server; print(sorted(m for m in sys.modules if m.split('.')[0] == 'moto'))"
    found = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"


def test_patches_refuse_another_moto_version(monkeypatch):
    from moto.iam.access_control import IAMPolicyStatement

    assert patches.installed_moto_version() == MOTO_VERSION == "5.2.5"
    stock = IAMPolicyStatement.is_action_permitted
    real = patches.metadata.version
    monkeypatch.setattr(patches.metadata, "version", lambda name: "5.3.0" if name == "moto" else real(name))
    for attempt in (patches.apply, lambda: applied().__enter__(), lambda: server.main(["-H", "127.0.0.1", "-p", "0"])):
        with pytest.raises(MotoVersionError) as refused:
            attempt()
        message = str(refused.value)
        assert "moto 5.2.5" in message and "moto 5.3.0 is installed" in message
        assert "per-patch tests" in message and "tests/test_emulator_patches" in message
    assert IAMPolicyStatement.is_action_permitted is stock  # nothing was patched


def test_undo_restores_stock_moto_exactly():
    def snapshot(targets) -> dict:
        return {id(t): dict(t) if isinstance(t, dict) else dict(vars(t)) for t in targets}

    patcher = patches.apply()
    changes = list(patcher.changes)
    assert len(changes) > 60
    patcher.undo()
    assert not patcher.changes
    first = {}
    for change in changes:
        first.setdefault((id(change.target), change.key), change)
    assert all(change.current() is change.original for change in first.values())
    # Every class, module and mapping a patch touches is as it was, entry for entry.
    targets = {id(change.target): change.target for change in changes}
    before = snapshot(targets.values())
    again = patches.apply()
    assert snapshot(targets.values()) != before
    again.undo()
    after = snapshot(targets.values())
    for key, entries in before.items():
        assert after[key].keys() == entries.keys()
        assert all(after[key][name] is value for name, value in entries.items())


def test_applied_undoes_on_the_way_out():
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    stock = DomainDispatcherApplication.__call__
    with pytest.raises(RuntimeError, match="inside"):
        with applied("appstream", "storage gateway"):
            assert DomainDispatcherApplication.__call__ is not stock
            raise RuntimeError("inside")
    assert DomainDispatcherApplication.__call__ is stock
    with pytest.raises(KeyError, match="no emulator patch"):
        with applied("no such patch"):
            pass


# s3 bucket policy conditions

TLS_ONLY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "TlsOnly",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": ["arn:aws:s3:::state", "arn:aws:s3:::state/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }
)


def put_state_object() -> dict:
    s3 = client("s3")
    s3.create_bucket(Bucket="state", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_policy(Bucket="state", Policy=TLS_ONLY)
    s3.put_object(Bucket="state", Key="network.tfstate", Body=b"{}")
    return s3.get_object(Bucket="state", Key="network.tfstate")


@stock_gap("s3 bucket policy conditions")
def test_stock_s3_denies_everything_under_a_tls_only_policy():
    with mock_aws(), pytest.raises(ClientError, match="AccessDenied|403"):
        put_state_object()


def test_s3_leaves_conditional_statements_out():
    with applied("s3 bucket policy conditions"), mock_aws():
        assert put_state_object()["Body"].read() == b"{}"
        s3 = client("s3")
        unconditional = json.loads(TLS_ONLY)
        del unconditional["Statement"][0]["Condition"]
        s3.put_bucket_policy(Bucket="state", Policy=json.dumps(unconditional))
        with pytest.raises(ClientError, match="AccessDenied|403"):
            s3.get_object(Bucket="state", Key="network.tfstate")


# efs throughput updates, efs backup policy


@stock_gap("efs throughput updates")
def test_stock_efs_has_no_update_file_system():
    with mock_aws():
        efs = client("efs")
        file_system = efs.create_file_system(CreationToken="restored")["FileSystemId"]
        with pytest.raises(NotImplementedError, match="update_file_system"):
            efs.update_file_system(FileSystemId=file_system, ThroughputMode="elastic")


def test_efs_update_file_system_sets_the_throughput():
    with applied("efs throughput updates"), mock_aws():
        efs = client("efs")
        file_system = efs.create_file_system(CreationToken="restored")["FileSystemId"]
        answer = efs.update_file_system(FileSystemId=file_system, ThroughputMode="provisioned", ProvisionedThroughputInMibps=64.0)
        assert (answer["ThroughputMode"], answer["ProvisionedThroughputInMibps"]) == ("provisioned", 64.0)
        efs.update_file_system(FileSystemId=file_system, ThroughputMode="elastic")
        [described] = efs.describe_file_systems(FileSystemId=file_system)["FileSystems"]
        assert described["ThroughputMode"] == "elastic" and "ProvisionedThroughputInMibps" not in described


@stock_gap("efs backup policy")
def test_stock_efs_has_no_put_backup_policy():
    with mock_aws():
        efs = client("efs")
        file_system = efs.create_file_system(CreationToken="data")["FileSystemId"]
        with pytest.raises(NotImplementedError, match="put_backup_policy"):
            efs.put_backup_policy(FileSystemId=file_system, BackupPolicy={"Status": "ENABLED"})


def test_efs_backup_policy_is_recorded_and_described():
    with applied("efs backup policy"), mock_aws():
        efs = client("efs")
        file_system = efs.create_file_system(CreationToken="data")["FileSystemId"]
        assert efs.describe_backup_policy(FileSystemId=file_system)["BackupPolicy"] == {"Status": "DISABLED"}
        efs.put_backup_policy(FileSystemId=file_system, BackupPolicy={"Status": "ENABLED"})
        assert efs.describe_backup_policy(FileSystemId=file_system)["BackupPolicy"] == {"Status": "ENABLED"}
        efs.put_backup_policy(FileSystemId=file_system, BackupPolicy={"Status": "DISABLED"})
        assert efs.describe_backup_policy(FileSystemId=file_system)["BackupPolicy"] == {"Status": "DISABLED"}


# application autoscaling tags


def scalable_target(tags: dict) -> str:
    ecs = client("ecs")
    ecs.create_cluster(clusterName="omero")
    ecs.register_task_definition(family="web", containerDefinitions=[{"name": "web", "image": "web", "memory": 512}])
    ecs.create_service(cluster="omero", serviceName="web", taskDefinition="web", desiredCount=1)
    return client("application-autoscaling").register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId="service/omero/web",
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=1,
        MaxCapacity=4,
        Tags=tags,
    )["ScalableTargetARN"]


@stock_gap("application autoscaling tags")
def test_stock_application_autoscaling_has_no_tags():
    with mock_aws():
        arn = scalable_target({"Name": "web"})
        with pytest.raises(NotImplementedError, match="list_tags_for_resource"):
            client("application-autoscaling").list_tags_for_resource(ResourceARN=arn)


def test_application_autoscaling_tags_are_kept_per_arn():
    with applied("application autoscaling tags"), mock_aws():
        autoscaling = client("application-autoscaling")
        arn = scalable_target({"Name": "web", "Team": "imaging"})
        assert autoscaling.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"Name": "web", "Team": "imaging"}
        autoscaling.tag_resource(ResourceARN=arn, Tags={"Stage": "test"})
        autoscaling.untag_resource(ResourceARN=arn, TagKeys=["Team"])
        assert autoscaling.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"Name": "web", "Stage": "test"}


# security group rule descriptions


def group_rule_descriptions() -> dict:
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    web, balancer = (ec2.create_security_group(GroupName=n, Description=n, VpcId=vpc)["GroupId"] for n in ("web", "lb"))
    ec2.authorize_security_group_ingress(
        GroupId=web,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 4080,
                "ToPort": 4080,
                "UserIdGroupPairs": [{"GroupId": balancer, "Description": "from the load balancer"}],
            },
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "10.0.0.0/16", "Description": "from the VPC"}],
            },
        ],
    )
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [web]}])["SecurityGroupRules"]
    return {r["FromPort"]: r.get("Description") for r in rules if not r["IsEgress"]}


@stock_gap("security group rule descriptions")
def test_stock_ec2_drops_the_description_of_a_group_referencing_rule():
    with mock_aws():
        assert group_rule_descriptions() == {4080: None, 22: "from the VPC"}


def test_ec2_reports_the_description_of_a_group_referencing_rule():
    with applied("security group rule descriptions"), mock_aws():
        assert group_rule_descriptions() == {4080: "from the load balancer", 22: "from the VPC"}


# ecs service capacity provider strategy


def service_placement() -> tuple:
    ecs = client("ecs")
    ecs.create_cluster(clusterName="omero")
    ecs.register_task_definition(family="server", containerDefinitions=[{"name": "server", "image": "server", "memory": 512}])
    strategy = [{"capacityProvider": "omero-server", "weight": 1, "base": 1}]
    ecs.create_service(
        cluster="omero", serviceName="server", taskDefinition="server", desiredCount=1, capacityProviderStrategy=strategy
    )
    [service] = ecs.describe_services(cluster="omero", services=["server"])["services"]
    return service.get("launchType"), service.get("capacityProviderStrategy")


@stock_gap("ecs service capacity provider strategy")
def test_stock_ecs_puts_a_capacity_provider_service_on_ec2():
    with mock_aws():
        assert service_placement() == ("EC2", None)


def test_ecs_keeps_the_capacity_provider_strategy():
    with applied("ecs service capacity provider strategy"), mock_aws():
        assert service_placement() == (None, [{"capacityProvider": "omero-server", "weight": 1, "base": 1}])


# ecs service settings

SETTINGS = {
    "availabilityZoneRebalancing": "ENABLED",
    "enableECSManagedTags": True,
    "enableExecuteCommand": True,
    "healthCheckGracePeriodSeconds": 600,
}


def service_settings(update: dict | None = None) -> dict:
    ecs = client("ecs")
    ecs.create_cluster(clusterName="omero")
    ecs.register_task_definition(family="web", containerDefinitions=[{"name": "web", "image": "web", "memory": 512}])
    ecs.create_service(cluster="omero", serviceName="web", taskDefinition="web", desiredCount=1, **SETTINGS)
    if update:
        ecs.update_service(cluster="omero", service="web", **update)
    [service] = ecs.describe_services(cluster="omero", services=["web"])["services"]
    return {setting: service.get(setting) for setting in SETTINGS}


@stock_gap("ecs service settings")
def test_stock_ecs_drops_the_settings_a_service_is_created_with():
    with mock_aws():
        assert service_settings() == dict.fromkeys(SETTINGS)


def test_ecs_keeps_the_settings_a_service_is_created_with_and_updates_them():
    with applied("ecs service settings"), mock_aws():
        assert service_settings() == SETTINGS
    with applied("ecs service settings"), mock_aws():
        changed = {"enableExecuteCommand": False, "healthCheckGracePeriodSeconds": 30}
        assert service_settings(changed) == {**SETTINGS, **changed}


# launch template tags


def launch_template() -> tuple[dict, list]:
    ec2 = client("ec2")
    ec2.create_launch_template(
        LaunchTemplateName="omero-server",
        LaunchTemplateData={"InstanceType": "m6i.large"},
        TagSpecifications=[{"ResourceType": "launch-template", "Tags": [{"Key": "Name", "Value": "omero-server"}]}],
    )
    [version] = ec2.describe_launch_template_versions(LaunchTemplateName="omero-server")["LaunchTemplateVersions"]
    [template] = ec2.describe_launch_templates(LaunchTemplateNames=["omero-server"])["LaunchTemplates"]
    return version["LaunchTemplateData"], template["Tags"]


@stock_gap("launch template tags")
def test_stock_ec2_files_a_templates_own_tags_in_its_launch_data():
    with mock_aws():
        data, _ = launch_template()
        assert data["TagSpecifications"][0]["ResourceType"] == "launch-template"


def test_ec2_keeps_a_templates_own_tags_on_the_template():
    with applied("launch template tags"), mock_aws():
        data, tags = launch_template()
        assert data["InstanceType"] == "m6i.large" and not data.get("TagSpecifications")
        assert tags == [{"Key": "Name", "Value": "omero-server"}]


# datasync efs locations, tags and task settings


def datasync_setup() -> dict:
    s3, efs, ec2 = client("s3"), client("efs"), client("ec2")
    s3.create_bucket(Bucket="dropbox", CreateBucketConfiguration={"LocationConstraint": REGION})
    file_system = efs.create_file_system(CreationToken="data")["FileSystemId"]
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="datasync", Description="d", VpcId=vpc)["GroupId"]
    return {
        "bucket": "arn:aws:s3:::dropbox",
        "file_system": file_system,
        "file_system_arn": f"arn:aws:elasticfilesystem:{REGION}:{ACCOUNT}:file-system/{file_system}",
        "ec2": {
            "SubnetArn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:subnet/{subnet}",
            "SecurityGroupArns": [f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/{group}"],
        },
        "role": {"BucketAccessRoleArn": f"arn:aws:iam::{ACCOUNT}:role/datasync"},
    }


@stock_gap("datasync efs locations, tags and task settings")
def test_stock_datasync_lacks_efs_locations_tags_and_task_settings():
    with mock_aws():
        datasync, found = client("datasync"), datasync_setup()
        with pytest.raises(NotImplementedError, match="create_location_efs"):
            datasync.create_location_efs(EfsFilesystemArn=found["file_system_arn"], Ec2Config=found["ec2"])
        source = datasync.create_location_s3(S3BucketArn=found["bucket"], Subdirectory="/import/", S3Config=found["role"])[
            "LocationArn"
        ]
        assert ":111222333444:" in source  # not the caller's account
        assert datasync.describe_location_s3(LocationArn=source)["LocationUri"] == "s3://dropbox//import/"
        target = datasync.create_location_s3(S3BucketArn=found["bucket"], Subdirectory="done", S3Config=found["role"])[
            "LocationArn"
        ]
        task = datasync.create_task(
            SourceLocationArn=source,
            DestinationLocationArn=target,
            Name="import",
            Schedule={"ScheduleExpression": "rate(1 hour)"},
        )["TaskArn"]
        assert "Schedule" not in datasync.describe_task(TaskArn=task)
        with pytest.raises(NotImplementedError, match="list_tags_for_resource"):
            datasync.list_tags_for_resource(ResourceArn=task)


def test_datasync_keeps_efs_locations_tags_and_task_settings():
    with applied("datasync efs locations, tags and task settings"), mock_aws():
        datasync, found = client("datasync"), datasync_setup()
        efs = datasync.create_location_efs(
            EfsFilesystemArn=found["file_system_arn"],
            Ec2Config=found["ec2"],
            Subdirectory="//dropbox/",
            Tags=[{"Key": "Name", "Value": "dropbox"}],
        )["LocationArn"]
        assert efs.startswith(f"arn:aws:datasync:{REGION}:{ACCOUNT}:location/")
        described = datasync.describe_location_efs(LocationArn=efs)
        assert described["LocationUri"] == f"efs://{REGION}.{found['file_system']}/dropbox/"
        assert described["Ec2Config"] == found["ec2"] and described["InTransitEncryption"] == "NONE"
        s3 = datasync.create_location_s3(S3BucketArn=found["bucket"], Subdirectory="/import/", S3Config=found["role"])[
            "LocationArn"
        ]
        assert datasync.describe_location_s3(LocationArn=s3)["LocationUri"] == "s3://dropbox/import/"
        schedule, includes = {"ScheduleExpression": "rate(1 hour)"}, [{"FilterType": "SIMPLE_PATTERN", "Value": "/ready"}]
        task = datasync.create_task(
            SourceLocationArn=efs, DestinationLocationArn=s3, Name="import", Schedule=schedule, Includes=includes
        )["TaskArn"]
        assert f":{ACCOUNT}:task/" in task
        described = datasync.describe_task(TaskArn=task)
        assert (described["Schedule"], described["Includes"]) == (schedule, includes)
        datasync.update_task(TaskArn=task, Name="import-all", Includes=[])  # an empty value clears a setting
        described = datasync.describe_task(TaskArn=task)
        assert described["Name"] == "import-all" and described["Schedule"] == schedule and "Includes" not in described
        datasync.tag_resource(ResourceArn=efs, Tags=[{"Key": "Stage", "Value": "test"}])
        datasync.untag_resource(ResourceArn=efs, Keys=["Name"])
        assert datasync.list_tags_for_resource(ResourceArn=efs)["Tags"] == [{"Key": "Stage", "Value": "test"}]


# ec2 detailed monitoring, instances launched with a network interface spec, maintenance options


def run_instance(**extra) -> tuple[str, dict]:
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="uploader", Description="u", VpcId=vpc)["GroupId"]
    spec = {"NetworkInterfaces": [{"DeviceIndex": 0, "SubnetId": subnet, "Groups": [group], "AssociatePublicIpAddress": False}]}
    [instance] = ec2.run_instances(ImageId=IMAGE, MinCount=1, MaxCount=1, InstanceType="t3.micro", **spec, **extra)["Instances"]
    [[described]] = [r["Instances"] for r in ec2.describe_instances(InstanceIds=[instance["InstanceId"]])["Reservations"]]
    return group, described


@stock_gap("ec2 detailed monitoring")
def test_stock_ec2_has_no_monitor_instances():
    with mock_aws():
        _, instance = run_instance()
        with pytest.raises(NotImplementedError, match="monitor_instances"):
            client("ec2").monitor_instances(InstanceIds=[instance["InstanceId"]])


def test_ec2_detailed_monitoring_switches():
    with applied("ec2 detailed monitoring"), mock_aws():
        ec2, (_, instance) = client("ec2"), run_instance()
        ids = [instance["InstanceId"]]
        assert ec2.monitor_instances(InstanceIds=ids)["InstanceMonitorings"] == [
            {"InstanceId": ids[0], "Monitoring": {"State": "pending"}}
        ]
        assert ec2.describe_instances(InstanceIds=ids)["Reservations"][0]["Instances"][0]["Monitoring"] == {"State": "enabled"}
        assert ec2.unmonitor_instances(InstanceIds=ids)["InstanceMonitorings"][0]["Monitoring"] == {"State": "disabling"}
        assert ec2.describe_instances(InstanceIds=ids)["Reservations"][0]["Instances"][0]["Monitoring"] == {"State": "disabled"}


@stock_gap("ec2 instances launched with a network interface spec")
def test_stock_ec2_reports_no_groups_and_an_empty_association():
    with mock_aws():
        _, instance = run_instance()
        assert instance["SecurityGroups"] == []
        assert instance["NetworkInterfaces"][0]["Association"] == {}


def test_ec2_reports_the_interface_groups_and_no_empty_association():
    with applied("ec2 instances launched with a network interface spec"), mock_aws():
        group, instance = run_instance()
        assert [g["GroupId"] for g in instance["SecurityGroups"]] == [group]
        [interface] = instance["NetworkInterfaces"]
        assert "Association" not in interface and "Association" not in interface["PrivateIpAddresses"][0]


@stock_gap("ec2 instance maintenance options")
def test_stock_ec2_reports_no_maintenance_options():
    with mock_aws():
        _, instance = run_instance(MaintenanceOptions={"AutoRecovery": "disabled"})
        assert "MaintenanceOptions" not in instance


def test_ec2_reports_the_maintenance_options_given_at_launch():
    with applied("ec2 instance maintenance options"), mock_aws():
        _, default = run_instance()
        assert default["MaintenanceOptions"] == {"AutoRecovery": "default"}
        _, disabled = run_instance(MaintenanceOptions={"AutoRecovery": "disabled"})
        assert disabled["MaintenanceOptions"] == {"AutoRecovery": "disabled"}


# rds instance resource ids


def create_database(rds, name: str = "omero", **settings) -> dict:
    """The smallest PostgreSQL instance CreateDBInstance takes, with ``settings`` added."""
    return rds.create_db_instance(
        DBInstanceIdentifier=name,
        Engine="postgres",
        DBInstanceClass="db.t4g.micro",
        MasterUsername="omero",
        MasterUserPassword="a-password",
        AllocatedStorage=20,
        **settings,
    )["DBInstance"]


def resource_ids() -> list[str]:
    rds = client("rds")
    for name in ("omero", "omero-restored"):
        create_database(rds, name)
    return [i["DbiResourceId"] for i in rds.describe_db_instances()["DBInstances"]]


@stock_gap("rds instance resource ids")
def test_stock_rds_gives_every_instance_one_resource_id():
    with mock_aws():
        assert resource_ids() == ["db-M5ENSHXFPU6XHZ4G4ZEI5QIO2U"] * 2


def test_rds_gives_each_instance_its_own_resource_id():
    with applied("rds instance resource ids"), mock_aws():
        ids = resource_ids()
        assert len(set(ids)) == 2 and all(i.startswith("db-") and len(i) == 29 for i in ids)


# rds instance and parameter settings

INSIGHTS = ("PerformanceInsightsEnabled", "PerformanceInsightsRetentionPeriod", "EngineLifecycleSupport")


def instance_and_parameter_settings(**create) -> tuple[dict, dict, list]:
    """What DescribeDBInstances says after the create and after turning Performance Insights off,
    and the parameters DescribeDBParameters reports after a ModifyDBParameterGroup."""
    rds = client("rds")
    create_database(rds, **create)
    [created] = rds.describe_db_instances(DBInstanceIdentifier="omero")["DBInstances"]
    rds.modify_db_instance(DBInstanceIdentifier="omero", EnablePerformanceInsights=False, ApplyImmediately=True)
    [modified] = rds.describe_db_instances(DBInstanceIdentifier="omero")["DBInstances"]
    rds.create_db_parameter_group(DBParameterGroupName="omero", DBParameterGroupFamily="postgres17", Description="OMERO")
    setting = {"ParameterName": "log_min_duration_statement", "ParameterValue": "1000", "ApplyMethod": "immediate"}
    rds.modify_db_parameter_group(DBParameterGroupName="omero", Parameters=[setting])
    parameters = rds.describe_db_parameters(DBParameterGroupName="omero")["Parameters"]
    return {k: created.get(k) for k in INSIGHTS}, {k: modified.get(k) for k in INSIGHTS}, parameters


@stock_gap("rds instance and parameter settings")
def test_stock_rds_reports_no_insights_lifecycle_or_parameter_source():
    with mock_aws():
        created, modified, [parameter] = instance_and_parameter_settings(
            EnablePerformanceInsights=True, PerformanceInsightsRetentionPeriod=7
        )
        assert created == modified == dict.fromkeys(INSIGHTS)
        assert "Source" not in parameter


def test_rds_reports_insights_lifecycle_and_user_parameters():
    with applied("rds instance and parameter settings"), mock_aws():
        created, modified, [parameter] = instance_and_parameter_settings(
            EnablePerformanceInsights=True,
            PerformanceInsightsRetentionPeriod=31,
            EngineLifecycleSupport="open-source-rds-extended-support-disabled",
        )
        assert created == dict(zip(INSIGHTS, (True, 31, "open-source-rds-extended-support-disabled"), strict=True))
        assert modified == {**created, "PerformanceInsightsEnabled": False}
        assert parameter["Source"] == "user" and parameter["ParameterValue"] == "1000"
    with applied("rds instance and parameter settings"), mock_aws():  # AWS's defaults
        created, _, _ = instance_and_parameter_settings(EnablePerformanceInsights=True)
        assert created == dict(zip(INSIGHTS, (True, 7, "open-source-rds-extended-support"), strict=True))


# storage gateway appliance image


@stock_gap("storage gateway appliance image")
def test_stock_ssm_has_no_storage_gateway_ami_parameter():
    with mock_aws():
        with pytest.raises(ClientError, match="ParameterNotFound"):
            client("ssm").get_parameter(Name="/aws/service/storagegateway/ami/FILE_S3/latest")


def test_ssm_names_an_amazon_linux_ami_for_the_gateway(monkeypatch):
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "true")
    with applied("storage gateway appliance image"), mock_aws():
        ssm = client("ssm")
        linux = ssm.get_parameter(Name="/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2")["Parameter"]["Value"]
        for gateway_type in ("FILE_S3", "CACHED"):
            found = ssm.get_parameter(Name=f"/aws/service/storagegateway/ami/{gateway_type}/latest")["Parameter"]
            assert found["Value"] == linux and found["Type"] == "String"
        assert client("ec2").describe_images(ImageIds=[linux])["Images"]  # an image moto launches


# route53 create of an existing record

ALIAS = {"HostedZoneId": "Z1H1FL5HABSF5", "EvaluateTargetHealth": True}


def _create_alias(route53, zone: str, name: str, target: str) -> None:
    record = {"Name": name, "Type": "A", "AliasTarget": {**ALIAS, "DNSName": target}}
    route53.change_resource_record_sets(
        HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": record}]}
    )


@stock_gap("route53 create of an existing record")
def test_stock_route53_creates_a_second_record_set_of_a_name_and_type():
    with mock_aws():
        route53 = client("route53")
        zone = route53.create_hosted_zone(Name="example.org", CallerReference="stock")["HostedZone"]["Id"]
        _create_alias(route53, zone, "omero.example.org", "one.eu-west-1.elb.amazonaws.com")
        _create_alias(route53, zone, "omero.example.org", "two.eu-west-1.elb.amazonaws.com")  # accepted


def test_route53_refuses_to_create_a_record_set_that_exists():
    with applied("route53 create of an existing record"), mock_aws():
        route53 = client("route53")
        zone = route53.create_hosted_zone(Name="example.org", CallerReference="patched")["HostedZone"]["Id"]
        _create_alias(route53, zone, "omero.example.org", "one.eu-west-1.elb.amazonaws.com")
        with pytest.raises(ClientError, match=r"(?i)InvalidChangeBatch.*name='omero.example.org.', type='A'.*already exists"):
            _create_alias(route53, zone, "Omero.Example.org.", "two.eu-west-1.elb.amazonaws.com")
        # another name, or an UPSERT of the same one, goes through
        _create_alias(route53, zone, "view.example.org", "two.eu-west-1.elb.amazonaws.com")
        upsert = {
            "Name": "omero.example.org",
            "Type": "A",
            "AliasTarget": {**ALIAS, "DNSName": "two.eu-west-1.elb.amazonaws.com"},
        }
        route53.change_resource_record_sets(
            HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": upsert}]}
        )
        records = route53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
        assert [r["AliasTarget"]["DNSName"] for r in records if r["Name"] == "omero.example.org."] == [
            "two.eu-west-1.elb.amazonaws.com"
        ]
