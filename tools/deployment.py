"""A deployment as the tools see it: its validated file, its synthesized stacks (``manifest.json``,
each stack's ``cdk.tf.json`` and backend, the order to deploy them in) and what Terraform's state
of each says.

Which stacks exist and where their state lives is decided by the synthesized output, so that is
what is read. ``inspect``, ``deploy``, ``destroy``, ``verify``, ``rehearse``, ``plan`` and
``diagram`` read stacks through here; the stacks run side by side as their dependencies allow
(:func:`in_dependency_order`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import main
from config import ConfigError, load
from config.catalog import ROLES
from tools import terraform
from tools.common import ToolError, last_error

# The roles in the order the app builds them: ties in the dependency order are broken by this,
# so the listing reads like the app.
ROLE_ORDER = ROLES
COMMAND_TIMEOUT = 300.0  # seconds per terraform command that reads state
# While stacks run, a progress line at least this often (an apply is silent for minutes otherwise).
PROGRESS_SECONDS = 15.0


def load_deployment(path: Path):
    """The validated deployment at ``path``; a bad file becomes a ToolError naming each problem."""
    try:
        return load(path)
    except ConfigError as error:
        raise ToolError("; ".join(f"{error.source}: {line}" for line in error.lines)) from None


def load_if_there(path: Path):
    """The deployment at ``path``, None when there is no such file; a bad file is a ToolError."""
    return load_deployment(path) if path.is_file() else None


def synthesize_to(deployment, outdir: Path, environ: dict[str, str] | None = None) -> list[str]:
    """Synthesize ``deployment`` into ``outdir`` as ``python main.py`` would from this directory."""
    environ = dict(os.environ if environ is None else environ)
    return main.synthesize(
        deployment,
        outdir=outdir,
        local_state_dir=Path.cwd(),
        emulator_endpoint=environ.get("AWS_ENDPOINT_URL") or None,
    )


# --- the synthesized stacks ------------------------------------------------------------------


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


def in_dependency_order(
    stacks: Sequence[Stack],
    run: Callable[[Stack], Any],
    *,
    workers: int | None = None,
    reverse: bool = False,
    skip: Callable[[Stack, list], Any] | None = None,
    progress: Callable[[list[str], float], None] | None = None,
) -> list:
    """``run(stack)`` for each of ``stacks`` (given in deploy order), each once the stacks it needs
    have run (``reverse``, as for a destroy: once the stacks that need it have run), at most
    ``workers`` at a time (default: the machine's cores). ``skip(stack, results of those stacks)``
    may return a result to use instead of running it. ``progress(names running, seconds since the
    start)`` is called every ``PROGRESS_SECONDS`` while nothing finishes. The results come back in
    ``stacks``' order."""
    names = {stack.name for stack in stacks}
    before = {stack.name: [d for d in stack.dependencies if d in names] for stack in stacks}
    if reverse:
        before = {name: [other for other, needs in before.items() if name in needs] for name in before}
    ordered = list(reversed(stacks)) if reverse else list(stacks)  # so that a skip reaches what follows it at once
    results: dict[str, Any] = {}
    running: dict = {}
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        for _ in range(2 * len(stacks) + 1):  # bounded: every round starts or finishes a stack
            for stack in ordered:
                if stack.name in results or stack.name in running.values() or not all(d in results for d in before[stack.name]):
                    continue
                instead = skip(stack, [results[d] for d in before[stack.name]]) if skip else None
                if instead is not None:
                    results[stack.name] = instead
                else:
                    running[pool.submit(run, stack)] = stack.name
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED, timeout=PROGRESS_SECONDS if progress else None)
            while not done:  # a progress line per quiet interval (progress is set, or done is not empty)
                assert progress is not None
                progress(sorted(running.values()), time.monotonic() - started)
                done, _ = wait(running, return_when=FIRST_COMPLETED, timeout=PROGRESS_SECONDS)
            for future in done:
                results[running.pop(future)] = future.result()
    return [results[stack.name] for stack in stacks if stack.name in results]


# --- what Terraform's state says -------------------------------------------------------------


@dataclass
class StackState:
    """One stack's state as terraform reports it; ``error`` when a command failed."""

    name: str
    outputs: dict[str, Any] = field(default_factory=dict)
    addresses: list[str] = field(default_factory=list)
    error: str | None = None
    empty: bool = False  # no state yet (never applied)


def terraform_runner(workdir: Path, environ: dict[str, str] | None = None) -> terraform.Terraform:
    """A terraform runner with this environment's credentials and the local provider mirror."""
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
            result.error = f"terraform {' '.join(args[:2])}: {last_error(ran.stderr or ran.stdout)}"
            return result
        if args[0] == "output":
            result.outputs = {k: v.get("value") for k, v in json.loads(ran.stdout or "{}").items()}
        elif args[0] == "state":
            result.addresses = ran.stdout.split()
    result.empty = not result.addresses
    return result


def applied_state(tf, directory: Path, timeout: float = COMMAND_TIMEOUT) -> tuple[list[str], dict[str, Any]]:
    """A stack just applied (and so initialized): the addresses ``state list`` would print and its
    output values (empty where terraform cannot read them), from one ``state pull``, which starts
    no provider."""
    pulled = tf(directory, "state", "pull", timeout=timeout)
    state = json.loads(pulled.stdout) if pulled.returncode == 0 and pulled.stdout.strip() else {}
    return state_addresses(state), {k: v.get("value") for k, v in (state.get("outputs") or {}).items()}


def state_addresses(state: dict) -> list[str]:
    """The resource instances of a state (its JSON, format version 4) as ``terraform state list``
    prints them, in the same order: ``[module.<m>.][data.]<type>.<name>[<index key>]``."""
    addresses = []
    for resource in state.get("resources") or []:
        module = f"{resource['module']}." if resource.get("module") else ""
        data = "data." if resource.get("mode") == "data" else ""
        for instance in resource.get("instances") or []:
            key = instance.get("index_key")
            index = "" if key is None else f"[{json.dumps(key, ensure_ascii=False)}]"
            addresses.append(f"{module}{data}{resource['type']}.{resource['name']}{index}")
    return addresses
