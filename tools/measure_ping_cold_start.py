#!/usr/bin/env python
"""Measure the cold import of the ping function's entry point (`handler`, the proxy's code).

Each run is a fresh interpreter (this one's: boto3 comes with it, compiled, as the Lambda
runtime's does) with the function's folder and the package's pinned dependencies on its path (from
the zip: no bytecode, as on Lambda's read-only /var/task). It imports `handler` with a JWT
configuration (the ping function's environment carries the proxy's) and reports the import time
(the clients built in the init phase included), whether PyJWT or cryptography were imported, and
what importing PyJWT costs afterwards: what the first `/invocations` pays when the cold start did
not. Median of N runs on this machine: ratios to compare changes, not Lambda's absolute times.

    pipenv run python tools/measure_ping_cold_start.py [--runs 15] [--function-dir DIR ...]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import NamedTuple

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
sys.path[:0] = [sys.argv[1], sys.argv[2]]
started = time.perf_counter()
import handler
imported_s = time.perf_counter() - started
imported = sorted({"jwt", "cryptography"} & set(sys.modules))
started = time.perf_counter()
import jwt
print(json.dumps({
    "import_s": imported_s,
    "imported": imported,
    "jwt_after_s": time.perf_counter() - started,
}))
"""


def dependencies_dir(out: Path) -> Path:
    """The package's pinned dependencies (PyJWT, cryptography), unzipped into `out`."""
    # Imported here: constructs_lib starts jsii's Node runtime (about 6 s), which --help does
    # not need.
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    from constructs_lib import proxy_package
    from constructs_lib.inference_proxy import ARCHITECTURE, PYTHON_VERSION

    archive = proxy_package.dependencies_zip(
        FUNCTION_DIR / proxy_package.REQUIREMENTS_NAME, PYTHON_VERSION, ARCHITECTURE
    )
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(out)
    return out


class Run(NamedTuple):
    import_s: float
    imported: tuple[str, ...]
    jwt_after_s: float


def cold_import(function_dir: Path, dependencies: Path) -> Run:
    """One fresh interpreter importing the entry point; no bytecode written (-B)."""
    result = subprocess.run(
        [sys.executable, "-B", "-c", PROBE, str(function_dir), str(dependencies)],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **JWT_ENVIRONMENT},
    )
    report = json.loads(result.stdout)
    return Run(float(report["import_s"]), tuple(report["imported"]), float(report["jwt_after_s"]))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument(
        "--function-dir",
        type=Path,
        action="append",
        help="the function's folder (default: functions/inference_proxy); give it more than once "
        "to compare copies, measured in turns so that the machine's load weighs on each alike",
    )
    args = parser.parse_args()
    folders: list[Path] = args.function_dir or [FUNCTION_DIR]
    runs: dict[Path, list[Run]] = {folder: [] for folder in folders}
    with tempfile.TemporaryDirectory() as work:
        dependencies = dependencies_dir(Path(work))
        for _ in range(args.runs):
            for folder in folders:
                runs[folder].append(cold_import(folder, dependencies))
    medians = {}
    for folder, measured in runs.items():
        times = sorted(run.import_s * 1000 for run in measured)
        medians[folder] = statistics.median(times)
        print(
            f"{folder}: import of the entry point (AUTH_MODE=jwt): median {medians[folder]:.0f} ms "
            f"(min {times[0]:.0f}, max {times[-1]:.0f}; {args.runs} runs, Python "
            f"{sys.version_info.major}.{sys.version_info.minor}); imported at it: "
            f"{sorted({run.imported for run in measured})}; PyJWT's import afterwards: median "
            f"{statistics.median(run.jwt_after_s * 1000 for run in measured):.0f} ms"
        )
    if len(folders) > 1:
        first = medians[folders[0]]
        for folder in folders[1:]:
            print(f"import of {folder} / {folders[0]}: {medians[folder] / first:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
