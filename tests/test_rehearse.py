"""tools/rehearse.py: a whole deployment applied to the emulator by the command, and its report."""

from __future__ import annotations

import dataclasses
import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from emulator import free_port
from tools.on_emulator import StackResult, emulator_terraform
from tools.rehearse import report

ROOT = Path(__file__).resolve().parents[1]


def command(tool: str, *args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("OMERO_CONFIG", "AWS_ENDPOINT_URL")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", f"tools.{tool}", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.terraform
def test_an_interrupted_rehearsal_stops_the_emulator_it_started(terraform_cli, tmp_path):
    """SIGTERM (as Ctrl-C) once the emulator is up: exit 130, and nothing listens on its port any more.
    (The full rehearsal, into an emulator it is given, is in tests/test_quickstart_on_emulator.py.)"""
    env = {k: v for k, v in os.environ.items() if k not in ("OMERO_CONFIG", "AWS_ENDPOINT_URL")}
    env["PYTHONPATH"] = str(ROOT)
    arguments = ("--config", str(ROOT / "examples/quickstart-http.hcl"), "--outdir", str(tmp_path / "out"))
    process = subprocess.Popen(
        [sys.executable, "-m", "tools.rehearse", *arguments],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        started = _first_match(process.stdout, r"^emulator: moto on http://127\.0\.0\.1:(\d+) \(log ", timeout=120)
        assert started, "rehearse never said it started the emulator"
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=300)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
    assert process.returncode == 130, out + err
    assert "interrupted; the emulator is stopped" in err and "emulator stopped" in out
    with socket.socket() as probe:  # nothing listens there any more
        probe.settimeout(2)
        assert probe.connect_ex(("127.0.0.1", int(started.group(1)))) != 0


def _first_match(stream, pattern: str, timeout: float) -> re.Match | None:
    """The first line of ``stream`` matching ``pattern`` within ``timeout`` seconds, else None."""
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if not selector.select(timeout=deadline - time.monotonic()):
                return None
            line = stream.readline()
            if not line:
                return None
            if found := re.search(pattern, line):
                return found
    return None


def test_an_endpoint_off_loopback_or_with_no_emulator_is_refused(tmp_path):
    config = str(ROOT / "examples/quickstart-http.hcl")
    for endpoint, message in (
        ("http://10.0.0.1:5000", "the emulator's endpoint must be http://127.0.0.1:PORT"),
        ("https://127.0.0.1:5000", "the emulator's endpoint must be http://127.0.0.1:PORT"),
        (f"http://127.0.0.1:{free_port()}", "no emulator answers there"),
    ):
        ran = command("rehearse", "--config", config, "--endpoint", endpoint, cwd=tmp_path)
        if "terraform is not on PATH" in ran.stderr or "no filesystem mirror" in ran.stderr:
            pytest.skip(ran.stderr.strip())
        assert ran.returncode == 2 and ran.stderr.count("\n") == 1, ran.stderr
        assert ran.stderr.startswith(f"error: --endpoint {endpoint}: ") and message in ran.stderr, ran.stderr


def test_bad_input_is_one_line_and_status_2(tmp_path):
    ran = command("rehearse", "--config", "no-such.hcl", cwd=tmp_path)
    assert ran.returncode == 2 and ran.stderr.startswith("error: no-such.hcl: file not found") and ran.stderr.count("\n") == 1
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("not a synth")
    ran = command(
        "rehearse", "--config", str(ROOT / "examples/quickstart-http.hcl"), "--outdir", str(tmp_path / "taken"), cwd=tmp_path
    )
    if "terraform is not on PATH" in ran.stderr or "no filesystem mirror" in ran.stderr:
        pytest.skip(ran.stderr.strip())
    assert ran.returncode == 2 and "exists and is not a synthesized directory" in ran.stderr, ran.stderr


def test_report_counts_and_verdict():
    results = [
        StackResult("d-network", "applied", 12, ["aws_vpc.v"], {"vpc_id": "vpc-1", "cross-stack-output-x": "y"}, "empty"),
        StackResult("d-file-gateway", "applied", 30, ["aws_storagegateway_gateway.g"], {}, "emulator gaps only: x.y"),
        StackResult("d-services", "applied", 50, ["aws_lb.l"], {}, "NOT empty: aws_lb.l ['update'] ['name']"),
        StackResult("d-appstream", "skipped", error="an earlier stack failed"),
    ]
    text = report(results)
    assert "  d-file-gateway: applied in 30 s, 1 resources, 0 data sources; second plan: emulator gaps only: x.y" in text
    assert "  d-appstream: skipped: an earlier stack failed" in text
    assert '    vpc_id = "vpc-1"' in text and "cross-stack-output-x" not in text
    assert text.endswith("result: FAILED: 3 stacks applied, 2 not ok")
    assert report(results[:2]).endswith("result: ok: 2 stacks applied, 0 not ok")


@pytest.mark.terraform
def test_terraform_reaches_nothing_but_the_emulator(emulator, monkeypatch, tmp_path):
    """HTTP_PROXY on the emulator (it answers for the S3 File Gateway appliance), every address
    loopback, and none of the caller's proxies, profile or endpoint."""
    for name, value in {
        "HTTPS_PROXY": "http://proxy.example:3128",
        "http_proxy": "http://proxy.example:3128",
        "NO_PROXY": "*",
        "AWS_PROFILE": "production",
        "AWS_ENDPOINT_URL": "https://aws.example",
    }.items():
        monkeypatch.setenv(name, value)
    env = emulator_terraform(emulator, "eu-west-1", tmp_path).tf.env
    monkeypatch.undo()
    assert env["HTTP_PROXY"] == env["AWS_ENDPOINT_URL"] == emulator.endpoint
    assert {name for name in env if "proxy" in name.lower()} == {"HTTP_PROXY"}
    assert "AWS_PROFILE" not in env and env["AWS_ACCESS_KEY_ID"] == "testing"
    assert env["AWS_EC2_METADATA_DISABLED"] == "true" and env["CHECKPOINT_DISABLE"] == "1"
    assert {urlsplit(url).hostname for value in env.values() for url in re.findall(r"[a-z]+://[^\s,;]+", value)} == {"127.0.0.1"}
    # through that proxy an appliance's address is answered by the emulator: 404 when no instance has it
    proxied = urllib.request.build_opener(urllib.request.ProxyHandler({"http": env["HTTP_PROXY"]}))
    with pytest.raises(urllib.error.HTTPError) as answer:
        proxied.open("http://10.99.0.1/?activationRegion=eu-west-1", timeout=30)
    assert answer.value.code == 404 and b"no running instance has the address 10.99.0.1" in answer.value.read()


def _stacks(**needs: list[str]) -> list:
    from tools.deployment import Stack

    return [Stack(name, name, Path(name), dependencies, backend=None) for name, dependencies in needs.items()]  # type: ignore[arg-type]


class _Recorder:
    """A stand-in for terraform: records when each stack starts and ends, and how many at once."""

    def __init__(self, side_by_side: tuple[str, str]):
        self.lock = threading.Lock()
        self.events: list[tuple[str, str]] = []
        self.busy = self.most = 0
        # The two stacks that may run at once each wait (bounded) for the other to have started, so
        # that whether they overlap depends on the scheduler, not on how busy the machine is.
        self.side_by_side, self.meet = side_by_side, threading.Barrier(2, timeout=10)

    def __call__(self, stack):
        with self.lock:
            self.busy += 1
            self.most = max(self.most, self.busy)
            self.events.append(("start", stack.name))
        if stack.name in self.side_by_side:
            try:
                self.meet.wait()
            except threading.BrokenBarrierError:  # never both at once: ``most`` stays 1 and says so
                pass
        else:
            time.sleep(0.01)
        with self.lock:
            self.busy -= 1
            self.events.append(("end", stack.name))
        return stack.name


def test_stacks_run_after_what_they_need_and_a_destroy_in_reverse():
    """The scheduler behind rehearse's applies and the tests' destroys: dependency order both ways,
    never more at once than asked, and a failure's downstream skipped without being run."""
    from tools.deployment import in_dependency_order

    stacks = _stacks(
        state=[], network=["state"], storage=["network"], backup=["storage"], services=["storage"], uploader=["services"]
    )
    for reverse in (False, True):
        run = _Recorder(("backup", "uploader") if reverse else ("backup", "services"))
        assert in_dependency_order(stacks, run, workers=2, reverse=reverse) == [s.name for s in stacks]
        position = {event: index for index, event in enumerate(run.events)}
        for stack in stacks:
            for needed in stack.dependencies:
                first, then = (stack.name, needed) if reverse else (needed, stack.name)
                assert position[("end", first)] < position[("start", then)], (reverse, first, then)
        assert run.most == 2  # backup and services (or, destroyed, backup and uploader) side by side

    ran: list[str] = []

    def failing(stack):
        ran.append(stack.name)
        return stack.name != "storage"

    def skip(stack, upstream):
        return None if all(upstream) else False

    results = in_dependency_order(stacks, failing, workers=2, skip=skip)
    assert results == [True, True, False, False, False, False]
    assert ran == ["state", "network", "storage"]


def test_a_rehearsal_into_a_running_emulator_keeps_the_state_of_the_one_before(tmp_path):
    """``--endpoint`` with an ``--outdir`` rehearsed into before: the new synth keeps the local state
    there (it describes what that emulator holds)."""
    from tools.deployment import load_deployment
    from tools.on_emulator import synthesize_for_emulator

    deployment = load_deployment(ROOT / "examples/quickstart-http.hcl")
    outdir = tmp_path / "out"
    synthesize_for_emulator(deployment, outdir, "http://127.0.0.1:4566")
    state = outdir / "local-state" / "terraform.omero-quick-network.tfstate"
    state.write_text('{"version": 4}')
    stacks = synthesize_for_emulator(deployment, outdir, "http://127.0.0.1:4566", keep_state=True)
    assert [stack.role for stack in stacks] == ["network", "storage", "backup", "services"]
    assert state.read_text() == '{"version": 4}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # nothing left beside it


def test_a_deployment_gets_its_hosted_zone_once_per_emulator(emulator):
    """A second rehearsal of a TLS deployment into the same emulator finds the zone the first made;
    another deployment gets a zone of its own."""
    from emulator import with_hosted_zone
    from tools.deployment import load_deployment

    deployment = load_deployment(ROOT / "examples/tls-rw.hcl")
    first = with_hosted_zone(emulator, deployment).load_balancer.hosted_zone_id
    assert with_hosted_zone(emulator, deployment).load_balancer.hosted_zone_id == first
    other = dataclasses.replace(deployment, name="omero-tls-zone-other")
    assert with_hosted_zone(emulator, other).load_balancer.hosted_zone_id != first
