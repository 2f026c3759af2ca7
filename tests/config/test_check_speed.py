"""`python -m config check` on the example stays under 1.5 s of CPU, botocore's models included."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Raised from 1.0 s when round-3 acceptance (provider enum table, instance facts, schedules and
# time zones) joined the check: measured 1.20-1.29 s user CPU on a loaded 2-core machine.
BUDGET_S = 1.5


def test_check_of_the_example_takes_under_one_and_a_half_seconds() -> None:
    timings = []
    for _ in range(3):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        result = subprocess.run(
            [sys.executable, "-m", "config", "check", "config/example.yaml"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        timings.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        assert result.returncode == 0, result.stderr
    # CPU time, the fastest of three: on a shared 2-core machine the wall clock also counts the
    # time other processes hold the cores (about 0.4 s wall when the machine is idle).
    assert min(timings) < BUDGET_S, timings
