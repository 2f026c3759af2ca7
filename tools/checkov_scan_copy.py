"""Copy the synthesized stacks into a folder checkov 3.3.30 can parse, for the policy gate.

checkov's terraform_json parser reports a *parsing error* for a stack with
`terraform.required_version` (every stack has one: stacks/terraform_version.py) or with
`moved`/`removed` blocks (a retired region, or any region without data capture), and then runs
no check on it at all. None of these blocks holds a resource, so the copy leaves them out and
checkov checks every resource of every served stack. A retired region's stack is left out whole:
it is about to be destroyed, with deletion protection off on purpose (docs/data-and-teardown.md).
The gate still asserts that checks ran and that nothing failed to parse
(tests/test_policy_gate.py, both workflows).

    python tools/checkov_scan_copy.py cdktf.out/stacks "$RUNNER_TEMP/checkov-stacks"
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from constructs_lib.dns import RELEASED_VALIDATION_RECORD_ID  # noqa: E402

# Top-level blocks without resources that checkov 3.3.30 cannot parse.
UNPARSED_BLOCKS = ("moved", "removed")


def scan_copy(document: dict[str, Any]) -> dict[str, Any]:
    """`document` without what checkov cannot parse; every resource, data source, provider and
    output kept as it is."""
    copy = {key: value for key, value in document.items() if key not in UNPARSED_BLOCKS}
    terraform = dict(copy.get("terraform", {}))
    terraform.pop("required_version", None)
    copy["terraform"] = terraform
    return copy


def is_retired(document: dict[str, Any]) -> bool:
    """A retired region's stack: it moves the shared validation record out to release it."""
    return any(
        str(move.get("to", "")).endswith(f".{RELEASED_VALIDATION_RECORD_ID}")
        for move in document.get("moved", [])
    )


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    source, target = Path(argv[0]), Path(argv[1])
    stacks = sorted(source.glob("*/cdk.tf.json"))
    if not stacks:
        print(f"checkov_scan_copy: no */cdk.tf.json under {source}", file=sys.stderr)
        return 2
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for stack in stacks:
        document = json.loads(stack.read_text())
        if is_retired(document):
            print(f"{stack.parent.name}: retired region, about to be destroyed: not scanned")
            continue
        out = target / stack.parent.name / stack.name
        out.parent.mkdir(parents=True)
        out.write_text(json.dumps(scan_copy(document), indent=2))
        print(f"{stack.parent.name}: copied for checkov to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
