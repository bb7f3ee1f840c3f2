"""Time synthesis: the bare floor, each example alone, and every example in one process.

    pipenv run python tools/bench.py [--repeat 3]

The floor is what any synth pays before our code runs: Python, cdktf, the jsii runtime and the
AWS provider assembly, one empty stack with a provider. Each example is timed as `python main.py`
would run it. "all in one process" synthesizes every example in a single interpreter, paying the
floor once; its ratio to the floor shows what our constructs add. Standard library only; the
best of --repeat runs is reported (the machine's noise only ever adds time).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tools.common import Parser

ROOT = Path(__file__).resolve().parents[1]

FLOOR = """
import sys
import main  # sets the jsii warning switches, loads nothing heavy
import modules  # registers the provider bindings for per-submodule loading
from cdktf import App, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider
app = App(outdir=sys.argv[1])
stack = TerraformStack(app, "floor")
AwsProvider(stack, "aws", region="us-east-1")
app.synth()
"""

ALL_IN_ONE = """
import sys
from pathlib import Path
import main
from config import load
root = Path(sys.argv[1])
for path in sys.argv[2:]:
    out = root / Path(path).stem / "cdktf.out"
    main.synthesize(load(path), outdir=out, local_state_dir=out.parent)
"""


def timed(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=600)
    return time.perf_counter() - start


def best(repeat: int, args: list[str], env: dict[str, str]) -> float:
    return min(timed(args, env) for _ in range(repeat))


def main() -> int:
    parser = Parser(prog="pipenv run bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (best is kept)")
    options = parser.parse_args()
    examples = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "examples").glob("*.hcl"))
    python = sys.executable
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    rows: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        floor = best(options.repeat, [python, "-c", FLOOR, f"{tmp}/floor"], env)
        rows.append(("floor (import + empty stack)", floor))
        rows.append(("default deployment", best(options.repeat, [python, "main.py"], {**env, "CDKTF_OUTDIR": f"{tmp}/default"})))
        for example in examples:
            out = f"{tmp}/{Path(example).stem}"
            rows.append(
                (example, best(options.repeat, [python, "main.py"], {**env, "OMERO_CONFIG": example, "CDKTF_OUTDIR": out}))
            )
        together = best(options.repeat, [python, "-c", ALL_IN_ONE, f"{tmp}/all", *examples], env)
        rows.append((f"all {len(examples)} examples in one process", together))
    width = max(len(name) for name, _ in rows)
    for name, seconds in rows:
        print(f"{name:<{width}}  {seconds:6.2f} s  {seconds / floor:5.2f} x floor")
    return 0


if __name__ == "__main__":
    sys.exit(main())
