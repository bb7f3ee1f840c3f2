"""The monitoring add-on: alarm topic, alarms and dashboard, from the synthesized JSON of
examples/full.hcl and applied on the emulator."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest

from config import loads
from tests.harness.apply import aws
from tests.harness.synth import one
from tests.test_config import problems

ROLE = "monitoring"
REFERENCE = re.compile(r"\$\{[^}]+\}")


@pytest.fixture(scope="module")
def full(examples):
    return examples["full"]


def alarms(synth) -> dict[str, dict]:
    return {a["alarm_name"]: a for a in synth.resources(ROLE, "aws_cloudwatch_metric_alarm").values()}


def dashboard(synth) -> dict:
    """The dashboard body with every reference replaced by a placeholder: valid JSON or a failure."""
    body = one(synth.resources(ROLE, "aws_cloudwatch_dashboard"))["dashboard_body"]
    return json.loads(REFERENCE.sub(lambda m: "REF" + str(abs(hash(m.group(0))) % 10**6), body))


def test_only_enabled_deployments_have_the_stack(examples):
    assert examples["full"].order[-1] == "omero-full-monitoring"  # last: it watches the rest
    assert not any(name.endswith("-monitoring") for name in examples["tls-rw"].order)


def test_topic_is_encrypted_with_a_key_cloudwatch_may_use(full):
    topic = one(full.resources(ROLE, "aws_sns_topic"))
    assert topic["name"] == "omero-full-omero-alarms"
    [(key_id, key)] = full.resources(ROLE, "aws_kms_key").items()
    assert topic["kms_master_key_id"] == f"${{aws_kms_key.{key_id}.arn}}"
    assert key["enable_key_rotation"] is True
    alias = one(full.resources(ROLE, "aws_kms_alias"))
    assert alias["name"] == "alias/omero-full-omero-alarms"
    key_policy = json.loads(REFERENCE.sub("REF", key["policy"]))
    for statement in key_policy["Statement"]:
        assert "*" not in statement["Action"] and "kms:*" not in statement["Action"]
        assert statement["Resource"] == "*"  # in a key policy: this key
    account, cloudwatch, events = key_policy["Statement"]
    assert account["Principal"] == {"AWS": "arn:REF:iam::REF:root"}
    topic_arn = "arn:REF:sns:eu-central-1:REF:omero-full-omero-alarms"
    # CloudWatch: this account's alarms of this deployment, for this topic only.
    assert cloudwatch["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert sorted(cloudwatch["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert cloudwatch["Condition"] == {
        "StringEquals": {"aws:SourceAccount": "REF", "kms:EncryptionContext:aws:sns:topicArn": topic_arn},
        "ArnLike": {"aws:SourceArn": "arn:REF:cloudwatch:eu-central-1:REF:alarm:omero-full-omero-*"},
    }
    # The failed-backup rule (the example has backups) publishes through EventBridge: for this
    # topic only; aws:Source* conditions are not supported in a key policy for EventBridge.
    assert events["Principal"] == {"Service": "events.amazonaws.com"}
    assert events["Condition"] == {"StringEquals": {"kms:EncryptionContext:aws:sns:topicArn": topic_arn}}
    assert "${data.aws_caller_identity.account.account_id}" in key["policy"]


def test_a_given_key_replaces_the_made_one(tmp_path):
    from tests.harness.synth import synthesize

    text = (
        'name = "mon"\nmonitoring {\n enabled = true\n'
        ' kms_key_arn = "arn:aws:kms:us-east-1:111122223333:key/0123abcd-0123-4567-89ab-0123456789ab"\n}\n'
        'storage {\n throughput_mode = "provisioned"\n provisioned_throughput_mibps = 64 }\n'
    )
    path = tmp_path / "mon.hcl"
    path.write_text(text)
    synth = synthesize(path, tmp_path / "cdktf.out")
    assert not synth.resources(ROLE, "aws_kms_key")
    topic = one(synth.resources(ROLE, "aws_sns_topic"))
    assert topic["kms_master_key_id"] == "arn:aws:kms:us-east-1:111122223333:key/0123abcd-0123-4567-89ab-0123456789ab"
    assert not synth.resources(ROLE, "aws_sns_topic_subscription")  # no alarm_email
    found = alarms(synth)
    # provisioned throughput: a utilisation alarm by metric math; no burst credits on this mode
    throughput = found["mon-omero-efs-throughput-high"]
    assert [q["id"] for q in throughput["metric_query"]] == ["used", "permitted", "utilization"]
    assert throughput["metric_query"][2]["expression"] == "100 * (used / PERIOD(used)) / permitted"
    assert "metric_name" not in throughput and "period" not in throughput
    assert "mon-omero-efs-burst-credits-low" not in found
    # Fargate: no container-instance widgets; no read-only server
    titles = [w["properties"].get("markdown") for w in dashboard(synth)["widgets"]]
    assert "## EC2 container instances" not in titles


def test_topic_policy_admits_only_this_deployments_alarms_over_tls(full):
    policy = one(full.resources(ROLE, "aws_sns_topic_policy"))
    assert policy["policy"].startswith("${data.aws_iam_policy_document.alarm_topic_topic_policy_document")
    [document] = [d for name, d in full.data(ROLE, "aws_iam_policy_document").items() if "topic_policy" in name]
    allow, events, deny = document["statement"]
    assert events["principals"] == [{"type": "Service", "identifiers": ["events.amazonaws.com"]}]
    [rule_arn] = [c["values"][0] for c in events["condition"] if c["variable"] == "aws:SourceArn"]
    assert rule_arn.endswith(":events:eu-central-1:${data.aws_caller_identity.account.account_id}:rule/omero-full-omero-*")
    assert allow["effect"] == "Allow" and allow["actions"] == ["sns:Publish"]
    assert allow["principals"] == [{"type": "Service", "identifiers": ["cloudwatch.amazonaws.com"]}]
    conditions = {c["variable"]: c for c in allow["condition"]}
    assert conditions["aws:SourceAccount"]["values"] == ["${data.aws_caller_identity.account.account_id}"]
    assert conditions["aws:SourceArn"]["test"] == "ArnLike"
    assert conditions["aws:SourceArn"]["values"][0].endswith(
        ":cloudwatch:eu-central-1:${data.aws_caller_identity.account.account_id}:alarm:omero-full-omero-*"
    )
    assert deny["effect"] == "Deny" and deny["condition"][0]["variable"] == "aws:SecureTransport"
    subscription = one(full.resources(ROLE, "aws_sns_topic_subscription"))
    assert subscription["protocol"] == "email" and subscription["endpoint"] == "omero-oncall@example.org"


def test_alarms_notify_the_topic_with_actionable_descriptions(full):
    found = alarms(full)
    assert set(found) == {
        f"omero-full-omero-{key}"
        for key in (
            "web-unhealthy-targets",
            "web-no-healthy-targets",
            "web-5xx",
            "load-balancer-5xx",
            "server-not-running",
            "database-cpu-high",
            "database-storage-low",
            "database-memory-low",
            "efs-io-limit",
            # examples/full.hcl has the S3 File Gateway add-on
            "file-gateway-unavailable",
            "file-gateway-health",
            "file-gateway-cache-dirty",
            "file-gateway-io-wait",
            "file-gateway-instance-down",
        )
    }
    topic = f"${{aws_sns_topic.{next(iter(full.resources(ROLE, 'aws_sns_topic')))}.arn}}"
    for alarm in found.values():
        assert alarm["alarm_actions"] == [topic] and alarm["ok_actions"] == [topic]
        assert len(alarm["alarm_description"]) > 80  # says what broke and where to look
        assert alarm["evaluation_periods"] == alarm["datapoints_to_alarm"]


def test_alarm_metrics_and_thresholds(full):
    found = alarms(full)
    unhealthy = found["omero-full-omero-web-unhealthy-targets"]
    assert (unhealthy["namespace"], unhealthy["metric_name"]) == ("AWS/ApplicationELB", "UnHealthyHostCount")
    assert unhealthy["comparison_operator"] == "GreaterThanThreshold" and unhealthy["threshold"] == 0
    assert "arn_suffix" in unhealthy["dimensions"]["LoadBalancer"] and "target_group" in unhealthy["dimensions"]["TargetGroup"]
    server = found["omero-full-omero-server-not-running"]
    assert (server["namespace"], server["metric_name"]) == ("ECS/ContainerInsights", "RunningTaskCount")
    assert server["comparison_operator"] == "LessThanThreshold" and server["threshold"] == 1
    assert server["treat_missing_data"] == "breaching"
    assert set(server["dimensions"]) == {"ClusterName", "ServiceName"}
    assert "services.outputs" in server["dimensions"]["ServiceName"]
    assert found["omero-full-omero-web-no-healthy-targets"]["treat_missing_data"] == "breaching"
    cpu = found["omero-full-omero-database-cpu-high"]
    assert cpu["threshold"] == 80 and "storage.outputs" in cpu["dimensions"]["DBInstanceIdentifier"]
    assert found["omero-full-omero-database-storage-low"]["threshold"] == 10 * 1024**3
    assert found["omero-full-omero-database-memory-low"]["threshold"] == 256 * 1024**2
    io = found["omero-full-omero-efs-io-limit"]
    assert (io["namespace"], io["metric_name"], io["threshold"]) == ("AWS/EFS", "PercentIOLimit", 90)
    assert "storage.outputs" in io["dimensions"]["FileSystemId"]
    for key in ("web-5xx", "load-balancer-5xx"):
        assert found[f"omero-full-omero-{key}"]["statistic"] == "Sum"
        assert found[f"omero-full-omero-{key}"]["threshold"] == 20


def test_the_file_gateway_is_watched(full):
    found = {name.removeprefix("omero-full-omero-file-gateway-"): a for name, a in alarms(full).items() if "file-gateway" in name}
    for key in ("unavailable", "health", "cache-dirty", "io-wait"):
        alarm = found[key]
        assert alarm["namespace"] == "AWS/StorageGateway", key
        # AWS/StorageGateway keys a gateway's metrics by GatewayId and GatewayName together.
        assert set(alarm["dimensions"]) == {"GatewayId", "GatewayName"}, key
        assert "file-gateway.outputs" in alarm["dimensions"]["GatewayId"], key
        assert alarm["dimensions"]["GatewayName"] == "omero-full-omero-file-gateway", key
        assert alarm["period"] == 300 and alarm["treat_missing_data"] == "notBreaching", key
    for key, metric in (("unavailable", "AvailabilityNotifications"), ("health", "HealthNotifications")):
        alarm = found[key]
        assert (alarm["metric_name"], alarm["statistic"]) == (metric, "Sum")
        assert (alarm["comparison_operator"], alarm["threshold"], alarm["evaluation_periods"]) == (
            "GreaterThanOrEqualToThreshold",
            1,
            1,
        )
    dirty, wait = found["cache-dirty"], found["io-wait"]
    assert (dirty["metric_name"], dirty["threshold"], dirty["evaluation_periods"]) == ("CachePercentDirty", 80, 3)
    assert (wait["metric_name"], wait["threshold"], wait["evaluation_periods"]) == ("IoWaitPercent", 10, 3)
    assert dirty["comparison_operator"] == wait["comparison_operator"] == "GreaterThanThreshold"
    down = found["instance-down"]
    assert (down["namespace"], down["metric_name"], down["statistic"]) == ("AWS/EC2", "StatusCheckFailed", "Maximum")
    assert "file-gateway.outputs" in down["dimensions"]["InstanceId"]
    assert down["treat_missing_data"] == "breaching"  # a stopped instance reports nothing
    # full.hcl mounts the share beside /OMERO (role = "import"); the description says what is at stake.
    assert "imported in place" in found["unavailable"]["alarm_description"]
    assert "one instance in one Availability Zone" in down["alarm_description"]


def test_gateway_thresholds_and_the_repository_role(tmp_path):
    from modules.addons.monitoring import OmeroAlarms, Thresholds, WatchedGateway

    gateway = WatchedGateway(gateway_id="sgw-1", gateway_name="g", instance_id="i-1", log_group="/l", holds_repository=True)
    found = {a.key: a for a in OmeroAlarms._gateway_alarms(gateway, Thresholds(gateway_cache_dirty_percent=60))}
    assert found["file-gateway-cache-dirty"].threshold == 60 and found["file-gateway-io-wait"].threshold == 10
    assert "binary repository (/OMERO)" in found["file-gateway-unavailable"].description
    deployment = loads(
        'name = "tt"\ncluster { launch_type = "ec2" }\nfile_gateway {\n enabled = true\n activation_cidrs = ["10.0.0.0/16"]\n}\n'
        "monitoring {\n enabled = true\n gateway_cache_dirty_percent = 60\n gateway_io_wait_percent = 20\n}\n"
    )
    assert (deployment.monitoring.gateway_cache_dirty_percent, deployment.monitoring.gateway_io_wait_percent) == (60, 20)


def test_gateway_alarms_only_with_the_gateway():
    from modules.addons.monitoring import OmeroAlarms, Thresholds, WatchedDeployment, WatchedGateway

    base = dict(load_balancer="lb", target_group="tg", cluster_name="c", server_service_name="s", web_service_name="w")
    watched = WatchedDeployment(
        name="tt",
        **base,
        database_instance_id="db",
        file_system_id="fs-1",
        performance_mode="generalPurpose",
        throughput_mode="elastic",
        container_instances_group="asg",
    )
    gateway = WatchedGateway(gateway_id="sgw-1", gateway_name="g", instance_id="i-1", log_group="/l", holds_repository=False)
    without = [a.key for a in OmeroAlarms._alarms(watched, Thresholds())]
    with_gateway = [a.key for a in OmeroAlarms._alarms(dataclasses.replace(watched, file_gateway=gateway), Thresholds())]
    assert not [k for k in without if k.startswith("file-gateway")]
    assert [k for k in with_gateway if k not in without] == [
        "file-gateway-unavailable",
        "file-gateway-health",
        "file-gateway-cache-dirty",
        "file-gateway-io-wait",
        "file-gateway-instance-down",
    ]


def test_dashboard_body_is_json_with_every_part_of_the_deployment(full):
    resource = one(full.resources(ROLE, "aws_cloudwatch_dashboard"))
    assert resource["dashboard_name"] == "omero-full-omero"
    raw = resource["dashboard_body"]
    assert "TfToken" not in raw and "${data.terraform_remote_state." in raw
    body = dashboard(full)
    widgets = body["widgets"]
    titles = [w["properties"]["markdown"] for w in widgets if w["type"] == "text"]
    assert titles == [
        "## OMERO.web load balancer",
        "## ECS services",
        "## PostgreSQL (RDS)",
        "## /OMERO on EFS",
        "## EC2 container instances",
    ]
    metrics = {(m[0], m[1]) for w in widgets if w["type"] == "metric" for m in w["properties"]["metrics"]}
    for expected in [
        ("AWS/ApplicationELB", "RequestCount"),
        ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count"),
        ("AWS/ApplicationELB", "TargetResponseTime"),
        ("AWS/ApplicationELB", "HealthyHostCount"),
        ("AWS/ApplicationELB", "UnHealthyHostCount"),
        ("AWS/ECS", "CPUUtilization"),
        ("AWS/ECS", "MemoryUtilization"),
        ("AWS/RDS", "CPUUtilization"),
        ("AWS/RDS", "FreeStorageSpace"),
        ("AWS/RDS", "FreeableMemory"),
        ("AWS/RDS", "DatabaseConnections"),
        ("AWS/EFS", "ClientConnections"),
        ("AWS/EFS", "StorageBytes"),
        ("AWS/EFS", "MeteredIOBytes"),
        ("AWS/EFS", "PercentIOLimit"),
        ("AWS/EC2", "CPUUtilization"),
    ]:
        assert expected in metrics, expected
    for widget in widgets:
        assert widget["x"] + widget["width"] <= 24
        if widget["type"] == "metric":
            assert widget["properties"]["region"] == "eu-central-1"
    # The widgets keep the dimension values as references into the core stacks.
    assert re.search(r'"ServiceName", "\$\{data\.terraform_remote_state\.[^}]*services[^}]*\}"', raw)
    assert re.search(r'"AutoScalingGroupName", "\$\{data\.terraform_remote_state\.[^}]*services[^}]*\}"', raw)


def test_read_only_servers_are_on_the_dashboard(tmp_path):
    from tests.harness.synth import synthesize

    path = tmp_path / "ro.hcl"
    path.write_text('name = "ro"\nserver { read_only_count = 2 }\nmonitoring { enabled = true }\n')
    synth = synthesize(path, tmp_path / "cdktf.out")
    labels = [
        m[-1].get("label")
        for w in dashboard(synth)["widgets"]
        if w["type"] == "metric"
        for m in w["properties"]["metrics"]
        if m[0] == "AWS/ECS"
    ]
    assert {"OMERO.server (read-only 1)", "OMERO.server (read-only 2)"} <= set(labels)
    assert "ro-omero-efs-io-limit" in alarms(synth)


def test_outputs(full):
    outputs = full.stack(ROLE)["output"]
    assert outputs["dashboard_url"]["value"] == (
        "https://eu-central-1.console.aws.amazon.com/cloudwatch/home?region=eu-central-1#dashboards/dashboard/omero-full-omero"
    )
    assert outputs["alarm_topic_arn"]["value"].startswith("${aws_sns_topic.")
    assert len(outputs["alarm_names"]["value"]) == 14


def test_bursting_file_systems_get_a_credit_alarm():
    deployment = loads(
        'name = "tt"\nstorage { throughput_mode = "bursting" }\nmonitoring {\n enabled = true\n efs_burst_credits_gib = 100 }\n'
    )
    assert deployment.monitoring.efs_burst_credits_gib == 100
    from modules.addons.monitoring import OmeroAlarms, Thresholds, WatchedDeployment

    watched = WatchedDeployment(
        name="tt",
        load_balancer="lb",
        target_group="tg",
        cluster_name="c",
        server_service_name="s",
        web_service_name="w",
        database_instance_id="db",
        file_system_id="fs-1",
        performance_mode="maxIO",
        throughput_mode="bursting",
        container_instances_group=None,
    )
    keys = [a.key for a in OmeroAlarms._alarms(watched, Thresholds(efs_burst_credits_gib=100))]
    assert "efs-burst-credits-low" in keys and "efs-io-limit" not in keys  # maxIO has no PercentIOLimit


ON = "monitoring {\n enabled = true\n"
BAD_INPUTS = [
    ('monitoring { alarm_email = "a@example.org" }', "monitoring.alarm_email", "only with enabled = true"),
    ("monitoring { rds_cpu_percent = 90 }", "monitoring.rds_cpu_percent", "only with enabled = true"),
    ("monitoring { notify_on_recovery = false }", "monitoring.notify_on_recovery", "only with enabled = true"),
    ('monitoring { enabled = "true" }', "monitoring.enabled", "true or false"),
    (ON + ' alarm_email = "oncall" }', "monitoring.alarm_email", "an e-mail address"),
    (ON + ' alarm_email = "on call@example.org" }', "monitoring.alarm_email", "an e-mail address"),
    (ON + ' alarm_email = ["a@example.org"] }', "monitoring.alarm_email", "a string"),
    (ON + ' notify_on_recovery = "yes" }', "monitoring.notify_on_recovery", "true or false"),
    (ON + ' kms_key_arn = "alias/aws/sns" }', "monitoring.kms_key_arn", "KMS key ARN"),
    (ON + ' kms_key_arn = "arn:aws:kms:us-east-1:111122223333:alias/alarms" }', "monitoring.kms_key_arn", "not an alias"),
    (ON + " rds_cpu_percent = 0 }", "monitoring.rds_cpu_percent", "from 1 to 100"),
    (ON + " rds_cpu_percent = 101 }", "monitoring.rds_cpu_percent", "from 1 to 100"),
    (ON + " rds_free_storage_gib = 0 }", "monitoring.rds_free_storage_gib", "from 1 to 65536"),
    (ON + " rds_free_storage_gib = 50 }", "monitoring.rds_free_storage_gib", "less than database.allocated_storage_gb (50)"),
    (ON + " rds_freeable_memory_mib = 8 }", "monitoring.rds_freeable_memory_mib", "from 16 to 1048576"),
    (ON + " web_5xx_count = 0 }", "monitoring.web_5xx_count", "from 1 to 1000000"),
    (ON + " efs_io_limit_percent = 0 }", "monitoring.efs_io_limit_percent", "from 1 to 100"),
    (ON + " efs_burst_credits_gib = 0 }", "monitoring.efs_burst_credits_gib", "from 1 to 2200"),
    (ON + " efs_throughput_percent = 101 }", "monitoring.efs_throughput_percent", "from 1 to 100"),
    (ON + " gateway_cache_dirty_percent = 0 }", "monitoring.gateway_cache_dirty_percent", "from 1 to 100"),
    (ON + " gateway_io_wait_percent = 101 }", "monitoring.gateway_io_wait_percent", "from 1 to 100"),
    (ON + " gateway_cache_dirty_percent = 70 }", "monitoring.gateway_cache_dirty_percent", "only with file_gateway.enabled"),
    (ON + " gateway_io_wait_percent = 20 }", "monitoring.gateway_io_wait_percent", "only with file_gateway.enabled"),
    (ON + " efs_burst_credits_gib = 100 }", "monitoring.efs_burst_credits_gib", 'only with storage.throughput_mode = "bursting"'),
    (
        ON + " efs_throughput_percent = 70 }",
        "monitoring.efs_throughput_percent",
        'only with storage.throughput_mode = "provisioned"',
    ),
    (
        'storage {\n performance_mode = "maxIO"\n throughput_mode = "bursting" }\n' + ON + " efs_io_limit_percent = 80 }",
        "monitoring.efs_io_limit_percent",
        'only with storage.performance_mode = "generalPurpose"',
    ),
    ('cluster { container_insights = "disabled" }\n' + ON + "}", "cluster.container_insights", "with monitoring"),
    (ON + " rds_cpu = 90 }", "monitoring.rds_cpu", "did you mean 'rds_cpu_percent'"),
]


@pytest.mark.parametrize("text, key, fragment", BAD_INPUTS, ids=[f"{i:02d}-{b[1]}" for i, b in enumerate(BAD_INPUTS)])
def test_bad_input_names_the_key(text, key, fragment):
    lines = problems(text)
    matching = [line for line in lines if line.startswith(f"{key}:") or line.startswith(f"{key} =")]
    assert matching, f"no message names {key}: {lines}"
    assert any(fragment in line for line in matching), f"{fragment!r} not in {matching}"


@pytest.mark.emulator
@pytest.mark.terraform
def test_monitoring_applies_on_the_emulator(addons_on_emulator):
    emulator = addons_on_emulator.emulator  # the session's shared emulator
    synth = addons_on_emulator.synth
    name = addons_on_emulator.stack_name(ROLE)
    applied = addons_on_emulator.applied(name)
    outputs = applied.outputs[name]  # output name -> value
    region = synth.deployment.region
    prefix = f"{synth.deployment.name}-omero-"

    cloudwatch = aws(emulator, "cloudwatch", region)
    found = {a["AlarmName"]: a for a in cloudwatch.describe_alarms(AlarmNamePrefix=prefix)["MetricAlarms"]}
    # nine of the deployment, five of its S3 File Gateway
    assert set(found) == set(outputs["alarm_names"]) and len(found) == 14
    topic_arn = outputs["alarm_topic_arn"]
    for alarm in found.values():
        assert alarm["AlarmActions"] == [topic_arn] and alarm["OKActions"] == [topic_arn]
    server = found[prefix + "server-not-running"]
    dimensions = {d["Name"]: d["Value"] for d in server["Dimensions"]}
    core = addons_on_emulator.core.outputs[addons_on_emulator.stack_name("services")]
    assert dimensions == {"ClusterName": core["cluster_name"], "ServiceName": core["server_service_name"]}

    body = json.loads(cloudwatch.get_dashboard(DashboardName=f"{synth.deployment.name}-omero")["DashboardBody"])
    assert any(
        m[1] == "RunningTaskCount" and core["server_service_name"] in m
        for w in body["widgets"]
        if w["type"] == "metric"
        for m in w["properties"]["metrics"]
    )
    assert outputs["dashboard_url"].endswith(f"#dashboards/dashboard/{synth.deployment.name}-omero")

    sns = aws(emulator, "sns", region)
    attributes = sns.get_topic_attributes(TopicArn=topic_arn)["Attributes"]
    assert attributes["KmsMasterKeyId"].startswith("arn:aws:kms:")
    policy = json.loads(attributes["Policy"])
    assert {s["Effect"] for s in policy["Statement"]} == {"Allow", "Deny"}
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"]) for s in subscriptions] == [("email", synth.deployment.monitoring.alarm_email)]
    kms = aws(emulator, "kms", region)
    assert kms.get_key_rotation_status(KeyId=attributes["KmsMasterKeyId"].split("/")[-1])["KeyRotationEnabled"] is True
