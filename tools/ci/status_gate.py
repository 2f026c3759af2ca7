"""The deploy's status gate: after the apply, `python -m operations status --stack STACK --wait-s N`
(AWS's control plane, never /ping from the runner: docs/operations-status.md) must say the region
is as planned, or the job fails and the rollout stops before the next region.

    python tools/ci/status_gate.py     # env: STACK, SERVING_CONFIG, STATUS_WAIT_S,
                                       #      GITHUB_OUTPUT, GITHUB_STEP_SUMMARY

Also writes the stack's `regional_url` output to $GITHUB_OUTPUT as `url` (the environment's link).
"""

from __future__ import annotations

import os
import subprocess
import sys


def append(variable: str, text: str) -> None:
    path = os.environ.get(variable)
    if path:
        with open(path, "a", encoding="utf-8") as file:
            file.write(text)


def main() -> int:
    stack = os.environ["STACK"]
    url = subprocess.run(
        ["terraform", f"-chdir=cdktf.out/stacks/{stack}", "output", "-raw", "regional_url"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    append("GITHUB_OUTPUT", f"url={url}\n")
    status = subprocess.run(
        [
            "pipenv", "run", "python", "-m", "operations", "status",
            "--config", os.environ["SERVING_CONFIG"], "--stack", stack,
            "--wait-s", os.environ.get("STATUS_WAIT_S", "600"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    sys.stdout.write(status.stdout)
    sys.stderr.write(status.stderr)
    append("GITHUB_STEP_SUMMARY", f"```\n{status.stdout}```\n")
    if status.returncode:
        print(
            f"::error::{stack} is not as planned (status exit {status.returncode}); "
            "the rollout stops before the next region"
        )
    return status.returncode


if __name__ == "__main__":
    sys.exit(main())
