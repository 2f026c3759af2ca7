"""Policy gate: checkov finds no failed check in any synthesized stack, except the reasoned skips.

checkov runs from its own environment (its pins clash with ours): `$CHECKOV_BIN`, else
`.venv-checkov/bin/checkov`, else PATH (.ci/run builds it outside the tree and sets `$CHECKOV_BIN`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import cast

import pytest

from emulator.terraform import skip_or_fail

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / ".checkov.yaml"


def checkov_binary() -> str:
    candidates = [
        os.environ.get("CHECKOV_BIN"),
        str(ROOT / ".venv-checkov" / "bin" / "checkov"),
        shutil.which("checkov"),
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    skip_or_fail(
        "checkov is not installed (python3 -m venv .venv-checkov && .venv-checkov/bin/pip install -r tools/requirements-checkov.txt)"
    )
    raise AssertionError("unreachable")


# The real checkov, run by the gate with every argument it passes but `--quiet` (which leaves the
# passed checks out of the JSON report these tests read).
LOUD_CHECKOV = """#!/bin/sh
for arg; do shift; [ "$arg" = --quiet ] || set -- "$@" "$arg"; done
exec "$REAL_CHECKOV" "$@"
"""


def scan(stacks: Path, workdir: Path) -> list[dict[str, object]]:
    """What both workflows run: tools/ci/checkov_gate.py (checkov on a copy of `stacks` it can
    parse, in `workdir`/checkov-stacks), with the real checkov; its JSON report."""
    report, checkov = workdir / "checkov.json", workdir / "checkov"
    checkov.write_text(LOUD_CHECKOV)
    checkov.chmod(0o755)
    subprocess.run(
        [sys.executable, str(ROOT / "tools" / "ci" / "checkov_gate.py"), str(checkov),
         str(report), "--stacks", str(stacks)],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
        env={**os.environ, "REAL_CHECKOV": checkov_binary()},
    )  # fmt: skip
    document = json.loads(report.read_text())
    return document if isinstance(document, list) else [document]


@pytest.fixture(scope="module")
def report(
    synthesized_example: Path, tmp_path_factory: pytest.TempPathFactory
) -> list[dict[str, object]]:
    return scan(synthesized_example / "stacks", tmp_path_factory.mktemp("checkov"))


@pytest.mark.slow
def test_checks_really_ran(report: list[dict[str, object]]) -> None:
    # A parsing error makes checkov report "0 failed" while checking nothing.
    summary = report[0]["summary"]
    assert isinstance(summary, dict)
    assert summary["parsing_errors"] == 0
    assert summary["passed"] > 200
    results = report[0]["results"]
    assert isinstance(results, dict)
    scanned = {c["file_path"] for c in results["passed_checks"]}
    assert len(scanned) == 3, scanned  # the bootstrap stack and both region stacks


@pytest.mark.slow
def test_no_failed_checks(report: list[dict[str, object]]) -> None:
    results = report[0]["results"]
    assert isinstance(results, dict)
    failed = [
        f"{c['check_id']} {c['resource']} ({c['file_path']})"
        for c in results.get("failed_checks", [])
    ]
    assert failed == [], (
        "fix the code, or add a skip with its reason to .checkov.yaml:\n" + "\n".join(failed)
    )


def test_every_skip_has_a_reason() -> None:
    lines = CONFIG.read_text().splitlines()
    skips = [i for i, line in enumerate(lines) if re.match(r"^\s+- CKV", line)]
    assert skips, "no skips found: the parser of this test is wrong"
    for index in skips:
        assert lines[index - 1].strip().startswith("# "), (
            f"skip without a reason: {lines[index].strip()}"
        )


@pytest.mark.slow
def test_gate_checks_served_stacks_with_removed_blocks_and_leaves_out_retired_ones(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # A region without data capture carries `removed` blocks (its capture bucket, if any, is
    # released) and every stack a required_version: checkov still checks them; a retired
    # region's stack (deletion protection off on purpose, about to be destroyed) is left out.
    from tests.support.app import synth_app
    from tests.support.configs import config_with

    project = tmp_path_factory.mktemp("retired-project")
    synth_app(
        config_with(regions=["us-east-1"], retired_regions=["eu-west-1"]), project / "cdktf.out"
    )
    report = scan(project / "cdktf.out" / "stacks", project)
    summaries = [cast(dict[str, int], r["summary"]) for r in report]
    assert sorted(p.name for p in (project / "checkov-stacks").iterdir()) == [
        "bootstrap-serving-prod",
        "serving-prod-us-east-1",
    ]
    assert all(s["parsing_errors"] == 0 and s["failed"] == 0 for s in summaries), summaries
    assert sum(s["passed"] for s in summaries) > 100, summaries
