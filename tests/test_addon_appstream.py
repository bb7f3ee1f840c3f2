"""The appstream add-on: OMERO.insight on an AppStream 2.0 fleet, read from the synthesized JSON,
and applied, re-planned and destroyed on the emulator on top of examples/full.hcl's core stacks.
"""

from __future__ import annotations

import pytest

from modules.addons.appstream import user_id
from tests.harness.apply import APPLY_TIMEOUT, aws
from tests.harness.synth import one
from tests.test_config import problems

ROLE = "appstream"


@pytest.fixture(scope="module")
def full(examples):
    return examples["full"]


def test_only_enabled_deployments_have_the_stack(examples):
    assert "omero-full-appstream" in examples["full"].order
    assert not any(name.endswith("-appstream") for name in examples["tls-rw"].order)


def test_fleet_runs_the_image_in_the_private_subnets_without_internet(full):
    fleet = one(full.resources(ROLE, "aws_appstream_fleet"))
    assert fleet["name"] == "omero-full-omero-insight"
    assert fleet["image_name"] == "OMERO-insight-5.8-example"
    assert fleet["instance_type"] == "stream.standard.medium"
    assert fleet["fleet_type"] == "ON_DEMAND"
    assert fleet["compute_capacity"] == {"desired_instances": 1}
    assert fleet["enable_default_internet_access"] is False
    assert fleet["stream_view"] == "APP"
    assert fleet["max_user_duration_in_seconds"] == 480 * 60
    assert fleet["disconnect_timeout_in_seconds"] == 30 * 60
    assert fleet["idle_disconnect_timeout_in_seconds"] == 30 * 60
    assert "iam_role_arn" not in fleet  # nothing in the session calls AWS APIs
    vpc = fleet["vpc_config"]
    assert len(vpc["subnet_ids"]) == 2
    assert all("cross-stack-output-aws_subnetnetwork_private_" in s for s in vpc["subnet_ids"])
    group = next(iter(full.resources(ROLE, "aws_security_group")))
    assert vpc["security_group_ids"] == [f"${{aws_security_group.{group}.id}}"]


def test_fleet_group_reaches_only_the_servers_and_https(full):
    [(group_key, group)] = full.resources(ROLE, "aws_security_group").items()
    assert "ingress" not in group and "egress" not in group  # rules are separate resources
    own = f"${{aws_security_group.{group_key}.id}}"
    egress = list(full.resources(ROLE, "aws_vpc_security_group_egress_rule").values())
    assert sorted((r["from_port"], r["to_port"]) for r in egress) == [(443, 443), (4064, 4064)]
    assert all(r["security_group_id"] == own and r["ip_protocol"] == "tcp" for r in egress)
    to_server = next(r for r in egress if r["from_port"] == 4064)
    assert "cidr_ipv4" not in to_server and "services.outputs" in to_server["referenced_security_group_id"]
    https = next(r for r in egress if r["from_port"] == 443)
    assert https["cidr_ipv4"] == "0.0.0.0/0"
    # The one ingress rule is on the OMERO servers' group, from the fleet's group, on 4064.
    [ingress] = full.resources(ROLE, "aws_vpc_security_group_ingress_rule").values()
    assert ingress["referenced_security_group_id"] == own
    assert ingress["security_group_id"] == to_server["referenced_security_group_id"]
    assert (ingress["from_port"], ingress["to_port"], ingress["ip_protocol"]) == (4064, 4064, "tcp")
    assert "cidr_ipv4" not in ingress


def test_stack_has_home_folders_settings_and_safe_user_settings(full):
    stack = one(full.resources(ROLE, "aws_appstream_stack"))
    assert stack["name"] == "omero-full-omero-insight"
    assert stack["storage_connectors"] == [{"connector_type": "HOMEFOLDERS"}]
    assert stack["application_settings"] == {"enabled": True, "settings_group": "omero-full-omero-insight"}
    settings = {s["action"]: s["permission"] for s in stack["user_settings"]}
    assert settings == {
        "CLIPBOARD_COPY_FROM_LOCAL_DEVICE": "ENABLED",
        "CLIPBOARD_COPY_TO_LOCAL_DEVICE": "DISABLED",
        "FILE_UPLOAD": "ENABLED",
        "FILE_DOWNLOAD": "DISABLED",
        "PRINTING_TO_LOCAL_DEVICE": "DISABLED",
        "DOMAIN_PASSWORD_SIGNIN": "DISABLED",
        "DOMAIN_SMART_CARD_SIGNIN": "DISABLED",
        "AUTO_TIME_ZONE_REDIRECTION": "ENABLED",
    }
    association = one(full.resources(ROLE, "aws_appstream_fleet_stack_association"))
    fleet_key = next(iter(full.resources(ROLE, "aws_appstream_fleet")))
    stack_key = next(iter(full.resources(ROLE, "aws_appstream_stack")))
    assert association == {
        **{k: v for k, v in association.items() if k == "//"},
        "fleet_name": f"${{aws_appstream_fleet.{fleet_key}.name}}",
        "stack_name": f"${{aws_appstream_stack.{stack_key}.name}}",
    }


def test_users_come_from_the_user_pool_and_are_assigned_to_the_stack(full):
    user = one(full.resources(ROLE, "aws_appstream_user"))
    assert user["user_name"] == "imaging-facility@example.org"
    assert user["authentication_type"] == "USERPOOL"
    assert user["send_email_notification"] is True
    association = one(full.resources(ROLE, "aws_appstream_user_stack_association"))
    assert association["authentication_type"] == "USERPOOL"
    assert association["user_name"].startswith("${aws_appstream_user.insight_user_imaging_facility_example_org")
    assert association["stack_name"].startswith("${aws_appstream_stack.")
    assert user_id("Imaging.Facility+x@Example.org") == "user_imaging_facility_x_example_org"


def test_outputs_say_how_to_stream(full):
    outputs = full.stack(ROLE)["output"]
    assert outputs["fleet_name"]["value"].startswith("${aws_appstream_fleet.")
    assert outputs["stack_name"]["value"].startswith("${aws_appstream_stack.")
    command = outputs["streaming_url_command"]["value"]
    assert command.startswith("aws appstream create-streaming-url --region eu-central-1 --stack-name ${aws_appstream_stack.")
    assert "--fleet-name ${aws_appstream_fleet." in command and "--user-id " in command
    assert outputs["start_fleet_command"]["value"].startswith("aws appstream start-fleet --region eu-central-1 --name ")
    assert outputs["omero_server_address"]["value"] == "omero-server.omero-full.internal"


def test_defaults_and_loosened_settings():
    from config import loads

    deployment = loads(
        'name = "tt"\nappstream {\n enabled = true\n image_name = "OMERO-insight"\n home_folders = false\n'
        ' clipboard_to_local = true\n fleet_type = "ALWAYS_ON"\n idle_disconnect_timeout_minutes = 0\n}\n'
    )
    appstream = deployment.appstream
    assert appstream.home_folders is False and appstream.clipboard_to_local is True
    assert appstream.fleet_type == "ALWAYS_ON" and appstream.idle_disconnect_timeout_minutes == 0
    assert loads('name = "tt"').appstream.enabled is False


ON = 'appstream {\n enabled = true\n image_name = "OMERO-insight-5.8"\n'
BAD_INPUTS = [
    ("appstream { enabled = true }", "appstream.image_name", "required with enabled = true"),
    ('appstream { image_name = "OMERO-insight" }', "appstream.image_name", "only with enabled = true"),
    ('appstream { instance_type = "stream.standard.large" }', "appstream.instance_type", "only with enabled = true"),
    ("appstream { home_folders = false }", "appstream.home_folders", "only with enabled = true"),
    ('appstream { users = ["a@example.org"] }', "appstream.users", "only with enabled = true"),
    ('appstream { enabled = "yes" }', "appstream.enabled", "true or false"),
    ('appstream {\n enabled = true\n image_name = "OMERO insight!" }', "appstream.image_name", "AppStream image name"),
    (ON + ' instance_type = "m5.large" }', "appstream.instance_type", "AppStream instance type"),
    (ON + ' instance_type = "stream.standard" }', "appstream.instance_type", "stream.standard.medium"),
    (ON + ' fleet_type = "ELASTIC" }', "appstream.fleet_type", '"ON_DEMAND", "ALWAYS_ON"'),
    (ON + " desired_instances = 0 }", "appstream.desired_instances", "from 1 to 50"),
    (ON + " desired_instances = 51 }", "appstream.desired_instances", "from 1 to 50"),
    (ON + " max_session_minutes = 5 }", "appstream.max_session_minutes", "from 10 to 7200"),
    (ON + " max_session_minutes = 7201 }", "appstream.max_session_minutes", "from 10 to 7200"),
    (ON + " disconnect_timeout_minutes = 0 }", "appstream.disconnect_timeout_minutes", "from 1 to 600"),
    (ON + " idle_disconnect_timeout_minutes = 61 }", "appstream.idle_disconnect_timeout_minutes", "from 0 to 60"),
    (
        ON + " max_session_minutes = 60\n idle_disconnect_timeout_minutes = 60 }",
        "appstream.idle_disconnect_timeout_minutes",
        "less than max_session_minutes (60)",
    ),
    (ON + ' clipboard_to_session = "no" }', "appstream.clipboard_to_session", "true or false"),
    (ON + " clipboard_to_local = 1 }", "appstream.clipboard_to_local", "true or false"),
    (ON + ' file_upload = "true" }', "appstream.file_upload", "true or false"),
    (ON + " file_download = 0 }", "appstream.file_download", "true or false"),
    (ON + ' printing = "off" }', "appstream.printing", "true or false"),
    (ON + ' home_folders = "s3" }', "appstream.home_folders", "true or false"),
    (ON + ' persist_application_settings = "yes" }', "appstream.persist_application_settings", "true or false"),
    (ON + ' users = "a@example.org" }', "appstream.users", "a list of strings"),
    (ON + ' users = ["alice"] }', "appstream.users", "e-mail addresses"),
    (ON + ' users = ["' + "a" * 117 + '@example.org"] }', "appstream.users", "at most 128 characters"),  # CreateUser
    (ON + ' users = ["a@example.org", "A@example.org"] }', "appstream.users", "each e-mail address once"),
    (ON + ' imagename = "x" }', "appstream.imagename", "did you mean 'image_name'"),
]


@pytest.mark.parametrize("text, key, fragment", BAD_INPUTS, ids=[f"{i:02d}-{b[1]}" for i, b in enumerate(BAD_INPUTS)])
def test_bad_input_names_the_key(text, key, fragment):
    lines = problems(text)
    matching = [line for line in lines if line.startswith(f"{key}:") or line.startswith(f"{key} =")]
    assert matching, f"no message names {key}: {lines}"
    assert any(fragment in line for line in matching), f"{fragment!r} not in {matching}"


@pytest.mark.emulator
@pytest.mark.terraform
def test_appstream_applies_on_the_emulator(addons_on_emulator):
    emulator, tf = addons_on_emulator.emulator, addons_on_emulator.tf  # the session's shared emulator
    # It destroys its own stack at the end: nothing else reads it (the monitoring stack is applied before).
    addons_on_emulator.all_applied()
    synth = addons_on_emulator.synth
    name = addons_on_emulator.stack_name(ROLE)
    applied = addons_on_emulator.applied(name)  # with an empty second plan
    outputs = applied.outputs[name]
    deployment, region = synth.deployment, synth.deployment.region
    insight = f"{deployment.name}-omero-insight"
    appstream, ec2 = aws(emulator, "appstream", region), aws(emulator, "ec2", region)
    network = addons_on_emulator.core.outputs[addons_on_emulator.stack_name("network")]
    services = addons_on_emulator.core.outputs[addons_on_emulator.stack_name("services")]
    assert (outputs["fleet_name"], outputs["stack_name"]) == (insight, insight)
    assert outputs["omero_server_address"] == services["server_dns_name"]

    # The fleet: running the image in the private subnets, in its own group, without internet.
    [fleet] = appstream.describe_fleets(Names=[insight])["Fleets"]
    assert fleet["State"] == "RUNNING" and fleet["ImageName"] == deployment.appstream.image_name
    assert (fleet["InstanceType"], fleet["FleetType"], fleet["StreamView"]) == ("stream.standard.medium", "ON_DEMAND", "APP")
    assert fleet["ComputeCapacityStatus"]["Desired"] == deployment.appstream.desired_instances
    assert fleet["EnableDefaultInternetAccess"] is False
    assert fleet["VpcConfig"] == {"SubnetIds": network["private_subnet_ids"], "SecurityGroupIds": [outputs["security_group_id"]]}
    assert fleet["MaxUserDurationInSeconds"] == 480 * 60 and fleet["IdleDisconnectTimeoutInSeconds"] == 30 * 60
    assert appstream.list_tags_for_resource(ResourceArn=fleet["Arn"])["Tags"]["Name"] == insight

    # Its group reaches OMERO.server on 4064 and HTTPS out; the servers' group lets it in on 4064.
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [outputs["security_group_id"]]}])[
        "SecurityGroupRules"
    ]
    assert sorted((r["IsEgress"], r["FromPort"]) for r in rules) == [(True, 443), (True, 4064)]
    everyone = ec2.describe_security_group_rules()["SecurityGroupRules"]
    from_fleet = [
        r
        for r in everyone
        if not r["IsEgress"] and r.get("ReferencedGroupInfo", {}).get("GroupId") == outputs["security_group_id"]
    ]
    assert [(r["FromPort"], r["ToPort"]) for r in from_fleet] == [(4064, 4064)]

    # The stack: home folders, kept settings, the session permissions; tied to the fleet.
    [stack] = appstream.describe_stacks(Names=[insight])["Stacks"]
    assert stack["StorageConnectors"] == [{"ConnectorType": "HOMEFOLDERS"}]
    assert stack["ApplicationSettings"]["Enabled"] is True and stack["ApplicationSettings"]["SettingsGroup"] == insight
    permissions = {s["Action"]: s["Permission"] for s in stack["UserSettings"]}
    assert permissions["FILE_UPLOAD"] == "ENABLED" and permissions["FILE_DOWNLOAD"] == "DISABLED"
    assert permissions["CLIPBOARD_COPY_TO_LOCAL_DEVICE"] == "DISABLED" and permissions["PRINTING_TO_LOCAL_DEVICE"] == "DISABLED"
    assert appstream.list_associated_stacks(FleetName=insight)["Names"] == [insight]
    assert appstream.list_tags_for_resource(ResourceArn=stack["Arn"])["Tags"]["Name"] == insight

    # The users: in the user pool, enabled, assigned to the stack.
    users = {u["UserName"]: u for u in appstream.describe_users(AuthenticationType="USERPOOL")["Users"]}
    assert set(users) == set(deployment.appstream.users)
    assert all(u["Enabled"] for u in users.values())
    associations = appstream.describe_user_stack_associations(StackName=insight)["UserStackAssociations"]
    assert sorted(a["UserName"] for a in associations) == sorted(deployment.appstream.users)

    # Destroyed: the fleet, stack and users go, and so does the rule on the servers' group.
    tf = tf.with_env(AWS_REGION=region, AWS_DEFAULT_REGION=region)
    destroyed = tf(synth.stack_dir(ROLE), "destroy", "-auto-approve", "-input=false", "-no-color", timeout=APPLY_TIMEOUT)
    assert destroyed.returncode == 0, str(destroyed)
    assert appstream.describe_fleets()["Fleets"] == [] and appstream.describe_stacks()["Stacks"] == []
    assert appstream.describe_users(AuthenticationType="USERPOOL")["Users"] == []
    everyone = ec2.describe_security_group_rules()["SecurityGroupRules"]
    assert not [r for r in everyone if r.get("ReferencedGroupInfo", {}).get("GroupId") == outputs["security_group_id"]]
