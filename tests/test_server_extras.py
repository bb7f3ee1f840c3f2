"""Files installed into OMERO.server at start (OMERO.figure's export script, and any other pinned
in config/artifacts.py): the pins themselves, the stager and the install step run for real in a
shell with stand-ins for the images, and the task definitions that carry them."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from config import loads
from config.artifacts import ALL, FIGURE_EXPORT, FIGURE_SCRIPT_TARGET, Artifact, pins, server_artifacts
from modules.server_extras import PINS_VARIABLE, STAGED_DIR, STAGING_DIR, STAGING_VOLUME, figure_stager
from modules.server_start import STOP_TIMEOUT_SECONDS, install_extras, start_command
from tests.test_server_start import fake_image, node_running, session_processes, wait_for

bash_only = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
SCRIPT = f"{FIGURE_SCRIPT_TARGET}/Figure_To_Pdf.py"
FIGURE_TEXT = b'VERSION = "8.0.0"\n# Figure_To_Pdf.py as a stand-in\n'


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- the pins -------------------------------------------------------------------------------


def test_every_pin_is_well_formed():
    """A pin without a version, a source, or a 64-hex sha256 fails here (and the install step
    would have nothing real to compare with)."""
    assert ALL, "no artifacts pinned"
    for artifact in ALL:
        assert artifact.problems() == [], artifact
        assert artifact.version.strip() and artifact.source.strip()
        assert len(artifact.sha256) == 64 and int(artifact.sha256, 16) >= 0


@pytest.mark.parametrize(
    "change, says",
    [
        (dict(sha256="D9E7" + "0" * 60), "not 64 lowercase hex"),
        (dict(sha256="abc"), "not 64 lowercase hex"),
        (dict(sha256=""), "not 64 lowercase hex"),
        (dict(version=" "), "no version"),
        (dict(source=""), "no source"),
        (dict(target="lib/../etc"), "not a plain path"),
        (dict(target="/lib/server"), "not a plain path"),
        (dict(name="a b.jar"), "not a plain path"),
        (dict(name="a=b.jar"), "not a plain path"),
        (dict(url="http://example.org/x.jar"), "not https"),
    ],
)
def test_a_malformed_pin_is_reported(change, says):
    broken = replace(FIGURE_EXPORT[0], **change)
    assert any(says in problem for problem in broken.problems()), broken.problems()


def test_pins_list_each_path_once_with_its_alternatives():
    jar = Artifact(name="x.jar", version="1.0", sha256="1" * 64, source="test", target="lib/server")
    listed = pins((*FIGURE_EXPORT, jar, jar))
    figure = ",".join(a.sha256 for a in FIGURE_EXPORT)
    assert listed == f"{SCRIPT}={figure} lib/server/x.jar={'1' * 64}"  # sorted by path


def test_figure_export_pins_the_script_of_each_omero_figure_release_accepted():
    assert {a.path for a in FIGURE_EXPORT} == {SCRIPT}
    assert len({a.sha256 for a in FIGURE_EXPORT}) == len({a.version for a in FIGURE_EXPORT}) == len(FIGURE_EXPORT)


def test_the_deployment_chooses_its_artifacts():
    assert server_artifacts(loads('name = "tt"')) == FIGURE_EXPORT
    assert server_artifacts(loads('name = "tt"\nserver {\n figure_export = false\n}')) == ()


# --- the stager and the install step in a real shell ----------------------------------------


def web_image(root: Path, *, scripts: int = 1) -> Path:
    """An OMERO.web virtualenv with omero-figure's script (or none, or one per Python)."""
    venv = root / "web-venv"
    for minor in range(scripts):
        folder = venv / f"lib/python3.1{minor}/site-packages/omero_figure/scripts/omero/figure_scripts"
        folder.mkdir(parents=True)
        (folder / "Figure_To_Pdf.py").write_bytes(FIGURE_TEXT)
    venv.mkdir(exist_ok=True)
    return venv


def stage(root: Path, venv: Path) -> subprocess.CompletedProcess:
    stager = figure_stager("web-image", web_venv=str(venv), staging_dir=str(root / "staged"))
    return subprocess.run(["/bin/sh", "-c", stager.script], capture_output=True, text=True, timeout=30)


def install(root: Path, pinned: str) -> subprocess.CompletedProcess:
    script = install_extras(str(root / "staged"), str(root / "OMERO.server"))
    environment = {**os.environ, PINS_VARIABLE: pinned}
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=30, env=environment)


@bash_only
def test_the_stager_copies_the_web_image_script(tmp_path):
    run = stage(tmp_path, web_image(tmp_path))
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "staged" / SCRIPT).read_bytes() == FIGURE_TEXT
    assert "staged " in run.stdout


@bash_only
@pytest.mark.parametrize("scripts", [0, 2])
def test_the_stager_fails_without_exactly_one_script(tmp_path, scripts):
    run = stage(tmp_path, web_image(tmp_path, scripts=scripts))
    assert run.returncode == 1
    assert "Figure_To_Pdf.py not found in this OMERO.web image" in run.stderr
    assert not (tmp_path / "staged" / SCRIPT).exists()


@bash_only
def test_a_pinned_file_is_installed_and_a_second_start_changes_nothing(tmp_path):
    assert stage(tmp_path, web_image(tmp_path)).returncode == 0
    installed = tmp_path / "OMERO.server" / SCRIPT
    pinned = f"{SCRIPT}={'0' * 64},{sha256(FIGURE_TEXT)}"  # one of the alternatives
    first = install(tmp_path, pinned)
    assert first.returncode == 0, first.stderr
    assert installed.read_bytes() == FIGURE_TEXT
    assert f"{SCRIPT}: installed (sha256 {sha256(FIGURE_TEXT)})" in first.stdout
    before = installed.stat()
    second = install(tmp_path, pinned)
    assert second.returncode == 0, second.stderr
    assert f"{SCRIPT}: already installed" in second.stdout
    assert installed.stat().st_ino == before.st_ino and installed.stat().st_mtime_ns == before.st_mtime_ns
    assert sorted(p.name for p in installed.parent.iterdir()) == ["Figure_To_Pdf.py"]  # no copy left behind


@bash_only
def test_a_file_with_another_sha256_stops_the_start(tmp_path):
    assert stage(tmp_path, web_image(tmp_path)).returncode == 0
    wanted = sha256(b"the published release")
    run = install(tmp_path, f"{SCRIPT}={wanted}")
    assert run.returncode == 1
    lines = run.stderr.strip().splitlines()
    assert lines == [
        f"OMERO.server not started: {SCRIPT} has sha256 {sha256(FIGURE_TEXT)}, which is not pinned ({wanted}; config/artifacts.py)"
    ]
    folder = (tmp_path / "OMERO.server" / SCRIPT).parent
    assert list(folder.iterdir()) == []  # neither the file nor the copy that was checked


@bash_only
def test_a_replaced_file_is_not_left_in_place(tmp_path):
    """A file already installed (an earlier start) whose pin changed: the new staged file must
    match the new pin, and a wrong one neither replaces nor keeps going."""
    assert stage(tmp_path, web_image(tmp_path)).returncode == 0
    assert install(tmp_path, f"{SCRIPT}={sha256(FIGURE_TEXT)}").returncode == 0
    (tmp_path / "staged" / SCRIPT).write_bytes(b"tampered\n")
    run = install(tmp_path, f"{SCRIPT}={sha256(FIGURE_TEXT)}")
    assert run.returncode == 1 and "which is not pinned" in run.stderr
    assert (tmp_path / "OMERO.server" / SCRIPT).read_bytes() == FIGURE_TEXT


@bash_only
def test_a_missing_file_stops_the_start(tmp_path):
    (tmp_path / "staged").mkdir()
    run = install(tmp_path, f"lib/server/omero-zarr-pixel-buffer.jar={'a' * 64}")
    assert run.returncode == 1
    assert run.stderr.strip().splitlines() == [
        "OMERO.server not started: lib/server/omero-zarr-pixel-buffer.jar is pinned but was not staged "
        f"(no {tmp_path}/staged/lib/server/omero-zarr-pixel-buffer.jar)"
    ]


@bash_only
def test_every_pin_is_checked_not_just_the_first(tmp_path):
    assert stage(tmp_path, web_image(tmp_path)).returncode == 0
    run = install(tmp_path, f"{SCRIPT}={sha256(FIGURE_TEXT)} lib/server/missing.jar={'b' * 64}")
    assert run.returncode == 1 and "lib/server/missing.jar is pinned but was not staged" in run.stderr


def start_chain(tmp_path: Path, *, read_only: bool, pinned: str) -> tuple[subprocess.Popen, Path]:
    """The server's whole start command (tests/test_server_start.py's stand-ins) with files staged."""
    image, environment, state = fake_image(tmp_path)
    assert stage(tmp_path, web_image(tmp_path)).returncode == 0
    command = start_command(
        read_only=read_only,
        extras=str(tmp_path / "staged"),
        server_dir=str(tmp_path / "OMERO.server"),
        image=image,
        log_dir=str(tmp_path / "var" / "log"),
        cert_dir=str(tmp_path / "certs"),
    )
    chain = subprocess.Popen(
        ["bash", "-c", command],
        env={**environment, PINS_VARIABLE: pinned},
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    return chain, state


@bash_only
@pytest.mark.parametrize("read_only", [False, True])
def test_the_server_starts_with_its_files_installed(tmp_path, read_only):
    chain, state = start_chain(tmp_path, read_only=read_only, pinned=f"{SCRIPT}={sha256(FIGURE_TEXT)}")
    try:
        wait_for(lambda: node_running(state))
        assert (tmp_path / "OMERO.server" / SCRIPT).read_bytes() == FIGURE_TEXT
        os.kill(chain.pid, signal.SIGTERM)
        output, _ = chain.communicate(timeout=STOP_TIMEOUT_SECONDS)
        assert f"{SCRIPT}: installed" in output
    finally:
        if chain.poll() is None:
            os.killpg(chain.pid, signal.SIGKILL)


@bash_only
@pytest.mark.parametrize("read_only", [False, True])
def test_a_mismatch_keeps_omero_from_running(tmp_path, read_only):
    chain, state = start_chain(tmp_path, read_only=read_only, pinned=f"{SCRIPT}={'c' * 64}")
    try:
        output, _ = chain.communicate(timeout=60)
        assert chain.returncode == 1
        assert f"OMERO.server not started: {SCRIPT} has sha256" in output
        calls = (state / "calls").read_text() if (state / "calls").exists() else ""
        assert "schema step" not in calls and "admin start" not in calls and "psql" not in calls
        wait_for(lambda: not session_processes(chain.pid), 10)  # the log follower ends too
    finally:
        if chain.poll() is None:
            os.killpg(chain.pid, signal.SIGKILL)


# --- the task definitions ---------------------------------------------------------------------


def server_tasks(synthesis) -> dict[str, tuple[dict, list[dict]]]:
    tasks = synthesis.resources("services", "aws_ecs_task_definition")
    found: dict[str, tuple[dict, list[dict]]] = {}
    for name, task in tasks.items():
        containers = json.loads(task["container_definitions"])
        if containers[0]["name"] == "omero-server":
            found[name] = (task, containers)
    return found


@pytest.mark.parametrize("example", ["quickstart-http", "tls-rw-ro", "ec2-launch-type"])
def test_every_server_task_stages_verifies_and_installs_the_figure_script(examples, example):
    synthesis = examples[example]
    tasks = server_tasks(synthesis)
    assert tasks
    expected_pins = pins(server_artifacts(synthesis.deployment))
    for name, (task, containers) in tasks.items():
        server, *inits = containers
        assert [c["name"] for c in inits] == ["stage-figure-script"], name
        stager = inits[0]
        assert stager["essential"] is False and stager["user"] == "0"  # SUCCESS needs a non-essential container
        assert stager["readonlyRootFilesystem"] is True
        assert stager["linuxParameters"] == {"capabilities": {"drop": ["ALL"]}}
        assert stager["image"].endswith(synthesis.deployment.web.image.split("/", 1)[1]), stager["image"]
        assert stager["mountPoints"] == [{"sourceVolume": STAGING_VOLUME, "containerPath": STAGING_DIR, "readOnly": False}]
        assert stager["logConfiguration"] == server["logConfiguration"]
        assert server["dependsOn"] == [{"containerName": "stage-figure-script", "condition": "SUCCESS"}]
        assert {"sourceVolume": STAGING_VOLUME, "containerPath": STAGED_DIR, "readOnly": True} in server["mountPoints"]
        assert {"name": PINS_VARIABLE, "value": expected_pins} in server["environment"]
        for artifact in FIGURE_EXPORT:
            assert artifact.sha256 in expected_pins  # a reviewer reads the digests in the plan
        assert "OMERO.server not started: $path has sha256" in server["command"][0]
        assert {"name": STAGING_VOLUME} in task["volume"]
        for text in (server["command"][0], stager["command"][0]):
            assert "${" not in text and "%{" not in text  # Terraform template syntax


def test_without_figure_export_nothing_is_staged(examples, tmp_path):
    from tests.harness.synth import synthesize

    deployment = examples["quickstart-http"].deployment
    off = replace(deployment, server=replace(deployment.server, figure_export=False))
    for task, (server, *inits) in server_tasks(synthesize(off, tmp_path / "out")).values():
        assert inits == [] and "dependsOn" not in server
        assert all(e["name"] != PINS_VARIABLE for e in server["environment"])
        assert STAGED_DIR not in json.dumps(server["mountPoints"]) and STAGING_VOLUME not in json.dumps(task["volume"])
