"""The zarr add-on: OME-Zarr images read in place from S3 by OMERO.server, as configured, pinned,
staged, fetched, synthesized and applied."""

from __future__ import annotations

import datetime
import hashlib
import http.server
import json
import re
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from config import ConfigError, loads
from config.addons.zarr import CACHE_SIZE_DEFAULT, artifacts_bucket_name, zarr_bucket_name
from config.artifacts import ZARR_PIXEL_BUFFER, Artifact, pins, server_artifacts, staged_artifacts, staged_file, staged_key
from modules import artifact_fetch
from tests.harness.apply import aws
from tests.harness.synth import one, synthesize

ROLE = "zarr"
ROOT = Path(__file__).resolve().parents[1]
PIXEL_BUFFER_REPO = Path("/work/.mirror/glencoesoftware+omero-zarr-pixel-buffer/repo")
KEY = "arn:aws:kms:eu-west-1:111122223333:key/0123abcd-0123-4567-89ab-0123456789ab"
ICE_SHA = "3f" * 32


@pytest.fixture(scope="module")
def full(examples):
    return examples["full"]


@pytest.fixture(scope="module")
def existing(tmp_path_factory):
    """An existing, customer-key encrypted bucket, a read-only server and the uploader, on Fargate."""
    deployment = loads(
        textwrap.dedent(
            f"""
            name   = "zarr-existing"
            region = "eu-west-1"
            server {{
              read_only_count = 1
            }}
            uploader {{
              enabled          = true
              ice_wheel_sha256 = "{ICE_SHA}"
            }}
            zarr {{
              enabled     = true
              bucket_name = "lab-ome-zarr"
              kms_key_arn = "{KEY}"
            }}
            """
        ),
        "existing.hcl",
    )
    return synthesize(deployment, tmp_path_factory.mktemp("zarr") / "cdktf.out")


def documents(synth, role: str) -> dict[str, list[dict]]:
    return {key: doc.get("statement", []) for key, doc in synth.data(role, "aws_iam_policy_document").items()}


def containers(synth, fragment: str) -> list[dict]:
    [task] = [t for key, t in synth.resources("services", "aws_ecs_task_definition").items() if key.startswith(fragment)]
    return json.loads(task["container_definitions"])


# --- configuration ------------------------------------------------------------------------------


def test_defaults_and_server_properties():
    deployment = loads('name = "zz"\nzarr { enabled = true }')
    zarr = deployment.zarr
    assert zarr.creates_bucket and zarr.backup and zarr.cache_size == CACHE_SIZE_DEFAULT == 500
    assert zarr.server_properties() == {"omero.pixeldata.zarr_cache_size": "500"}
    assert loads('name = "zz"').zarr.server_properties() == {}  # off: nothing set


def test_the_default_cache_size_is_the_pixel_buffers_own():
    """blitz-ZarrPixelBuffer.xml of the pinned release reads the property with its own default."""
    if not PIXEL_BUFFER_REPO.exists():
        pytest.skip("the omero-zarr-pixel-buffer mirror is not on this machine")
    xml = subprocess.run(
        ["git", "-C", str(PIXEL_BUFFER_REPO), "show", "v0.6.1:src/main/resources/blitz/blitz-ZarrPixelBuffer.xml"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"${{omero.pixeldata.zarr_cache_size:{CACHE_SIZE_DEFAULT}}}" in xml


def test_bucket_names_fit_s3s_limit_for_the_longest_name_and_region():
    for name in (zarr_bucket_name, artifacts_bucket_name):
        assert len(name("a" * 20, "1" * 12, "ap-southeast-2")) <= 63


def problems(body: str, head: str = 'name = "zz"\n') -> list[str]:
    with pytest.raises(ConfigError) as caught:
        loads(head + textwrap.dedent(body), "test.hcl")
    return caught.value.lines


ON = "zarr {\n enabled = true\n"
BAD_INPUTS = [
    ('zarr {\n bucket_name = "lab-zarr"\n}', "zarr.bucket_name", "only with enabled = true"),
    (ON + 'bucket_name = "Lab_Zarr"\n}', "zarr.bucket_name", "an S3 bucket name"),
    (ON + 'bucket_name = "ab"\n}', "zarr.bucket_name", "3-63"),
    (ON + 'bucket_name = "lab..zarr"\n}', "zarr.bucket_name", "an S3 bucket name"),
    (ON + 'bucket_name = "10.0.0.1"\n}', "zarr.bucket_name", "not an IP address"),
    (ON + 'bucket_name = "xn--lab-zarr"\n}', "zarr.bucket_name", "reserved prefix"),
    (ON + 'bucket_name = "lab.zarr"\n}', "zarr.bucket_name", "without dots"),
    (ON + 'kms_key_arn = "alias/aws/s3"\n}', "zarr.kms_key_arn", "a KMS key"),
    (ON + "cache_size = 0\n}", "zarr.cache_size", "from 1 to 100000"),
    (ON + "noncurrent_version_days = 0\n}", "zarr.noncurrent_version_days", "from 1 to 3650"),
    (ON + 'bucket_name = "lab-zarr"\nbackup = false\n}', "zarr.backup", "only without bucket_name"),
    (ON + 'backup_waiver = "copies elsewhere"\n}', "zarr.backup_waiver", "only with backup = false"),
    (ON + f'kms_key_arn = "{KEY}"\n}}', "zarr.kms_key_arn", "a key in us-east-1"),
    (
        'server {\n properties = { "omero.pixeldata.zarr_cache_size" = "9" }\n}\n' + ON + "}",
        "server.properties",
        "which zarr.cache_size sets",
    ),
]


@pytest.mark.parametrize("body, key, fragment", BAD_INPUTS, ids=[f"{i:02d}-{b[1]}" for i, b in enumerate(BAD_INPUTS)])
def test_bad_input_names_the_key(body, key, fragment):
    lines = problems(body)
    matching = [line for line in lines if line.startswith((f"{key}:", f"{key} ="))]
    assert matching, f"no message names {key}: {lines}"
    assert any(fragment in line for line in matching), f"{fragment!r} not in {matching}"


def test_production_keeps_the_new_bucket_under_backup_unless_waived():
    head = (
        'name = "omero-prod"\ndatabase { multi_az = true }\nload_balancer { plain_http_waiver = "behind a VPN" }\n'
        'images { anonymous_pulls_waiver = "a test" }\n'
    )
    [line] = [x for x in problems(ON + "backup = false\n}", head) if x.startswith("zarr.backup")]
    assert "true for a production deployment (omero-prod)" in line
    waived = loads(head + ON + 'backup = false\nbackup_waiver = "replicated to another account"\n}')
    assert not waived.zarr.backup


# --- the pins -----------------------------------------------------------------------------------


def test_every_pin_is_well_formed_with_its_version_in_the_file_name():
    assert ZARR_PIXEL_BUFFER, "no pins"
    for artifact in ZARR_PIXEL_BUFFER:
        assert artifact.problems() == [], artifact
        assert re.fullmatch(r"[0-9a-f]{64}", artifact.sha256)
        assert artifact.url and artifact.url.startswith("https://")
        stem = artifact.name.removesuffix(".jar")
        assert staged_file(artifact) == f"{stem}-{artifact.version}.jar"  # the version in the file name
        assert artifact.url.endswith(f"/{stem}/{artifact.version}/{staged_file(artifact)}")  # Maven's layout
        assert artifact.target == "lib/server"
        assert staged_key(artifact) == f"{artifact.sha256}/{staged_file(artifact)}"
    assert len({a.sha256 for a in ZARR_PIXEL_BUFFER}) == len(ZARR_PIXEL_BUFFER)
    assert len({a.path for a in ZARR_PIXEL_BUFFER}) == len(ZARR_PIXEL_BUFFER)


def test_the_pins_are_the_pixel_buffers_dependencies():
    """build.gradle of the pinned release, plus what aws-java-sdk-s3 brings (core and kms)."""
    names = {a.name.removesuffix(".jar"): a.version for a in ZARR_PIXEL_BUFFER}
    assert names == {
        "omero-zarr-pixel-buffer": "0.6.1",
        "caffeine": "3.1.8",
        "jzarr": "0.4.2",
        "s3fs": "2.2.3",
        "aws-java-sdk-s3": "1.12.659",
        "aws-java-sdk-core": "1.12.659",
        "aws-java-sdk-kms": "1.12.659",
        "tika-core": "1.28.5",
    }
    if not PIXEL_BUFFER_REPO.exists():
        return
    gradle = subprocess.run(
        ["git", "-C", str(PIXEL_BUFFER_REPO), "show", "v0.6.1:build.gradle"], capture_output=True, text=True, check=True
    ).stdout
    declared = dict(re.findall(r"implementation '[\w.-]+:([\w-]+):([\w.-]+)'", gradle))
    assert declared == {
        k: v for k, v in names.items() if k not in ("omero-zarr-pixel-buffer", "aws-java-sdk-core", "aws-java-sdk-kms")
    }


def test_the_servers_install_the_pins_only_with_the_add_on():
    off, on = loads('name = "zz"'), loads('name = "zz"\nzarr { enabled = true }')
    assert not staged_artifacts(off) and set(staged_artifacts(on)) == set(ZARR_PIXEL_BUFFER)
    assert "omero-zarr-pixel-buffer.jar" not in pins(server_artifacts(off))
    assert "lib/server/omero-zarr-pixel-buffer.jar=9cb3d1ed" in pins(server_artifacts(on))


# --- the zarr stack -------------------------------------------------------------------------------


def test_the_new_bucket_is_named_from_the_deployment_and_never_destroyed(full):
    buckets = full.resources(ROLE, "aws_s3_bucket")
    images = next(b for k, b in buckets.items() if "images" in k)
    assert images["bucket"] == "omero-full-omero-zarr-${data.aws_caller_identity.account.account_id}-eu-central-1"
    assert images["lifecycle"] == {"prevent_destroy": True} and images["force_destroy"] is False
    artifacts = next(b for k, b in buckets.items() if "artifacts" in k)
    assert artifacts["bucket"] == "omero-full-artifacts-${data.aws_caller_identity.account.account_id}-eu-central-1"


def test_both_buckets_are_versioned_encrypted_private_and_tls_only(full):
    encryption = {
        k: b["rule"][0]["apply_server_side_encryption_by_default"]["sse_algorithm"]
        for k, b in full.resources(ROLE, "aws_s3_bucket_server_side_encryption_configuration").items()
    }
    assert sorted(encryption.values()) == ["AES256", "aws:kms"]
    assert all(
        v["versioning_configuration"] == {"status": "Enabled"} for v in full.resources(ROLE, "aws_s3_bucket_versioning").values()
    )
    blocks = full.resources(ROLE, "aws_s3_bucket_public_access_block").values()
    assert len(blocks) == 2 and all(
        all(b[k] is True for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"))
        for b in blocks
    )
    for key, statements in documents(full, ROLE).items():
        assert {s["sid"] for s in statements} == {"DenyInsecureTransport", "DenyOutdatedTLS"}, key
    assert len(full.resources(ROLE, "aws_s3_bucket_policy")) == 2


def test_outputs_say_where_to_copy_and_how_to_register(full):
    outputs = full.stack(ROLE)["output"]
    assert outputs["upload_uri"]["value"].startswith("s3://${aws_s3_bucket.")
    command = outputs["import_command"]["value"]
    assert command.startswith("omero zarr import s3://") and command.endswith(
        "--endpoint https://s3.eu-central-1.${data.aws_partition.partition.dns_suffix} --parseuri"
    )
    assert outputs["staged_keys"]["value"] == [staged_key(a) for a in ZARR_PIXEL_BUFFER]


def test_an_existing_bucket_is_looked_up_not_made(existing):
    assert [k for k in existing.resources(ROLE, "aws_s3_bucket") if "images" in k] == []
    assert one(existing.data(ROLE, "aws_s3_bucket"))["bucket"] == "lab-ome-zarr"


# --- what the servers get ----------------------------------------------------------------------


def zarr_statements(synth, document_fragment: str) -> dict[str, dict]:
    [statements] = [s for key, s in documents(synth, "services").items() if document_fragment in key]
    return {s["sid"]: s for s in statements if "Zarr" in (s.get("sid") or "") or s.get("sid") == "StagedArtifacts"}


@pytest.mark.parametrize("server", ["server_roles_task", "read_only_server_1_roles_task"])
def test_each_server_reads_that_bucket_only(existing, server):
    statements = zarr_statements(existing, server)
    assert set(statements) == {"ListZarrImages", "ReadZarrImages", "DecryptZarrImages", "StagedArtifacts"}
    assert statements["ListZarrImages"]["actions"] == ["s3:ListBucket"]
    [bucket] = statements["ListZarrImages"]["resources"]  # the looked-up bucket's ARN, from the zarr stack
    assert re.fullmatch(r"\$\{data\.terraform_remote_state\.[\w-]+zarr-existing-zarr\.outputs\.[\w-]+s3_bucket\w+arn\}", bucket)
    assert statements["ReadZarrImages"]["actions"] == ["s3:GetObject"]
    assert statements["ReadZarrImages"]["resources"] == [f"{bucket}/*"]
    assert statements["DecryptZarrImages"]["actions"] == ["kms:Decrypt"] and statements["DecryptZarrImages"]["resources"] == [KEY]
    assert statements["DecryptZarrImages"]["condition"] == [
        {"test": "StringEquals", "variable": "kms:ViaService", "values": ["s3.eu-west-1.amazonaws.com"]}
    ]
    staged = statements["StagedArtifacts"]
    assert staged["actions"] == ["s3:GetObject"] and len(staged["resources"]) == len(ZARR_PIXEL_BUFFER)
    assert all(r.endswith("/" + staged_key(a)) for r, a in zip(staged["resources"], ZARR_PIXEL_BUFFER, strict=True))


def test_no_other_statement_of_a_server_names_the_bucket(full):
    for key, statements in documents(full, "services").items():
        for statement in statements:
            text = json.dumps(statement)
            if "zarr_images" in text:
                assert statement["sid"] in ("ListZarrImages", "ReadZarrImages"), (key, statement)
            if statement.get("effect", "Allow") == "Allow":
                assert not any(a in ("s3:*", "*") for a in statement.get("actions", [])), (key, statement)


@pytest.mark.parametrize("task", ["server_task", "read_only_server_1_task"])
def test_each_server_task_stages_the_jars_first_and_sets_the_cache_size(existing, task):
    defs = {c["name"]: c for c in containers(existing, task)}
    stager, server = defs["stage-zarr-pixel-buffer"], defs["omero-server"]
    assert stager["essential"] is False and stager["readonlyRootFilesystem"] is True
    assert {"containerName": "stage-zarr-pixel-buffer", "condition": "SUCCESS"} in server["dependsOn"]
    assert stager["image"] == server["image"]  # the server's own image: its Python, no AWS CLI
    command = stager["command"][0]
    assert command.startswith("exec /opt/omero/server/venv3/bin/python -B -c ")
    for artifact in ZARR_PIXEL_BUFFER:
        assert f"{staged_key(artifact)}={artifact.path}" in command
    assert "https://${" in command and ".s3.eu-west-1.${" in command  # virtual-hosted, the stack's dns suffix
    environment = {e["name"]: e["value"] for e in server["environment"]}
    assert environment["CONFIG_omero_pixeldata_zarr__cache__size"] == "500"
    listed = environment["OMERO_SERVER_EXTRAS"].split()
    assert all(f"{a.path}={a.sha256}" in listed for a in ZARR_PIXEL_BUFFER)


def test_full_sets_its_cache_size(full):
    server = next(c for c in containers(full, "server_task") if c["name"] == "omero-server")
    assert {"name": "CONFIG_omero_pixeldata_zarr__cache__size", "value": "1000"} in server["environment"]


def test_the_embedded_program_is_the_fetch_module_without_its_docstring():
    from modules.addons.zarr import fetch_program

    program = fetch_program()
    assert program.startswith("# modules/artifact_fetch.py") and "def signed_headers(" in program
    assert "${" not in program and "%{" not in program  # Terraform would read either
    compile(program, "artifact_fetch", "exec")


# --- the uploader ---------------------------------------------------------------------------------


def test_the_uploader_reads_the_bucket_and_installs_the_pinned_cli(existing):
    statements = {s.get("sid"): s for ss in documents(existing, "uploader").values() for s in ss}
    [bucket] = statements["ListImportBuckets"]["resources"]  # no read_bucket_names: the zarr bucket alone
    assert re.fullmatch(
        r"arn:\$\{[^}]+\}:s3:::\$\{data\.terraform_remote_state\.[\w-]+zarr-existing-zarr\.outputs\.[\w-]+bucket\}", bucket
    )
    assert statements["ReadImportBuckets"]["resources"] == [f"{bucket}/*"]
    assert statements["DecryptImportBuckets"]["resources"] == [KEY]
    user_data = one(existing.resources("uploader", "aws_instance"))["user_data"]
    assert (
        "pip install --no-cache-dir --require-hashes --no-deps --only-binary=:all: -r /opt/omero/omero-cli-zarr.txt" in user_data
    )
    assert "omero-cli-zarr==0.9.0 --hash=sha256:1425442b7878af3018c551838850a919f47a51f9c2a239ad992c0671f40466cf" in user_data
    assert len(user_data.encode()) < 16 * 1024  # EC2's limit on user data (before base64)


def test_the_cli_lock_pins_every_line_by_hash():
    text = (ROOT / "modules" / "addons" / "omero_cli_zarr.txt").read_text()
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    names = set()
    for line in lines:
        match = re.fullmatch(r"([a-z0-9_.-]+)==([0-9][\w.]*)((?: --hash=sha256:[0-9a-f]{64})+)", line)
        assert match, line
        names.add(match.group(1))
    assert {"omero-cli-zarr", "ome-zarr", "zarr", "s3fs", "numpy"} <= names
    assert not names & {"omero-py", "zeroc-ice"}  # installed before it, by the uploader's own steps


# --- backup ---------------------------------------------------------------------------------------


def test_the_new_bucket_is_in_the_backup_plan(full):
    [selection] = full.resources("backup", "aws_backup_selection").values()
    assert (
        "arn:${data.aws_partition.partition.partition}:s3:::omero-full-omero-zarr-${data.aws_caller_identity.account.account_id}-eu-central-1"
        in selection["resources"]
    )


# --- the fetch program ----------------------------------------------------------------------------

WHEN = datetime.datetime(2026, 12, 6, 12, 34, 56, tzinfo=datetime.UTC)


@pytest.mark.parametrize("auth", ["SigV4Auth", "S3SigV4Auth"])
@pytest.mark.parametrize(
    "url",
    [
        "https://omero-full-artifacts-123456789012-eu-central-1.s3.eu-central-1.amazonaws.com/" + "ab" * 32 + "/jzarr-0.4.2.jar",
        "http://127.0.0.1:5000/bucket/" + "cd" * 32 + "/s3fs-2.2.3.jar",
    ],
)
@pytest.mark.parametrize("token", ["IQoJb3JpZ2luX2VjEXAMPLETOKEN", None])
def test_the_signature_is_botocores(monkeypatch, auth, url, token):
    import botocore.auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: WHEN.replace(tzinfo=None))
    ours = artifact_fetch.signed_headers(url, "eu-central-1", "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG", token, WHEN.timetuple())
    request = AWSRequest(method="GET", url=url, headers={"x-amz-content-sha256": artifact_fetch.EMPTY_SHA256})
    getattr(botocore.auth, auth)(Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG", token), "s3", "eu-central-1").add_auth(
        request
    )
    assert ours["Authorization"] == request.headers["Authorization"]
    assert ours["x-amz-date"] == request.headers["X-Amz-Date"] == "20261206T123456Z"


def test_a_path_is_encoded_once_as_s3_wants():
    assert artifact_fetch.canonical_path("/b/a%20b+c/~x.jar") == "/b/a%20b%2Bc/~x.jar"


class Credentials(http.server.BaseHTTPRequestHandler):
    """A stand-in for the ECS container credentials endpoint (its answer's shape: AccessKeyId,
    SecretAccessKey, Token, Expiration), answering only with the authorization token it was given."""

    token = "a-token"

    def do_GET(self):
        code = 200 if self.headers.get("Authorization") == self.token else 403
        body = json.dumps(
            {"AccessKeyId": "testing", "SecretAccessKey": "testing", "Token": "testing", "Expiration": "2099-01-01T00:00:00Z"}
        )
        self.send_response(code)
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def credentials_endpoint():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Credentials)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v2/credentials/stand-in"
    server.shutdown()


def stand_ins(tmp_path: Path) -> tuple[Path, list[Artifact]]:
    """Two stand-in files and pins for them, as a test pin list."""
    source = tmp_path / "upstream"
    source.mkdir()
    artifacts = []
    for name, version in (("alpha", "1.0.0"), ("beta", "2.1")):
        body = f"stand-in {name} {version}\n".encode() * 100
        (source / f"{name}-{version}.jar").write_bytes(body)
        artifacts.append(
            Artifact(
                name=f"{name}.jar",
                version=version,
                sha256=hashlib.sha256(body).hexdigest(),
                source="a stand-in made by the test",
                target="lib/server",
                url=f"https://repo.invalid/{name}/{version}/{name}-{version}.jar",
            )
        )
    return source, artifacts


@pytest.mark.emulator
def test_staging_then_fetching_on_the_emulator(emulator, tmp_path, credentials_endpoint):
    """pipenv run artifacts stage puts checked files at <sha256>/<file>; the init container's
    program fetches them with container credentials, checks and writes them; a wrong digest is refused."""
    from modules.addons.zarr import fetch_command
    from tools import artifacts as tool

    deployment = loads('name = "zz"\nregion = "eu-west-1"\nzarr { enabled = true }')
    s3 = aws(emulator, "s3", "eu-west-1")
    bucket = artifacts_bucket_name("zz", "123456789012", "eu-west-1")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    source, pinned = stand_ins(tmp_path)
    env = {**emulator.env("eu-west-1")}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        logged: list[str] = []
        keys = tool.stage(deployment, source_dir=source, endpoint=emulator.endpoint, artifacts=pinned, log=logged.append)
        assert keys == [staged_key(a) for a in pinned]
        assert all(line.endswith("bytes)") for line in logged)
        # Again: each object is read back and checked, not uploaded twice.
        logged.clear()
        tool.stage(deployment, source_dir=source, endpoint=emulator.endpoint, artifacts=pinned, log=logged.append)
        assert all(line.endswith("there already, checked") for line in logged)
        # A file that is not the pinned one: refused, nothing uploaded.
        (source / "beta-2.1.jar").write_bytes(b"tampered")
        with pytest.raises(tool.StageError, match="is not the pinned"):
            tool.stage(deployment, source_dir=source, endpoint=emulator.endpoint, artifacts=pinned, log=logged.append)
    listed = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"])
    assert listed == sorted(keys)

    # The init container's command, as the task definition has it (its Python: this one).
    dest = tmp_path / "staged"
    run_env = {"PATH": "/usr/bin:/bin", "AWS_CONTAINER_CREDENTIALS_FULL_URI": credentials_endpoint}
    command = fetch_command(sys.executable, f"{emulator.endpoint}/{bucket}", "eu-west-1", str(dest), pinned)
    refused = subprocess.run(["/bin/sh", "-c", command], env=run_env, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 1 and "HTTP 403" in refused.stderr  # no token, no credentials
    run_env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = Credentials.token
    ran = subprocess.run(["/bin/sh", "-c", command], env=run_env, capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr
    for artifact in pinned:
        written = dest / artifact.path
        assert hashlib.sha256(written.read_bytes()).hexdigest() == artifact.sha256
        assert oct(written.stat().st_mode & 0o777) == "0o644"
    assert ran.stdout.count("staged lib/server/") == 2

    # An object replaced behind the pins' back: the program refuses it and writes nothing.
    s3.put_object(Bucket=bucket, Key=staged_key(pinned[1]), Body=b"replaced")
    other = tmp_path / "other"
    ran = subprocess.run(
        ["/bin/sh", "-c", fetch_command(sys.executable, f"{emulator.endpoint}/{bucket}", "eu-west-1", str(other), pinned[1:])],
        env=run_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 1 and "is not the pinned" in ran.stderr
    assert not (other / pinned[1].path).exists()


@pytest.mark.emulator
def test_deploy_stages_right_before_the_services_stack(emulator, tmp_path):
    """pipenv run deploy's step before each stack: nothing for the others; for the services stack,
    the staging, whose refusal of a file that is not the pinned one fails that stack."""
    import argparse

    from tools.deploying import staging_step
    from tools.deployment import Backend, Stack
    from tools.progress import Console

    deployment = loads('name = "zz"\nregion = "eu-west-1"\nzarr { enabled = true }')
    assert staging_step(loads('name = "zz"'), argparse.Namespace(endpoint=None, artifacts_from=None), Console(every=30)) is None
    source = tmp_path / "jars"
    source.mkdir()
    for artifact in ZARR_PIXEL_BUFFER:  # stand-ins under the upstream names: none is the pinned file
        (source / staged_file(artifact)).write_bytes(b"stand-in")
    options = argparse.Namespace(endpoint=emulator.endpoint, artifacts_from=source)
    step = staging_step(deployment, options, Console(every=30))
    assert step is not None

    def stack(role: str) -> Stack:
        return Stack(name=f"zz-{role}", role=role, directory=tmp_path, dependencies=[], backend=Backend(kind="local"))

    assert step(stack("zarr")) is None and step(stack("uploader")) is None
    error = step(stack("services"))
    assert error and error.startswith("pipenv run artifacts stage: omero-zarr-pixel-buffer-0.6.1.jar: sha256 ")
    assert "is not the pinned 9cb3d1ed" in error


def test_stage_refuses_a_wrong_digest_before_touching_any_bucket(tmp_path):
    from tools import artifacts as tool

    source, pinned = stand_ins(tmp_path)
    (source / "alpha-1.0.0.jar").write_bytes(b"not alpha")
    with pytest.raises(tool.StageError, match="alpha-1.0.0.jar: sha256 .* is not the pinned"):
        tool.stage(loads('name = "zz"\nzarr { enabled = true }'), source_dir=source, artifacts=pinned, bucket="unused")


def test_stage_with_the_add_on_off_does_nothing():
    from tools import artifacts as tool

    logged: list[str] = []
    assert tool.stage(loads('name = "zz"'), log=logged.append) == []
    assert "nothing to stage" in logged[0]


def test_list_names_every_key(capsys, tmp_path):
    from tools import artifacts as tool

    config = tmp_path / "z.hcl"
    config.write_text('name = "zz"\nzarr { enabled = true }\n')
    assert tool.main(["list", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert all(staged_key(a) in out for a in ZARR_PIXEL_BUFFER)


# --- on the emulator ------------------------------------------------------------------------------


@pytest.mark.emulator
@pytest.mark.terraform
def test_zarr_applies_on_the_emulator(addons_on_emulator):
    emulator = addons_on_emulator.emulator
    region = addons_on_emulator.synth.deployment.region
    stack = addons_on_emulator.stack_name(ROLE)
    outputs = addons_on_emulator.applied(stack).outputs[stack]
    s3 = aws(emulator, "s3", region)
    for bucket, algorithm in ((outputs["bucket_name"], "aws:kms"), (outputs["artifacts_bucket"], "AES256")):
        rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
        assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == algorithm
        assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
        policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
        assert {s["Sid"] for s in policy["Statement"]} == {"DenyInsecureTransport", "DenyOutdatedTLS"}
    assert outputs["bucket_name"] == zarr_bucket_name("omero-full", "123456789012", region)
    assert outputs["artifacts_bucket"] == artifacts_bucket_name("omero-full", "123456789012", region)
    assert outputs["staged_keys"] == [staged_key(a) for a in ZARR_PIXEL_BUFFER]

    # The servers' task role, as applied: that bucket read, the staged keys fetched, nothing else of S3.
    services = addons_on_emulator.stack_name("services")
    addons_on_emulator.applied(services)
    iam = aws(emulator, "iam", region)
    document = iam.get_role_policy(RoleName="omero-full-omero-server-task", PolicyName="task")["PolicyDocument"]
    statements = {s.get("Sid"): s for s in (json.loads(document) if isinstance(document, str) else document)["Statement"]}
    bucket_arn = f"arn:aws:s3:::{outputs['bucket_name']}"
    assert statements["ListZarrImages"]["Resource"] in (bucket_arn, [bucket_arn])
    assert statements["ReadZarrImages"]["Resource"] in (f"{bucket_arn}/*", [f"{bucket_arn}/*"])
    staged = statements["StagedArtifacts"]["Resource"]
    assert sorted(staged) == sorted(f"arn:aws:s3:::{outputs['artifacts_bucket']}/{key}" for key in outputs["staged_keys"])
