"""A local AWS API emulator (moto's server, patched where it falls short) on 127.0.0.1.

``pipenv run rehearse``, the rehearsed plan review and the tests apply stacks to it. Nothing here
talks to anything but 127.0.0.1: the fake credentials are useless elsewhere, every provider and
backend endpoint is set to the emulator by the synth, and the metadata API is off. The server is
``emulator.server`` (``python -m emulator.server -H 127.0.0.1 -p PORT``), its patches to moto are
``emulator.patches`` (one module per AWS service); what moto does not store, so that a second plan
re-applies it, is in ``emulator.drift``.
"""

from __future__ import annotations

import dataclasses
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Emulator:
    """A running emulator: started here (``start``: ``process`` and ``log`` set, ``stop`` ends it),
    or one already running that this process only uses (``attach``: ``stop`` leaves it running)."""

    endpoint: str
    process: subprocess.Popen | None
    log: Path | None

    def env(self, region: str) -> dict[str, str]:
        """Environment for terraform and boto3 clients talking to this emulator only."""
        return {
            **FAKE_CREDENTIALS,
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def client(self, service: str, region: str):
        """A boto3 client for ``service`` talking to this emulator with its fake credentials."""
        import boto3

        keys = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "aws_session_token": "testing"}
        return boto3.client(service, region_name=region, endpoint_url=self.endpoint, **keys)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start(log_dir: Path, *, ready_timeout: float = 30.0) -> Emulator:
    """Start the emulator on a free loopback port; wait (bounded) until it answers."""
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    log = log_dir / "moto.log"
    env = {
        **os.environ,
        **FAKE_CREDENTIALS,
        "MOTO_IAM_LOAD_MANAGED_POLICIES": "true",  # AWS-managed policies exist, as in AWS
        "MOTO_ACM_VALIDATION_WAIT": "5",  # certificates validate in seconds, not a minute
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    handle = open(log, "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator.server", "-H", "127.0.0.1", "-p", str(port)],
        cwd=ROOT,
        stdout=handle,
        stderr=subprocess.STDOUT,
        env=env,
    )
    emulator = Emulator(endpoint, process, log)
    deadline = time.monotonic() + ready_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto server exited early:\n{log.read_text()[-2000:]}")
        try:
            with _DIRECT.open(f"{endpoint}/moto-api/data.json", timeout=2):
                return emulator
        except OSError:
            time.sleep(0.2)
    emulator.stop()
    raise RuntimeError(f"moto server did not answer on {endpoint} within {ready_timeout}s")


LOOPBACK_ENDPOINT = re.compile(r"http://127\.0\.0\.1:(\d{1,5})/?")


def attach(endpoint: str, *, timeout: float = 10.0) -> Emulator:
    """The emulator already running at ``endpoint`` (``python -m emulator.server -H 127.0.0.1 -p
    PORT``), used and left running. Only ``http://127.0.0.1:PORT`` is accepted, so that nothing is
    ever sent anywhere but loopback; a ValueError says why otherwise, or that nothing answers there."""
    match = LOOPBACK_ENDPOINT.fullmatch(endpoint)
    if not match or not 0 < int(match.group(1)) < 65536:
        raise ValueError(f"{endpoint}: the emulator's endpoint must be http://127.0.0.1:PORT (it runs on loopback only)")
    endpoint = endpoint.rstrip("/")
    try:
        # moto's small config document: data.json would dump every model, megabytes once EC2 has
        # loaded a region's default images, and take longer than ``timeout`` on a busy machine.
        with _DIRECT.open(f"{endpoint}/moto-api/config", timeout=timeout):
            return Emulator(endpoint, None, None)
    except OSError as error:
        raise ValueError(f"{endpoint}: no emulator answers there ({error}); start one with python -m emulator.server") from None


def with_hosted_zone(emulator: Emulator, deployment):
    """The deployment with its Route 53 zone made in the emulator (as it exists in a real account).

    The zone is made once per deployment (its name is the CallerReference, which AWS refuses to
    reuse: HostedZoneAlreadyExists, Route 53 API reference, CreateHostedZone), so a second
    rehearsal into the same emulator (``rehearse --endpoint``) finds the zone the first one made."""
    balancer = deployment.load_balancer
    route53 = emulator.client("route53", deployment.region)
    parent = balancer.domain_name.split(".", 1)[1]
    zones = route53.list_hosted_zones()["HostedZones"]
    made = [z["Id"] for z in zones if z["CallerReference"] == deployment.name and z["Name"].rstrip(".") == parent]
    zone = made[0] if made else route53.create_hosted_zone(Name=parent, CallerReference=deployment.name)["HostedZone"]["Id"]
    return dataclasses.replace(deployment, load_balancer=dataclasses.replace(balancer, hosted_zone_id=zone.split("/")[-1]))
