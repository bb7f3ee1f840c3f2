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
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from config import config_path
from tools.common import Parser, ToolError, counted
from tools.deployment import (
    COMMAND_TIMEOUT,
    Stack,
    StackState,
    load_deployment,
    read_stacks,
    read_state,
    synthesize_to,
    terraform_runner,
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
    parser = Parser(
        prog="pipenv run inspect",
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
