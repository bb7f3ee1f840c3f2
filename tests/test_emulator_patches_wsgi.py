"""The emulator's patches that answer at the WSGI layer (AWS Backup routes, Storage Gateway with its
appliance's activation key, AppStream, ECR pull-through cache rules), against stock moto and patched.

Each test runs moto's in-process ThreadedMotoServer on 127.0.0.1 at a free port, with the patches it
names applied before the server starts (none: stock moto), and talks to it with boto3 and fake
credentials; the server is stopped and the patches undone when the test ends. Nothing but
127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import http.client
import json
import urllib.request

import pytest
from botocore.exceptions import ClientError
from moto.server import ThreadedMotoServer

from emulator import patches
from tests.test_emulator_patches import ACCOUNT, FAKE_KEYS, IMAGE, ONE_TRY, REGION, SESSION, create_database, stock_gap

OTHER_REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/backup"


@pytest.fixture
def serve(monkeypatch):
    """``serve(*patch names)``: the endpoint of a fresh moto server with those patches applied."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")  # some 5,000 AMIs per region; none is needed
    patcher, running = patches.Patcher(), []

    def start(*names: str) -> str:
        if names:
            patches.apply(names, patcher)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        running.append(server)
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        direct.open(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=30).close()
        return endpoint

    try:
        yield start
    finally:
        for server in running:
            server.stop()
        patcher.undo()


def aws(endpoint: str, service: str, region: str = REGION):
    return SESSION.client(service, region_name=region, endpoint_url=endpoint, config=ONE_TRY, **FAKE_KEYS)


def error_of(call, *args, **kwargs) -> tuple[int, str]:
    with pytest.raises(ClientError) as raised:
        call(*args, **kwargs)
    return raised.value.response["ResponseMetadata"]["HTTPStatusCode"], raised.value.response["Error"]["Code"]


# backup selections, vault notifications and vault access policies


def plan_and_vault(backup) -> tuple[str, str]:
    vault = backup.create_backup_vault(BackupVaultName="omero", BackupVaultTags={"Name": "omero"})["BackupVaultArn"]
    plan = backup.create_backup_plan(
        BackupPlan={
            "BackupPlanName": "omero",
            "Rules": [
                {"RuleName": "daily", "TargetBackupVaultName": "omero", "ScheduleExpression": "cron(0 3 * * ? *)"},
            ],
        }
    )["BackupPlanId"]
    return plan, vault


SELECTION = {"SelectionName": "omero", "IamRoleArn": ROLE, "Resources": ["arn:aws:elasticfilesystem:*:*:file-system/*"]}


def tags_as_the_go_sdk_asks(backup, arn: str) -> dict:
    """ListTags sent as /tags/{arn} without the trailing slash of botocore's model, as the Go SDK does."""

    def no_trailing_slash(request, **_):
        path, _, query = request.url.partition("?")
        request.url = path.rstrip("/") + (f"?{query}" if query else "")

    backup.meta.events.register("before-sign.backup.ListTags", no_trailing_slash)
    try:
        return backup.list_tags(ResourceArn=arn)["Tags"]
    finally:
        backup.meta.events.unregister("before-sign.backup.ListTags", no_trailing_slash)


@stock_gap("backup selections, vault notifications and vault access policies")
def test_stock_backup_has_no_selections_notifications_policies(serve):
    backup = aws(serve(), "backup")
    plan, vault = plan_and_vault(backup)
    assert error_of(backup.create_backup_selection, BackupPlanId=plan, BackupSelection=SELECTION)[0] in (404, 500)
    assert error_of(backup.list_backup_selections, BackupPlanId=plan)[0] in (404, 500)
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:backup"
    assert error_of(
        backup.put_backup_vault_notifications, BackupVaultName="omero", SNSTopicArn=topic, BackupVaultEvents=["BACKUP_JOB_FAILED"]
    )[0] in (404, 500)
    assert error_of(backup.put_backup_vault_access_policy, BackupVaultName="omero", Policy="{}")[0] in (404, 500)
    assert tags_as_the_go_sdk_asks(backup, vault) != {"Name": "omero"}


def test_backup_selections_are_kept_per_plan(serve):
    backup = aws(serve("backup selections, vault notifications and vault access policies"), "backup")
    plan, _ = plan_and_vault(backup)
    created = backup.create_backup_selection(BackupPlanId=plan, BackupSelection=SELECTION, CreatorRequestId="omero")
    selection = created["SelectionId"]
    got = backup.get_backup_selection(BackupPlanId=plan, SelectionId=selection)
    assert got["BackupSelection"]["Resources"] == SELECTION["Resources"] and got["CreatorRequestId"] == "omero"
    [listed] = backup.list_backup_selections(BackupPlanId=plan)["BackupSelectionsList"]
    assert (listed["SelectionId"], listed["SelectionName"], listed["IamRoleArn"]) == (selection, "omero", ROLE)
    assert error_of(backup.delete_backup_plan, BackupPlanId=plan) == (400, "InvalidRequestException")
    backup.delete_backup_selection(BackupPlanId=plan, SelectionId=selection)
    assert error_of(backup.get_backup_selection, BackupPlanId=plan, SelectionId=selection)[1] == "ResourceNotFoundException"
    backup.delete_backup_plan(BackupPlanId=plan)
    assert error_of(backup.list_backup_selections, BackupPlanId=plan)[1] == "ResourceNotFoundException"


def test_backup_vault_notifications_policies_and_tags(serve):
    backup = aws(serve("backup selections, vault notifications and vault access policies"), "backup")
    _, vault = plan_and_vault(backup)
    topic, events = f"arn:aws:sns:{REGION}:{ACCOUNT}:backup", ["BACKUP_JOB_FAILED", "COPY_JOB_FAILED"]
    assert error_of(backup.get_backup_vault_notifications, BackupVaultName="omero")[1] == "ResourceNotFoundException"
    backup.put_backup_vault_notifications(BackupVaultName="omero", SNSTopicArn=topic, BackupVaultEvents=events)
    found = backup.get_backup_vault_notifications(BackupVaultName="omero")
    assert (found["BackupVaultArn"], found["SNSTopicArn"], found["BackupVaultEvents"]) == (vault, topic, events)
    backup.delete_backup_vault_notifications(BackupVaultName="omero")
    assert error_of(backup.get_backup_vault_notifications, BackupVaultName="omero")[1] == "ResourceNotFoundException"
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "backup:DeleteRecoveryPoint", "Resource": "*"}],
        }
    )
    backup.put_backup_vault_access_policy(BackupVaultName="omero", Policy=policy)
    assert backup.get_backup_vault_access_policy(BackupVaultName="omero")["Policy"] == policy
    backup.delete_backup_vault_access_policy(BackupVaultName="omero")
    assert error_of(backup.get_backup_vault_access_policy, BackupVaultName="omero")[1] == "ResourceNotFoundException"
    assert tags_as_the_go_sdk_asks(backup, vault) == {"Name": "omero"}
    assert backup.list_tags(ResourceArn=vault)["Tags"] == {"Name": "omero"}


# backup jobs, recovery points, copies and restores


@stock_gap("backup jobs, recovery points, copies and restores")
def test_stock_backup_runs_no_jobs(serve):
    endpoint = serve()
    backup, efs = aws(endpoint, "backup"), aws(endpoint, "efs")
    plan_and_vault(backup)
    file_system = efs.create_file_system(CreationToken="omero-data")["FileSystemArn"]
    assert error_of(backup.start_backup_job, BackupVaultName="omero", ResourceArn=file_system, IamRoleArn=ROLE)[0] in (404, 500)
    assert error_of(backup.list_recovery_points_by_backup_vault, BackupVaultName="omero")[0] in (404, 500)
    assert error_of(backup.list_backup_jobs, ByBackupVaultName="omero")[0] in (404, 500)
    assert error_of(backup.describe_restore_job, RestoreJobId="00000000-0000-0000-0000-000000000000")[0] in (404, 500)


def test_backup_of_a_file_system_copied_and_restored(serve):
    endpoint = serve("backup jobs, recovery points, copies and restores")
    backup, efs, other = aws(endpoint, "backup"), aws(endpoint, "efs"), aws(endpoint, "backup", OTHER_REGION)
    plan_and_vault(backup)
    copies = other.create_backup_vault(BackupVaultName="omero-copies")["BackupVaultArn"]
    file_system = efs.create_file_system(CreationToken="omero-data", Encrypted=True)["FileSystemArn"]
    started = backup.start_backup_job(BackupVaultName="omero", ResourceArn=file_system, IamRoleArn=ROLE)
    job = backup.describe_backup_job(BackupJobId=started["BackupJobId"])
    assert (job["State"], job["ResourceType"], job["RecoveryPointArn"]) == ("COMPLETED", "EFS", started["RecoveryPointArn"])
    [listed] = backup.list_backup_jobs(ByBackupVaultName="omero", ByResourceArn=file_system)["BackupJobs"]
    assert (listed["BackupJobId"], listed["State"]) == (started["BackupJobId"], "COMPLETED")
    assert backup.list_backup_jobs(ByBackupVaultName="omero", ByState="FAILED")["BackupJobs"] == []
    assert backup.list_backup_jobs(ByBackupVaultName="other")["BackupJobs"] == []
    assert started["RecoveryPointArn"].startswith(f"arn:aws:backup:{REGION}:{ACCOUNT}:recovery-point:")
    [point] = backup.list_recovery_points_by_backup_vault(BackupVaultName="omero", ByResourceArn=file_system)["RecoveryPoints"]
    assert (point["Status"], point["ResourceArn"]) == ("COMPLETED", file_system)
    assert backup.list_recovery_points_by_backup_vault(BackupVaultName="omero", ByResourceType="RDS")["RecoveryPoints"] == []
    described = backup.describe_recovery_point(BackupVaultName="omero", RecoveryPointArn=point["RecoveryPointArn"])
    assert described["CreatedBy"] == {"BackupPlanId": "on-demand"}

    copy = backup.start_copy_job(
        RecoveryPointArn=point["RecoveryPointArn"],
        SourceBackupVaultName="omero",
        DestinationBackupVaultArn=copies,
        IamRoleArn=ROLE,
    )["CopyJobId"]
    copied = backup.describe_copy_job(CopyJobId=copy)["CopyJob"]
    assert (copied["State"], copied["DestinationBackupVaultArn"]) == ("COMPLETED", copies)
    [in_copies] = other.list_recovery_points_by_backup_vault(BackupVaultName="omero-copies")["RecoveryPoints"]
    assert in_copies["RecoveryPointArn"] == copied["DestinationRecoveryPointArn"] and in_copies["ResourceArn"] == file_system

    metadata = {
        "newFileSystem": "true",
        "CreationToken": "omero-data-restored",
        "Encrypted": "true",
        "PerformanceMode": "generalPurpose",
    }
    restore = backup.start_restore_job(RecoveryPointArn=point["RecoveryPointArn"], Metadata=metadata, IamRoleArn=ROLE)[
        "RestoreJobId"
    ]
    assert backup.describe_restore_job(RestoreJobId=restore)["Status"] == "RUNNING"
    done = backup.describe_restore_job(RestoreJobId=restore)
    assert done["Status"] == "COMPLETED" and done["PercentDone"] == "100.0"
    [restored] = efs.describe_file_systems(CreationToken="omero-data-restored")["FileSystems"]
    assert done["CreatedResourceArn"] == restored["FileSystemArn"] and restored["Encrypted"]
    again = backup.start_restore_job(RecoveryPointArn=point["RecoveryPointArn"], Metadata=metadata, IamRoleArn=ROLE)[
        "RestoreJobId"
    ]
    assert backup.describe_restore_job(RestoreJobId=again)["Status"] == "FAILED"  # the creation token is taken


def test_backup_of_a_database_is_a_snapshot_it_can_be_restored_from(serve):
    endpoint = serve("backup jobs, recovery points, copies and restores")
    backup, rds, other = aws(endpoint, "backup"), aws(endpoint, "rds"), aws(endpoint, "backup", OTHER_REGION)
    plan_and_vault(backup)
    copies = other.create_backup_vault(BackupVaultName="omero-copies")["BackupVaultArn"]
    database = create_database(rds)
    started = backup.start_backup_job(BackupVaultName="omero", ResourceArn=database["DBInstanceArn"], IamRoleArn=ROLE)
    name = f"awsbackup:job-{started['BackupJobId'].lower()}"
    assert started["RecoveryPointArn"] == f"arn:aws:rds:{REGION}:{ACCOUNT}:snapshot:{name}"
    [snapshot] = rds.describe_db_snapshots(DBSnapshotIdentifier=name)["DBSnapshots"]
    assert (snapshot["SnapshotType"], snapshot["DBInstanceIdentifier"]) == ("awsbackup", "omero")
    restored = rds.restore_db_instance_from_db_snapshot(DBInstanceIdentifier="omero-restored", DBSnapshotIdentifier=name)
    assert restored["DBInstance"]["DBInstanceIdentifier"] == "omero-restored"
    copy = backup.start_copy_job(
        RecoveryPointArn=started["RecoveryPointArn"],
        SourceBackupVaultName="omero",
        DestinationBackupVaultArn=copies,
        IamRoleArn=ROLE,
    )["CopyJobId"]
    copied = backup.describe_copy_job(CopyJobId=copy)["CopyJob"]["DestinationRecoveryPointArn"]
    assert copied == f"arn:aws:rds:{OTHER_REGION}:{ACCOUNT}:snapshot:awsbackup:copyjob-{copy.lower()}"
    copy_name = copied.split(":snapshot:", 1)[1]
    assert aws(endpoint, "rds", OTHER_REGION).describe_db_snapshots(DBSnapshotIdentifier=copy_name)["DBSnapshots"]


# storage gateway


def gateway_instance(endpoint: str, instance_type: str) -> dict:
    ec2 = aws(endpoint, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    [instance] = ec2.run_instances(
        ImageId=IMAGE,
        MinCount=1,
        MaxCount=1,
        InstanceType=instance_type,
        SubnetId=subnet,
        BlockDeviceMappings=[{"DeviceName": "/dev/sdb", "Ebs": {"VolumeSize": 150}}],
    )["Instances"]
    return instance


def activation_key(endpoint: str, address: str, query: str = "activationRegion=eu-west-1&no_redirect") -> tuple[int, str, str]:
    """What Terraform's plain-HTTP GET to the appliance's address gets, sent to the emulator as its
    proxy (the connection is to 127.0.0.1; only the Host header names the appliance)."""
    host, port = endpoint.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request("GET", f"http://{address}/?{query}", headers={"Host": address})
        response = connection.getresponse()
        return response.status, response.getheader("Location") or "", response.read().decode()
    finally:
        connection.close()


@stock_gap("storage gateway")
def test_stock_moto_has_no_storage_gateway(serve):
    endpoint = serve()
    instance = gateway_instance(endpoint, "m5.xlarge")
    status, _, body = activation_key(endpoint, instance["PrivateIpAddress"])
    assert status != 302 and "ListAllMyBucketsResult" in body  # moto's S3 answers, not an appliance
    assert error_of(aws(endpoint, "storagegateway").list_gateways)[0] == 500


def test_storage_gateway_is_the_instance_it_was_activated_from(serve):
    endpoint = serve("storage gateway")
    instance, gateways = gateway_instance(endpoint, "m5.xlarge"), aws(endpoint, "storagegateway")
    address = instance["PrivateIpAddress"]
    status, location, _ = activation_key(endpoint, address, "activationRegion=eu-west-1")
    assert status == 302 and "activationRegion=eu-west-1&activationKey=" in location
    assert activation_key(endpoint, "10.9.9.9")[0] == 404  # no running instance has that address
    status, _, key = activation_key(endpoint, address)
    assert status == 200
    arn = gateways.activate_gateway(
        ActivationKey=key,
        GatewayName="omero",
        GatewayTimezone="GMT",
        GatewayRegion=REGION,
        GatewayType="FILE_S3",
        Tags=[{"Key": "Name", "Value": "omero"}],
    )["GatewayARN"]
    assert error_of(
        gateways.activate_gateway, ActivationKey=key, GatewayName="again", GatewayTimezone="GMT", GatewayRegion=REGION
    ) == (400, "InvalidGatewayRequestException")  # a key is used once
    described = gateways.describe_gateway_information(GatewayARN=arn)
    assert (described["Ec2InstanceId"], described["GatewayType"], described["GatewayState"]) == (
        instance["InstanceId"],
        "FILE_S3",
        "RUNNING",
    )
    assert described["GatewayNetworkInterfaces"] == [{"Ipv4Address": address}]
    assert described["Tags"] == [{"Key": "Name", "Value": "omero"}]
    [disk] = gateways.list_local_disks(GatewayARN=arn)["Disks"]
    assert (disk["DiskNode"], disk["DiskPath"], disk["DiskAllocationType"]) == ("/dev/sdb", "/dev/nvme1n1", "AVAILABLE")
    assert disk["DiskSizeInBytes"] == 150 * 1024**3
    gateways.add_cache(GatewayARN=arn, DiskIds=[disk["DiskId"]])
    cache = gateways.describe_cache(GatewayARN=arn)
    assert (cache["DiskIds"], cache["CacheAllocatedInBytes"]) == ([disk["DiskId"]], 150 * 1024**3)
    assert gateways.list_local_disks(GatewayARN=arn)["Disks"][0]["DiskAllocationType"] == "CACHE STORAGE"
    assert gateways.describe_maintenance_start_time(GatewayARN=arn)["HourOfDay"] == 2
    assert gateways.describe_smb_settings(GatewayARN=arn)["SMBSecurityStrategy"] == "MandatorySigning"

    share = gateways.create_nfs_file_share(
        ClientToken="omero",
        GatewayARN=arn,
        Role=f"arn:aws:iam::{ACCOUNT}:role/gateway",
        LocationARN="arn:aws:s3:::omero-import",
        ClientList=["10.0.0.0/16"],
    )["FileShareARN"]
    [info] = gateways.describe_nfs_file_shares(FileShareARNList=[share])["NFSFileShareInfoList"]
    assert (info["Path"], info["ClientList"], info["Squash"], info["DefaultStorageClass"]) == (
        "/omero-import",
        ["10.0.0.0/16"],
        "RootSquash",
        "S3_STANDARD",
    )
    gateways.update_nfs_file_share(FileShareARN=share, Squash="NoSquash")
    assert gateways.describe_nfs_file_shares(FileShareARNList=[share])["NFSFileShareInfoList"][0]["Squash"] == "NoSquash"
    assert [s["FileShareARN"] for s in gateways.list_file_shares(GatewayARN=arn)["FileShareInfoList"]] == [share]

    gateways.delete_gateway(GatewayARN=arn)
    with pytest.raises(ClientError) as gone:
        gateways.describe_gateway_information(GatewayARN=arn)
    assert gone.value.response["error"]["errorCode"] == "GatewayNotFound"
    assert error_of(gateways.describe_nfs_file_shares, FileShareARNList=[share])[1] == "InvalidGatewayRequestException"
    assert gateways.list_gateways()["Gateways"] == []


def test_storage_gateway_on_a_xen_instance_lists_the_device_name(serve):
    endpoint = serve("storage gateway")
    instance = gateway_instance(endpoint, "t2.medium")
    key = activation_key(endpoint, instance["PrivateIpAddress"])[2]
    gateways = aws(endpoint, "storagegateway")
    arn = gateways.activate_gateway(ActivationKey=key, GatewayName="omero", GatewayTimezone="GMT", GatewayRegion=REGION)[
        "GatewayARN"
    ]
    [disk] = gateways.list_local_disks(GatewayARN=arn)["Disks"]
    assert (disk["DiskNode"], disk["DiskPath"]) == ("/dev/sdb", "/dev/sdb")


# appstream


@stock_gap("appstream")
def test_stock_moto_has_no_appstream(serve):
    appstream = aws(serve(), "appstream")
    assert error_of(appstream.describe_fleets)[0] == 500
    assert error_of(appstream.create_stack, Name="omero-insight")[0] == 500


def test_appstream_fleets_and_stacks(serve):
    appstream = aws(serve("appstream"), "appstream")
    fleet = appstream.create_fleet(
        Name="insight",
        ImageName="omero-insight",
        InstanceType="stream.standard.medium",
        ComputeCapacity={"DesiredInstances": 2},
        Tags={"Name": "insight"},
    )["Fleet"]
    assert (fleet["State"], fleet["ComputeCapacityStatus"]["Running"], fleet["MaxUserDurationInSeconds"]) == ("STOPPED", 0, 57600)
    appstream.start_fleet(Name="insight")
    [running] = appstream.describe_fleets(Names=["insight"])["Fleets"]
    assert (running["State"], running["ComputeCapacityStatus"]["Running"]) == ("RUNNING", 2)
    stack = appstream.create_stack(
        Name="omero",
        ApplicationSettings={"Enabled": True, "SettingsGroup": "omero"},
        UserSettings=[{"Action": "CLIPBOARD_COPY_FROM_LOCAL_DEVICE", "Permission": "ENABLED"}],
    )["Stack"]
    assert stack["ApplicationSettings"]["S3BucketName"].startswith(f"appstream-app-settings-{REGION}-{ACCOUNT}")
    appstream.associate_fleet(FleetName="insight", StackName="omero")
    assert appstream.list_associated_stacks(FleetName="insight")["Names"] == ["omero"]
    assert appstream.list_associated_fleets(StackName="omero")["Names"] == ["insight"]
    assert error_of(appstream.delete_fleet, Name="insight")[1] == "ResourceInUseException"  # running
    appstream.stop_fleet(Name="insight")
    assert error_of(appstream.delete_fleet, Name="insight")[1] == "ResourceInUseException"  # still associated
    assert error_of(appstream.delete_stack, Name="omero")[1] == "ResourceInUseException"
    appstream.disassociate_fleet(FleetName="insight", StackName="omero")
    assert appstream.list_tags_for_resource(ResourceArn=fleet["Arn"])["Tags"] == {"Name": "insight"}
    appstream.tag_resource(ResourceArn=stack["Arn"], Tags={"Stage": "test"})
    assert appstream.list_tags_for_resource(ResourceArn=stack["Arn"])["Tags"] == {"Stage": "test"}
    appstream.delete_fleet(Name="insight")
    appstream.delete_stack(Name="omero")
    assert error_of(appstream.describe_fleets, Names=["insight"])[1] == "ResourceNotFoundException"
    assert error_of(appstream.list_tags_for_resource, ResourceArn=fleet["Arn"])[1] == "ResourceNotFoundException"


def test_appstream_users_and_their_stacks(serve):
    appstream = aws(serve("appstream"), "appstream")
    appstream.create_stack(Name="omero")
    user = {"UserName": "ada@example.org", "AuthenticationType": "USERPOOL"}
    appstream.create_user(**user, FirstName="Ada")
    assert error_of(appstream.create_user, **user)[1] == "ResourceAlreadyExistsException"
    appstream.disable_user(**user)
    [described] = appstream.describe_users(AuthenticationType="USERPOOL")["Users"]
    assert (described["UserName"], described["Enabled"], described["FirstName"]) == ("ada@example.org", False, "Ada")
    errors = appstream.batch_associate_user_stack(
        UserStackAssociations=[
            {"StackName": "omero", **user},
            {"StackName": "missing", **user},
        ]
    )["errors"]
    assert [e["ErrorCode"] for e in errors] == ["STACK_NOT_FOUND"]
    assert appstream.describe_user_stack_associations(StackName="omero")["UserStackAssociations"] == [
        {"StackName": "omero", **user}
    ]
    appstream.delete_user(**user)
    assert appstream.describe_user_stack_associations(StackName="omero")["UserStackAssociations"] == []
    assert error_of(appstream.enable_user, **user)[1] == "ResourceNotFoundException"


# ecr pull-through cache rules

DOCKER_HUB = "registry-1.docker.io"


@stock_gap("ecr pull-through cache rules")
def test_stock_ecr_has_no_pull_through_cache_rules(serve):
    ecr = aws(serve(), "ecr")
    assert (
        error_of(ecr.create_pull_through_cache_rule, ecrRepositoryPrefix="docker-hub", upstreamRegistryUrl="public.ecr.aws")[0]
        == 500
    )
    assert error_of(ecr.describe_pull_through_cache_rules)[0] == 500


def test_ecr_pull_through_cache_rules(serve):
    endpoint = serve("ecr pull-through cache rules")
    ecr, secrets = aws(endpoint, "ecr"), aws(endpoint, "secretsmanager")
    secret = secrets.create_secret(Name="ecr-pullthroughcache/docker-hub", SecretString="{}")["ARN"]
    other = secrets.create_secret(Name="docker-hub", SecretString="{}")["ARN"]
    missing = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:ecr-pullthroughcache/missing-AbCdEf"
    for prefix, extra, code in (
        ("docker-hub", {}, "InvalidParameterException"),  # Docker Hub needs a credential
        ("docker-hub", {"credentialArn": other}, "InvalidParameterException"),  # not ecr-pullthroughcache/...
        ("docker-hub", {"credentialArn": missing}, "SecretNotFoundException"),
        ("Docker-Hub", {"credentialArn": secret}, "InvalidParameterException"),  # not in ECR's pattern
    ):
        assert (
            error_of(ecr.create_pull_through_cache_rule, ecrRepositoryPrefix=prefix, upstreamRegistryUrl=DOCKER_HUB, **extra)[1]
            == code
        )
    rule = ecr.create_pull_through_cache_rule(
        ecrRepositoryPrefix="docker-hub", upstreamRegistryUrl=DOCKER_HUB, credentialArn=secret
    )
    assert (rule["registryId"], rule["upstreamRegistry"], rule["credentialArn"]) == (ACCOUNT, "docker-hub", secret)
    assert (
        error_of(
            ecr.create_pull_through_cache_rule,
            ecrRepositoryPrefix="docker-hub",
            upstreamRegistryUrl=DOCKER_HUB,
            credentialArn=secret,
        )[1]
        == "PullThroughCacheRuleAlreadyExistsException"
    )
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="ecr-public", upstreamRegistryUrl="public.ecr.aws")
    rules = ecr.describe_pull_through_cache_rules()["pullThroughCacheRules"]
    assert [r["ecrRepositoryPrefix"] for r in rules] == ["docker-hub", "ecr-public"]
    assert "upstreamRepositoryPrefix" not in rules[0]
    ecr.create_repository(repositoryName="omero-server")  # moto still answers ECR's other operations
    ecr.delete_pull_through_cache_rule(ecrRepositoryPrefix="docker-hub")
    assert (
        error_of(ecr.describe_pull_through_cache_rules, ecrRepositoryPrefixes=["docker-hub"])[1]
        == "PullThroughCacheRuleNotFoundException"
    )
    assert (
        error_of(ecr.delete_pull_through_cache_rule, ecrRepositoryPrefix="docker-hub")[1]
        == "PullThroughCacheRuleNotFoundException"
    )
