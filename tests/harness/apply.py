"""Applying synthesized deployments to the emulator: what every emulator test shares.

``apply_all`` applies stacks in dependency order, two side by side, and insists on a second plan
without changes, except for the attributes the emulator cannot store (``EMULATOR_DRIFT``).
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from tests.harness.synth import Synthesis
from tools import terraform

APPLY_TIMEOUT = 600  # seconds per terraform command; the provider's own waiters are slow on moto
APPLY_WORKERS = 2  # stacks applied side by side within one test (the stacks a stack needs come first)
# examples/full.hcl's add-ons, applied (and destroyed) side by side: that apply (by the session's
# keeper, tests/harness/keeper.py) and destroy are the longest chain of the run, mostly the provider's waiters.
ADDON_WORKERS = 4
# A directory where each applied stack gets one line (time, resources, second plan), for finding what is slow.
APPLY_LOG_ENV = "OMERO_TEST_APPLY_LOG"


def aws(emulator, service: str, region: str):
    return emulator.client(service, region)


def through_emulator(tf: terraform.Terraform, emulator) -> terraform.Terraform:
    """Terraform whose plain-HTTP requests to addresses other than loopback go to the emulator as
    a proxy: the S3 File Gateway's activation key, fetched from the appliance's private IP, is
    answered there (see emulator/patches/storage_gateway.py)."""
    return tf.with_env(HTTP_PROXY=emulator.endpoint)


def disposable(deployment):
    """The deployment with its load balancers' deletion protection off, so a test can destroy them."""
    return dataclasses.replace(deployment, load_balancer=dataclasses.replace(deployment.load_balancer, deletion_protection=False))


@dataclasses.dataclass
class Applied:
    outputs: dict[str, dict]  # stack name -> terraform output -json
    state: dict[str, list[str]]  # stack name -> terraform state list


def apply_all(
    tf: terraform.Terraform,
    synth: Synthesis,
    *,
    only: list[str] | None = None,
    workers: int = APPLY_WORKERS,
    plan_files: dict[str, str] | None = None,
) -> Applied:
    """Apply ``synth``'s stacks (``only``: these stack names), each as soon as the stacks it needs
    are applied, ``workers`` at a time (``pipenv run rehearse`` does the same: ``tools.on_emulator.apply_stacks``);
    a stack ``plan_files`` names applies that saved plan from its directory. Each is followed by a
    second plan that must be empty but for EMULATOR_DRIFT. Then each stack's outputs and state are read."""
    from tools.deployment import read_stacks
    from tools.on_emulator import apply_stacks
    from tools.terraform import Bounded

    region = synth.deployment.region
    tf = tf.with_env(AWS_REGION=region, AWS_DEFAULT_REGION=region)
    operator_setup(synth)
    stacks = [stack for stack in read_stacks(synth.outdir) if only is None or stack.name in only]
    assert only is None or [stack.name for stack in stacks] == [name for name in synth.order if name in only], only
    results = apply_stacks(Bounded(tf), stacks, APPLY_TIMEOUT, workers=workers, log=_log, plan_files=plan_files)
    failed = [f"{r.name}: {r.action} {r.error or r.replan}\n{r.detail}" for r in results if not r.ok]
    assert not failed and len(results) == len(stacks), "\n".join(failed)
    return Applied({r.name: r.outputs for r in results}, {r.name: r.addresses for r in results})


def operator_setup(synth: Synthesis) -> None:
    """The Docker Hub secret an operator makes before a first apply, made in the emulator the
    synthesized stacks point at (tools.on_emulator.operator_setup)."""
    from tools.on_emulator import operator_setup as make

    if not synth.deployment.images.docker_hub_secret_arn:
        return
    provider = next(iter(synth.stacks.values()))["provider"]["aws"][0]
    make(provider["endpoints"][0]["secretsmanager"], synth.deployment)


def _log(line: str) -> None:
    """Each stack's line (applied in how long, second plan) into $OMERO_TEST_APPLY_LOG, if set."""
    directory = os.environ.get(APPLY_LOG_ENV)
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        with (Path(directory) / "applies.log").open("a", encoding="utf-8") as log:
            log.write(line + "\n")
