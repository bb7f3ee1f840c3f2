"""The GitHub Actions workflows: pinned actions, least privilege, no privileged triggers.

Checks that need no YAML parser run on the text; the structure (triggers, permissions, jobs) is
read with PyYAML, which the dev environment has (moto needs it).
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
PULL_REQUEST = ROOT / ".github" / "workflows" / "pull-request.yml"

# owner/repo[/path]@<commit> # <release>, or owner/repo[/path]@v1.2.3
_PINNED_SHA = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")
_EXACT_TAG = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@v?\d+\.\d+\.\d+$")
_USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>[^\s#]+)\s*(?:#\s*(?P<comment>.*))?$")


def _code(path: Path) -> str:
    """The workflow without its comments (which may name what is forbidden, to say so)."""
    return "\n".join(re.sub(r"(^|\s)#.*$", "", line) for line in path.read_text().splitlines())


def _load(path: Path) -> dict:
    yaml = pytest.importorskip("yaml")
    return yaml.safe_load(path.read_text())


def _steps(workflow: dict) -> list[tuple[str, dict]]:
    return [(name, step) for name, job in workflow["jobs"].items() for step in job.get("steps", [])]


def test_there_is_a_pull_request_workflow():
    assert PULL_REQUEST in WORKFLOWS


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned(path):
    uses = [m for line in path.read_text().splitlines() if (m := _USES.match(line))]
    assert uses, "no uses: lines found"
    for match in uses:
        ref, comment = match["ref"], match["comment"]
        if ref.startswith("./"):
            continue  # an action of this repository, pinned by the checkout itself
        if _PINNED_SHA.match(ref):
            assert comment and re.match(r"v\d+\.\d+\.\d+", comment), f"{ref}: name the release in a comment"
        else:
            assert _EXACT_TAG.match(ref), f"{ref}: pin by a full commit SHA (or an exact release tag)"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_no_privileged_triggers(path):
    text = _code(path)
    assert "pull_request_target" not in text
    assert "workflow_run" not in text
    triggers = _load(path).get(True) or _load(path).get("on")  # YAML 1.1 reads the key `on` as true
    assert "pull_request_target" not in (triggers or {})


def test_pull_request_workflow_triggers_and_top_level_permissions():
    workflow = _load(PULL_REQUEST)
    assert set(workflow[True]) == {"pull_request"}
    assert workflow["permissions"] == {"contents": "read"}


def test_job_permissions_are_least():
    jobs = _load(PULL_REQUEST)["jobs"]
    assert set(jobs) == {"test", "synth-diff", "plan"}
    granted = {name: job.get("permissions") for name, job in jobs.items()}
    assert granted["test"] is None  # inherits contents: read
    assert granted["synth-diff"] == {"contents": "read", "pull-requests": "write"}
    assert granted["plan"] == {"contents": "read", "id-token": "write"}
    for name, job in jobs.items():
        assert isinstance(job.get("timeout-minutes"), int), f"{name}: bound the job in time"


def test_plan_only_with_a_role_and_never_for_forks():
    plan = _load(PULL_REQUEST)["jobs"]["plan"]
    assert "vars.AWS_PLAN_ROLE_ARN != ''" in plan["if"]
    assert "head.repo.full_name == github.repository" in plan["if"]
    steps = [s for _, s in _steps({"jobs": {"plan": plan}})]
    credentials = [s for s in steps if s.get("uses", "").startswith("aws-actions/configure-aws-credentials@")]
    assert len(credentials) == 1 and credentials[0]["with"]["role-to-assume"] == "${{ vars.AWS_PLAN_ROLE_ARN }}"
    assert "aws-access-key-id" not in credentials[0]["with"]
    script = "\n".join(s.get("run", "") for s in steps)
    assert "plan -lock=false" in script and "deployments/*.hcl" in script
    assert any(s.get("uses", "").startswith("actions/upload-artifact@") for s in steps)


def test_checkouts_keep_no_credentials():
    for job, step in _steps(_load(PULL_REQUEST)):
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False, job


def test_tools_match_the_ci_script():
    """pipenv as pinned in .ci/run; Terraform 1.11 as the tests expect."""
    pinned = re.search(r"pipenv==([\w.]+)", (ROOT / ".ci" / "run").read_text())
    workflow = _load(PULL_REQUEST)
    assert pinned and workflow["env"]["PIPENV_VERSION"] == pinned[1]
    assert workflow["env"]["TERRAFORM_VERSION"].startswith("1.11.")
    test_steps = [s for job, s in _steps(workflow) if job == "test"]
    script = "\n".join(s.get("run", "") for s in test_steps)
    assert "pipenv sync --dev" in script
    assert "providers mirror" in script and "OMERO_TF_PROVIDER_MIRROR" in script
    assert "pipenv run pytest" in script


def test_synth_diff_job_posts_one_comment():
    steps = [s for job, s in _steps(_load(PULL_REQUEST)) if job == "synth-diff"]
    script = "\n".join(s.get("run", "") for s in steps)
    assert "tools.synth_diff --git" in script and "--format markdown" in script
    assert "<!-- synth-diff -->" in script and "--method PATCH" in script


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_run_scripts_take_no_expressions_and_parse(path, tmp_path):
    """Values reach scripts through env (no ${{ }} spliced into shell), and bash can parse each."""
    bash = shutil.which("bash")
    for job, step in _steps(_load(path)):
        script = step.get("run")
        if script is None:
            continue
        assert "${{" not in script, f"{job}: pass expressions through env, not into the script"
        if bash:
            file = tmp_path / "step.sh"
            file.write_text(script)
            checked = subprocess.run([bash, "-n", str(file)], capture_output=True, text=True, timeout=30)
            assert checked.returncode == 0, f"{job}: {checked.stderr}"
