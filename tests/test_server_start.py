"""OMERO.server's start script, stop and health check, run for real in bash on this machine with
stand-ins for OMERO's own programs (omero, psql and the image's /startup steps)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from modules.server_start import (
    GRACE_SECONDS,
    STATUS_TIMEOUT_SECONDS,
    STOP_TIMEOUT_SECONDS,
    Image,
    follow_logs,
    health_check,
    health_script,
    start_command,
)

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stand_in_omero(directory: Path, blitz: str) -> str:
    """An ``omero`` whose ``admin status`` answers as Blitz would: "up" exits 0, "down" exits 1
    (a login the session manager never answers), "hang" never returns."""
    (directory / "blitz").write_text(blitz)
    omero = directory / "omero"
    omero.write_text(
        "#!/bin/bash\n"
        '[ "$1 $2" = "admin status" ] || exit 2\n'
        f'case "$(cat {directory}/blitz)" in up) exit 0;; down) exit 1;; hang) exec sleep 300;; esac\n'
    )
    omero.chmod(0o755)
    return str(omero)


def healthy(port: int, mark: Path, *, blitz: str = "up", status_timeout: int = 20) -> bool:
    omero = stand_in_omero(mark.parent, blitz)
    script = health_script(port, omero=omero, mark=str(mark), status_timeout=status_timeout)
    return subprocess.run(["bash", "-c", script], timeout=60).returncode == 0


def past_grace(mark: Path) -> None:
    mark.touch()
    old = time.time() - GRACE_SECONDS - 5
    os.utime(mark, (old, old))


def test_a_server_whose_blitz_answers_is_healthy(tmp_path):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        mark = tmp_path / "mark"
        past_grace(mark)
        assert healthy(server.getsockname()[1], mark)


@pytest.mark.parametrize("blitz", ["down", "hang"])
def test_a_live_router_with_a_dead_or_hung_blitz_is_replaced(tmp_path, blitz):
    """Glacier2 accepts connections, but Blitz does not answer omero admin status (or never
    returns: the check gives it status_timeout seconds): unhealthy once the grace is over."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        mark = tmp_path / "mark"
        past_grace(mark)
        started = time.monotonic()
        assert not healthy(server.getsockname()[1], mark, blitz=blitz, status_timeout=2)
        assert time.monotonic() - started < 15  # within the check's own timeout, not the hang's


def test_a_starting_server_gets_its_grace_then_fails(tmp_path):
    port, mark = free_port(), tmp_path / "mark"
    assert healthy(port, mark, blitz="down") and mark.exists()  # first look: the grace starts now
    assert healthy(port, mark, blitz="down")
    past_grace(mark)
    assert not healthy(port, mark, blitz="down")  # nothing answers and the grace is over: replace it


def test_a_schema_upgrade_is_waited_out(tmp_path):
    port, mark = free_port(), tmp_path / "mark"
    past_grace(mark)
    old = mark.stat().st_mtime
    upgrade = subprocess.Popen(["bash", "-c", 'exec -a "omego db upgrade" sleep 30'])
    try:
        time.sleep(0.3)
        assert healthy(port, mark, blitz="down")
        assert mark.stat().st_mtime > old + 60  # the grace starts again after the upgrade
    finally:
        upgrade.kill()
        upgrade.wait(timeout=10)


def test_health_check_within_ecs_limits():
    check = health_check(4064)
    assert check["command"][:3] == ["CMD", "/bin/bash", "-c"]
    assert 5 <= check["interval"] <= 300 and 2 <= check["timeout"] <= 60
    assert 1 <= check["retries"] <= 10 and 0 <= check["startPeriod"] <= 300
    assert check["timeout"] > STATUS_TIMEOUT_SECONDS  # ECS waits for the status check's own timeout
    assert f"timeout {STATUS_TIMEOUT_SECONDS} /opt/omero/server/venv3/bin/omero admin status" in check["command"][3]
    assert "${" not in check["command"][3] and "%{" not in check["command"][3]  # Terraform template syntax


def test_log_files_reach_stdout(tmp_path):
    logs = tmp_path / "var" / "log"
    script = follow_logs(str(logs)) + "sleep 4"
    run = subprocess.Popen(["bash", "-c", script], stdout=subprocess.PIPE, text=True, start_new_session=True)
    time.sleep(1.5)  # tail is following the names, none of the files exists yet
    (logs / "Blitz-0.log").write_text("2026-12-03 INFO  [ome.services.blitz] Blitz ready\n")
    with open(logs / "Indexer-0.log", "a") as indexer:
        indexer.write("2026-12-03 ERROR [ome.services.fulltext] indexing failed\n")
    run.wait(timeout=30)
    os.killpg(run.pid, signal.SIGTERM)  # the background tail, as the container's end would
    output, _ = run.communicate(timeout=30)
    assert "Blitz ready" in output and "indexing failed" in output
    assert "==> " in output  # tail says which file each line comes from


def test_websocket_health_answers_for_the_port_behind_it(tmp_path):
    """The load balancer's health responder, started as the container starts it (with this
    machine's python): 503 while nothing listens on the websocket port, 200 once something does."""
    import sys
    import urllib.error
    import urllib.request

    from modules.server_start import websocket_health

    wss, health = free_port(), free_port()
    responder = subprocess.Popen(
        ["bash", "-c", websocket_health(wss, health, python=sys.executable) + "wait"], start_new_session=True
    )

    def status() -> int:
        for _ in range(50):  # bounded: the responder needs a moment to listen
            try:
                return urllib.request.urlopen(f"http://127.0.0.1:{health}/", timeout=5).status
            except urllib.error.HTTPError as answer:
                return answer.code
            except OSError:
                time.sleep(0.1)
        raise AssertionError("the health responder never answered")

    try:
        assert status() == 503
        with socket.socket() as server:
            server.bind(("127.0.0.1", wss))
            server.listen()
            assert status() == 200
    finally:
        os.killpg(responder.pid, signal.SIGTERM)
        responder.wait(timeout=10)


# --- the start chain and its stop ------------------------------------------------------------

# An omero for the start chain. "admin start --foreground" is a CLI with no SIGTERM handler (it
# dies at once, as omero-py's does) waiting on a node; the node, like icegridnode, shuts its
# services down when "admin stop" asks (IceGrid's "node shutdown"). "load" writes the certificate
# where omero certificates would: omero.glacier2.IceSSL.DefaultDir, else <data dir>/certs.
OMERO = """#!/bin/bash
state={state}
echo "omero $*" >> $state/calls
case "$1 $2" in
"admin start")
    bash -c 'echo $$ > {state}/node.pid
        trap "echo node: shut down by IceGrid >> {state}/calls; exit 0" USR1
        trap "echo node: killed by SIGTERM >> {state}/calls; exit 1" TERM
        while :; do sleep 0.1; done' &
    wait $!;;
"admin stop")
    node=$(cat $state/node.pid 2>/dev/null)
    if [ -n "$node" ] && kill -0 "$node" 2>/dev/null; then
        kill -USR1 "$node"; while kill -0 "$node" 2>/dev/null; do sleep 0.1; done
    else echo "Server not running"; fi;;
"config set") echo "$3=$4" >> $state/config;;
"load "*)
    dir=$(sed -n 's/^omero.glacier2.IceSSL.DefaultDir=//p' $state/config 2>/dev/null | tail -1)
    dir=${{dir:-{data}/certs}}
    mkdir -p "$dir" && touch "$dir/server.p12";;
esac
"""
# psql: the read-only servers' schema check finds a finished patch; the role step reads its SQL.
PSQL = """#!/bin/bash
echo "psql $*" >> {state}/calls
case "$*" in *-tAc*) echo 1;; *) cat > /dev/null;; esac
"""
STEPS = {
    "50-config.py": '#!/bin/bash\n{venv}/bin/omero load --glob "/opt/omero/server/config/*.omero" || exit 1\n',
    "60-database.sh": "#!/bin/bash\necho schema step >> {state}/calls\n",
    "99-run.sh": "#!/bin/bash\nexec {venv}/bin/omero admin start --foreground\n",
}


def fake_image(tmp_path: Path) -> tuple[Image, dict[str, str], Path]:
    """A virtualenv and /startup of stand-ins, and the environment the container would have."""
    import sys

    state, venv, startup, data = (tmp_path / n for n in ("state", "venv", "startup", "OMERO"))
    for directory in (state, venv / "bin", startup, data):
        directory.mkdir(parents=True)
    (venv / "bin" / "activate").write_text(f'export PATH="{venv}/bin:$PATH"\n')
    (venv / "bin" / "python").symlink_to(sys.executable)
    for name, text in [("omero", OMERO), ("psql", PSQL)]:
        (venv / "bin" / name).write_text(text.format(state=state, data=data))
        (venv / "bin" / name).chmod(0o755)
    for name, text in STEPS.items():
        (startup / name).write_text(text.format(state=state, venv=venv))
        (startup / name).chmod(0o755)
    environment = {
        "PATH": f"{venv / 'bin'}:{os.environ['PATH']}",  # psql is on the image's PATH
        "CONFIG_omero_db_host": "db",
        "CONFIG_omero_db_port": "5432",
        "CONFIG_omero_db_name": "omero",
        "CONFIG_omero_db_user": "omero",
        "CONFIG_omero_db_pass": "owner-password",
        "OMERO_RO_PASSWORD": "readonlypassword1",
    }
    return Image(venv=str(venv), startup=str(startup)), environment, state


def session_processes(session: int) -> list[str]:
    """The command lines of the processes still alive in ``session``."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[3]) == session and fields[0] != "Z":
                alive.append((stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
    return alive


def wait_for(condition, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def start(tmp_path: Path, **kwargs) -> tuple[subprocess.Popen, Path]:
    image, environment, state = fake_image(tmp_path)
    command = start_command(image=image, log_dir=str(tmp_path / "var" / "log"), cert_dir=str(tmp_path / "certs"), **kwargs)
    chain = subprocess.Popen(
        ["bash", "-c", command],
        env=environment,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own session: every process it starts is found by the session id
    )
    return chain, state


def node_running(state: Path) -> bool:
    pid = state / "node.pid"
    return pid.exists() and Path(f"/proc/{pid.read_text().strip()}").exists()


@pytest.mark.parametrize(
    "kind, kwargs",
    [
        ("read-write", dict(read_only=False, make_dirs=("dropbox",))),
        ("read-write keeping the read-only role", dict(read_only=False, read_only_user="omero_ro", websocket=(0, 0))),
        ("read-only", dict(read_only=True)),
    ],
)
def test_sigterm_stops_omero_gracefully_and_every_process_exits(tmp_path, kind, kwargs):
    """ECS's init hands SIGTERM to the start shell alone: the shell runs omero admin stop, the
    node shuts its services down (it is never just killed), and the shell, the server, the log
    follower and the wss responder are all gone well within the stop timeout."""
    if kwargs.get("websocket"):
        kwargs["websocket"] = (free_port(), free_port())
    chain, state = start(tmp_path, **kwargs)
    try:
        wait_for(lambda: node_running(state))
        signalled = time.monotonic()
        os.kill(chain.pid, signal.SIGTERM)  # to the shell only, as the container's init does
        output, _ = chain.communicate(timeout=STOP_TIMEOUT_SECONDS)
        assert time.monotonic() - signalled < STOP_TIMEOUT_SECONDS
        assert chain.returncode == 0, output
        calls = (state / "calls").read_text()
        assert "omero admin stop --wait 90" in calls and "node: shut down by IceGrid" in calls, calls
        assert "killed by SIGTERM" not in calls
        wait_for(lambda: not session_processes(chain.pid), 10)
        if kind == "read-only":
            assert "schema step" not in calls  # never the database step
        else:
            assert "schema step" in calls
        if "role" in kind:
            assert "read-only database role omero_ro in step" in output
    finally:
        if chain.poll() is None:
            os.killpg(chain.pid, signal.SIGKILL)
        for leftover in session_processes(chain.pid):
            print("left:", leftover)


def test_sigterm_while_the_read_only_server_waits_for_the_schema(tmp_path):
    """Stopped before OMERO runs: omero admin stop finds no server, and the wait ends at once."""
    chain, state = start(tmp_path, read_only=True)
    psql = Path(str(state.parent / "venv" / "bin" / "psql"))
    psql.write_text(f"#!/bin/bash\necho psql >> {state}/calls\n")  # no finished patch yet
    try:
        wait_for(lambda: (state / "calls").exists() and "psql" in (state / "calls").read_text())
        signalled = time.monotonic()
        os.kill(chain.pid, signal.SIGTERM)
        output, _ = chain.communicate(timeout=STOP_TIMEOUT_SECONDS)
        assert time.monotonic() - signalled < 20  # not the 15 s poll, nor the stop timeout
        assert "Server not running" in output and "waiting for the read-write OMERO.server" in output
        wait_for(lambda: not session_processes(chain.pid), 10)
    finally:
        if chain.poll() is None:
            os.killpg(chain.pid, signal.SIGKILL)


def test_a_server_that_ends_by_itself_ends_the_container(tmp_path):
    """OMERO exits on its own (a crash): the shell exits with its status, the helpers with it."""
    chain, state = start(tmp_path, read_only=False)
    try:
        wait_for(lambda: node_running(state))
        os.kill(int((state / "node.pid").read_text()), signal.SIGKILL)
        chain.communicate(timeout=30)
        assert chain.returncode != 0
        wait_for(lambda: not session_processes(chain.pid), 10)
    finally:
        if chain.poll() is None:
            os.killpg(chain.pid, signal.SIGKILL)


def test_read_only_certificates_stay_on_local_disk(tmp_path):
    """omero certificates runs in the config step's omero load, before any CONFIG_* variable:
    the directory is set first, so the certificate goes to local disk, never under /OMERO."""
    chain, state = start(tmp_path, read_only=True)
    try:
        wait_for(lambda: node_running(state))
        assert (tmp_path / "certs" / "server.p12").exists()
        assert not (tmp_path / "OMERO" / "certs").exists()
        calls = (state / "calls").read_text()
        assert calls.index(f"config set omero.glacier2.IceSSL.DefaultDir {tmp_path / 'certs'}") < calls.index("omero load")
    finally:
        os.kill(chain.pid, signal.SIGTERM)
        chain.communicate(timeout=STOP_TIMEOUT_SECONDS)


def test_the_read_write_server_keeps_its_certificates_on_omero(tmp_path):
    chain, state = start(tmp_path, read_only=False)
    try:
        wait_for(lambda: node_running(state))
        assert (tmp_path / "OMERO" / "certs" / "server.p12").exists()  # shared, persistent
        assert "IceSSL.DefaultDir" not in (state / "calls").read_text()
    finally:
        os.kill(chain.pid, signal.SIGTERM)
        chain.communicate(timeout=STOP_TIMEOUT_SECONDS)
