"""The session's keeper: ``python -m tests.harness.keeper SHARED_DIR CONTROLLER_PID [EXAMPLE.hcl ...]``.

Started by the first test worker that needs it (tests/harness/shared.py), in a process group of its
own. It starts the emulator and writes its endpoint to ``emulator.json``; then, for each example
named, synthesizes it for the emulator (load balancers' deletion protection off, the Route 53 zone
made) into ``<dir>/<example>/cdktf.out``, writes ``order.json``, and applies every stack in
dependency order (``ADDON_WORKERS`` at a time, each with a second plan that must be empty), writing
``stacks/<stack>.json`` as each is done and ``done.json`` at the end. A failure is written where the
tests wait for it. It stops the emulator, and whatever else is still running in its process group,
when ``stop`` appears in the directory or the controller is gone.
"""

from __future__ import annotations

import dataclasses
import os
import resource
import signal
import sys
import threading
import time
import traceback
from pathlib import Path

import emulator
from config import load
from tests.harness.apply import ADDON_WORKERS, APPLY_TIMEOUT, _log, disposable, operator_setup, through_emulator
from tests.harness.shared import KEEPER_START, alive, write_json
from tools import terraform


def apply_example(directory: Path, config: Path, server: emulator.Emulator) -> None:
    """``config`` synthesized for ``server`` and applied, each stack's result written as it comes."""
    from tests.harness.synth import synthesize
    from tools.deployment import in_dependency_order, read_stacks
    from tools.on_emulator import StackResult, apply_stack, result_line
    from tools.terraform import Bounded

    deployment = disposable(emulator.with_hosted_zone(server, load(config)))
    synth = synthesize(deployment, directory / "cdktf.out", emulator_endpoint=server.endpoint)
    write_json(directory / "order.json", {"order": synth.order})
    region = deployment.region
    cli = terraform.Terraform(terraform.write_cli_config(directory), server.env(region))
    tf = through_emulator(cli, server).with_env(AWS_REGION=region, AWS_DEFAULT_REGION=region)
    operator_setup(synth)

    def publish(result: StackResult) -> StackResult:
        write_json(directory / "stacks" / f"{result.name}.json", {**dataclasses.asdict(result), "ok": result.ok})
        return result

    def skipped(stack, upstream: list[StackResult]) -> StackResult | None:
        if all(result.ok for result in upstream):
            return None
        return publish(StackResult(stack.name, "skipped", error="a stack it needs was not applied"))

    def applied(stack) -> StackResult:
        try:
            result = apply_stack(Bounded(tf), stack, APPLY_TIMEOUT)
        except Exception:  # recorded for the tests that wait for this stack
            result = StackResult(stack.name, "failed", error="the keeper failed", detail=traceback.format_exc())
        _log(result_line(result))
        return publish(result)

    in_dependency_order(read_stacks(synth.outdir), applied, workers=ADDON_WORKERS, skip=skipped)
    write_json(directory / "done.json", {"order": synth.order})


def apply_examples(root: Path, configs: list[Path], server: emulator.Emulator) -> None:
    for config in configs:
        directory = root / config.stem
        directory.mkdir(parents=True, exist_ok=True)
        try:
            apply_example(directory, config, server)
        except Exception:
            # Whatever a test waits for next (order.json or a stack) is not coming: say why.
            (root / "failed.txt").write_text(f"{config.name}: the keeper's apply failed:\n{traceback.format_exc()}")


def cpu_seconds() -> float:
    """CPU time of this process and of the processes it has waited for (terraform, the emulator)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main(argv: list[str]) -> int:
    root, controller, configs = Path(argv[0]), int(argv[1]), [Path(a) for a in argv[2:]]
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(1))
    try:
        server = emulator.start(root, ready_timeout=KEEPER_START - 20)  # a loaded machine: moto imports slowly
    except Exception as error:
        (root / "failed.txt").write_text(f"the shared emulator did not start: {error}")
        return 1
    try:
        write_json(root / "emulator.json", {"endpoint": server.endpoint})
        import main as _main  # noqa: F401  (the jsii warning switches, before cdktf loads in the thread)

        threading.Thread(target=apply_examples, args=(root, configs, server), daemon=True).start()
        while alive(controller) and not (root / "stop").exists():
            time.sleep(1)
    finally:
        server.stop()
        print(f"keeper: {cpu_seconds():.0f} CPU-seconds (the emulator, terraform and itself)", flush=True)
        # terraform and its providers, if an apply is still running: the whole group but this process
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        os.killpg(os.getpgrp(), signal.SIGTERM)
        os._exit(0)  # not waiting for the apply's threads: what they run has just been ended


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
