"""The add-on kit: what a new add-on builds on (the catalog made from the add-on config classes, the
services' grantees) and what it must add beside its code (docs/development.md, "Adding an add-on")."""

from __future__ import annotations

import dataclasses
import importlib
import json
import re

import pytest
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import DataAwsIamPolicyDocumentStatement

from config import load
from config.catalog import ADDONS, STACKS, role_of
from config.fields import leaf_keys
from config.schema import addon_blocks
from stacks.app import build_app
from stacks.base import DeploymentStack, SynthSettings
from tests.conftest import EXAMPLES, ROOT

GRANTED = "s3:GetObject"


def test_the_grant_reaches_every_server_task_role(tmp_path):
    """An add-on stack grants the OMERO.server task roles a statement without changing the services
    stack: one inline policy on each role, read through the services stack's outputs."""
    deployment = load(EXAMPLES["tls-rw-ro"])
    assert deployment.server.read_only_count >= 1
    settings = SynthSettings(outdir=tmp_path / "out", local_state_dir=tmp_path / "state")
    app, stacks = build_app(deployment, settings)
    services = next(stack for stack in stacks if stack.role == "services")
    grantee = DeploymentStack(app, "grant-test", deployment=deployment, settings=settings)
    statement = DataAwsIamPolicyDocumentStatement(effect="Allow", actions=[GRANTED], resources=["arn:aws:s3:::b/*"])
    services.outputs.grant_servers(grantee, "read_b", name="read-b", statements=[statement])
    app.synth()

    def stack(role: str) -> dict:
        return json.loads((settings.outdir / "stacks" / f"{deployment.name}-{role}" / "cdk.tf.json").read_text())

    granted, served = stack("grant-test"), stack("services")
    policies = granted["resource"]["aws_iam_role_policy"]
    assert len(policies) == 1 + deployment.server.read_only_count
    (document,) = granted["data"]["aws_iam_policy_document"].values()
    assert document["statement"][0]["actions"] == [GRANTED]
    roles = served["resource"]["aws_iam_role"]
    task_roles = {key for key, role in roles.items() if role["name"].startswith(f"{deployment.name}-omero-server")}
    task_roles = {key for key in task_roles if roles[key]["name"].endswith("-task")}
    reached = set()
    for policy in policies.values():
        assert policy["name"] == "read-b"
        output = re.fullmatch(r"\$\{data\.terraform_remote_state\.[^.]+\.outputs\.([^}]+)\}", policy["role"]).group(1)
        reached.add(re.fullmatch(r"\$\{aws_iam_role\.([^.]+)\.id\}", served["output"][output]["value"]).group(1))
    assert reached == task_roles and len(task_roles) == len(policies)


def test_add_on_stacks_take_their_roles_from_their_config_classes():
    roles = [kind.role for kind in STACKS]
    assert roles.index("file-gateway") < roles.index("services") < roles.index("datasync")
    assert roles[-1] == "monitoring"  # last, to watch the rest
    from stacks.addons.datasync import DataSyncStack

    assert role_of(DataSyncStack) == "datasync"
    full = load(EXAMPLES["full"])
    assert [kind.role for kind in ADDONS if kind.present(full)] == [addon.stack_role for addon in full.addons() if addon.enabled]


@pytest.mark.parametrize("block", list(addon_blocks()))
def test_every_add_on_has_what_the_checklist_names(block):
    """docs/development.md, "Adding an add-on": its stack, its section in docs/addons.md, its keys in
    the generated docs/configuration.md, an example that enables it, its row in the README's table of
    stacks and its own test file."""
    addon = addon_blocks()[block]
    for name in ("stack_role", "stack_class"):
        assert name in vars(addon), f"{addon.__name__} declares no {name} of its own"
    assert not {"stack_role", "stack_class", "on_services"} & {f.name for f in dataclasses.fields(addon)}
    module, _, class_name = addon.stack_class.partition(":")
    stack = getattr(importlib.import_module(module), class_name)
    assert issubclass(stack, DeploymentStack) and role_of(stack) == addon.stack_role

    assert re.search(rf"^### .+ \(`{block}`\)$", (ROOT / "docs" / "addons.md").read_text(), re.M), "no docs/addons.md section"
    configuration = (ROOT / "docs" / "configuration.md").read_text()
    missing = [key for key, _, _ in leaf_keys(addon, f"{block}.") if f"| `{key}` |" not in configuration]
    assert not missing, f"not in docs/configuration.md (pipenv run docs): {missing}"
    assert any(getattr(load(path), block).enabled for path in EXAMPLES.values()), "no example enables it"
    readme = (ROOT / "README.md").read_text()
    if re.search(r"^\| `<name>-\w+` \|", readme, re.M):  # the README's table of stacks
        assert f"| `<name>-{addon.stack_role}` |" in readme, "no row in the README's table of stacks"
    assert (ROOT / "tests" / f"test_addon_{block}.py").exists()
