"""OMERO.server's start script and health check, run for real in bash on this machine."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from modules.server_start import GRACE_SECONDS, follow_logs, health_check, health_script

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def healthy(port: int, mark: Path) -> bool:
    result = subprocess.run(["bash", "-c", health_script(port, mark=str(mark))], timeout=30)
    return result.returncode == 0


def test_listening_server_is_healthy(tmp_path):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        mark = tmp_path / "mark"
        mark.touch()
        os.utime(mark, (time.time() - 10 * GRACE_SECONDS,) * 2)  # long past its grace
        assert healthy(server.getsockname()[1], mark)


def test_a_starting_server_gets_its_grace_then_fails(tmp_path):
    port, mark = free_port(), tmp_path / "mark"
    assert healthy(port, mark) and mark.exists()  # first look: the grace starts now
    assert healthy(port, mark)
    old = time.time() - GRACE_SECONDS - 5
    os.utime(mark, (old, old))
    assert not healthy(port, mark)  # nothing listens and the grace is over: replace it


def test_a_schema_upgrade_is_waited_out(tmp_path):
    port, mark = free_port(), tmp_path / "mark"
    mark.touch()
    old = time.time() - GRACE_SECONDS - 5
    os.utime(mark, (old, old))
    upgrade = subprocess.Popen(["bash", "-c", 'exec -a "omego db upgrade" sleep 30'])
    try:
        time.sleep(0.3)
        assert healthy(port, mark)
        assert mark.stat().st_mtime > old + 60  # the grace starts again after the upgrade
    finally:
        upgrade.kill()
        upgrade.wait(timeout=10)


def test_health_check_within_ecs_limits():
    check = health_check(4064)
    assert check["command"][:3] == ["CMD", "/bin/bash", "-c"]
    assert 5 <= check["interval"] <= 300 and 2 <= check["timeout"] <= 60
    assert 1 <= check["retries"] <= 10 and 0 <= check["startPeriod"] <= 300
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
