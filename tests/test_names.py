"""The table of AWS names built from the deployment name (config/names.py) against what is synthesized.

Every name argument in every example that holds the deployment name is a row of the table, and
keeps its AWS rule as synthesized (what is read at apply at its longest, plus the provider's
generated suffix for a ``*_prefix``); so does every example renamed to the longest name the
``name`` check takes. Names that would make AWS refuse one of them are refused, with one line
naming ``name`` and the rule.
"""

from __future__ import annotations

import dataclasses
import re

import pytest

from config import checks
from config.names import NAMES, BuiltName, refused
from tests.conftest import EXAMPLES
from tests.harness.synth import Synthesis, synthesize
from tests.test_config import problems

# The longest name the check takes (checks.NAME_MAX characters).
LONGEST = "lab-omero-imaging-20"

# Arguments that name what they create: the name itself, a prefix of it, or an identifier.
NAME_ARGUMENTS = {"name", "name_prefix", "bucket", "bucket_prefix", "family", "creation_token", "ecr_repository_prefix"}
NAME_SUFFIXES = ("_name", "_identifier", "_id", "settings_group")
INTERPOLATION = re.compile(r"\$\{[^}]*\}")


def _strings(value, path: str):
    if isinstance(value, dict):
        for key, item in value.items():
            if key not in ("//", "tags", "tags_all", "lifecycle", "depends_on"):
                yield from _strings(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, path)
    elif isinstance(value, str):
        yield path, value


def built_names(synth: Synthesis) -> list[tuple[str, str, str]]:
    """(resource type, argument, value) of every name argument built from the deployment name."""
    name, found = synth.deployment.name, []
    given = {synth.deployment.state.bucket}  # named in the deployment file, not built from the name
    for stack in synth.stacks.values():
        for resource_type, named in stack.get("resource", {}).items():
            for body in named.values():
                for argument, value in _strings(body, ""):
                    last = argument.rsplit(".", 1)[-1]
                    if not (last in NAME_ARGUMENTS or last.endswith(NAME_SUFFIXES)) or value in given:
                        continue
                    if name in INTERPOLATION.sub("", value):  # built from it, not a reference to another stack
                        found.append((resource_type, argument, value))
    assert found, "no name built from the deployment name: the scan is broken"
    return found


def row_for(resource_type: str, argument: str, value: str, name: str) -> tuple[BuiltName, re.Match[str]]:
    for built in NAMES:
        if (built.resource, built.argument) == (resource_type, argument):
            match = built.matcher(name).fullmatch(value)
            if match:
                return built, match
    raise AssertionError(f"{resource_type}.{argument} = {value!r} is built from the name but is not in config/names.py")


def assert_rules_kept(synth: Synthesis) -> int:
    checked = 0
    for resource_type, argument, value in built_names(synth):
        built, match = row_for(resource_type, argument, value, synth.deployment.name)
        received = built.as_received(match)
        assert "${" not in received, (resource_type, argument, value)
        broken = built.rule.broken(received)
        assert broken is None, f"{resource_type}.{argument} = {received!r}: the {built.rule.kind} {broken} ({built.rule.source})"
        checked += 1
    return checked


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_every_name_built_from_the_deployment_name_is_in_the_table_and_keeps_its_rule(examples, example):
    synth = examples[example]
    assert refused(synth.deployment.name) is None
    assert assert_rules_kept(synth) >= 20


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_the_longest_name_keeps_every_rule(examples, example, tmp_path):
    assert len(LONGEST) == checks.NAME_MAX and checks.deployment_name(LONGEST) is None
    deployment = dataclasses.replace(examples[example].deployment, name=LONGEST)
    assert assert_rules_kept(synthesize(deployment, tmp_path / "out")) >= 20


def test_the_table_has_a_rule_and_a_source_for_every_row():
    assert len({(b.resource, b.argument, b.template) for b in NAMES}) == len(NAMES)  # no row twice
    for built in NAMES:
        assert "{name}" in built.template and built.rule.source, built
        assert built.rule.broken(built.longest("omero")) is None, built


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        # CreateCapacityProvider: "The name can't be prefixed with aws, ecs, or fargate"
        ("ecs-imaging", 'ECS capacity provider name "ecs-imaging-omero-ecs-host" must not start with "aws", "ecs" or "fargate"'),
        ("aws-omero", 'ECS capacity provider name "aws-omero-omero-ecs-host" must not start with'),
        ("fargatelab", 'ECS capacity provider name "fargatelab-omero-ecs-host" must not start with'),
        ("ecsomero", "ECS capacity provider name"),
        # S3's reserved bucket prefixes, through the access-log bucket
        ("sthree", 'S3 bucket name "sthree-omero-alb-logs-<generated suffix>" must not start with "xn--", "sthree-" or'),
        ("sthree-configurator", "S3 bucket name"),
        ("amzn-s3-demo-lab", 'S3 bucket name "amzn-s3-demo-lab-omero-alb-logs-<generated suffix>" must not start with'),
        # CreateSecurityGroup: "Cannot start with sg-"
        ("sg", 'security group name "sg-endpoints" must not start with "sg-"'),
        ("sg-lab", "security group name"),
        # CreateLoadBalancer: "must not begin with internal-"
        ("internal", 'load balancer name "internal-omero-web" must not start with "internal-"'),
        ("internal-lab", "load balancer name"),
    ],
)
def test_a_name_that_makes_a_name_aws_refuses_is_refused(name, rule):
    [line] = problems(f'name = "{name}"')
    assert line.startswith(f'name = "{name}": allowed: a name AWS accepts in every name built from it; here the ')
    assert rule in line
    assert line.endswith(")") and ("API Reference" in line or "User Guide" in line)


@pytest.mark.parametrize("name", ["omero", "awesome", "ec2-lab", "sgx", "internalx", "sthreex", "fargat", LONGEST])
def test_names_near_the_reserved_ones_pass(name):
    assert refused(name) is None and checks.deployment_name(name) is None


def test_the_check_builds_each_row_at_its_longest():
    [share] = [b for b in NAMES if b.template == "{name}-omero-share-{account}-{region}"]
    assert share.longest(LONGEST) == f"{LONGEST}-omero-share-123456789012-cn-northwest-1"
    assert len(share.longest(LONGEST)) <= 63
    [logs] = [b for b in NAMES if b.template == "{name}-omero-alb-logs-"]
    assert logs.longest("omero") == "omero-omero-alb-logs-" + "0" * 26  # the provider's unique suffix
    # one character more than the limit in any row is refused
    [balancer] = [b for b in NAMES if b.resource == "aws_lb" and b.template == "{name}-omero-web"]
    assert balancer.rule.broken("a" * 33) and balancer.rule.broken("a" * 32) is None
