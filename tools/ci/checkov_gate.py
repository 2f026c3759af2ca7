"""The checkov policy gate on `cdktf.out/stacks`: checkov's findings fail it, and so does a run
that checked nothing (a stack checkov 3.3.30 cannot parse reports "0 failed": TOOL-NOTES).

    python tools/ci/checkov_gate.py CHECKOV REPORT [--stacks cdktf.out/stacks]

A retired region's stack (docs/operations.md "Removing a region") carries `removed` blocks that
checkov cannot parse; it is about to be destroyed, so it is skipped. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path


def retired_stacks(stacks: Path) -> list[str]:
    return [
        stack.parent.name
        for stack in sorted(stacks.glob("*/cdk.tf.json"))
        if "removed" in json.loads(stack.read_text())
    ]


def checkov_command(checkov: str, stacks: Path, report: Path) -> list[str]:
    skips = [arg for name in retired_stacks(stacks) for arg in ("--skip-path", name)]
    return [
        checkov, "-d", str(stacks), "--config-file", ".checkov.yaml", "--compact", "--quiet",
        "-o", "cli", "-o", "json", "--output-file-path", f"console,{report}", *skips,
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
    args = parser.parse_args(argv)
    code = subprocess.call(checkov_command(args.checkov, args.stacks, args.report))
    if code:
        return code
    reason = nothing_checked(args.report)
    if reason:
        print(f"checkov_gate: {reason}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
