"""Synthesize one OMERO deployment into Terraform JSON (the entry that cdktf.json runs).

    OMERO_CONFIG=examples/tls-rw-ro.hcl pipenv run python main.py [--quiet]

The deployment file comes from ``OMERO_CONFIG`` (default: ``config/default.hcl``); stacks are
written to ``$CDKTF_OUTDIR`` (default ``cdktf.out``) under ``stacks/<stack>/cdk.tf.json``. With
``AWS_ENDPOINT_URL`` set, every provider and backend points at that AWS API emulator.
A bad deployment file exits with status 2 and one line per problem, and leaves any previous
output untouched. A good one ends with what was written (the stacks in deploy order and where)
and the next command; ``--quiet``, or ``CI`` set, leaves that out.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

# jsii warns loudly on every run when Node.js is past its end of life; the warning is not ours
# to act on and buries our own output.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "16,18,20,21,22,23")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")

from config import ConfigError, config_path, load  # cheap: cdktf loads only after validation


def main(environ: dict[str, str] | None = None, argv: list[str] | None = None) -> int:
    environ = dict(os.environ if environ is None else environ)
    argv = sys.argv[1:] if argv is None else argv
    if any(arg not in ("--quiet", "-q") for arg in argv):
        print(f"usage: python main.py [--quiet]  (unknown: {' '.join(argv)}; the file comes from OMERO_CONFIG)", file=sys.stderr)
        return 2
    path = config_path(environ)
    try:
        deployment = load(path)
    except ConfigError as error:
        for line in error.lines:
            print(f"error: {error.source}: {line}", file=sys.stderr)
        return 2

    outdir = Path(environ.get("CDKTF_OUTDIR") or "cdktf.out").resolve()
    order = synthesize(
        deployment,
        outdir=outdir,
        local_state_dir=Path.cwd(),
        emulator_endpoint=environ.get("AWS_ENDPOINT_URL") or None,
    )
    note = local_state_note(deployment, Path.cwd())
    if note:
        print(note, file=sys.stderr)
    if environ.get("AWS_ENDPOINT_URL"):
        print(emulator_note(environ["AWS_ENDPOINT_URL"]), file=sys.stderr)
    if not quiet(argv, environ):
        print(summary(path, outdir, order))
    return 0


def local_state_note(deployment, state_dir: Path) -> str | None:
    """One line for a deployment without ``state.bucket``: its stacks keep their Terraform state in
    local files in ``state_dir`` (said on every synth, in quiet mode too: losing them loses track
    of what was deployed). None for a deployment with a state bucket."""
    if deployment.state.bucket is not None:
        return None
    return (
        f"note: {deployment.name} has no state.bucket: each stack's Terraform state is a local file "
        f"terraform.{deployment.name}-<stack>.tfstate in {state_dir.resolve()} (git-ignored: keep them safe, "
        "or set state.bucket; docs/deploying.md#where-state-lives)"
    )


def emulator_note(endpoint: str) -> str:
    """One line when AWS_ENDPOINT_URL is set: the stacks point at that emulator, not at AWS."""
    return (
        f"note: emulator mode: AWS_ENDPOINT_URL={endpoint}, so every provider and state backend points at that "
        "AWS API emulator, not AWS (unset it to synthesize for a real account; docs/emulator.md)"
    )


def quiet(argv: list[str], environ: dict[str, str]) -> bool:
    """No summary with ``--quiet``, or in CI (``CI`` set to anything but false)."""
    return bool({"--quiet", "-q"} & set(argv)) or environ.get("CI", "").lower() not in ("", "0", "false")


def summary(config: Path, outdir: Path, order: list[str]) -> str:
    """What a synth wrote, in deploy order, and what to run next."""
    shown = _shown(outdir)
    first = f"{shown}/stacks/{order[0]}"
    lines = [f"Synthesized {config} into {shown}: {len(order)} stacks, in deploy order:"]
    lines += [f"  {index}. {name}" for index, name in enumerate(order, 1)]
    lines += [
        "Next: review the plans with `pipenv run plan`, then `pipenv run deploy` (every stack in that order,"
        " each plan shown and confirmed), or by hand, stack by stack, the first with",
        f"  terraform -chdir={first} init && terraform -chdir={first} apply",
    ]
    return "\n".join(lines)


def _shown(path: Path) -> str:
    """``path`` relative to the working directory when it lies under it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def synthesize(deployment, *, outdir: Path, local_state_dir: Path, emulator_endpoint: str | None = None) -> list[str]:
    """Write every stack of ``deployment`` to ``outdir``; return the stack names in deploy order.

    The App is synthesized into a fresh directory beside ``outdir`` and swapped in only when
    complete, so a failure never leaves a half-written or mixed output.
    """
    from stacks.app import build_app  # the provider bindings load here, after validation
    from stacks.base import SynthSettings

    outdir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.next-", dir=outdir.parent))
    try:
        settings = SynthSettings(outdir=outdir, local_state_dir=local_state_dir, emulator_endpoint=emulator_endpoint)
        app, stacks = build_app(deployment, settings, synth_dir=staging)
        app.synth()
        if app.hcl_output:  # SYNTH_HCL_OUTPUT=true: cdktf's own HCL renderer has gaps (stacks/hcl.py)
            from stacks.hcl import rewrite_stacks

            rewrite_stacks(stacks, staging)
        previous = outdir.with_name(f".{outdir.name}.prev-{os.getpid()}")
        if outdir.exists():
            outdir.rename(previous)
        staging.rename(outdir)
        shutil.rmtree(previous, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [stack.stack_name for stack in stacks]


if __name__ == "__main__":
    sys.exit(main())
