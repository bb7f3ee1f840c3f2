"""Modules take the region, account and partition from their enclosing stack (modules/context.py),
never from their props: the props rule read from the source (AST, no synth), and the context
itself through one small module in a bare stack."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

MODULES = Path(__file__).resolve().parents[1] / "modules"
CONTEXT_FIELDS = {"region", "account_id", "partition", "dns_suffix"}


def props_fields() -> dict[str, set[str]]:
    """Every dataclass in modules/ named *Props, by "file:class", with its field names."""
    found = {}
    for path in sorted(MODULES.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.ClassDef) and node.name.endswith("Props"):
                decorators = [ast.unparse(d) for d in node.decorator_list]
                if any(d.startswith(("dataclass", "dataclasses.dataclass")) for d in decorators):
                    fields = {s.target.id for s in node.body if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)}
                    found[f"{path.relative_to(MODULES.parent)}:{node.name}"] = fields
    return found


def test_no_props_carries_what_the_stack_knows():
    found = props_fields()
    assert len(found) > 20  # the walk finds the modules' props (a broken walk would pass below)
    assert {"modules/omero_server.py:OmeroServerProps", "modules/addons/datasync.py:OmeroDataSyncProps"} <= set(found)
    carrying = {name: sorted(fields & CONTEXT_FIELDS) for name, fields in found.items() if fields & CONTEXT_FIELDS}
    assert carrying == {}, "read these from modules.context.stack_context(self) instead"


def test_the_walk_sees_a_context_field():
    source = "from dataclasses import dataclass\n@dataclass(frozen=True, kw_only=True)\nclass XProps:\n    region: str\n"
    [node] = [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.ClassDef)]
    assert {s.target.id for s in node.body if isinstance(s, ast.AnnAssign)} & CONTEXT_FIELDS == {"region"}


def context_stack(the_region: str):
    """A bare stack that gives the AWS context as literals, as a construct-level test builds one."""
    from cdktf import TerraformStack, Testing

    class ContextStack(TerraformStack):
        region = the_region
        account_id = "111122223333"
        partition = "aws-cn"
        dns_suffix = "amazonaws.com.cn"

    return ContextStack(Testing.app(), "context")


def test_a_module_reads_its_stack():
    from cdktf import Testing

    from modules.image_cache import DockerHubCache, ImageCacheProps

    stack = context_stack("cn-north-1")
    cache = DockerHubCache(stack, "cache", props=ImageCacheProps(name="t", credential_arn="arn:aws-cn:secretsmanager:x"))
    assert cache.outputs.registry == "111122223333.dkr.ecr.cn-north-1.amazonaws.com.cn"
    assert cache.outputs.repositories_arn.startswith("arn:aws-cn:ecr:cn-north-1:111122223333:repository/")
    assert "data" not in json.loads(Testing.synth(stack))  # literals: no data source


def test_a_stack_without_context_is_named():
    from cdktf import TerraformStack, Testing
    from constructs import Construct

    from modules.context import stack_context

    inner = Construct(Construct(TerraformStack(Testing.app(), "bare"), "outer"), "inner")
    with pytest.raises(
        TypeError, match=r"outer/inner: its stack \(TerraformStack\) gives no AWS context \(no region, account_id"
    ):
        stack_context(inner)


def test_deployment_stack_makes_its_data_sources_on_first_use(tmp_path):
    from cdktf import Testing
    from constructs import Construct

    from config import loads
    from modules.context import stack_context
    from stacks.base import DeploymentStack, SynthSettings

    settings = SynthSettings(outdir=tmp_path, local_state_dir=tmp_path)
    stack = DeploymentStack(Testing.app(), "t", deployment=loads('name = "ctx"\nregion = "eu-west-1"'), settings=settings)
    # cdktf is untyped to mypy (follow_imports = "skip"), so this is where DeploymentStack is held
    # to the protocol: stack_context refuses a stack that lacks one of its members.
    aws = stack_context(Construct(stack, "module"))
    assert aws is stack and aws.region == "eu-west-1"
    assert "data" not in json.loads(Testing.synth(stack))  # asked nothing yet: no data source
    for _ in range(2):  # however often asked, one of each
        assert aws.account_id.startswith("${") and aws.partition.startswith("${")
    data = json.loads(Testing.synth(stack))["data"]
    assert set(data) == {"aws_caller_identity", "aws_partition"}
    assert list(data["aws_caller_identity"]) == ["account"] and list(data["aws_partition"]) == ["partition"]
