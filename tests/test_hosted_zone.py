"""The hosted zone of a TLS deployment is read and checked at plan time: public, and holding the
domain (and the read-only web pool's host name)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.harness.synth import ROOT


def _zone_checks(synth, host: str) -> list[dict]:
    """The postconditions of the zone read for the certificate of ``host``."""
    zones = synth.data("services", "aws_route53_zone")
    certificates = synth.resources("services", "aws_acm_certificate")
    [prefix] = [name.rsplit("_certificate", 1)[0] for name, cert in certificates.items() if cert["domain_name"] == host]
    [zone] = [zone for name, zone in zones.items() if name.startswith(prefix + "_hosted_zone")]
    assert zone["zone_id"] == "Z0123456789ABCDEFGHIJ"
    return zone["lifecycle"]["postcondition"]


def _evaluate(condition: str, *, name: str, private: bool, tmp_path) -> bool:
    """``condition`` as Terraform evaluates it, ``self`` being a zone of that name and kind."""
    if shutil.which("terraform") is None:
        pytest.skip("terraform is not installed")
    expression = condition.removeprefix("${").removesuffix("}")
    expression = expression.replace("self.name", f'"{name}"').replace("self.private_zone", "true" if private else "false")
    done = subprocess.run(
        ["terraform", "console"], input=expression + "\n", capture_output=True, text=True, cwd=tmp_path, check=True
    )
    return {"true": True, "false": False}[done.stdout.strip()]


@pytest.mark.parametrize(
    ("zone_name", "private", "failing"),
    [
        ("example.org.", False, []),  # Route 53 names end with a dot
        ("Example.org", False, []),
        ("omero.example.org", False, []),  # the domain's own zone
        ("example.org", True, ["private"]),
        ("example.com", False, ["not in this zone"]),
        ("ample.org", False, ["not in this zone"]),  # a suffix, but not on a label boundary
        ("omero.example.org.uk", True, ["private", "not in this zone"]),
    ],
)
def test_zone_must_be_public_and_hold_the_domain(examples, tmp_path, zone_name, private, failing):
    checks = _zone_checks(examples["tls-rw"], "omero.example.org")
    failed = [
        c["error_message"] for c in checks if not _evaluate(c["condition"], name=zone_name, private=private, tmp_path=tmp_path)
    ]
    assert len(failed) == len(failing), failed
    for message, words in zip(failed, failing, strict=True):
        assert message.startswith("load_balancer.hosted_zone_id: ") and words in message


def test_read_only_pool_host_is_checked_in_the_zone(examples, tmp_path):
    from config import load

    deployment = load(ROOT / "examples" / "tls-rw-ro.hcl")
    host = deployment.web.read_only_pool.host(deployment.load_balancer.domain_name)
    checks = _zone_checks(examples["tls-rw-ro"], host)
    messages = [c["error_message"] for c in checks]
    assert all("web.read_only_pool.host_name " + host in m for m in messages), messages
    [suffix] = [c["condition"] for c in checks if "endswith" in c["condition"]]
    assert _evaluate(suffix, name="example.org", private=False, tmp_path=tmp_path)
    assert not _evaluate(suffix, name="example.com", private=False, tmp_path=tmp_path)


def test_no_zone_is_read_without_tls(examples):
    assert examples["quickstart-http"].data("services", "aws_route53_zone") == {}
