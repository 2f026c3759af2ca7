#!/usr/bin/env python
"""Measure the cold import of the ping function's entry point (`handler`, the proxy's code).

Each run is a fresh interpreter (this one's: boto3 is the Lambda runtime's, not the package's)
that imports `handler` from functions/inference_proxy with a JWT configuration, as the ping
function's environment carries the proxy's, and reports the import time (the clients it builds
in the init phase included) and whether PyJWT or cryptography were imported. Median of N runs on
this machine: a ratio to compare changes, not Lambda's absolute cold start.

    pipenv run python tools/measure_ping_cold_start.py [--runs 15]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FUNCTION_DIR = ROOT / "functions" / "inference_proxy"
JWT_ENVIRONMENT = {
    "ENDPOINT_NAME": "ping-measure",
    "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "measure",
    "AWS_SECRET_ACCESS_KEY": "measure",
    "AWS_CONFIG_FILE": "/nonexistent/aws-config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AUTH_MODE": "jwt",
    "JWT_ISSUER": "https://issuer.example.com",
    "JWT_AUDIENCES": '["api://inference"]',
    "JWT_ALGORITHMS": '["RS256"]',
}
PROBE = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
started = time.perf_counter()
import handler
elapsed = time.perf_counter() - started
print(json.dumps({
    "import_s": elapsed,
    "imported": sorted({"jwt", "cryptography"} & set(sys.modules)),
}))
"""


def cold_import(function_dir: Path) -> dict[str, object]:
    """One fresh interpreter importing the entry point; no bytecode written (-B, as on Lambda's
    read-only /var/task)."""
    result = subprocess.run(
        [sys.executable, "-B", "-c", PROBE, str(function_dir)],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **JWT_ENVIRONMENT},
    )
    report: dict[str, object] = json.loads(result.stdout)
    return report


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument(
        "--function-dir",
        type=Path,
        default=FUNCTION_DIR,
        help="the function's folder (default: functions/inference_proxy); another copy to compare",
    )
    args = parser.parse_args()
    runs = [cold_import(args.function_dir) for _ in range(args.runs)]
    times = sorted(float(str(r["import_s"])) * 1000 for r in runs)
    imported = {tuple(r["imported"]) for r in runs}  # type: ignore[arg-type]
    print(
        f"cold import of the ping entry point (handler, AUTH_MODE=jwt): median "
        f"{statistics.median(times):.0f} ms (min {times[0]:.0f}, max {times[-1]:.0f}; "
        f"{args.runs} runs, Python {sys.version_info.major}.{sys.version_info.minor})"
    )
    print(f"PyJWT / cryptography imported at cold start: {sorted(imported)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
