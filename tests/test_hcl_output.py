"""SYNTH_HCL_OUTPUT=true: the stacks as HCL (``cdk.tf``) instead of JSON, for reading.

Two examples are synthesized the way a user does it (``python main.py`` in a subprocess with the
variable set) and compared with their JSON synths, value by value. cdktf's App and stacks read the
variable themselves when the process starts; the App is not told again (``App(hcl_output=True)``
without the variable in the jsii runtime's environment writes JSON into ``cdk.tf``), and the
manifest test below shows the two agree. cdktf 0.21's own HCL renderer gets these stacks wrong, so
``stacks/hcl.py`` writes each ``cdk.tf`` again from the stack's JSON configuration; its string and
block rendering is tested on its own further down, including by Terraform itself: the same values
written in both syntaxes must give the same outputs.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from stacks.hcl import HclRenderError, render_config, render_expression, render_string, shape_of, stack_shapes
from tests.harness.synth import ROOT

# One worker runs the whole file, so that the examples are synthesized as HCL once per session.
pytestmark = pytest.mark.xdist_group("hcl_output")


def _parse(text: str) -> dict:
    """HCL read with python-hcl2: strings decoded, without their quotes; expressions as ``${...}``."""
    import hcl2
    from hcl2 import SerializationOptions

    options = SerializationOptions(strip_string_quotes=True, explicit_blocks=False, with_comments=False)
    return hcl2.loads(text, serialization_options=options)


def _as_json_config(tree: dict) -> dict:
    """A parsed ``cdk.tf`` arranged as Terraform JSON: ``{kind: {type: {name: body}}}`` and so on."""
    config: dict = {}
    for kind, entries in tree.items():
        for entry in entries:
            if kind in ("resource", "data", "ephemeral"):
                for type_, named in entry.items():
                    for name, body in named.items():
                        assert name not in config.setdefault(kind, {}).setdefault(type_, {}), f"{kind}.{type_}.{name} twice"
                        config[kind][type_][name] = body
            elif kind == "provider":
                for name, body in entry.items():
                    config.setdefault(kind, {}).setdefault(name, []).append(body)
            elif kind in ("terraform", "locals", "output"):
                config.setdefault(kind, {}).update(entry)
            else:
                raise AssertionError(f"unexpected top-level {kind}")
    return config


_SPACE = re.compile(r"\s+")
_HEREDOC = re.compile(r"<<-?(\w+)\n(.*\n)\1", re.S)
# Arguments whose JSON strings are references, written bare in HCL.
_REFERENCES = {"depends_on", "ignore_changes", "replace_triggered_by", "provider"}


def _string(text: str) -> str:
    heredoc = _HEREDOC.fullmatch(text)  # python-hcl2 keeps heredocs as written
    if heredoc:
        text = heredoc.group(2)
    # python-hcl2 writes expressions in its own spacing: compare templates without white space
    return _SPACE.sub("", text) if "${" in text or "%{" in text else text


def _bare(reference):
    if isinstance(reference, list):
        return [_bare(item) for item in reference]
    if isinstance(reference, str) and reference.startswith("${") and reference.endswith("}"):
        return reference[2:-1]
    return reference


def _difference(hcl, json_value, path: str = "", key: str | None = None) -> str | None:
    """Where a value parsed from HCL differs from the JSON one, or None when they agree."""
    if key in _REFERENCES and isinstance(json_value, (str, list)):
        # "aws_x.y" in JSON, a bare reference in HCL (python-hcl2: "${aws_x.y}", or "name" alone)
        json_value, hcl = _bare(json_value), _bare(hcl)
    if isinstance(json_value, dict):
        if isinstance(hcl, list) and len(hcl) == 1 and isinstance(hcl[0], dict):
            hcl = hcl[0]  # one nested block
        if not isinstance(hcl, dict):
            return f"{path}: {hcl!r} is not an object"
        keys = set(json_value) - {"//"}
        if set(hcl) != keys:
            return f"{path}: only in HCL {sorted(set(hcl) - keys)}, only in JSON {sorted(keys - set(hcl))}"
        for name in sorted(keys):
            difference = _difference(hcl[name], json_value[name], f"{path}.{name}", name)
            if difference:
                return difference
        return None
    if isinstance(json_value, list):
        if not isinstance(hcl, list) or len(hcl) != len(json_value):
            return f"{path}: {str(hcl)[:200]} != {str(json_value)[:200]}"
        for i, (left, right) in enumerate(zip(hcl, json_value, strict=True)):
            difference = _difference(left, right, f"{path}[{i}]", key)
            if difference:
                return difference
        return None
    if isinstance(json_value, str):
        if isinstance(hcl, str) and _string(hcl) == _string(json_value):
            return None
    elif hcl == json_value and isinstance(hcl, bool) == isinstance(json_value, bool):
        return None
    return f"{path}: {str(hcl)[:300]!r} != {str(json_value)[:300]!r}"


def test_the_comparison_sees_differences():
    assert _difference({"a": [{"b": "x"}]}, {"a": {"b": "x"}}) is None  # one block, as JSON writes it
    assert _difference({"a": [{"b": "x"}]}, {"a": {"b": "y"}}) == ".a.b: 'x' != 'y'"
    assert _difference({"n": 1}, {"n": True}) is not None
    assert _difference({"s": 'say "hi"'}, {"s": "say hi"}) is not None
    assert _difference({"s": "${a.b}", "t": 1}, {"s": "${a.b}"}) is not None
    assert _difference({"depends_on": ["${a.b}"]}, {"depends_on": ["a.b"]}) is None
    assert _difference({"depends_on": ["${a.c}"]}, {"depends_on": ["a.b"]}) is not None


# ---------------------------------------------------------------------------------------------
# Examples synthesized as a user does
# ---------------------------------------------------------------------------------------------

# tls-rw-ro: every core stack, the state bucket's too, read-only servers; existing-vpc: data
# sources with lifecycle postconditions that compare with quoted strings.
HCL_EXAMPLES = ("tls-rw-ro", "existing-vpc")


@pytest.fixture(scope="module")
def hcl_runs(tmp_path_factory):
    """Each example being synthesized with SYNTH_HCL_OUTPUT=true, as `pipenv run python main.py` does."""
    root = tmp_path_factory.mktemp("hcl")
    runs = {}
    for example in HCL_EXAMPLES:
        outdir = root / example / "cdktf.out"
        outdir.parent.mkdir()
        env = {
            **os.environ,
            "OMERO_CONFIG": str(ROOT / "examples" / f"{example}.hcl"),
            "CDKTF_OUTDIR": str(outdir),
            "SYNTH_HCL_OUTPUT": "true",
        }
        env.pop("AWS_ENDPOINT_URL", None)
        # run beside the output, as the JSON synths do, so that local state paths agree
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "main.py")],
            cwd=outdir.parent,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        runs[example] = (outdir, process)
    yield runs
    for _, process in runs.values():
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def hcl_out(hcl_runs, examples) -> dict[str, Path]:
    """Each example's HCL output directory; the JSON synths run here while the subprocesses do."""
    for example in HCL_EXAMPLES:
        examples[example]
    for example, (_outdir, process) in hcl_runs.items():
        _, stderr = process.communicate(timeout=600)
        assert process.returncode == 0, f"{example}: {stderr}"
    return {example: outdir for example, (outdir, _) in hcl_runs.items()}


@pytest.fixture(scope="module")
def parsed(hcl_out, examples) -> dict[str, dict[str, dict]]:
    """Each stack's ``cdk.tf``, parsed and arranged as JSON, by example and stack name."""
    return {
        example: {
            name: _as_json_config(_parse((outdir / "stacks" / name / "cdk.tf").read_text())) for name in examples[example].order
        }
        for example, outdir in hcl_out.items()
    }


def _names(config: dict, kind: str) -> set[tuple[str, str]]:
    return {(type_, name) for type_, named in config.get(kind, {}).items() for name in named}


@pytest.mark.parametrize("example", HCL_EXAMPLES)
def test_writes_hcl_and_the_manifest_agrees(hcl_out, examples, example):
    outdir = hcl_out[example]
    manifest = json.loads((outdir / "manifest.json").read_text())
    assert sorted(manifest["stacks"]) == sorted(examples[example].order)
    for name, stack in manifest["stacks"].items():
        assert stack["synthesizedStackPath"] == f"stacks/{name}/cdk.tf"
        directory = outdir / "stacks" / name
        assert (directory / "cdk.tf").is_file() and not (directory / "cdk.tf.json").exists()
        assert not (directory / "cdk.tf").read_text().lstrip().startswith("{"), "JSON in cdk.tf"


@pytest.mark.parametrize("role", ["state", "network", "storage", "services"])
def test_same_resources_data_and_outputs_as_json(parsed, examples, role):
    synth = examples["tls-rw-ro"]
    name = f"{synth.deployment.name}-{role}"
    config, stack = parsed["tls-rw-ro"][name], synth.stacks[name]
    for kind in ("resource", "data", "ephemeral"):
        assert _names(config, kind) == _names(stack, kind), kind
    assert set(config.get("output", {})) == set(stack.get("output", {}))
    assert config.get("locals", {}) == stack.get("locals", {})


@pytest.mark.parametrize("example", HCL_EXAMPLES)
def test_every_stack_holds_the_json_configuration(parsed, examples, example):
    """Value by value: every argument, nested block, meta-argument, output and backend setting."""
    synth = examples[example]
    for name in synth.order:
        stack = {key: value for key, value in synth.stacks[name].items() if key != "//"}
        assert _difference(parsed[example][name], stack) is None, name


def test_the_backend_carries_over(parsed, examples):
    """S3 state with Terraform's lock file, from the backend plus an override of the terraform block."""
    synth = examples["tls-rw-ro"]
    name = f"{synth.deployment.name}-network"
    backend = parsed["tls-rw-ro"][name]["terraform"]["backend"][0]["s3"]
    assert backend == synth.stacks[name]["terraform"]["backend"]["s3"]
    assert backend["use_lockfile"] is True


def test_storage_declares_its_ephemeral_passwords(parsed, examples):
    """Blocks that the stack adds by override (cdktf's own renderer drops them)."""
    synth = examples["tls-rw-ro"]
    ephemeral = synth.stack("storage").get("ephemeral")
    assert ephemeral, "the JSON synth has ephemeral passwords"
    assert parsed["tls-rw-ro"][f"{synth.deployment.name}-storage"]["ephemeral"] == ephemeral


def test_container_definitions_are_the_json_documents(parsed, examples):
    """JSON held in a string, with quotes and interpolations, comes back as the same document."""
    synth = examples["tls-rw-ro"]
    definitions = synth.resources("services", "aws_ecs_task_definition")
    assert len(definitions) == 5, "server, two read-only servers, web and the read-only pool's web"
    written = parsed["tls-rw-ro"][f"{synth.deployment.name}-services"]["resource"]["aws_ecs_task_definition"]
    for task, values in definitions.items():
        assert json.loads(written[task]["container_definitions"]) == json.loads(values["container_definitions"])


def test_lifecycle_conditions_are_blocks(hcl_out, parsed, examples):
    """Postconditions are blocks, their conditions expressions (with quoted strings in them)."""
    synth = examples["existing-vpc"]
    name = f"{synth.deployment.name}-network"
    checked = 0
    for data_type in ("aws_vpc", "aws_subnet"):
        for data_name, values in synth.data("network", data_type).items():
            lifecycle = parsed["existing-vpc"][name]["data"][data_type][data_name]["lifecycle"]
            assert _difference(lifecycle, values["lifecycle"]) is None
            checked += len(values["lifecycle"]["postcondition"])
    assert checked == 11, "the VPC's three checks, and two per subnet (its VPC and its size)"
    text = (hcl_out["existing-vpc"] / "stacks" / name / "cdk.tf").read_text()
    vpc_id = synth.deployment.network.vpc_id
    assert text.count("    postcondition {\n") == checked
    assert f'      condition     = self.vpc_id == "{vpc_id}"\n' in text
    assert "postcondition = [" not in text


def test_depends_on_holds_references(hcl_out):
    text = "".join(path.read_text() for path in hcl_out["tls-rw-ro"].glob("stacks/*/cdk.tf"))
    assert re.search(r"^  depends_on = \[[a-z]", text, re.M)
    assert not re.search(r"depends_on += \[\s*\"", text), "quoted references are deprecated"


@pytest.mark.terraform
def test_terraform_fmt_leaves_the_files_alone(hcl_out, terraform_cli):
    for outdir in hcl_out.values():
        result = terraform_cli(outdir / "stacks", "fmt", "-check", "-recursive", "-list=true", "-no-color")
        assert result.returncode == 0, f"not formatted as terraform fmt does: {result.stdout}"


@pytest.mark.terraform
def test_terraform_validates_hcl_stacks(hcl_out, examples, terraform_cli):
    """Valid, with no warning (such as quoted references): the stacks cdktf's own renderer broke.

    Each validate loads the provider's schema (seconds of CPU), so not every stack of both examples:
    storage (ephemeral passwords), services (JSON in strings) and the existing VPC's network
    (postconditions). The rest is held to the JSON synth above, whose stacks test_terraform_validate
    validates.
    """
    directories = [
        hcl_out["tls-rw-ro"] / "stacks" / f"{examples['tls-rw-ro'].deployment.name}-{role}" for role in ("storage", "services")
    ]
    directories.append(hcl_out["existing-vpc"] / "stacks" / f"{examples['existing-vpc'].deployment.name}-network")

    def validate(directory: Path) -> dict:
        init = terraform_cli(directory, "init", "-backend=false", "-input=false", "-no-color", timeout=300)
        if init.returncode != 0:
            return {"valid": False, "init": str(init)}
        return json.loads(terraform_cli(directory, "validate", "-json", "-no-color", timeout=300).stdout)

    with ThreadPoolExecutor(max_workers=2) as pool:
        reports = dict(zip(directories, pool.map(validate, directories), strict=True))
    for directory, report in reports.items():
        assert report["valid"] and not report.get("diagnostics"), f"{directory.name}: {json.dumps(report, indent=2)}"


# ---------------------------------------------------------------------------------------------
# The renderer on its own
# ---------------------------------------------------------------------------------------------

TRICKY = [
    "",
    "plain",
    'say "hi"',
    "back\\slash and a trailing one \\",
    'a JSON string: "\\"quoted\\"" and "C:\\\\dir"',
    "one line\nand another",
    "windows\r\nline ends",
    "tab\there, bell \x07, escape \x1b, delete \x7f",
    "unicode: é ü ß 日本 😀, separators \u2028 \u2029",
    "literal $${not_a_template} and %%{not_a_directive}",
    "dollar $ and percent % alone, $5 and 50%, at the end $",
    "a brace { and } alone, and a percent at the end %",
    '${upper("interpolated")} with "quotes" around',
    '${jsonencode({"key" = "va\\"lue", "n" = [1, 2]})}',
    '%{ if true }yes%{ else }no%{ endif }, %{ for x in ["a", "b"] }${x};%{ endfor }',
    '{"name": "web", "environment": [{"name": "ORIGINS", "value": "[\\"https://x.org\\"]"}]}',
    'a script\n  indented "line" with \\n and ${upper("x")}\nEOT\n',
    "#!/bin/bash\necho \"$HOME\" '$${x}'\n",
    '${"}"} and ${ "{" }',
]


@pytest.mark.parametrize("text", TRICKY)
def test_strings_parse_back_to_the_same_template(text):
    rendered = render_string(text, bare_expressions=False)
    value = _parse(f"x = {rendered}\n")["x"]
    heredoc = _HEREDOC.fullmatch(value)
    # python-hcl2 respaces what is inside ${...}: templates compare without white space
    assert _string(heredoc.group(2) if heredoc else value) == _string(text), rendered


def test_a_lone_interpolation_is_written_as_its_expression():
    assert render_string("${aws_vpc.main.id}") == "aws_vpc.main.id"
    assert render_string("${length(self.names) >= 2}") == "length(self.names) >= 2"
    assert render_string("${a}${b}") == '"${a}${b}"'
    assert render_string("x${a}") == '"x${a}"'
    assert render_string("${~ a ~}") == '"${~ a ~}"'


def test_multi_line_text_is_a_heredoc_whose_marker_is_not_in_the_text():
    assert render_string("a\nb\n") == "<<EOT\na\nb\nEOT"
    assert render_string("EOT\nEOT_\n") == "<<EOT__\nEOT\nEOT_\nEOT__"
    assert render_string("no final newline\nhere") == '"no final newline\\nhere"'
    assert render_string("carriage\r\nreturn\n").startswith('"')


def test_templates_that_do_not_close_are_refused():
    for text in ("${unclosed", 'a ${"}', "%{ if x"):
        with pytest.raises(HclRenderError):
            render_string(text)


@pytest.mark.terraform
def test_terraform_reads_the_same_values_from_both_syntaxes(tmp_path, terraform_cli):
    """Every tricky string, and nested values, as outputs in JSON and in HCL: Terraform gives the same."""
    values = {f"s{i}": text for i, text in enumerate(TRICKY)}
    values["nested"] = {
        "list": [1, 2.5, -3, True, False, None, "x", ["deep", {"k": "v"}]],
        "keys": {"with space": 1, "for": 2, "null": 3, "a-b": 4, "é": 5, '${upper("k")}': 6, 'q"uote': 7},
        "empty": [[], {}],
    }
    outputs = {}
    for syntax, config in (
        ("json", {"output": {name: {"value": value} for name, value in values.items()}}),
        ("hcl", None),
    ):
        directory = tmp_path / syntax
        directory.mkdir()
        if syntax == "json":
            (directory / "main.tf.json").write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
        else:
            text = render_config({"output": {name: {"value": value} for name, value in values.items()}})
            (directory / "main.tf").write_text(text, encoding="utf-8")
        for args in (("init", "-input=false"), ("apply", "-auto-approve", "-input=false")):
            result = terraform_cli(directory, *args, "-no-color", timeout=120)
            assert result.returncode == 0, str(result)
        outputs[syntax] = json.loads(terraform_cli(directory, "output", "-json").stdout)
    assert outputs["hcl"] == outputs["json"]
    assert outputs["hcl"]["s3"]["value"] == TRICKY[3]  # literal text stays literal


def test_blocks_come_from_the_shape_and_the_meta_arguments():
    config = {
        "resource": {
            "aws_thing": {
                "main": {
                    "//": {"metadata": {"path": "x"}},
                    "provider": "aws.west",
                    "name": "thing",
                    "tags": {"Name": "x", "a:b": "y"},
                    "rule": [{"id": "one", "filter": [{"prefix": "p/"}]}, {"id": "two"}],
                    "depends_on": ["aws_other.a", "${aws_other.b}"],
                    "lifecycle": {
                        "prevent_destroy": True,
                        "ignore_changes": ["tags"],
                        "postcondition": [{"condition": '${self.name != ""}', "error_message": 'no "name"'}],
                    },
                }
            }
        },
        "output": {"id": {"value": "${aws_thing.main.id}", "sensitive": True, "depends_on": ["aws_thing.main"]}},
    }
    shapes = {("resource", "aws_thing", "main"): {"rule": {"filter": {}}}}
    text = render_config(config, shapes)
    assert text == (
        'resource "aws_thing" "main" {\n'
        "  provider = aws.west\n"
        '  name     = "thing"\n'
        "  tags = {\n"
        '    Name  = "x"\n'
        '    "a:b" = "y"\n'
        "  }\n"
        "  rule {\n"
        '    id = "one"\n'
        "    filter {\n"
        '      prefix = "p/"\n'
        "    }\n"
        "  }\n"
        "  rule {\n"
        '    id = "two"\n'
        "  }\n"
        "  depends_on = [aws_other.a, aws_other.b]\n"
        "  lifecycle {\n"
        "    prevent_destroy = true\n"
        "    ignore_changes  = [tags]\n"
        "    postcondition {\n"
        '      condition     = self.name != ""\n'
        '      error_message = "no \\"name\\""\n'
        "    }\n"
        "  }\n"
        "}\n"
        "\n"
        'output "id" {\n'
        "  value      = aws_thing.main.id\n"
        "  sensitive  = true\n"
        "  depends_on = [aws_thing.main]\n"
        "}\n"
    )
    # without a shape, the same JSON object is an argument
    assert "  rule = [\n" in render_config(config)


def test_shapes_are_read_from_the_bindings_fragments():
    fragment = {
        "bucket": {"value": "b", "isBlock": False, "type": "simple", "storageClassType": "string"},
        "rule": {
            "value": [
                {"id": {"value": "x", "isBlock": False}},
                {"filter": {"value": [{"prefix": {"value": ""}}], "isBlock": True, "type": "list"}},
            ],
            "isBlock": True,
            "type": "list",
        },
        "default_tags": {"value": [{"tags": {"value": {}, "isBlock": False}}], "is_block": True},
        "lifecycle": {"prevent_destroy": True},
    }
    assert shape_of(fragment) == {"rule": {"filter": {}}, "default_tags": {}}


def test_shapes_of_a_stack_with_an_aliased_provider(tmp_path):
    """Blocks and provider aliases read from real bindings, as in a region-copy stack."""
    from cdktf import App, TerraformStack
    from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags
    from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
    from cdktf_cdktf_provider_aws.s3_bucket_versioning import S3BucketVersioningA, S3BucketVersioningVersioningConfiguration

    stack = TerraformStack(App(outdir=str(tmp_path)), "copy")
    AwsProvider(stack, "aws", region="eu-central-1")
    west = AwsProvider(
        stack, "aws_west", region="us-west-2", alias="west", default_tags=[AwsProviderDefaultTags(tags={"a": "b"})]
    )
    bucket = S3Bucket(stack, "bucket", bucket="copy", provider=west, tags={"Name": "copy"})
    S3BucketVersioningA(
        stack,
        "versioning",
        bucket=bucket.id,
        provider=west,
        versioning_configuration=S3BucketVersioningVersioningConfiguration(status="Enabled"),
    )
    shapes = stack_shapes(stack)
    assert shapes[("provider", "aws", "west")] == {"default_tags": {}}
    assert shapes[("provider", "aws", "")] == {}
    assert shapes[("resource", "aws_s3_bucket_versioning", "versioning")] == {"versioning_configuration": {}}
    config = stack.to_terraform()
    text = render_config(config, shapes)
    assert '  alias  = "west"\n' in text and "  default_tags {\n    tags = {\n" in text
    assert "  provider = aws.west\n" in text and "  versioning_configuration {\n" in text
    assert "  tags = {\n" in text  # a map argument stays one
    config.pop("//")
    assert _difference(_as_json_config(_parse(text)), config) is None


def test_what_the_renderer_does_not_know_fails_the_synth():
    with pytest.raises(HclRenderError, match="module"):
        render_config({"module": {"m": {"source": "./m"}}})
    with pytest.raises(HclRenderError, match="dynamic"):
        render_config({"resource": {"t": {"n": {"dynamic": {"rule": {"for_each": "${[]}"}}}}}})
    with pytest.raises(HclRenderError, match="not a reference"):
        render_config({"resource": {"t": {"n": {"depends_on": ["${a.b} and more"]}}}})
    with pytest.raises(HclRenderError):
        render_expression({1, 2})
    with pytest.raises(HclRenderError, match="for_each"):
        render_config({"import": [{"to": "aws_x.y", "id": "i", "for_each": "${[]}"}]})


def test_import_blocks_of_a_restored_deployment(tmp_path):
    """restore_from adopts a file system through an import block; HCL writes it as Terraform does."""
    import hcl2

    config = {"import": [{"to": "aws_efs_file_system.efs_file_system_D9A5D3EE", "id": "fs-0123456789abcdef0"}]}
    text = render_config(config)
    assert text == 'import {\n  to = aws_efs_file_system.efs_file_system_D9A5D3EE\n  id = "fs-0123456789abcdef0"\n}\n'
    [block] = hcl2.loads(text)["import"]
    assert block["to"] == "${aws_efs_file_system.efs_file_system_D9A5D3EE}" and block["id"] == '"fs-0123456789abcdef0"'
