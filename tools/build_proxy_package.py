#!/usr/bin/env python
"""Build the proxy's pinned dependencies for Lambda into the cache the synth reads.

Run once per machine (or in CI before the tests) where PyPI is reachable; a synth that finds no
cached build makes it itself. Prints the cached zip, its size, and the function zip's size.
"""

import argparse
import os
import sys
import tempfile
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


def main() -> int:
    argparse.ArgumentParser(description=(__doc__ or "").strip().splitlines()[0]).parse_args()
    requirements = SOURCE_DIR / proxy_package.REQUIREMENTS_NAME
    dependencies = proxy_package.dependencies_zip(requirements, PYTHON_VERSION, ARCHITECTURE)
    with tempfile.TemporaryDirectory() as out:
        archive, _ = proxy_package.function_zip(
            SOURCE_DIR, SOURCE_FILES, PYTHON_VERSION, ARCHITECTURE, Path(out)
        )
        size = archive.stat().st_size
    print(f"dependencies: {dependencies} ({dependencies.stat().st_size:,} bytes)")
    print(f"function zip: {size:,} bytes (Python {PYTHON_VERSION}, {ARCHITECTURE})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
