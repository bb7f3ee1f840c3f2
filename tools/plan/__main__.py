"""Review what ``terraform plan`` would do to a deployment, stack by stack, before anyone applies it.

    pipenv run plan [--config FILE] [--format text|markdown|json] [--out DIR] [--timeout 600]

Synthesizes the deployment (``--config``, else ``$OMERO_CONFIG``, else the default; a bad file is
refused with the loader's messages and exit status 2, as ``main.py`` does), then runs
``terraform init`` and ``terraform plan -lock=false -out`` in every stack, in deploy order, against
the stack's own backend and provider: a real account with this environment's AWS credentials, or
an AWS API emulator when ``AWS_ENDPOINT_URL`` is set. Each plan with changes is read from
``terraform show -json`` (:mod:`tools.plan.report`; ``plan -detailed-exitcode`` already says which
have none). Plans take no state lock: a read-only role can review.

The report lists, per stack, what is added, changed in place, destroyed and replaced, with each
changed attribute's before and after (secrets redacted), and first the alerts from the plans
themselves: what OMERO keeps being destroyed or replaced (STATEFUL, also when Terraform refuses the
plan because of ``prevent_destroy``), new ingress from the world, new IAM actions, OMERO image
changes. A stack planned while a stack it depends on has pending changes (to resources, or only
to the outputs later stacks read) says its plan is provisional: it was planned against the
upstream stack's current outputs.

``--out DIR`` keeps each stack's binary plan and its JSON beside ``report.txt``, ``report.md``
(kept under GitHub's comment limit) and ``report.json``.

Exit status: 0 no changes, 1 changes, 3 at least one stateful delete or replace (refused or not),
2 errors (bad input, a missing tool, a plan that failed).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from config import config_path
from tools.common import Parser, ToolError
from tools.deployment import load_deployment
from tools.plan.rehearsal import rehearsed_review
from tools.plan.report import render_json, render_markdown, render_text
from tools.plan.review import COMMAND_TIMEOUT, cost_of_change, exit_code, review, write_reports

FORMATS = ("text", "markdown", "json")


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = Parser(prog="pipenv run plan", description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, help="deployment file (default: $OMERO_CONFIG, else config/default.hcl)")
    parser.add_argument("--format", choices=FORMATS, default="text", help="report on standard output (default text)")
    parser.add_argument("--out", type=Path, help="keep the plans and the report in every format here")
    parser.add_argument("--timeout", type=float, default=COMMAND_TIMEOUT, help="seconds per terraform command")
    parser.add_argument(
        "--rehearse",
        action="store_true",
        help="no AWS account: apply --base on a local emulator, plan the working tree against it",
    )
    parser.add_argument("--base", help="with --rehearse: the git revision applied first (e.g. origin/main)")
    parser.add_argument(
        "--cost-base",
        help="the git revision whose deployment file is the cost before (default: --base; none: the cost after only)",
    )
    parser.add_argument(
        "--jobs", type=int, help="stacks planned at once, and with --rehearse applied at once (default: the cores)"
    )
    options = parser.parse_args(argv)
    if options.rehearse != (options.base is not None):
        parser.error("--rehearse and --base go together")
    return options


def main(argv: Sequence[str] | None = None, environ: dict[str, str] | None = None) -> int:
    options = _parse(argv)
    environ = dict(os.environ if environ is None else environ)
    path = options.config or config_path(environ)
    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="omero-plan-") as tmp:
            if options.rehearse:
                plans = rehearsed_review(
                    path,
                    options.base,
                    Path(tmp),
                    timeout=options.timeout,
                    out=options.out,
                    log=lambda line: print(line, file=sys.stderr, flush=True),
                    jobs=options.jobs,
                )
                where = f"{options.base} rehearsed on a local AWS API emulator"
            else:
                deployment = load_deployment(path)
                plans = review(
                    deployment, workdir=Path(tmp), environ=environ, out=options.out, timeout=options.timeout, jobs=options.jobs
                )
                where = "an AWS API emulator" if environ.get("AWS_ENDPOINT_URL") else "AWS"
    except ToolError as error:
        for line in str(error).split("; "):
            print(f"error: {line}", file=sys.stderr)
        return 2
    code = exit_code(plans)
    title = f"Plan of {path} against {where}: {len(plans)} stacks, {time.monotonic() - started:.0f} s"
    cost = cost_of_change(path, options.cost_base or options.base)
    if options.out:
        write_reports(plans, title, code, options.out, cost)
    render = {"text": render_text, "markdown": render_markdown}.get(options.format)
    sys.stdout.write(render(plans, title, cost) if render else render_json(plans, title, code, cost))
    return code


if __name__ == "__main__":
    sys.exit(main())
