"""The deploy's plan-safety verdict on a saved plan's JSON: the verdict goes to the job summary,
a refused plan fails the step (nothing is applied) unless ALLOW_PROTECTED_CHANGES=true, the
input of a deploy started by hand.

    python tools/ci/deploy_verdict.py PLAN_JSON      # env: STACK, GITHUB_STEP_SUMMARY

Exit: plan_safety's (0 apply, 1 refused, 2 unjudgeable).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0].startswith("-"):
        print("usage: deploy_verdict.py PLAN_JSON", file=sys.stderr)
        return 2
    allow = ["--allow-all-protected"] if os.environ.get("ALLOW_PROTECTED_CHANGES") == "true" else []
    result = subprocess.run(
        [sys.executable, "-m", "plan_safety", "--markdown", *allow, args[0]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as file:
            file.write(result.stdout)
    if result.returncode:
        stack = os.environ.get("STACK", "?")
        print(
            f"::error::{stack}: the plan-safety verdict refuses this plan "
            f"(exit {result.returncode}); nothing was applied"
        )
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
