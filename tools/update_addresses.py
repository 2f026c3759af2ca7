#!/usr/bin/env python
"""Rewrite tests/stacks/addresses/<stack>.txt from a fresh synth of the example.

Run it only after deciding that the address changes are intended: a changed address is a resource
Terraform will destroy and create again (or move, with a `moved` block). Review the diff.
"""

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import constructs_lib  # noqa: E402, F401
from config.loader import DEFAULT_CONFIG, load_config  # noqa: E402
from stacks.addresses import stack_addresses  # noqa: E402
from stacks.app import synth_app  # noqa: E402

TARGET = ROOT / "tests" / "stacks" / "addresses"


def main() -> int:
    with tempfile.TemporaryDirectory() as outdir:
        for stack in synth_app(load_config(DEFAULT_CONFIG), Path(outdir)):
            addresses = stack_addresses(Path(outdir) / "stacks" / stack / "cdk.tf.json")
            (TARGET / f"{stack}.txt").write_text("\n".join(addresses) + "\n")
            print(f"{stack}: {len(addresses)} addresses")
    return 0


if __name__ == "__main__":
    import argparse

    # --help says what the tool rewrites, and rewrites nothing.
    argparse.ArgumentParser(description=__doc__).parse_args()
    sys.exit(main())
