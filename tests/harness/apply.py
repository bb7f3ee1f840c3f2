"""Applying synthesized deployments to the emulator: what every emulator test shares.

``apply_all`` applies stacks in order and insists on a second plan without changes, except for
the attributes the emulator cannot store (``EMULATOR_DRIFT``).
"""
from __future__ import annotations

import dataclasses
import json
import os
import time
from pathlib import Path

from emulator.drift import unexpected_changes
from tools import terraform
from tests.harness.synth import Synthesis

APPLY_TIMEOUT = 600  # seconds per terraform command; the provider's own waiters are slow on moto
# A directory to keep every apply's output in, with its duration, when looking for what is slow.
APPLY_LOG_ENV = "OMERO_TEST_APPLY_LOG"


def aws(emulator, service: str, region: str):
    return emulator.client(service, region)


def disposable(deployment):
    """The deployment with its load balancers' deletion protection off, so a test can destroy them."""
    return dataclasses.replace(deployment, load_balancer=dataclasses.replace(deployment.load_balancer, deletion_protection=False))


@dataclasses.dataclass
class Applied:
    outputs: dict[str, dict]  # stack name -> terraform output -json
    state: dict[str, list[str]]  # stack name -> terraform state list


def apply_all(tf: terraform.Terraform, synth: Synthesis, *, only: list[str] | None = None) -> Applied:
    """Apply ``synth``'s stacks in order (``only``: these stack names), each followed by a second
    plan that must be empty but for EMULATOR_DRIFT; then read each stack's outputs and state."""
    region = synth.deployment.region
    tf = tf.with_env(AWS_REGION=region, AWS_DEFAULT_REGION=region)
    operator_setup(synth)
    applied = Applied({}, {})
    for name in synth.order if only is None else only:
        directory = synth.outdir / "stacks" / name
        for args in (("init", "-input=false", "-no-color"), ("apply", "-auto-approve", "-input=false", "-no-color")):
            started = time.monotonic()
            result = tf(directory, *args, timeout=APPLY_TIMEOUT)
            _log(name, args[0], time.monotonic() - started, result.stdout)
            assert result.returncode == 0, f"{name}: {result}"
        replan = tf(directory, "plan", "-detailed-exitcode", "-input=false", "-no-color", "-out=replan.tfplan", timeout=APPLY_TIMEOUT)
        assert replan.returncode in (0, 2), f"{name}: {replan}"
        if replan.returncode == 2:
            shown = tf(directory, "show", "-json", "replan.tfplan")
            assert shown.returncode == 0, str(shown)
            unexpected = unexpected_changes(json.loads(shown.stdout))
            assert not unexpected, f"{name}: the second plan is not empty: {unexpected}\n{replan}"
        outputs = tf(directory, "output", "-json")
        assert outputs.returncode == 0, str(outputs)
        applied.outputs[name] = {key: value["value"] for key, value in json.loads(outputs.stdout).items()}
        state = tf(directory, "state", "list")
        assert state.returncode == 0, str(state)
        applied.state[name] = state.stdout.split()
    return applied


def operator_setup(synth: Synthesis) -> None:
    """The Docker Hub secret an operator makes before a first apply, made in the emulator the
    synthesized stacks point at (tools.rehearse.operator_setup)."""
    from tools.rehearse import operator_setup as make

    if not synth.deployment.images.docker_hub_secret_arn:
        return
    provider = next(iter(synth.stacks.values()))["provider"]["aws"][0]
    make(provider["endpoints"][0]["secretsmanager"], synth.deployment)


def _log(stack: str, command: str, seconds: float, output: str) -> None:
    directory = os.environ.get(APPLY_LOG_ENV)
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        with (Path(directory) / f"{stack}.log").open("a", encoding="utf-8") as log:
            log.write(f"== terraform {command}: {seconds:.1f} s\n{output}\n")
