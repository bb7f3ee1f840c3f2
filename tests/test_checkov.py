"""checkov over every synthesized stack: no failed check but those skipped, with reasons, in .checkov.yaml."""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest

from tests.harness import checkov

# Both tests read one report: keep them on one worker so that checkov runs once.
pytestmark = pytest.mark.xdist_group("checkov")

CONFIG = checkov.ROOT / ".checkov.yaml"


def skipped_checks() -> dict[str, str]:
    """check id -> the comment lines just above it in .checkov.yaml (its reason).

    Consecutive skips under one comment share its reason.
    """
    reasons: dict[str, str] = {}
    comment: list[str] = []
    reason = ""
    for line in CONFIG.read_text().splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            comment.append(stripped.lstrip("# "))
        elif match := re.fullmatch(r"-\s*(CKV2?_[A-Z]+_\d+)", stripped):
            reason = " ".join(comment).strip() or reason
            reasons[match.group(1)] = reason
            comment = []
        else:
            comment, reason = [], ""
    return reasons


def test_every_skip_has_a_reason():
    reasons = skipped_checks()
    assert reasons, ".checkov.yaml skips nothing?"
    for check, reason in reasons.items():
        assert len(reason) > 40, f"{check} is skipped without a reason"


@pytest.fixture(scope="session")
def checkov_report(examples, synth_root):
    try:
        executable = checkov.ensure()
    except RuntimeError as error:
        if os.environ.get("CI"):
            raise  # CI must run checkov, not skip it
        pytest.skip(str(error))
    synths = examples.all()
    result = subprocess.run(
        [str(executable), "-d", str(synth_root), "--config-file", str(CONFIG), "--output", "json"],
        capture_output=True,
        text=True,
        timeout=900,
        env=checkov.environment(),
    )
    assert result.returncode in (0, 1), result.stderr[-3000:]
    report = json.loads(result.stdout)
    reports = report if isinstance(report, list) else [report]
    return synths, reports


def test_no_failed_checks(checkov_report):
    synths, reports = checkov_report
    failed = [f"{c['check_id']} {c['resource']} ({c['file_path']})" for r in reports for c in r["results"]["failed_checks"]]
    assert not failed, "\n".join(failed)


def test_every_stack_was_scanned(checkov_report):
    synths, reports = checkov_report
    scanned = {
        c["file_path"].split("/stacks/")[1].split("/")[0]
        for r in reports
        for c in r["results"]["passed_checks"] + r["results"]["failed_checks"]
    }
    expected = {name for synth in synths.values() for name in synth.order}
    assert expected <= scanned, f"not scanned: {sorted(expected - scanned)}"
    passed = sum(r["summary"]["passed"] for r in reports)
    assert passed >= 10 * len(expected)
