"""The dropbox add-on: scheduled in-place import and OMERO.dropbox settings.

Unit tests read the synthesized JSON of examples/full.hcl (the import task on the EC2 capacity
provider) and of small deployments loaded here (Fargate, OMERO.dropbox watching); bad-input tests
cover every key and rule; the emulator test applies the add-on stack on top of full.hcl's core.
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
import time

import pytest

from config import ConfigError, loads
from modules.omero_config import config_variable
from tests.harness.apply import aws
from tests.harness.synth import one, synthesize


def problems(text: str) -> list[str]:
    text = 'name = "omero-test"\n' + textwrap.dedent(text)
    with pytest.raises(ConfigError) as caught:
        loads(text, "test.hcl")
    return caught.value.lines


def dropbox(body: str) -> list[str]:
    return problems("dropbox {\n  enabled = true\n" + textwrap.dedent(body) + "\n}\n")


def import_container(synth) -> dict:
    [definition] = json.loads(one(synth.resources("dropbox", "aws_ecs_task_definition"))["container_definitions"])
    return definition


def environment(definition: dict) -> dict[str, str]:
    return {e["name"]: e["value"] for e in definition["environment"]}


def statements(synth, fragment: str) -> list[dict]:
    documents = synth.data("dropbox", "aws_iam_policy_document")
    return [s for key, doc in documents.items() if fragment in key for s in doc["statement"]]


KEY = "arn:aws:kms:us-east-1:111122223333:key/0b6c1e4e-1111-2222-3333-444455556666"


@pytest.fixture(scope="module")
def watching(tmp_path_factory):
    """A Fargate deployment with OMERO.dropbox watching and the scheduled import."""
    deployment = loads(
        textwrap.dedent("""
        name = "omero-dbx"
        cluster {
          logs_kms_key_arn = "LOGS_KEY"
        }
        dropbox {
          enabled     = true
          watch       = true
          watch_users = ["alice", "bob"]
          import_args = ["-T", "Dataset:name:Incoming"]
          transfer    = "cp"
          schedule    = "rate(30 minutes)"
        }
    """).replace("LOGS_KEY", KEY)
    )
    return synthesize(deployment, tmp_path_factory.mktemp("dropbox") / "cdktf.out")


# --- defaults ------------------------------------------------------------------------------


def test_off_by_default_and_safe_defaults():
    deployment = loads('name = "omero-test"\n')
    assert not deployment.dropbox.enabled
    assert deployment.dropbox.server_properties() == {} and deployment.dropbox.watch_directories() == ()
    on = loads('name = "omero-test"\ndropbox {\n  enabled = true\n}\n').dropbox
    assert on.scheduled_import and not on.watch  # watching EFS is unsupported by OMERO: opt-in
    assert on.landing_dir == "/OMERO/landing" and on.transfer == "ln_s" and on.schedule == "rate(1 hour)"
    assert on.server_properties() == {} and on.watch_directories() == ()


def test_watch_properties_and_directories():
    box = loads(
        textwrap.dedent("""
        name = "omero-test"
        dropbox {
          enabled            = true
          watch              = true
          watch_dir          = "/OMERO/DropBox"
          watch_users        = ["alice"]
          watch_wait_seconds = 120
          import_args        = ["-T", "regex:^.*/(?<Container1>.*?)"]
        }
    """)
    ).dropbox
    assert box.server_properties() == {
        "omero.fs.watchDir": "/OMERO/DropBox",
        "omero.fs.importArgs": "--transfer=ln_s -T 'regex:^.*/(?<Container1>.*?)'",
        "omero.fs.dirImportWait": "120",
    }
    assert box.watch_directories() == ("/OMERO/DropBox", "/OMERO/DropBox/alice")


# --- the full example: import task on the EC2 capacity provider ----------------------------


def test_full_example_schedule(examples):
    synth = examples["full"]
    schedule = one(synth.resources("dropbox", "aws_scheduler_schedule"))
    assert schedule["name"] == "omero-full-omero-import"
    assert schedule["schedule_expression"] == "cron(0 7-19 ? * MON-FRI *)"
    assert schedule["schedule_expression_timezone"] == "Europe/Berlin"
    assert schedule["flexible_time_window"] == {"mode": "OFF"}
    target = schedule["target"]
    assert "aws_ecs_cluster" in target["arn"] and target["arn"].endswith("arn}")
    ecs = target["ecs_parameters"]
    assert ecs["task_definition_arn"].startswith("${aws_ecs_task_definition.")
    assert ecs["task_count"] == 1 and "launch_type" not in ecs
    [strategy] = ecs["capacity_provider_strategy"]
    assert "capacity_provider" in strategy["capacity_provider"]
    network = ecs["network_configuration"]
    assert network["assign_public_ip"] is False and len(network["subnets"]) == 2
    assert all("private" in s for s in network["subnets"])
    assert "kms_key_arn" not in schedule  # no customer key in full.hcl: the key AWS owns
    assert target["retry_policy"] == {"maximum_event_age_in_seconds": 3600, "maximum_retry_attempts": 3}


def test_full_example_task(examples):
    synth = examples["full"]
    task = one(synth.resources("dropbox", "aws_ecs_task_definition"))
    assert task["family"] == "omero-full-omero-import"
    assert task["requires_compatibilities"] == ["EC2"] and task["network_mode"] == "awsvpc"
    # full.hcl mounts the S3 File Gateway share beside /OMERO: the task mounts both, as the server does.
    efs_volume, share_volume = task["volume"]
    assert share_volume["name"] == "omero-share" and share_volume["docker_volume_configuration"]["driver_opts"]["type"] == "nfs"
    efs = efs_volume["efs_volume_configuration"]
    assert efs["transit_encryption"] == "ENABLED" and efs["authorization_config"]["iam"] == "ENABLED"
    assert "access_point" in efs["authorization_config"]["access_point_id"]
    container = import_container(synth)
    # The server's image, pinned, through the deployment's Docker Hub cache (full.hcl sets images).
    registry, _, image = container["image"].partition("/")
    assert registry.startswith("${data.terraform_remote_state.") and ".dkr.ecr.eu-central-1." in registry
    assert image.endswith(f"/{synth.deployment.server.image}") and "ecr_repository_prefix" in image
    assert container["entryPoint"] == ["/bin/bash", "-c"]  # not the image's server start script
    script, arg0, *arguments = container["command"]
    assert "/opt/omero/server/venv3/bin/omero" in script and "--exclude=clientpath" in script
    assert "--sudo root -u" in script and "unset OMERO_PASSWORD" in script
    assert "${" not in script and "%{" not in script  # Terraform's template syntax
    assert arguments == ["--transfer=ln_s", "-T", "regex:^.*/(?<Container1>.*?)"]
    assert container["mountPoints"] == [
        {"sourceVolume": "omero-data", "containerPath": "/OMERO", "readOnly": False},
        {"sourceVolume": "omero-share", "containerPath": "/s3uploads", "readOnly": False},
    ]
    env = environment(container)
    assert env["OMERO_HOST"] == "omero-server.omero-full.internal" and env["OMERO_PORT"] == "4064"
    assert env["LANDING_DIR"] == "/OMERO/incoming" and env["SETTLE_MINUTES"] == "30"
    assert env["IMPORT_USER"] == "importer" and env["IMPORT_GROUP"] == "imaging-facility"
    log = container["logConfiguration"]
    assert log["logDriver"] == "awslogs"
    group = one(synth.resources("dropbox", "aws_cloudwatch_log_group"))
    assert group["retention_in_days"] == 365 and group["name"] == "/omero/omero-full/omero-import"


def test_root_password_only_through_ecs_secrets(examples):
    container = import_container(examples["full"])
    names = [e["name"] for e in container["environment"]]
    assert not [n for n in names if any(word in n.upper() for word in ("PASS", "SECRET", "TOKEN"))], names
    [secret] = container["secrets"]
    assert secret["name"] == "OMERO_PASSWORD"  # omero login reads it there, not from the command line
    assert "storage.outputs" in secret["valueFrom"] and "root_secret" in secret["valueFrom"]
    for value in environment(container).values():
        assert "secretsmanager" not in value


def test_password_never_on_a_command_line(examples, tmp_path):
    """Run the import script in bash with a stand-in omero CLI that records its arguments and the
    OMERO_PASSWORD it saw: the password reaches login through the environment only, and is gone
    from the environment of every later command."""
    from modules.addons.dropbox import import_script

    record = tmp_path / "calls"
    cli = tmp_path / "omero"
    cli.write_text(f'#!/bin/bash\necho "$* | password=${{OMERO_PASSWORD:-}}" >> {record}\n')
    cli.chmod(0o755)
    landing = tmp_path / "landing"
    (landing / "plate-1").mkdir(parents=True)
    env = {
        "PATH": os.environ["PATH"],
        "LANDING_DIR": str(landing),
        "OMERO_SESSIONDIR": str(tmp_path / "sessions"),
        "IMPORT_USER": "importer",
        "IMPORT_GROUP": "lab",
        "OMERO_HOST": "omero-server.internal",
        "OMERO_PORT": "4064",
        "SETTLE_MINUTES": "0",
        "OMERO_PASSWORD": "s3cret-root-password",
    }
    script = import_script(str(cli))
    run = subprocess.run(["bash", "-c", script, "import", "--transfer=ln_s"], env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    login, imported, logout = record.read_text().splitlines()
    assert login == "login -s omero-server.internal -p 4064 --sudo root -u importer -g lab | password=s3cret-root-password"
    assert imported.startswith("import --exclude=clientpath --transfer=ln_s ") and imported.endswith("| password=")
    assert logout == "logout | password="
    assert "s3cret" not in run.stdout + run.stderr


def test_import_waits_for_settled_entries_and_reports_failures(tmp_path):
    """The program in bash with a stand-in CLI whose import fails for one entry: a recent entry waits
    for the next run, hidden entries are skipped, a failure makes the run fail (ECS shows the task's
    exit code), and a run that finds another's lock does nothing."""
    from modules.addons.dropbox import import_script

    record = tmp_path / "calls"
    cli = tmp_path / "omero"
    cli.write_text(f'#!/bin/bash\necho "$1 ${{@: -1}}" >> {record}\n[[ "$*" != *broken* ]]\n')
    cli.chmod(0o755)
    landing = tmp_path / "landing"
    for entry in ("broken", "plate-1", "fresh", ".hidden"):
        (landing / entry).mkdir(parents=True)
    hour_ago = time.time() - 3600
    for entry in ("broken", "plate-1", ".hidden"):
        os.utime(landing / entry, (hour_ago, hour_ago))
    env = {
        "PATH": os.environ["PATH"],
        "LANDING_DIR": str(landing),
        "OMERO_SESSIONDIR": str(tmp_path / "sessions"),
        "IMPORT_USER": "root",
        "IMPORT_GROUP": "",
        "OMERO_HOST": "omero-server.internal",
        "OMERO_PORT": "4064",
        "SETTLE_MINUTES": "15",
        "OMERO_PASSWORD": "pw",
    }

    def run() -> subprocess.CompletedProcess:
        return subprocess.run(
            ["bash", "-c", import_script(str(cli)), "import"], env=env, capture_output=True, text=True, timeout=60
        )

    first = run()
    assert first.returncode == 1, first.stdout + first.stderr
    assert [line.split()[0] + " " + os.path.basename(line.split()[-1]) for line in record.read_text().splitlines()] == [
        "login root",
        "import broken",
        "import plate-1",
        "logout logout",
    ]
    assert f"later: {landing / 'fresh'} changed in the last 15 minutes" in first.stdout
    assert first.stdout.rstrip().endswith("imported (or found already imported): 1, failed: 1, left for later: 1")
    assert not (landing / ".omero-import.lock").exists()  # released on exit
    (landing / ".omero-import.lock").mkdir()  # another run holds it
    record.unlink()
    second = run()
    assert (second.returncode, second.stdout.strip()) == (0, "an import is still running; nothing to do")
    assert not record.exists()


def test_import_script_file():
    """landing_import.sh: a header of comments, then the program ECS runs, which holds no Terraform
    template syntax (Terraform would read "${" and "%{" in the command as its own) and runs the
    image's CLI."""
    from modules.addons.dropbox import IMPORT_SCRIPT, IMPORT_SCRIPT_FILE, IMPORT_SCRIPT_HEADER, OMERO_CLI

    assert IMPORT_SCRIPT_HEADER.startswith("#!/bin/bash\n")
    assert all(line.startswith("#") for line in IMPORT_SCRIPT_HEADER.splitlines()), IMPORT_SCRIPT_HEADER
    assert "${" not in IMPORT_SCRIPT and "%{" not in IMPORT_SCRIPT
    assert IMPORT_SCRIPT.startswith(f"set -o pipefail\nomero={OMERO_CLI}\n") and "@OMERO_CLI@" not in IMPORT_SCRIPT
    check = subprocess.run(["bash", "-n", str(IMPORT_SCRIPT_FILE)], capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stderr


def test_security_groups_reference_each_other(examples):
    synth = examples["full"]
    group = one(synth.resources("dropbox", "aws_security_group"))
    assert "ingress" not in group or not group["ingress"]
    egress = list(synth.resources("dropbox", "aws_vpc_security_group_egress_rule").values())
    ingress = list(synth.resources("dropbox", "aws_vpc_security_group_ingress_rule").values())
    assert sorted(r["from_port"] for r in egress) == [443, 2049, 4064]
    [https] = [r for r in egress if r["from_port"] == 443]
    assert https["cidr_ipv4"] == "0.0.0.0/0"
    for rule in egress:
        if rule["from_port"] != 443:
            assert "cidr_ipv4" not in rule and rule["referenced_security_group_id"].startswith("${data.terraform_remote_state")
    # In this stack: the server and EFS groups admit the import task, on their port only, never a network.
    assert sorted(r["from_port"] for r in ingress) == [2049, 4064]
    for rule in ingress:
        assert "cidr_ipv4" not in rule
        assert rule["referenced_security_group_id"] == "${aws_security_group.scheduled_import_security_group_C8A42685.id}"
    [server] = [r for r in ingress if r["from_port"] == 4064]
    assert "omero-server" in server["security_group_id"] or "server" in server["security_group_id"]


def test_least_privilege_roles(examples):
    synth = examples["full"]
    scheduler = statements(synth, "scheduler_document")
    actions = sorted(a for s in scheduler for a in s["actions"])
    assert actions == ["ecs:RunTask", "ecs:TagResource", "iam:PassRole"]
    [run] = [s for s in scheduler if s["actions"] == ["ecs:RunTask"]]
    assert run["resources"] == [
        "arn:${data.aws_partition.partition.partition}:ecs:eu-central-1:${data.aws_caller_identity.account.account_id}:task-definition/omero-full-omero-import:*"
    ]
    assert run["condition"][0]["variable"] == "ecs:cluster"
    [pass_role] = [s for s in scheduler if s["actions"] == ["iam:PassRole"]]
    assert len(pass_role["resources"]) == 2 and all("scheduled_import_roles" in r for r in pass_role["resources"])
    assert pass_role["condition"][0]["values"] == ["ecs-tasks.amazonaws.com"]
    trust = statements(synth, "scheduler_trust")
    assert trust[0]["principals"][0]["identifiers"] == ["scheduler.amazonaws.com"]
    assert trust[0]["condition"][0]["variable"] == "aws:SourceAccount"
    for statement in synth.data("dropbox", "aws_iam_policy_document").values():
        for s in statement["statement"]:
            assert "*" not in s["actions"]
            # (the registry login of the image cache takes no resource: AWS requires "*")
            assert s.get("resources") != ["*"] or s["actions"] == ["ecr:GetAuthorizationToken"], s
    task = statements(synth, "task_document")
    assert sorted(task[0]["actions"]) == ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
    assert task[0]["condition"][0]["variable"] == "elasticfilesystem:AccessPointArn"
    execution = statements(synth, "execution_document")
    [secrets] = [s for s in execution if s["actions"] == ["secretsmanager:GetSecretValue"]]
    assert len(secrets["resources"]) == 1 and "root_secret" in secrets["resources"][0]


def test_outputs(examples):
    outputs = examples["full"].stack("dropbox")["output"]
    assert {"import_schedule_name", "import_task_family", "run_import_command", "import_log_group", "landing_dir"} <= set(outputs)
    command = outputs["run_import_command"]["value"]
    assert command.startswith("aws ecs run-task --region eu-central-1 --cluster ${")
    assert (
        "--task-definition omero-full-omero-import" in command and "--capacity-provider-strategy capacityProvider=${" in command
    )
    assert "assignPublicIp=DISABLED" in command and "join(" in command


def test_server_watch_settings_off_in_full_example(examples):
    server = [
        t
        for t in examples["full"].resources("services", "aws_ecs_task_definition").values()
        if t["family"].endswith("-omero-server")
    ]
    definition = json.loads(server[0]["container_definitions"])[0]  # the server; init containers follow
    assert not [e for e in definition["environment"] if e["name"].startswith("CONFIG_omero_fs_")]
    [command] = definition["command"]
    assert "mkdir -p /OMERO" not in command and "set -e; source " in command  # no folders to create


# --- a deployment of our own: Fargate, OMERO.dropbox watching -------------------------------


def test_server_gets_watch_properties_and_creates_folders(watching):
    [task] = [
        t for t in watching.resources("services", "aws_ecs_task_definition").values() if t["family"].endswith("-omero-server")
    ]
    definition = json.loads(task["container_definitions"])[0]  # the server; init containers follow
    env = environment(definition)
    assert env[config_variable("omero.fs.watchDir")] == "/OMERO/DropBox"
    assert env[config_variable("omero.fs.importArgs")] == "--transfer=cp -T Dataset:name:Incoming"
    assert env[config_variable("omero.fs.dirImportWait")] == "60"
    assert definition["entryPoint"] == ["/bin/bash", "-c"]
    [command] = definition["command"]
    # the folders made (as the server's user) before the image's start steps run
    # (after the files staged for OMERO.server are installed: tests/test_server_extras.py)
    assert "; mkdir -p /OMERO/DropBox /OMERO/DropBox/alice /OMERO/DropBox/bob && set -e; source " in command
    assert (
        "tail -n 0 -F " in command and " /opt/omero/server/OMERO.server/var/log/DropBox.log " in command
    )  # its log to CloudWatch


def test_fargate_import_task(watching):
    task = one(watching.resources("dropbox", "aws_ecs_task_definition"))
    assert task["requires_compatibilities"] == ["FARGATE"]
    assert task["cpu"] == "1024" and task["memory"] == "4096"
    schedule = one(watching.resources("dropbox", "aws_scheduler_schedule"))
    ecs = schedule["target"]["ecs_parameters"]
    assert ecs["launch_type"] == "FARGATE" and "capacity_provider_strategy" not in ecs
    assert schedule["schedule_expression"] == "rate(30 minutes)"
    container = import_container(watching)
    assert container["command"][2:] == ["--transfer=cp", "-T", "Dataset:name:Incoming"]
    assert "IMPORT_GROUP" not in environment(container) and environment(container)["IMPORT_USER"] == "root"
    # A customer key of the cluster also encrypts the schedule; its role may decrypt with it.
    assert schedule["kms_key_arn"] == KEY
    assert {"actions": ["kms:Decrypt"], "effect": "Allow", "resources": [KEY]} in statements(watching, "scheduler_document")
    assert one(watching.resources("dropbox", "aws_cloudwatch_log_group"))["kms_key_id"] == KEY
    command = watching.stack("dropbox")["output"]["run_import_command"]["value"]
    assert "--launch-type FARGATE" in command


def test_scheduled_import_can_be_off(tmp_path):
    deployment = loads(
        textwrap.dedent("""
        name = "omero-dbw"
        dropbox {
          enabled          = true
          scheduled_import = false
          watch            = true
        }
    """)
    )
    synth = synthesize(deployment, tmp_path / "cdktf.out")
    assert "resource" not in synth.stack("dropbox") or not synth.resources("dropbox", "aws_ecs_task_definition")


SHARE_DEPLOYMENT = """
    name = "omero-dbs"
    cluster {
      launch_type = "ec2"
    }
    file_gateway {
      enabled          = true
      role             = "%s"
      activation_cidrs = ["10.192.0.0/16"]
    }
    dropbox {
      enabled     = true
      landing_dir = "%s"
    }
"""


def test_import_from_the_share_beside_omero(tmp_path):
    """Files put in the gateway's bucket are imported in place from where the server sees them."""
    deployment = loads(textwrap.dedent(SHARE_DEPLOYMENT % ("import", "/s3uploads/incoming")))
    synth = synthesize(deployment, tmp_path / "cdktf.out")
    task = one(synth.resources("dropbox", "aws_ecs_task_definition"))
    assert task["requires_compatibilities"] == ["EC2"]
    [server_task] = [
        t for t in synth.resources("services", "aws_ecs_task_definition").values() if t["family"].endswith("-omero-server")
    ]
    server = json.loads(server_task["container_definitions"])[0]  # the server; init containers follow
    container = import_container(synth)
    # The same volumes at the same paths as the read-write server: links resolve there (the
    # server's files staged for OMERO.server aside).
    assert container["mountPoints"] == [m for m in server["mountPoints"] if m["sourceVolume"] != "omero-server-extras"]
    assert [m["containerPath"] for m in container["mountPoints"]] == ["/OMERO", "/s3uploads"]
    assert task["volume"] == [v for v in server_task["volume"] if v["name"] != "omero-server-extras"]
    assert environment(container)["LANDING_DIR"] == "/s3uploads/incoming"
    ecs = one(synth.resources("dropbox", "aws_scheduler_schedule"))["target"]["ecs_parameters"]
    assert "capacity_provider_strategy" in ecs


def test_import_when_the_share_holds_omero(tmp_path):
    deployment = loads(textwrap.dedent(SHARE_DEPLOYMENT % ("repository", "/OMERO/landing")))
    synth = synthesize(deployment, tmp_path / "cdktf.out")
    task = one(synth.resources("dropbox", "aws_ecs_task_definition"))
    [volume] = task["volume"]
    assert volume["name"] == "omero-data" and volume["docker_volume_configuration"]["driver_opts"]["type"] == "nfs"
    assert "efs_volume_configuration" not in volume
    # No EFS: no rule towards it, and no EFS permission in the task role.
    egress = synth.resources("dropbox", "aws_vpc_security_group_egress_rule").values()
    assert sorted(r["from_port"] for r in egress) == [443, 4064]
    assert not statements(synth, "task_document")


def test_landing_dir_on_the_share_path():
    text = 'name = "omero-test"\n' + textwrap.dedent(SHARE_DEPLOYMENT % ("import", "/data/in")).replace('name = "omero-dbs"', "")
    with pytest.raises(ConfigError) as caught:
        loads(text, "test.hcl")
    assert caught.value.lines == [
        'dropbox.landing_dir = "/data/in": allowed: a folder under /OMERO or under the S3 File Gateway share at /s3uploads: what the read-write OMERO.server mounts'
    ]


# --- bad input: every key and every rule ------------------------------------------------------


def test_enabled_must_be_a_bool():
    assert problems('dropbox {\n  enabled = "yes"\n}\n') == ['dropbox.enabled = "yes": allowed: true or false']


def test_keys_only_with_enabled():
    assert problems('dropbox {\n  landing_dir = "/OMERO/in"\n}\n') == [
        'dropbox.landing_dir = "/OMERO/in": allowed: only with enabled = true'
    ]


def test_something_to_do():
    assert dropbox("scheduled_import = false") == [
        "dropbox.scheduled_import = false: allowed: true, or watch = true (with both off the add-on does nothing)"
    ]


@pytest.mark.parametrize(
    "value, allowed",
    [
        ("OMERO/landing", "an absolute path"),
        ("/OMERO/../etc", "an absolute path"),
        ("/OMERO/landing/", "an absolute path"),
        ("/OMERO//landing", "an absolute path"),
        ("/OMERO/land ing", "an absolute path"),
        ("/OMERO", "a folder under /OMERO, not /OMERO itself"),
        ("/OMERO/ManagedRepository/in", "a folder outside OMERO's own directories"),
        ("/etc/landing", "not a system directory"),
    ],
)
def test_landing_dir(value, allowed):
    [line] = dropbox(f'landing_dir = "{value}"')
    assert line.startswith(f'dropbox.landing_dir = "{value}": allowed: ') and allowed in line, line


def test_landing_dir_outside_omero_needs_the_file_gateway():
    assert dropbox('landing_dir = "/s3uploads/in"') == [
        'dropbox.landing_dir = "/s3uploads/in": allowed: a folder under /OMERO (or under the S3 File Gateway share\'s mount path, with file_gateway enabled): what the read-write OMERO.server mounts'
    ]


@pytest.mark.parametrize(
    "value, allowed",
    [
        ("hourly", "(six cron fields)"),
        ("rate(1 hours)", '"rate(1 hour)" singular, plural above 1'),
        ("rate(2 minute)", '"rate(1 minute)" singular, plural above 1'),
        ("rate(2 minutes)", "at least 5 minutes apart"),
        ("rate(0 hours)", "(six cron fields)"),
        ("cron(0 * * * *)", "(six cron fields)"),
        ("cron(0 * * * * *)", "(six cron fields)"),  # neither day field is "?"
    ],
)
def test_schedule(value, allowed):
    [line] = dropbox(f'schedule = "{value}"')
    assert line.startswith(f'dropbox.schedule = "{value}": allowed: a schedule such as') and allowed in line, line


def test_schedule_timezone():
    assert dropbox('schedule = "cron(0 2 * * ? *)"\nschedule_timezone = "Mars/Olympus"') == [
        'dropbox.schedule_timezone = "Mars/Olympus": allowed: an IANA time zone name such as "UTC" or "Europe/Berlin"'
    ]
    assert dropbox('schedule_timezone = "Europe/Berlin"') == [
        'dropbox.schedule_timezone = "Europe/Berlin": allowed: only with a cron(...) schedule (rates do not depend on the time zone)'
    ]


def test_import_user_and_group():
    user_rule = "an OMERO user or group name: 1-64 letters, digits and ._@-, starting with a letter or digit"
    assert dropbox('import_user = "bob smith"') == [f'dropbox.import_user = "bob smith": allowed: {user_rule}']
    assert dropbox('import_user = "bob"\nimport_group = "-lab"') == [f'dropbox.import_group = "-lab": allowed: {user_rule}']
    assert dropbox('import_group = "lab"') == [
        'dropbox.import_group = "lab": allowed: only with an import_user other than root (root imports into its own group)'
    ]


def test_transfer():
    assert dropbox('transfer = "ln_rm"') == ['dropbox.transfer = "ln_rm": allowed: one of "ln_s", "cp", "upload"']


@pytest.mark.parametrize(
    "argument", ["-w", "--password=x", "-uroot", "--sudo", "--transfer=cp", "--exclude=clientpath", "-s", "-g"]
)
def test_import_args_managed(argument):
    [line] = dropbox(f'import_args = ["{argument}"]')
    assert line.startswith("dropbox.import_args = [") and f"'{argument}': arguments other than -s, --server" in line, line


def test_import_args_shape():
    [line] = dropbox('import_args = ["-T", "a;b"]')
    assert '\'a;b\': non-empty arguments without newlines, "%{" or ";"' in line
    # HCL itself refuses template directives in a string; the check also guards values built in code.
    assert dropbox('import_args = ["%{x}"]') == ["is not valid HCL at line 4, column 19"]
    from config.addons.dropbox import import_arguments

    assert import_arguments(("%{ if x }",)).startswith("'%{ if x }': non-empty arguments")
    [line] = dropbox('import_args = [""]')
    assert "'': non-empty arguments" in line
    [line] = dropbox('import_args = "-T x"')
    assert line == 'dropbox.import_args = "-T x": allowed: a list of strings'


@pytest.mark.parametrize(
    "key, value, allowed",
    [
        ("settle_minutes", "-1", "a whole number from 0 to 1440"),
        ("settle_minutes", "1441", "a whole number from 0 to 1440"),
        ("cpu", "1000", "one of 256, 512, 1024"),
        ("memory", "1024", "a whole number from 2048 to 30720"),
        ("memory", "3000", "2048-8192 MiB in steps of 1024 with cpu = 1024 on Fargate"),
        ("watch_wait_seconds", "0", "a whole number from 1 to 3600"),
    ],
)
def test_numbers(key, value, allowed):
    body = f"{key} = {value}" + ("\nwatch = true" if key.startswith("watch_") else "")
    [line] = dropbox(body)
    assert line.startswith(f"dropbox.{key} = {value}: allowed: ") and allowed in line, line


def test_log_retention_days():
    [line] = dropbox("log_retention_days = 2")
    assert line.startswith("dropbox.log_retention_days = 2: allowed: one of 1, 3, 5")


def test_watch_keys_only_with_watch():
    assert dropbox('watch_dir = "/OMERO/In"\nwatch_users = ["alice"]\nwatch_wait_seconds = 30') == [
        'dropbox.watch_dir = "/OMERO/In": allowed: only with watch = true',
        'dropbox.watch_users = ["alice"]: allowed: only with watch = true',
        "dropbox.watch_wait_seconds = 30: allowed: only with watch = true",
    ]


def test_watch_must_be_a_bool():
    assert dropbox("watch = 1") == ["dropbox.watch = 1: allowed: true or false"]


def test_schedule_keys_only_with_scheduled_import():
    assert dropbox('scheduled_import = false\nwatch = true\nschedule = "rate(2 hours)"\nimport_user = "bob"') == [
        'dropbox.import_user = "bob": allowed: only with scheduled_import = true',
        'dropbox.schedule = "rate(2 hours)": allowed: only with scheduled_import = true',
    ]


def test_watch_dir_and_users():
    [line] = dropbox('watch = true\nwatch_dir = "/OMERO/ManagedRepository"')
    assert line.startswith('dropbox.watch_dir = "/OMERO/ManagedRepository": allowed: a folder outside OMERO\'s own directories')
    assert dropbox('watch = true\nwatch_dir = "/s3uploads/DropBox"') == [
        'dropbox.watch_dir = "/s3uploads/DropBox": allowed: a folder under /OMERO (the read-write server\'s volume)'
    ]
    [line] = dropbox('watch = true\nwatch_users = ["alice", "alice"]')
    assert line == 'dropbox.watch_users = ["alice", "alice"]: allowed: each user once'
    [line] = dropbox('watch = true\nwatch_users = ["a/b"]')
    assert line.startswith("dropbox.watch_users = [\"a/b\"]: allowed: 'a/b': an OMERO user or group name")


def test_landing_dir_apart_from_watch_dir():
    assert dropbox('watch = true\nlanding_dir = "/OMERO/DropBox/alice"') == [
        'dropbox.landing_dir = "/OMERO/DropBox/alice": allowed: a folder apart from watch_dir (/OMERO/DropBox): one file imported twice'
    ]


# --- on the emulator ------------------------------------------------------------------------


@pytest.mark.emulator
@pytest.mark.terraform
def test_dropbox_on_emulator(addons_on_emulator):
    emulator = addons_on_emulator.emulator  # the session's shared emulator
    synth = addons_on_emulator.synth
    name = addons_on_emulator.stack_name("dropbox")
    applied = addons_on_emulator.applied(name)
    outputs = applied.outputs[name]
    region = synth.deployment.region
    assert outputs["import_schedule_name"] == "omero-full-omero-import"
    assert outputs["import_task_family"] == "omero-full-omero-import"
    assert outputs["run_import_command"].startswith(f"aws ecs run-task --region {region} --cluster omero-full-omero ")

    schedule = aws(emulator, "scheduler", region).get_schedule(Name=outputs["import_schedule_name"])
    assert schedule["ScheduleExpression"] == "cron(0 7-19 ? * MON-FRI *)"
    assert schedule["ScheduleExpressionTimezone"] == "Europe/Berlin"
    assert schedule["State"] == "ENABLED"
    ecs_parameters = schedule["Target"]["EcsParameters"]
    assert ecs_parameters["TaskDefinitionArn"].split("/")[-1].startswith("omero-full-omero-import:")
    assert ecs_parameters["NetworkConfiguration"]["awsvpcConfiguration"]["AssignPublicIp"] == "DISABLED"

    definition = aws(emulator, "ecs", region).describe_task_definition(taskDefinition=outputs["import_task_family"])[
        "taskDefinition"
    ]
    [container] = definition["containerDefinitions"]
    assert container["entryPoint"] == ["/bin/bash", "-c"]
    assert [s["name"] for s in container["secrets"]] == ["OMERO_PASSWORD"]
    [efs_volume] = [v for v in definition["volumes"] if "efsVolumeConfiguration" in v]
    assert efs_volume["efsVolumeConfiguration"]["transitEncryption"] == "ENABLED"
    logs = aws(emulator, "logs", region).describe_log_groups(logGroupNamePrefix="/omero/omero-full/omero-import")["logGroups"]
    assert logs and logs[0]["retentionInDays"] == 365
