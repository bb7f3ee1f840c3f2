"""tools/rehearse.py: a whole deployment applied to the emulator by the command, and its report."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tools.rehearse import StackResult, report, terraform_runner

ROOT = Path(__file__).resolve().parents[1]


def command(tool: str, *args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("OMERO_CONFIG", "AWS_ENDPOINT_URL")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", f"tools.{tool}", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.emulator
@pytest.mark.terraform
def test_rehearsal_of_the_quickstart(terraform_cli, tmp_path):
    outdir = tmp_path / "out"
    ran = command(
        "rehearse", "--config", str(ROOT / "examples/quickstart-http.hcl"), "--outdir", str(outdir), cwd=tmp_path, timeout=2400
    )
    assert ran.returncode == 0, ran.stdout[-6000:] + ran.stderr[-3000:]
    text = ran.stdout
    for role in ("network", "storage", "backup", "services"):
        line = next(candidate for candidate in text.splitlines() if candidate.startswith(f"  omero-quick-{role}: "))
        assert re.search(
            r"applied in \d+ s, \d+ resources, \d+ data sources; second plan: (empty|emulator gaps only: .*)$", line
        ), line
    assert re.search(r'^    vpc_id = "vpc-[0-9a-f]+"$', text, re.M)
    assert re.search(r'^    web_url = "http://', text, re.M)
    assert "cross-stack-output-" not in text
    assert "\nresult: ok: 4 stacks applied, 0 not ok\n" in text
    assert text.rstrip().splitlines()[-1].startswith("wall time: ")
    assert "emulator stopped" in text
    port = int(re.search(r"moto on http://127\.0\.0\.1:(\d+)", text).group(1))
    with socket.socket() as probe:  # nothing listens there any more
        probe.settimeout(2)
        assert probe.connect_ex(("127.0.0.1", port)) != 0
    # local state stays inside the output directory, never beside the caller's own
    assert sorted(p.name for p in (outdir / "local-state").glob("*.tfstate")) == [
        f"terraform.omero-quick-{role}.tfstate" for role in ("backup", "network", "services", "storage")
    ]
    assert not list(tmp_path.glob("terraform.*.tfstate"))

    # inspect --state reads what terraform wrote: the same outputs, offline (local backend)
    vpc_id = re.search(r'^    vpc_id = ("vpc-[0-9a-f]+")$', text, re.M).group(1)
    state = command("inspect_deployment", "--state", "--outdir", str(outdir), cwd=tmp_path, timeout=600)
    assert state.returncode == 0, state.stdout + state.stderr
    assert re.search(r"^omero-quick-network: \d+ resources, \d+ data sources, 8 outputs$", state.stdout, re.M), state.stdout
    assert f"  output vpc_id = {vpc_id}" in state.stdout
    assert "  aws_vpc.network_vpc_4E8F0223" in state.stdout.splitlines()


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
    env = terraform_runner(emulator, "eu-west-1", tmp_path).tf.env
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
