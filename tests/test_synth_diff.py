"""tools.synth_diff on real synths: the quick-start example against a copy with known changes."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.harness.defaults import SERVER_IMAGE, SERVER_UPGRADE, label
from tests.harness.synth import ROOT, Synthesis, synthesize
from tools import synth_diff
from tools.synthesized import is_secret_name, load_tree, looks_secret

# The quick start with five changes whose effect is known: a read-only server (new resources and
# a longer server list for OMERO.web), a higher web ceiling, a new server image (an OMERO
# upgrade: the default's next patch), a different EFS performance mode (forces a new file
# system) and LDAP: the bind password from Secrets Manager (its ARN shows) and a directory URL
# that carries credentials (must never print: plain properties refuse a password, but a value
# may still hold one).
MODIFIED = """
name   = "omero-quick"
region = "eu-west-1"
tags   = { owner = "imaging-facility" }

network {
  vpc_cidr     = "10.20.0.0/16"
  nat_gateways = "single"
}

storage {
  performance_mode = "maxIO"
  throughput_mode  = "bursting"
}

server {
  image           = "SERVER_UPGRADE"
  read_only_count = 1
  properties      = { "omero.ldap.urls" = "ldaps://omero-bind:hunter2-ldap-bind@ldap.example.org:636" }
  secret_properties = {
    "omero.ldap.password" = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:omero/ldap-Ab12Cd:password::"
  }
}

web {
  max_tasks = 6
}
""".replace("SERVER_UPGRADE", SERVER_UPGRADE)
LDAP_PASSWORD = "hunter2-ldap-bind"


@pytest.fixture(scope="module")
def base(examples) -> Synthesis:
    return examples["quickstart-http"]


@pytest.fixture(scope="module")
def head(tmp_path_factory) -> Synthesis:
    directory = tmp_path_factory.mktemp("synth-diff-head")
    config = directory / "modified.hcl"
    config.write_text(MODIFIED)
    return synthesize(config, directory / "cdktf.out")


def run(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """The command as a reviewer runs it."""
    return subprocess.run(
        [sys.executable, "-m", "tools.synth_diff", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def test_finds_exactly_the_changes(base, head):
    diff = synth_diff.diff_trees(load_tree(base.outdir), load_tree(head.outdir))
    stacks = {stack.name: stack for stack in diff.stacks}
    assert {name: stack.status for name, stack in stacks.items()} == {
        "omero-quick-backup": "unchanged",
        "omero-quick-network": "unchanged",
        "omero-quick-services": "changed",
        "omero-quick-storage": "changed",
    }

    services = stacks["omero-quick-services"].blocks
    changed = {b.address: b for b in services if b.status == "changed"}
    assert set(changed) == {
        "aws_appautoscaling_target.web_scaling_target_1C0074BC",
        "aws_ecs_task_definition.server_task_93E23BD0",
        "aws_ecs_task_definition.web_task_ACDD21F9",
        # the servers start after the storage stack's snapshot for the new image (read at apply)
        "terraform_data.upgrade_snapshot_image_0F335644",
        "data.aws_db_snapshot.upgrade_snapshot_C7155DFA",
        # the read-write server now reads the read-only role's password too
        "data.aws_iam_policy_document.server_roles_execution_document_B5A86FD5",
    }
    assert [c.line() for c in changed["aws_appautoscaling_target.web_scaling_target_1C0074BC"].changes] == ["max_capacity: 4 → 6"]
    server_paths = {c.path for c in changed["aws_ecs_task_definition.server_task_93E23BD0"].changes}
    # containers by name, variables and secrets by variable name
    assert "container_definitions.omero-server.image" in server_paths
    assert "container_definitions.omero-server.secrets.OMERO_RO_PASSWORD" in server_paths
    # the image, and (with a read-only server now) the role's password and the start step making it
    assert all(".environment." in p or ".secrets." in p or ".command[" in p or p.endswith(".image") for p in server_paths), (
        server_paths
    )
    assert not any(b.status == "removed" for b in services)
    added = [b for b in services if b.status == "added"]
    assert added and all("read_only_server" in b.address or b.address.startswith("output.read_only") for b in added)
    assert {b.kind for b in added} == {"resource", "data", "output"}

    storage = stacks["omero-quick-storage"].blocks
    changed_storage = {b.address: b for b in storage if b.status == "changed"}
    assert set(changed_storage) == {
        "aws_efs_file_system.efs_file_system_D9A5D3EE",
        # named after the image, in the storage stack (a destroy of the services keeps it): the
        # new one is taken before the upgraded server starts
        "aws_db_snapshot.upgrade_snapshot_C7155DFA",
    }
    assert [c.line() for c in changed_storage["aws_db_snapshot.upgrade_snapshot_C7155DFA"].changes] == [
        f'db_snapshot_identifier: "omero-quick-omero-before-{label(SERVER_IMAGE)}" → "omero-quick-omero-before-{label(SERVER_UPGRADE)}"',
        f'tags.omero-server-image: "{SERVER_IMAGE}" → "{SERVER_UPGRADE}"',
    ]
    # the read-only server's database role gets its password secret
    assert [(b.address, b.kind) for b in storage if b.status == "added"] == [
        ("aws_secretsmanager_secret.database_readonly_secret_BC27CCAA", "resource"),
        ("aws_secretsmanager_secret_version.database_readonly_value_2D5530DC", "resource"),
        ("ephemeral.aws_secretsmanager_random_password.readonly_password", "ephemeral"),
        ("output.cross-stack-output-aws_secretsmanager_secretdatabase_readonly_secret_BC27CCAAarn", "output"),
    ]
    assert [c.line() for c in changed_storage["aws_efs_file_system.efs_file_system_D9A5D3EE"].changes] == [
        'performance_mode: "generalPurpose" → "maxIO"',
        'throughput_mode: "elastic" → "bursting"',
    ]


def test_flags_the_stateful_change_and_the_omero_upgrade(base, head):
    result = run(str(base.outdir), str(head.outdir))
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    alerts = [line for line in lines[:8] if line.startswith(("REPLACEMENT RISK", "STATEFUL", "OMERO UPGRADE"))]
    assert alerts[0].startswith("REPLACEMENT RISK  omero-quick-storage: aws_efs_file_system.")
    assert 'performance_mode: "generalPurpose" → "maxIO" forces replacement' in alerts[0]
    assert any(a.startswith("STATEFUL") and a.endswith("changes in place: throughput_mode") for a in alerts)
    upgrade = [a for a in alerts if a.startswith("OMERO UPGRADE")]
    repository, old_tag = SERVER_IMAGE.rsplit(":", 1)
    assert len(upgrade) == 1 and f"{repository}: {old_tag} → {SERVER_UPGRADE.rsplit(':', 1)[1]}" in upgrade[0]
    snapshot = f"omero-quick-omero-before-{label(SERVER_UPGRADE)}"
    assert f"The plan snapshots the database first ({snapshot}, in the storage stack" in upgrade[0]
    assert "max_capacity: 4 → 6" in result.stdout
    assert "== omero-quick-network: no changes" in result.stdout


def test_secrets_are_redacted(base, head):
    for output_format in ("text", "markdown"):
        result = run(str(base.outdir), str(head.outdir), "--format", output_format)
        assert result.returncode == 1, result.stderr
        assert LDAP_PASSWORD not in result.stdout
        # variables by name: the URL's value redacted, the password's secret by its ARN
        [url] = [line for line in result.stdout.splitlines() if ".environment.CONFIG_omero_ldap_urls: " in line]
        assert url.endswith("(none) → (redacted)"), url
        [password] = [line for line in result.stdout.splitlines() if ".secrets.CONFIG_omero_ldap_password: " in line]
        assert password.endswith('(none) → "arn:aws:secretsmanager:eu-west-1:123456789012:secret:omero/ldap-Ab12Cd:password::"')


def test_markdown_renders_a_pull_request_comment(base, head):
    result = run(str(base.outdir), str(head.outdir), "--format", "markdown", "--title", "examples/quickstart-http.hcl")
    assert result.returncode == 1, result.stderr
    text = result.stdout
    assert text.startswith("### examples/quickstart-http.hcl\n")
    assert "> [!CAUTION]\n> **REPLACEMENT RISK**" in text
    assert "> [!IMPORTANT]\n> **OMERO UPGRADE**" in text
    assert "| stack | status | resources | data sources | outputs |" in text
    assert "| `omero-quick-services` | changed | +8 ~4 -0 | +3 ~2 -0 | +2 ~0 -0 |" in text
    assert "| `omero-quick-network` | unchanged |" in text
    # One collapsible section per changed stack, each with a closed diff block.
    assert text.count("<details>") == text.count("</details>") == 2
    assert text.count("~~~diff") == 2 and text.count("~~~") == 4
    assert "\n+ aws_ecs_service.read_only_server_1_service_" in text
    assert "\n! aws_efs_file_system.efs_file_system_D9A5D3EE\n" in text


def test_identical_trees_have_no_changes(base):
    for output_format, expected in (("text", "no changes (4 stacks compared)"), ("markdown", "No changes (4 stacks compared).")):
        result = run(str(base.outdir), str(base.outdir), "--format", output_format)
        assert (result.returncode, result.stderr) == (0, "")
        assert expected in result.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["/nonexistent/cdktf.out", "."], "error: /nonexistent/cdktf.out: no such directory"),
        (["tests", "tests"], "error: tests: no stacks/<stack>/cdk.tf.json inside"),
        (["only-one"], "error: give two cdktf.out directories, or --git BASE [HEAD]"),
        (["--format", "html", "a", "b"], "error: argument --format: invalid choice"),
        (["--git", "no-such-revision-x", "HEAD"], "error: no-such-revision-x: not a revision of"),
        (["--git", "HEAD", "HEAD", "--config", "/nonexistent.hcl"], "error: /nonexistent.hcl: no such deployment file"),
    ],
)
def test_bad_input_is_one_line_and_status_2(args, message):
    result = run(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith(message), result.stderr


def test_git_revisions_head_against_head(tmp_path):
    """Two exports of HEAD synthesized with one deployment file: no changes, nothing left behind."""
    env = {**_environ(), "TMPDIR": str(tmp_path)}
    result = run("--git", "HEAD", "HEAD", "--config", "examples/quickstart-http.hcl", env=env, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "no changes (4 stacks compared)\n"
    assert list(tmp_path.iterdir()) == []


def test_config_in_neither_revision_is_bad_input(tmp_path):
    """--config-from-revision with a file no revision has: said so, rather than an empty diff."""
    env = {**_environ(), "TMPDIR": str(tmp_path)}
    absent = ROOT / "examples" / "absent.hcl"
    result = run("--git", "HEAD", "HEAD", "--config", str(absent), "--config-from-revision", env=env)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and "absent.hcl: in neither revision" in result.stderr
    assert list(tmp_path.iterdir()) == []


def _environ() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("OMERO_CONFIG", "CDKTF_OUTDIR")}


# --- pure helpers: what counts as a secret --------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "password",
        "master_password",
        "password_wo",
        "secret_string",
        "secret_string_wo",
        "private_key",
        "auth_token",
        "CONFIG_omero_db_pass",
        "CONFIG_omero_web_secret__key",
    ],
)
def test_secret_names(name):
    assert is_secret_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "password_wo_version",
        "secret_id",
        "kms_key_id",
        "creation_token",
        "secrets",
        "secret_string_wo_version",
        "name",
        "engine",
        "manage_master_user_password_rotation",
    ],
)
def test_not_secret_names(name):
    assert not is_secret_name(name)


@pytest.mark.parametrize(
    "value",
    [
        "AKIAIOSFODNN7EXAMPLE",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIE",
        "postgres://omero:s3cr3t@db.example.org/omero",
        "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY12",
    ],
)
def test_secret_looking_values(value):
    assert looks_secret(value)


@pytest.mark.parametrize(
    "value",
    [
        "openmicroscopy/omero-server:5.6.16",
        "database_instance_D7FC2283",
        "${aws_secretsmanager_secret.database_db_secret_C9F3CB1F.arn}",
        "sha256:" + "a" * 64,
        "arn:aws:kms:eu-west-1:123456789012:key/abcd",
    ],
)
def test_ordinary_values(value):
    assert not looks_secret(value)


def test_a_changed_secret_shows_as_changed_but_redacted():
    changes = synth_diff.diff_values({"password": "old-one", "port": 5432}, {"password": "new-one", "port": 5432})
    assert [c.line() for c in changes] == ["password: (redacted) → (redacted)"]


def test_local_backend_paths_compare_by_file_name():
    """Where the synth ran moves the local state path, not the deployment."""
    old = {"terraform": {"backend": {"local": {"path": "../../a/terraform.x-network.tfstate"}}}}
    new = {"terraform": {"backend": {"local": {"path": "../../../b/terraform.x-network.tfstate"}}}}
    assert not synth_diff.diff_trees({"x-network": old}, {"x-network": new}).changed


def test_turning_protection_off_and_removing_a_stack_are_replacement_risks():
    """Built from the quick start's own database and file system, edited the way a change would."""
    db = {"identifier": "omero-quick-omero", "deletion_protection": True, "lifecycle": {"prevent_destroy": True}}
    loose = {"identifier": "omero-quick-omero", "deletion_protection": False}
    old = {"x-storage": {"resource": {"aws_db_instance": {"database": db}}}}
    new = {"x-storage": {"resource": {"aws_db_instance": {"database": loose}}}}
    alerts = [(a.level, a.message) for a in synth_diff.diff_trees(old, new).alerts]
    assert (
        "REPLACEMENT RISK",
        "aws_db_instance.database: deletion_protection turned off: nothing stops a destroy any more",
    ) in alerts
    assert (
        "REPLACEMENT RISK",
        "aws_db_instance.database: lifecycle.prevent_destroy turned off: nothing stops a destroy any more",
    ) in alerts

    efs = {"creation_token": "x-omero-data", "lifecycle": {"prevent_destroy": True}}
    gone = synth_diff.diff_trees({"x-storage": {"resource": {"aws_efs_file_system": {"efs": efs}}}}, {})
    assert [s.status for s in gone.stacks] == ["removed"] and gone.changed
    assert [(a.level, a.message) for a in gone.alerts] == [
        (
            "REPLACEMENT RISK",
            "aws_efs_file_system.efs removed: Terraform destroys it and what it holds (prevent_destroy makes the plan fail instead)",
        )
    ]
