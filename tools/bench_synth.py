#!/usr/bin/env python
"""Measure the full synth of the example in fresh processes: lazy provider imports vs eager.

Each round runs `python main.py` (our way: only the provider submodules in use are imported)
and the same synth after `import cdktf_cdktf_provider_aws` (the eager way: all ~2,200
submodules), alternating so both see the same machine load. Prints both medians and the ratio.

    pipenv run python tools/bench_synth.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAZY = [sys.executable, "main.py"]
EAGER = [
    sys.executable,
    "-c",
    "import cdktf_cdktf_provider_aws, runpy; runpy.run_path('main.py', run_name='__main__')",
]


def timed(command: list[str], outdir: str) -> float:
    env = {
        **os.environ,
        "CDKTF_OUTDIR": outdir,
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
    }
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="timed runs of each (default 5)")
    args = parser.parse_args()
    lazy: list[float] = []
    eager: list[float] = []
    with tempfile.TemporaryDirectory() as outdir:
        timed(LAZY, outdir)  # warm-up: byte-compile and fill the OS file cache for both
        timed(EAGER, outdir)
        for round_ in range(1, args.rounds + 1):
            lazy.append(timed(LAZY, outdir))
            eager.append(timed(EAGER, outdir))
            print(f"round {round_}: lazy {lazy[-1]:.2f} s, eager {eager[-1]:.2f} s", flush=True)
    lazy_median = statistics.median(lazy)
    eager_median = statistics.median(eager)
    print(f"median synth, only used submodules: {lazy_median:.2f} s")
    print(f"median synth, eager provider import: {eager_median:.2f} s")
    print(f"ratio eager / lazy: {eager_median / lazy_median:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
