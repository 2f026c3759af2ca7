"""The checkov policy gate on `cdktf.out/stacks`: checkov's findings fail it, and so does a run
that checked nothing (a stack checkov 3.3.30 cannot parse reports "0 failed": TOOL-NOTES).

    python tools/ci/checkov_gate.py CHECKOV REPORT [--stacks cdktf.out/stacks] [--copy DIR]

checkov 3.3.30 reports a *parsing error* for a stack with `terraform.required_version` (every
stack has one: stacks/terraform_version.py) or with `moved`/`removed` blocks (a region without
data capture releases its capture bucket), and then checks nothing in it. None of these holds a
resource, so checkov scans a copy without them (default: `checkov-stacks` beside REPORT) and
checks every resource of every served stack. A retired region's stack (docs/operations.md
"Removing a region") is left out whole: it is about to be destroyed, with deletion protection
off on purpose (docs/data-and-teardown.md). Standard library only.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

# Top-level blocks without resources that checkov 3.3.30 cannot parse.
UNPARSED_BLOCKS = ("moved", "removed")
# constructs_lib/dns.py RELEASED_VALIDATION_RECORD_ID: this script runs without the project's
# packages; tests/workflows/test_ci_scripts.py builds its retired stack with the real one.
RELEASED_VALIDATION_RECORD_ID = "certificate_released_shared_validation_record"


def is_retired(document: dict[str, Any]) -> bool:
    """A retired region's stack: it moves the shared validation record out to release it."""
    return any(
        str(move.get("to", "")).endswith(f".{RELEASED_VALIDATION_RECORD_ID}")
        for move in document.get("moved", [])
    )


def scan_copy(document: dict[str, Any]) -> dict[str, Any]:
    """`document` without what checkov cannot parse; every resource, data source, provider and
    output kept as it is."""
    copy = {key: value for key, value in document.items() if key not in UNPARSED_BLOCKS}
    terraform = dict(copy.get("terraform", {}))
    terraform.pop("required_version", None)
    copy["terraform"] = terraform
    return copy


def write_scan_copy(stacks: Path, target: Path) -> list[str]:
    """Writes the copy of every served stack under `target`; returns the retired ones left out."""
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    retired = []
    for stack in sorted(stacks.glob("*/cdk.tf.json")):
        document = json.loads(stack.read_text())
        if is_retired(document):
            retired.append(stack.parent.name)
            continue
        out = target / stack.parent.name / stack.name
        out.parent.mkdir(parents=True)
        out.write_text(json.dumps(scan_copy(document), indent=2))
    return retired


def checkov_command(checkov: str, copy: Path, report: Path) -> list[str]:
    return [
        checkov, "-d", str(copy), "--config-file", ".checkov.yaml", "--compact", "--quiet",
        "-o", "cli", "-o", "json", "--output-file-path", f"console,{report}",
    ]  # fmt: skip


def nothing_checked(report: Path) -> str | None:
    """Why the report shows that checkov checked nothing, or None."""
    try:
        document = json.loads(report.read_text())
        summaries = [r["summary"] for r in (document if isinstance(document, list) else [document])]
    except (OSError, ValueError, KeyError, TypeError) as error:
        return f"no checkov report at {report} ({error})"
    if not summaries:
        return "the checkov report holds no summary"
    for summary in summaries:
        if summary.get("parsing_errors") or not summary.get("passed"):
            return f"checkov checked nothing or could not parse a stack: {summary}"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkov", help="the checkov executable")
    parser.add_argument("report", type=Path, help="where checkov writes its JSON report")
    parser.add_argument("--stacks", type=Path, default=Path("cdktf.out/stacks"))
    parser.add_argument("--copy", type=Path, help="default: checkov-stacks beside REPORT")
    args = parser.parse_args(argv)
    copy = args.copy or args.report.parent / "checkov-stacks"
    for name in write_scan_copy(args.stacks, copy):
        print(f"checkov_gate: {name}: retired region, about to be destroyed: not scanned")
    code = subprocess.call(checkov_command(args.checkov, copy, args.report))
    if code:
        return code
    reason = nothing_checked(args.report)
    if reason:
        print(f"checkov_gate: {reason}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
