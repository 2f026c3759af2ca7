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


@pytest.fixture(scope="module")
def report(synthesized_example: Path) -> list[dict[str, object]]:
    result = subprocess.run(
        [
            checkov_binary(),
            "-d",
            str(synthesized_example / "stacks"),
            "--config-file",
            str(CONFIG),
            "-o",
            "json",
            "--compact",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    document = json.loads(result.stdout)
    return document if isinstance(document, list) else [document]


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


def _script_skip_arguments(script: Path, project: Path) -> list[str]:
    """The `--skip-path` arguments the gate script hands checkov (a stand-in that records them)."""
    fake = project / "fake-checkov"
    fake.write_text('#!/bin/sh\necho "$@" > "$0.args"\nexit 3\n')
    fake.chmod(0o755)
    subprocess.run(
        [sys.executable, str(script), str(fake), str(project / "report.json")],
        cwd=project, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    args = (project / "fake-checkov.args").read_text().split()
    return args[args.index("--skip-path") :] if "--skip-path" in args else []


@pytest.mark.slow
def test_gate_skips_only_retired_stacks_which_checkov_cannot_parse(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # A retired region's stack has `moved`/`removed` blocks: checkov 3.3.30 cannot parse them,
    # and the gate would fail the pull request that retires a region.
    from tests.support.app import synth_app
    from tests.support.configs import config_with

    project = tmp_path_factory.mktemp("retired-project")
    synth_app(
        config_with(regions=["us-east-1"], retired_regions=["eu-west-1"]), project / "cdktf.out"
    )
    # Both workflows run tools/ci/checkov_gate.py.
    skip = _script_skip_arguments(ROOT / "tools" / "ci" / "checkov_gate.py", project)
    assert skip == ["--skip-path", "serving-prod-eu-west-1"]
    result = subprocess.run(
        [checkov_binary(), "-d", str(project / "cdktf.out" / "stacks"), "--config-file",
         str(CONFIG), "-o", "json", "--compact", *skip],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    document = json.loads(result.stdout)
    summaries = [r["summary"] for r in (document if isinstance(document, list) else [document])]
    assert all(s["parsing_errors"] == 0 and s["failed"] == 0 for s in summaries), summaries
    assert sum(s["passed"] for s in summaries) > 100, summaries
