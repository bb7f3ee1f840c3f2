"""List a deployment's stacks: deploy and destroy order, each stack's state backend and what it
needs; with --state, what each stack's state holds.

    pipenv run inspect [--config FILE] [--json]           # synthesizes (~3 s) into a temp dir
    pipenv run inspect --outdir cdktf.out [--json]        # reads a synth that is already there
    pipenv run inspect --state [--outdir cdktf.out]       # terraform init/output/state list per stack

Which stacks exist and where their state lives is decided by the synthesized output, so that is
what is read: ``manifest.json`` (stacks and their dependencies) and each stack's
``terraform.backend``. Without ``--outdir`` the deployment (``--config``, else ``$OMERO_CONFIG``,
else the default) is synthesized into a temporary directory as ``python main.py`` would do here
(local state paths relative to the current directory, ``$AWS_ENDPOINT_URL`` honoured).

``--state`` runs ``terraform init -reconfigure``, ``terraform output -json`` and ``terraform state
list`` in every stack directory of ``--outdir`` (default ``cdktf.out``), in deploy order, with the
AWS credentials, region and endpoint of this environment. Terraform takes providers from the local
filesystem mirror when one is found (as the tests do) unless ``$TF_CLI_CONFIG_FILE`` names a file.
Bad input (an unknown config file, a missing directory) is one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from config.catalog import ROLES

# The roles in the order the app builds them: ties in the dependency order are broken by this,
# so the listing reads like the app.
ROLE_ORDER = ROLES
COMMAND_TIMEOUT = 300.0  # seconds per terraform command


class ToolError(Exception):
    """Bad input or an unusable directory: reported as one line, exit status 2."""


@dataclass(frozen=True)
class Backend:
    """Where one stack keeps its state."""

    kind: str  # "s3" or "local" (or whatever else the JSON says)
    bucket: str | None = None
    key: str | None = None
    region: str | None = None
    lock_file: bool = False
    endpoint: str | None = None  # an emulator's S3 endpoint, when synthesized for one
    path: str | None = None  # local state file, resolved to an absolute path

    def describe(self) -> str:
        if self.kind == "s3":
            extra = [self.region or "?"]
            if self.lock_file:
                extra.append("lock file")
            if self.endpoint:
                extra.append(f"endpoint {self.endpoint}")
            return f"s3://{self.bucket}/{self.key} ({', '.join(extra)})"
        if self.kind == "local" and self.path:
            return f"local file {self.path}"  # the full path: where to find (and keep) the state
        return self.kind


@dataclass
class Stack:
    """One synthesized stack: its directory, backend and the stacks it needs first."""

    name: str
    role: str
    directory: Path
    dependencies: list[str]
    backend: Backend
    json: dict[str, Any] = field(repr=False, default_factory=dict)


def role_of(name: str) -> str:
    """The stack's role: the known role its name ends with (``omero-prod-file-gateway``)."""
    for role in sorted(ROLE_ORDER, key=len, reverse=True):
        if name.endswith(f"-{role}"):
            return role
    return name


def backend_of(stack_json: dict[str, Any], directory: Path) -> Backend:
    """The backend block of a synthesized stack; a local path is resolved from the stack's directory."""
    backends = stack_json.get("terraform", {}).get("backend", {})
    if not backends:
        return Backend("local", path=str((directory / "terraform.tfstate").resolve()))
    kind, config = next(iter(backends.items()))
    if kind == "s3":
        return Backend(
            "s3",
            bucket=config.get("bucket"),
            key=config.get("key"),
            region=config.get("region"),
            lock_file=bool(config.get("use_lockfile")),
            endpoint=(config.get("endpoints") or {}).get("s3"),
        )
    if kind == "local":
        path = Path(config.get("path", "terraform.tfstate"))
        return Backend("local", path=str(path if path.is_absolute() else (directory / path).resolve()))
    return Backend(kind)


def deploy_order(dependencies: dict[str, list[str]]) -> list[str]:
    """Stack names so that each comes after what it depends on (ties: app order, then name)."""

    def rank(name: str) -> tuple[int, str]:
        role = role_of(name)
        return (ROLE_ORDER.index(role) if role in ROLE_ORDER else len(ROLE_ORDER), name)

    done: list[str] = []
    waiting = dict(dependencies)
    for _ in range(len(dependencies) + 1):  # bounded: one stack placed per round at least
        if not waiting:
            return done
        ready = sorted((n for n, deps in waiting.items() if all(d in done or d not in dependencies for d in deps)), key=rank)
        if not ready:
            break
        done.append(ready[0])
        del waiting[ready[0]]
    raise ToolError(f"the stacks depend on each other in a cycle: {', '.join(sorted(waiting))}")


def read_stacks(outdir: Path) -> list[Stack]:
    """Every stack of a synthesized output directory, in deploy order."""
    manifest_path = outdir / "manifest.json"
    if not outdir.is_dir():
        raise ToolError(f"{outdir}: no such directory (synthesize first: python main.py, or pass --config)")
    if not manifest_path.is_file():
        raise ToolError(f"{outdir}: no manifest.json here; not a synthesized cdktf output directory")
    try:
        manifest = json.loads(manifest_path.read_text())
        entries = manifest["stacks"]
    except (ValueError, KeyError, TypeError):
        raise ToolError(f"{manifest_path}: not a cdktf manifest (no readable 'stacks')") from None
    stacks: dict[str, Stack] = {}
    for name, entry in entries.items():
        directory = outdir / entry.get("workingDirectory", f"stacks/{name}")
        synthesized = outdir / entry.get("synthesizedStackPath", f"stacks/{name}/cdk.tf.json")
        try:
            stack_json = json.loads(synthesized.read_text())
        except (OSError, ValueError):
            raise ToolError(f"{synthesized}: missing or not JSON; synthesize again") from None
        stacks[name] = Stack(
            name,
            role_of(name),
            directory,
            list(entry.get("dependencies", [])),
            backend_of(stack_json, directory),
            stack_json,
        )
    order = deploy_order({name: stack.dependencies for name, stack in stacks.items()})
    return [stacks[name] for name in order]


def load_deployment(path: Path):
    """The validated deployment at ``path``; a bad file becomes a ToolError naming each problem."""
    from config import ConfigError, load

    try:
        return load(path)
    except ConfigError as error:
        raise ToolError("; ".join(f"{error.source}: {line}" for line in error.lines)) from None


def synthesize_to(deployment, outdir: Path, environ: dict[str, str] | None = None) -> list[str]:
    """Synthesize ``deployment`` into ``outdir`` as ``python main.py`` would from this directory."""
    environ = dict(os.environ if environ is None else environ)
    import main  # sets the jsii warning switches; the provider bindings load inside synthesize

    return main.synthesize(
        deployment,
        outdir=outdir,
        local_state_dir=Path.cwd(),
        emulator_endpoint=environ.get("AWS_ENDPOINT_URL") or None,
    )


def listing(stacks: Sequence[Stack], *, title: str) -> str:
    """The human-readable listing: deploy order with backends and needs, then destroy order."""
    width = max((len(s.name) for s in stacks), default=0)
    lines = [title, "", "deploy order:"]
    for number, stack in enumerate(stacks, 1):
        lines.append(f"  {number}. {stack.name:<{width}}  {stack.backend.describe()}")
        lines.append(f"     {'':<{width}}  needs: {', '.join(stack.dependencies) or '-'}")
    lines += ["", "destroy order: " + ", ".join(s.name for s in reversed(stacks))]
    return "\n".join(lines)


def as_json(stacks: Sequence[Stack]) -> dict[str, Any]:
    return {
        "deploy_order": [s.name for s in stacks],
        "destroy_order": [s.name for s in reversed(stacks)],
        "stacks": {
            s.name: {
                "role": s.role,
                "directory": str(s.directory),
                "dependencies": s.dependencies,
                "backend": {k: v for k, v in asdict(s.backend).items() if v not in (None, False)},
            }
            for s in stacks
        },
    }


# --- --state: what terraform says about each stack -------------------------------------------


@dataclass
class StackState:
    """One stack's state as terraform reports it; ``error`` when a command failed."""

    name: str
    outputs: dict[str, Any] = field(default_factory=dict)
    addresses: list[str] = field(default_factory=list)
    error: str | None = None
    empty: bool = False  # no state yet (never applied)


def terraform_runner(workdir: Path, environ: dict[str, str] | None = None):
    """A terraform runner with this environment's credentials and the local provider mirror."""
    from tools import terraform

    if shutil.which("terraform") is None:
        raise ToolError("terraform is not on PATH (needed for --state)")
    environ = dict(os.environ if environ is None else environ)
    if environ.get("TF_CLI_CONFIG_FILE") and Path(environ["TF_CLI_CONFIG_FILE"]).is_file():
        cli_config = Path(environ["TF_CLI_CONFIG_FILE"])
    elif terraform.find_mirror() is not None:
        cli_config = terraform.write_cli_config(workdir)
    else:  # the operator's own terraform set-up (registry access)
        cli_config = Path(environ.get("TERRAFORM_CONFIG") or Path.home() / ".terraformrc")
    environ.pop("TF_CLI_CONFIG_FILE", None)
    if environ.get("AWS_ENDPOINT_URL"):  # an emulator: never ask an instance metadata service
        environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    return terraform.Terraform(cli_config, environ)


def _last_error(text: str) -> str:
    """The first line of terraform's error message (after 'Error:'), for a one-line report."""
    for line in text.splitlines():
        line = line.strip(" │╷╵")
        if line.startswith("Error:"):
            return line
    stripped = [line.strip(" │╷╵") for line in text.splitlines() if line.strip(" │╷╵")]
    return stripped[-1] if stripped else "failed"


def read_state(stack: Stack, runner, timeout: float = COMMAND_TIMEOUT) -> StackState:
    """``init -reconfigure``, ``output -json`` and ``state list`` in the stack's directory."""
    result = StackState(stack.name)
    steps = (
        ("init", "-reconfigure", "-input=false", "-no-color"),
        ("output", "-json", "-no-color"),
        ("state", "list", "-no-color"),
    )
    for args in steps:
        try:
            ran = runner(stack.directory, *args, timeout=timeout)
        except subprocess.TimeoutExpired:
            result.error = f"terraform {args[0]} took longer than {timeout:.0f}s"
            return result
        if args[0] == "state" and ran.returncode != 0 and "No state file was found" in ran.stderr:
            result.empty = True
            return result
        if ran.returncode != 0:
            result.error = f"terraform {' '.join(args[:2])}: {_last_error(ran.stderr or ran.stdout)}"
            return result
        if args[0] == "output":
            result.outputs = {k: v.get("value") for k, v in json.loads(ran.stdout or "{}").items()}
        elif args[0] == "state":
            result.addresses = ran.stdout.split()
    result.empty = not result.addresses
    return result


def counted(addresses: Sequence[str]) -> str:
    """ "23 resources, 4 data sources": what a state list holds, data sources apart."""
    data = sum(address.startswith("data.") or ".data." in address for address in addresses)
    return f"{len(addresses) - data} resources, {data} data sources"


def state_report(states: Sequence[StackState], *, show_plumbing: bool = False) -> str:
    """Outputs and resource addresses per stack; cdktf's cross-stack plumbing outputs are hidden."""
    lines: list[str] = []
    for state in states:
        if state.error:
            lines.append(f"{state.name}: error: {state.error}")
            continue
        if state.empty and not state.outputs:
            lines.append(f"{state.name}: no state yet (not applied)")
            continue
        outputs = {k: v for k, v in state.outputs.items() if show_plumbing or not k.startswith("cross-stack-output-")}
        lines.append(f"{state.name}: {counted(state.addresses)}, {len(outputs)} outputs")
        for key, value in sorted(outputs.items()):
            lines.append(f"  output {key} = {json.dumps(value)}")
        for address in state.addresses:
            lines.append(f"  {address}")
    return "\n".join(lines)


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="inspect",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", type=Path, help="deployment file (default: $OMERO_CONFIG, else config/default.hcl)")
    parser.add_argument(
        "--outdir", type=Path, help="read this synthesized directory instead of synthesizing (default for --state: cdktf.out)"
    )
    parser.add_argument("--state", action="store_true", help="run terraform init/output/state list in every stack")
    parser.add_argument(
        "--timeout", type=float, default=COMMAND_TIMEOUT, help="seconds per terraform command (default %(default)s)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    return parser.parse_args(argv)


def _stacks_for(options: argparse.Namespace, tmp: Path) -> tuple[list[Stack], str]:
    from config import config_path

    explicit = options.config or (Path(os.environ["OMERO_CONFIG"]) if os.environ.get("OMERO_CONFIG", "").strip() else None)
    outdir = options.outdir or (Path("cdktf.out") if options.state else None)
    if outdir is not None:
        stacks = read_stacks(outdir)
        if explicit is not None:
            name = load_deployment(explicit).name
            strangers = [s.name for s in stacks if not s.name.startswith(f"{name}-")]
            if strangers:
                raise ToolError(
                    f"{outdir} holds stacks of another deployment ({', '.join(strangers)}), not {name}: synthesize {explicit} first"
                )
        return stacks, f"{outdir}: {len(stacks)} stacks"
    path = explicit or config_path({})
    deployment = load_deployment(path)
    synthesize_to(deployment, tmp / "cdktf.out")
    stacks = read_stacks(tmp / "cdktf.out")
    title = f"deployment {deployment.name} ({path}), region {deployment.region}: {len(stacks)} stacks"
    return stacks, title


def main(argv: Sequence[str] | None = None) -> int:
    options = _parse(argv)
    try:
        with tempfile.TemporaryDirectory(prefix="omero-inspect-") as tmp:
            stacks, title = _stacks_for(options, Path(tmp))
            if not options.state:
                print(json.dumps(as_json(stacks), indent=2) if options.json else listing(stacks, title=title))
                return 0
            runner = terraform_runner(Path(tmp))
            states = [read_state(stack, runner, options.timeout) for stack in stacks]
    except ToolError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if options.json:
        print(json.dumps({s.name: asdict(s) for s in states}, indent=2))
    else:
        print(listing(stacks, title=title))
        print()
        print(state_report(states))
    return 1 if any(s.error for s in states) else 0


if __name__ == "__main__":
    sys.exit(main())
