"""The datasync add-on: an S3 bucket copied into /OMERO on a schedule, as synthesized and applied."""

from __future__ import annotations

import json
import textwrap

import pytest

from config import ConfigError, loads
from tests.harness.apply import aws
from tests.harness.synth import one, synthesize

ROLE = "datasync"


def statements(synth, fragment: str) -> list[dict]:
    """Statements of the stack's IAM policy documents whose construct id contains ``fragment``."""
    documents = synth.data(ROLE, "aws_iam_policy_document")
    return [s for key, doc in documents.items() if fragment in key for s in doc["statement"]]


@pytest.fixture(scope="module")
def full(examples):
    return examples["full"]


@pytest.fixture(scope="module")
def existing_bucket(tmp_path_factory):
    """An existing, customer-key encrypted bucket, run by hand only, with include filters."""
    deployment = loads(
        textwrap.dedent(
            """
        name = "ds-existing"
        datasync {
          enabled                = true
          bucket_name            = "lab-instrument-exports"
          kms_key_arn            = "arn:aws:kms:us-east-1:111122223333:key/0123abcd-0123-4567-89ab-0123456789ab"
          schedule               = null
          includes               = ["/confocal/*", "/widefield/*"]
          verify_mode            = "POINT_IN_TIME_CONSISTENT"
          overwrite_mode         = "ALWAYS"
          preserve_deleted_files = "REMOVE"
          log_level              = "BASIC"
          destination_path       = "/DropBox/importer"
        }
        """
        ),
        "existing.hcl",
    )
    return synthesize(deployment, tmp_path_factory.mktemp("datasync") / "cdktf.out")


# --- the landing bucket ----------------------------------------------------------------------


def test_new_bucket_is_named_from_the_deployment_and_kept(full):
    bucket = one(full.resources(ROLE, "aws_s3_bucket"))
    assert bucket["bucket_prefix"] == "omero-full-omero-datasync-"
    assert bucket["force_destroy"] is False


def test_new_bucket_is_encrypted_with_kms_private_owner_enforced_and_versioned(full):
    [rule] = one(full.resources(ROLE, "aws_s3_bucket_server_side_encryption_configuration"))["rule"]
    assert rule["apply_server_side_encryption_by_default"]["sse_algorithm"] == "aws:kms"
    assert rule["bucket_key_enabled"] is True
    block = one(full.resources(ROLE, "aws_s3_bucket_public_access_block"))
    assert all(
        block[k] is True for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    )
    assert one(full.resources(ROLE, "aws_s3_bucket_ownership_controls"))["rule"] == {"object_ownership": "BucketOwnerEnforced"}
    assert one(full.resources(ROLE, "aws_s3_bucket_versioning"))["versioning_configuration"] == {"status": "Enabled"}


def test_new_bucket_expires_old_versions_and_stale_uploads(full):
    [rule] = one(full.resources(ROLE, "aws_s3_bucket_lifecycle_configuration"))["rule"]
    assert rule["status"] == "Enabled"
    assert rule["noncurrent_version_expiration"] == [{"noncurrent_days": 30}]
    assert rule["abort_incomplete_multipart_upload"] == [{"days_after_initiation": 7}]
    assert "expiration" not in rule  # objects stay unless expire_after_days says otherwise


def test_new_bucket_refuses_plain_http_and_old_tls(full):
    policy = one(full.resources(ROLE, "aws_s3_bucket_policy"))
    assert "bucket_policy_document" in policy["policy"]
    denies = {s["sid"]: s for s in statements(full, "bucket_policy_document")}
    assert denies["DenyInsecureTransport"]["condition"] == [
        {"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}
    ]
    assert denies["DenyOutdatedTLS"]["condition"][0]["variable"] == "s3:TlsVersion"
    assert all(s["effect"] == "Deny" for s in denies.values())


def test_an_existing_bucket_is_used_as_is(existing_bucket):
    assert not existing_bucket.resources(ROLE, "aws_s3_bucket")
    assert not existing_bucket.resources(ROLE, "aws_s3_bucket_policy")
    location = one(existing_bucket.resources(ROLE, "aws_datasync_location_s3"))
    assert location["s3_bucket_arn"] == "arn:${data.aws_partition.partition.partition}:s3:::lab-instrument-exports"
    assert location["subdirectory"] == "/"
    outputs = existing_bucket.stack(ROLE)["output"]
    assert outputs["bucket_name"]["value"] == "lab-instrument-exports"
    assert outputs["upload_uri"]["value"] == "s3://lab-instrument-exports/"


def test_lifecycle_expiry_when_asked(tmp_path):
    synth = synthesize(
        loads('name = "ds-expire"\ndatasync {\n enabled = true\n expire_after_days = 14\n noncurrent_version_days = 3\n}'),
        tmp_path / "out",
    )
    [rule] = one(synth.resources(ROLE, "aws_s3_bucket_lifecycle_configuration"))["rule"]
    assert rule["expiration"] == [{"days": 14}]
    assert rule["noncurrent_version_expiration"] == [{"noncurrent_days": 3}]


# --- least-privilege roles --------------------------------------------------------------------


def test_roles_trust_datasync_of_this_account_only(full):
    roles = full.resources(ROLE, "aws_iam_role")
    assert {r["name"] for r in roles.values()} == {"omero-full-datasync-source", "omero-full-datasync-efs"}
    for key in ("datasync_bucket_trust", "datasync_file_system_trust"):
        [trust] = statements(full, key)
        assert trust["principals"] == [{"type": "Service", "identifiers": ["datasync.amazonaws.com"]}]
        assert trust["condition"] == [
            {
                "test": "StringEquals",
                "variable": "aws:SourceAccount",
                "values": ["${data.aws_caller_identity.account.account_id}"],
            }
        ]


def test_source_role_reads_the_prefix_only(full):
    bucket_level, object_level = statements(full, "datasync_bucket_document")
    assert bucket_level["resources"] == ["${aws_s3_bucket.bucket_3056591E.arn}"]
    assert set(bucket_level["actions"]) == {"s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"}
    assert object_level["resources"] == ["${aws_s3_bucket.bucket_3056591E.arn}/microscopes/*"]
    assert all(a.startswith(("s3:Get", "s3:List")) for a in object_level["actions"])  # read only
    for statement in (bucket_level, object_level):
        assert "*" not in "".join(statement["actions"])


def test_source_role_may_decrypt_with_the_customer_key_through_s3_only(existing_bucket):
    bucket_level, object_level, key = statements(existing_bucket, "datasync_bucket_document")
    assert object_level["resources"] == ["arn:${data.aws_partition.partition.partition}:s3:::lab-instrument-exports/*"]
    assert key["actions"] == ["kms:Decrypt"]
    assert key["resources"] == ["arn:aws:kms:us-east-1:111122223333:key/0123abcd-0123-4567-89ab-0123456789ab"]
    assert key["condition"] == [{"test": "StringEquals", "variable": "kms:ViaService", "values": ["s3.us-east-1.amazonaws.com"]}]


def test_file_system_role_mounts_and_writes_through_the_omero_access_point_only(full):
    [grant] = statements(full, "datasync_file_system_document")
    assert grant["actions"] == ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]  # no root access
    assert "omero-full-storage" in grant["resources"][0] and grant["resources"][0].endswith("arn}")
    [condition] = grant["condition"]
    assert condition["variable"] == "elasticfilesystem:AccessPointArn"
    assert "efs_server_access_point" in condition["values"][0]


def test_locations_wait_for_their_role_policies(full):
    source = one(full.resources(ROLE, "aws_datasync_location_s3"))
    destination = one(full.resources(ROLE, "aws_datasync_location_efs"))
    assert source["depends_on"] == ["aws_iam_role_policy.datasync_bucket_policy_527DEA93"]
    assert destination["depends_on"] == ["aws_iam_role_policy.datasync_file_system_policy_3A1CD84C"]


# --- network ----------------------------------------------------------------------------------


def test_datasync_group_only_opens_nfs_to_the_file_system(full):
    group = one(full.resources(ROLE, "aws_security_group"))
    assert group["name"] == "omero-full-omero-datasync"
    assert "ingress" not in group and "egress" not in group
    assert "omero-full-network" in group["vpc_id"]
    [egress] = full.resources(ROLE, "aws_vpc_security_group_egress_rule").values()
    [ingress] = full.resources(ROLE, "aws_vpc_security_group_ingress_rule").values()
    for rule in (egress, ingress):
        assert (rule["ip_protocol"], rule["from_port"], rule["to_port"]) == ("tcp", 2049, 2049)
        assert "cidr_ipv4" not in rule  # groups reference each other, never address ranges
    assert egress["security_group_id"] == "${aws_security_group.datasync_security_group_46246F27.id}"
    assert (
        "omero-full-storage" in egress["referenced_security_group_id"]
        and "efs_security_group" in egress["referenced_security_group_id"]
    )
    assert ingress["security_group_id"] == egress["referenced_security_group_id"]  # the EFS group
    assert ingress["referenced_security_group_id"] == egress["security_group_id"]


def test_efs_location_uses_the_access_point_over_tls_from_a_private_subnet(full):
    location = one(full.resources(ROLE, "aws_datasync_location_efs"))
    assert location["in_transit_encryption"] == "TLS1_2"
    assert location["subdirectory"] == "/incoming"  # below the access point's root: /OMERO/incoming
    assert "omero-full-storage" in location["access_point_arn"] and "efs_server_access_point" in location["access_point_arn"]
    assert "omero-full-storage" in location["efs_file_system_arn"] and "efs_file_system" in location["efs_file_system_arn"]
    assert location["file_system_access_role_arn"] == "${aws_iam_role.datasync_file_system_role_25E8C319.arn}"
    ec2 = location["ec2_config"]
    assert ec2["security_group_arns"] == ["${aws_security_group.datasync_security_group_46246F27.arn}"]
    assert ":ec2:eu-central-1:" in ec2["subnet_arn"] and "network_private_0" in ec2["subnet_arn"]


# --- the task ---------------------------------------------------------------------------------


def test_task_copies_the_bucket_prefix_into_omero(full):
    task = one(full.resources(ROLE, "aws_datasync_task"))
    assert task["name"] == "omero-full-omero-datasync"
    assert task["source_location_arn"] == "${aws_datasync_location_s3.datasync_source_006B0597.arn}"
    assert task["destination_location_arn"] == "${aws_datasync_location_efs.datasync_destination_F47B5185.arn}"
    assert one(full.resources(ROLE, "aws_datasync_location_s3"))["subdirectory"] == "/microscopes/"
    assert task["schedule"] == {"schedule_expression": "cron(0 1 * * ? *)"}
    assert task["excludes"] == {"filter_type": "SIMPLE_PATTERN", "value": "*.tmp|*.part"}
    assert "includes" not in task


def test_task_options_are_safe_for_omero(full):
    options = one(full.resources(ROLE, "aws_datasync_task"))["options"]
    assert options["verify_mode"] == "ONLY_FILES_TRANSFERRED"
    assert options["overwrite_mode"] == "NEVER"  # files imported in place never change under OMERO
    assert options["preserve_deleted_files"] == "PRESERVE"
    # The access point owns what DataSync writes (uid/gid 1000): ownership and modes are not copied.
    assert (options["uid"], options["gid"], options["posix_permissions"]) == ("NONE", "NONE", "NONE")
    assert (options["atime"], options["mtime"]) == ("BEST_EFFORT", "PRESERVE")
    assert options["bytes_per_second"] == 200 * 1024 * 1024
    assert options["log_level"] == "TRANSFER"


def test_task_settings_from_config(existing_bucket):
    task = one(existing_bucket.resources(ROLE, "aws_datasync_task"))
    assert "schedule" not in task  # started by hand only
    assert task["includes"] == {"filter_type": "SIMPLE_PATTERN", "value": "/confocal/*|/widefield/*"}
    options = task["options"]
    assert options["verify_mode"] == "POINT_IN_TIME_CONSISTENT"
    assert options["overwrite_mode"] == "ALWAYS"
    assert options["preserve_deleted_files"] == "REMOVE"
    assert options["bytes_per_second"] == -1  # no cap
    assert options["log_level"] == "BASIC"
    assert one(existing_bucket.resources(ROLE, "aws_datasync_location_efs"))["subdirectory"] == "/DropBox/importer"


def test_task_logs_to_a_group_with_retention_only_datasync_may_write(full):
    group = one(full.resources(ROLE, "aws_cloudwatch_log_group"))
    assert group["name"] == "/aws/datasync/omero-full/omero-datasync"
    assert group["retention_in_days"] == 365
    task = one(full.resources(ROLE, "aws_datasync_task"))
    assert task["cloudwatch_log_group_arn"] == "${aws_cloudwatch_log_group.datasync_log_group_BDD00FFD.arn}"
    policy = one(full.resources(ROLE, "aws_cloudwatch_log_resource_policy"))
    assert policy["policy_name"] == "omero-full-omero-datasync"
    assert task["depends_on"] == ["aws_cloudwatch_log_resource_policy.datasync_log_policy_FB0A8411"]
    [grant] = statements(full, "log_policy_document")
    assert grant["principals"] == [{"type": "Service", "identifiers": ["datasync.amazonaws.com"]}]
    assert grant["actions"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert grant["resources"] == ["${aws_cloudwatch_log_group.datasync_log_group_BDD00FFD.arn}:*"]
    conditions = {c["variable"]: c for c in grant["condition"]}
    assert conditions["aws:SourceAccount"]["values"] == ["${data.aws_caller_identity.account.account_id}"]
    assert conditions["aws:SourceArn"]["test"] == "ArnLike"
    assert conditions["aws:SourceArn"]["values"] == [
        "arn:${data.aws_partition.partition.partition}:datasync:eu-central-1:${data.aws_caller_identity.account.account_id}:task/*"
    ]


def test_outputs(full):
    outputs = full.stack(ROLE)["output"]
    assert outputs["bucket_name"]["value"] == "${aws_s3_bucket.bucket_3056591E.bucket}"
    assert outputs["task_arn"]["value"] == "${aws_datasync_task.datasync_task_EEC02AC9.arn}"
    assert outputs["destination_path"]["value"] == "/OMERO/incoming"
    assert outputs["upload_uri"]["value"] == "s3://${aws_s3_bucket.bucket_3056591E.bucket}/microscopes/"
    assert outputs["start_command"]["value"] == (
        "aws datasync start-task-execution --region eu-central-1 --task-arn ${aws_datasync_task.datasync_task_EEC02AC9.arn}"
    )


def test_no_stack_when_disabled(examples):
    synth = examples["quickstart-http"]
    assert f"{synth.deployment.name}-datasync" not in synth.order


def test_stack_comes_after_the_services(full):
    order = full.order
    assert order.index("omero-full-datasync") > order.index("omero-full-services")


# --- configuration: defaults and bad input ----------------------------------------------------


def test_defaults():
    config = loads('name = "ds"\ndatasync { enabled = true }').datasync
    assert config.creates_bucket and config.kms_key_arn is None
    assert (config.source_prefix, config.destination_path, config.schedule) == ("/", "/incoming", "rate(1 hour)")
    assert (config.verify_mode, config.overwrite_mode, config.preserve_deleted_files) == (
        "ONLY_FILES_TRANSFERRED",
        "NEVER",
        "PRESERVE",
    )
    assert (config.log_level, config.log_retention_days, config.bandwidth_limit_mibps) == ("TRANSFER", 90, None)
    assert (config.noncurrent_version_days, config.expire_after_days) == (30, None)


@pytest.mark.parametrize(
    "value",
    [
        "rate(1 hour)",
        "rate(12 hours)",
        "rate(1 day)",
        "rate(7 days)",
        "rate(60 minutes)",
        "rate(90 minutes)",
        "cron(0 * * * ? *)",
        "cron(15 2 ? * MON-FRI *)",
        "cron(0 1 * * ? *)",
    ],
)
def test_accepted_schedules(value):
    assert loads(f'name = "ds"\ndatasync {{\n enabled = true\n schedule = "{value}"\n}}').datasync.schedule == value


@pytest.mark.parametrize("value", ["/incoming", "/incoming/", "/DropBox/alice", "/a/b.c/d_e-f"])
def test_accepted_destinations(value):
    assert (
        loads(f'name = "ds"\ndatasync {{\n enabled = true\n destination_path = "{value}"\n}}').datasync.destination_path == value
    )


def problems(body: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        loads('name = "ds"\ndatasync {\n' + textwrap.dedent(body) + "\n}", "test.hcl")
    return caught.value.lines


ON = "enabled = true\n"
BAD_INPUTS = [
    # every key but enabled needs enabled = true
    ('bucket_name = "lab-bucket"', "bucket_name", "only with enabled = true"),
    ('schedule = "rate(1 hour)"', "schedule", "only with enabled = true"),
    ('destination_path = "/x"', "destination_path", "only with enabled = true"),
    ("log_retention_days = 30", "log_retention_days", "only with enabled = true"),
    # types and choices
    ('enabled = "yes"', "enabled", "true or false"),
    (ON + "bucket_name = 3", "bucket_name", "a string"),
    (ON + 'bucket_name = "Not_A_Bucket"', "bucket_name", "an S3 bucket name"),
    (ON + 'kms_key_arn = "alias/aws/s3"', "kms_key_arn", "a KMS key ARN"),
    (ON + 'source_prefix = "microscopes"', "source_prefix", 'starting with "/"'),
    (ON + 'source_prefix = "/a//b"', "source_prefix", 'no "//"'),
    (ON + 'source_prefix = "/a/../b"', "source_prefix", '".."'),
    (ON + 'source_prefix = "/a b"', "source_prefix", "other characters"),
    # DataSync's Subdirectory pattern has no "@", "=" or "," (CreateLocationS3, CreateLocationEfs)
    (ON + 'source_prefix = "/lab@site"', "source_prefix", "as DataSync allows"),
    (ON + 'destination_path = "/incoming/a=b,c"', "destination_path", "as DataSync allows"),
    # the patterns joined with "|" are one FilterRule value of at most 102,400 characters
    (
        ON + "excludes = [" + ", ".join(f'"/{i:04d}{"x" * 1000}"' for i in range(103)) + "]",
        "excludes",
        "at most 102400 characters",
    ),
    (ON + 'destination_path = "incoming"', "destination_path", 'starting with "/"'),
    (ON + 'destination_path = "/incoming/../ManagedRepository"', "destination_path", '".."'),
    (ON + 'destination_path = "/"', "destination_path", "not /OMERO itself"),
    (ON + 'destination_path = "/ManagedRepository/alice"', "destination_path", "outside OMERO's own"),
    (ON + 'destination_path = "/pixels"', "destination_path", "outside OMERO's own"),
    (ON + 'destination_path = "/BioFormatsCache"', "destination_path", "outside OMERO's own"),
    (ON + 'schedule = "hourly"', "schedule", "a schedule DataSync accepts"),
    (ON + 'schedule = "rate(30 minutes)"', "schedule", "at most once an hour"),
    (ON + 'schedule = "rate(1 hours)"', "schedule", "singular unit for 1"),
    (ON + 'schedule = "rate(0 hours)"', "schedule", "singular unit for 1"),
    (ON + 'schedule = "cron(0 * * * *)"', "schedule", "six fields"),
    (ON + 'schedule = "cron(*/15 * * * ? *)"', "schedule", "a single minute"),
    (ON + 'schedule = "cron(0 1 * * * *)"', "schedule", '"?" in day-of-month or day-of-week'),
    (ON + 'verify_mode = "ALWAYS"', "verify_mode", "ONLY_FILES_TRANSFERRED"),
    (ON + 'overwrite_mode = "SOMETIMES"', "overwrite_mode", "NEVER"),
    (ON + 'preserve_deleted_files = "DELETE"', "preserve_deleted_files", "PRESERVE"),
    (ON + 'excludes = "*.tmp"', "excludes", "a list of strings"),
    (ON + 'excludes = ["*.tmp|*.part"]', "excludes", 'no "|"'),
    (ON + 'includes = [""]', "includes", "DataSync filter patterns"),
    (ON + 'includes = ["/a", "/a"]', "includes", "each pattern once"),
    (ON + "bandwidth_limit_mibps = 0", "bandwidth_limit_mibps", "from 1 to 10000"),
    (ON + 'log_level = "DEBUG"', "log_level", "TRANSFER"),
    (ON + "log_retention_days = 10", "log_retention_days", "365"),
    (ON + "noncurrent_version_days = 0", "noncurrent_version_days", "from 1 to 3650"),
    (ON + "expire_after_days = 4000", "expire_after_days", "from 1 to 3650"),
    # rules across keys
    (ON + 'bucket_name = "lab-bucket"\nnoncurrent_version_days = 7', "noncurrent_version_days", "not with bucket_name"),
    (ON + 'bucket_name = "lab-bucket"\nexpire_after_days = 7', "expire_after_days", "not with bucket_name"),
    (ON + 'expire_after_days = 7\npreserve_deleted_files = "REMOVE"', "expire_after_days", "would delete its copy in /OMERO"),
]


@pytest.mark.parametrize("body, key, fragment", BAD_INPUTS, ids=[f"{i:02d}-{b[1]}" for i, b in enumerate(BAD_INPUTS)])
def test_bad_input_names_the_key(body, key, fragment):
    lines = problems(body)
    name = f"datasync.{key}"
    matching = [line for line in lines if line.startswith(f"{name}:") or line.startswith(f"{name} =")]
    assert matching, f"no message names {name}: {lines}"
    assert any(fragment in line for line in matching), f"{fragment!r} not in {matching}"


# --- on the emulator --------------------------------------------------------------------------


@pytest.mark.emulator
@pytest.mark.terraform
def test_datasync_applies_on_the_emulator(addons_on_emulator):
    emulator = addons_on_emulator.emulator  # the session's shared emulator
    synth = addons_on_emulator.synth
    stack = addons_on_emulator.stack_name(ROLE)
    applied = addons_on_emulator.applied(stack)
    region = synth.deployment.region
    outputs = applied.outputs[stack]
    storage = addons_on_emulator.core.outputs[addons_on_emulator.stack_name("storage")]

    datasync = aws(emulator, "datasync", region)
    task = datasync.describe_task(TaskArn=outputs["task_arn"])
    assert task["Name"] == "omero-full-omero-datasync"
    assert task["Schedule"] == {"ScheduleExpression": "cron(0 1 * * ? *)"}
    assert task["Options"]["OverwriteMode"] == "NEVER" and task["Options"]["Uid"] == "NONE"
    assert task["CloudWatchLogGroupArn"].endswith(":log-group:/aws/datasync/omero-full/omero-datasync")

    destination = datasync.describe_location_efs(LocationArn=task["DestinationLocationArn"])
    assert destination["LocationUri"] == f"efs://{region}.{storage['efs_id']}/incoming/"
    assert destination["InTransitEncryption"] == "TLS1_2"
    assert destination["AccessPointArn"].endswith(f"access-point/{storage['efs_access_point_id']}")
    source = datasync.describe_location_s3(LocationArn=task["SourceLocationArn"])
    assert source["LocationUri"] == f"s3://{outputs['bucket_name']}/microscopes/"
    tags = datasync.list_tags_for_resource(ResourceArn=outputs["task_arn"])["Tags"]
    assert {"Key": "deployment", "Value": "omero-full"} in tags

    s3 = aws(emulator, "s3", region)
    encryption = s3.get_bucket_encryption(Bucket=outputs["bucket_name"])["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert encryption["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert s3.get_bucket_versioning(Bucket=outputs["bucket_name"])["Status"] == "Enabled"
    policy = json.loads(s3.get_bucket_policy(Bucket=outputs["bucket_name"])["Policy"])
    assert {s["Sid"] for s in policy["Statement"]} == {"DenyInsecureTransport", "DenyOutdatedTLS"}

    logs = aws(emulator, "logs", region)
    [group] = logs.describe_log_groups(logGroupNamePrefix="/aws/datasync/omero-full/")["logGroups"]
    assert group["retentionInDays"] == 365
    policies = {p["policyName"] for p in logs.describe_resource_policies()["resourcePolicies"]}
    assert "omero-full-omero-datasync" in policies

    # The ready-made command starts a run (the emulator accepts it; nothing is copied there).
    assert outputs["start_command"].endswith(f"--task-arn {outputs['task_arn']}")
    execution = datasync.start_task_execution(TaskArn=outputs["task_arn"])
    assert execution["TaskExecutionArn"].startswith(outputs["task_arn"])
