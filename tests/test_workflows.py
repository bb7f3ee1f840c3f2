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
DEPLOY = ROOT / ".github" / "workflows" / "deploy.yml"
DRIFT = ROOT / ".github" / "workflows" / "drift.yml"

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
    assert set(jobs) == {"test", "synth-diff", "rehearsed-plan", "plan", "comment"}
    granted = {name: job.get("permissions") for name, job in jobs.items()}
    assert granted["test"] is None  # inherits contents: read
    assert granted["synth-diff"] == granted["rehearsed-plan"] == {"contents": "read"}
    assert granted["plan"] == {"contents": "read", "id-token": "write"}
    assert granted["comment"] == {"contents": "read", "pull-requests": "write"}  # the only writer
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
    assert "-m tools.plan --config" in script and "deployments/*.hcl" in script and "--out" in script
    assert any(s.get("uses", "").startswith("actions/upload-artifact@") for s in steps)


def test_rehearsed_plan_needs_no_aws_and_runs_for_forks():
    job = _load(PULL_REQUEST)["jobs"]["rehearsed-plan"]
    assert "if" not in job  # forks too: nothing in it needs a secret or a role
    steps = [s for _, s in _steps({"jobs": {"j": job}})]
    assert not any(s.get("uses", "").startswith("aws-actions/") for s in steps)
    script = "\n".join(s.get("run", "") for s in steps)
    assert "-m tools.plan --rehearse --base" in script and "GITHUB_STEP_SUMMARY" in script
    assert "pipenv sync --dev" in script and "OMERO_TF_PROVIDER_MIRROR" in script


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


def test_one_comment_holds_the_diff_and_the_plans():
    workflow = _load(PULL_REQUEST)
    synth = "\n".join(s.get("run", "") for job, s in _steps(workflow) if job == "synth-diff")
    assert "tools.synth_diff --git" in synth and "--format markdown" in synth
    comment = workflow["jobs"]["comment"]
    assert set(comment["needs"]) == {"synth-diff", "rehearsed-plan", "plan"}
    assert "always()" in comment["if"] and "head.repo.full_name == github.repository" in comment["if"]
    script = "\n".join(s.get("run", "") for job, s in _steps(workflow) if job == "comment")
    assert "<!-- omero-review -->" in script and "--method PATCH" in script and "60000" in script


def test_deploy_applies_only_reviewed_plans_behind_environments():
    workflow = _load(DEPLOY)
    assert set(workflow[True]) == {"push", "workflow_dispatch"} and workflow[True]["push"]["branches"] == ["main"]
    assert workflow["permissions"] == {"contents": "read"}
    assert workflow["concurrency"]["cancel-in-progress"] is False
    apply = workflow["jobs"]["apply"]
    assert apply["environment"] == "omero-${{ matrix.deployment }}"
    assert apply["strategy"]["max-parallel"] == 1 and apply["strategy"]["fail-fast"] is True
    assert apply["permissions"] == {"contents": "read", "id-token": "write", "actions": "read", "pull-requests": "read"}
    steps = [s for _, s in _steps({"jobs": {"apply": apply}})]
    [credentials] = [s for s in steps if s.get("uses", "").startswith("aws-actions/configure-aws-credentials@")]
    assert credentials["with"]["role-to-assume"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
    script = "\n".join(s.get("run", "") for s in steps)
    compare, apply_at = script.index("-m tools.plan.compare "), script.index("apply -input=false -no-color fresh.tfplan")
    assert compare < apply_at  # the comparison gates the apply of exactly the compared plan
    assert "gh run download" in script and "--name plans" in script


def test_drift_keeps_one_issue_per_deployment():
    workflow = _load(DRIFT)
    assert set(workflow[True]) == {"schedule", "workflow_dispatch"}
    job = workflow["jobs"]["drift"]
    assert job["permissions"] == {"contents": "read", "id-token": "write", "issues": "write"}
    assert "vars.AWS_PLAN_ROLE_ARN != ''" in job["if"]
    script = "\n".join(s.get("run", "") for _, s in _steps(workflow))
    assert "-m tools.plan --config" in script
    for command in ("gh issue create", "gh issue edit", "gh issue close"):
        assert command in script
    assert 'title="Drift: $name"' in script


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
