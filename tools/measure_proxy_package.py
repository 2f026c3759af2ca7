#!/usr/bin/env python
"""Measure the proxy's package: zip size, and the cold import of its JWT dependencies.

Cold import = a fresh Python of the function's version, isolated (-I), writing no bytecode (-B,
as on Lambda's read-only /var/task), importing jwt + cryptography + proxy_auth from the unzipped
package; then the first verification of an RS256 token. Median of N runs on this machine: a
ratio to compare changes, not Lambda's absolute cold start.

    python tools/measure_proxy_package.py [--runs 7] [--python /path/to/python3.12]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from constructs_lib import proxy_package  # noqa: E402
from constructs_lib.inference_proxy import (  # noqa: E402
    ARCHITECTURE,
    PYTHON_VERSION,
    SOURCE_DIR,
    SOURCE_FILES,
)

PROBE = ROOT / "tests" / "support" / "proxy_package_probe.py"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--python", default=f"python{PYTHON_VERSION}")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        archive, _ = proxy_package.function_zip(
            SOURCE_DIR, SOURCE_FILES, PYTHON_VERSION, ARCHITECTURE, Path(work)
        )
        with zipfile.ZipFile(archive) as opened:
            unzipped = sum(info.file_size for info in opened.infolist())
            opened.extractall(Path(work) / "task")
        runs = []
        for _ in range(args.runs):
            result = subprocess.run(
                [args.python, "-I", "-B", str(PROBE), str(Path(work) / "task")],
                capture_output=True,
                text=True,
                check=True,
            )
            runs.append(json.loads(result.stdout))
        print(f"function zip: {archive.stat().st_size:,} bytes ({unzipped:,} unzipped)")
    imports = [r["import_s"] * 1000 for r in runs]
    verifies = [r["first_verify_s"] * 1000 for r in runs]
    print(
        f"cold import of jwt + cryptography + proxy_auth: median {statistics.median(imports):.0f} ms "
        f"(min {min(imports):.0f}, max {max(imports):.0f}; {args.runs} runs, Python "
        f"{'.'.join(map(str, runs[0]['python']))}, no bytecode)"
    )
    print(f"first RS256 verification: median {statistics.median(verifies):.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
