"""The region stacks of a synthesized app, for a workflow's matrix: `key=value` lines for $GITHUB_OUTPUT.

Reads `cdktf.out/manifest.json` (never the `bootstrap-*` stack, which CI does not deploy) and each
region stack's `cdk.tf.json` for its state backend, the synthesized form of the configuration's
`state.backend`: `s3` (a `terraform.backend.s3` block) or `cloud` (a `terraform.cloud` block).

    python tools/ci/region_stacks.py [--outdir cdktf.out] [--first-region us-east-1]

prints `stacks=[…]`, `first=<stack>`, `rest=[…]` and `backend=s3|cloud`. Standard library only:
it runs on the runner's Python, before any install. Exit 1 with one line on stderr otherwise.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

BOOTSTRAP_PREFIX = "bootstrap-"
# A whole region code (us-east-1, ap-southeast-2, us-gov-west-1), so `east-1` matches no stack.
REGION_CODE = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]+")


class StackError(Exception):
    """Why the stack list cannot be made, in one line."""


def region_stacks(outdir: Path) -> list[str]:
    manifest_path = outdir / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text())
        names = list(manifest["stacks"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise StackError(f"{manifest_path}: not a cdktf manifest ({error})") from error
    stacks = sorted(name for name in names if not name.startswith(BOOTSTRAP_PREFIX))
    if not stacks:
        raise StackError(f"{manifest_path} lists no region stack")
    return stacks


def backend_of(outdir: Path, stack: str) -> str:
    path = outdir / "stacks" / stack / "cdk.tf.json"
    try:
        terraform = json.loads(path.read_text()).get("terraform", {})
    except (OSError, ValueError) as error:
        raise StackError(f"{path}: cannot read the synthesized stack ({error})") from error
    if "cloud" in terraform:
        return "cloud"
    if "s3" in terraform.get("backend", {}):
        return "s3"
    raise StackError(f"{path}: neither a cloud block nor an s3 backend (state.backend)")


def first_stack(stacks: list[str], first_region: str) -> str:
    if not first_region:
        return stacks[0]
    matches = [name for name in stacks if name.endswith(f"-{first_region}")]
    if not REGION_CODE.fullmatch(first_region):
        matches = []
    if len(matches) != 1:
        raise StackError(
            f"FIRST_REGION={first_region!r} is not a region of this configuration: {stacks}"
        )
    return matches[0]


def outputs(outdir: Path, first_region: str = "") -> dict[str, str]:
    stacks = region_stacks(outdir)
    backends = {backend_of(outdir, name) for name in stacks}
    if len(backends) != 1:
        raise StackError(f"the region stacks disagree on their state backend: {sorted(backends)}")
    first = first_stack(stacks, first_region)
    return {
        "stacks": json.dumps(stacks),
        "first": first,
        "rest": json.dumps([name for name in stacks if name != first]),
        "backend": backends.pop(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outdir", type=Path, default=Path("cdktf.out"))
    parser.add_argument(
        "--first-region", default="", help="region deployed first (default: first stack by name)"
    )
    args = parser.parse_args(argv)
    try:
        found = outputs(args.outdir, args.first_region)
    except StackError as error:
        print(f"region_stacks: {error}", file=sys.stderr)
        return 1
    for key, value in found.items():
        print(f"{key}={value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
