"""The scripts the deploy workflows run (tools/ci/), run as the workflows run them (a subprocess,
standard library only) against fakes: a synthesized cdktf.out and a fake checkov."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from constructs_lib.dns import RELEASED_VALIDATION_RECORD_ID as RELEASED
from tests.workflows.workflow_files import ROOT

CI = ROOT / "tools" / "ci"
S3 = {"terraform": {"backend": {"s3": {"bucket": "example-serving-tfstate"}}}}
CLOUD = {"terraform": {"cloud": {"organization": "ml-platform"}}}
REGION_STACKS = ["serving-prod-eu-west-1", "serving-prod-us-east-1"]


def synthesized(tmp_path: Path, stacks: dict[str, dict[str, Any]]) -> Path:
    """A cdktf.out holding these stacks (name: cdk.tf.json) and a manifest naming them."""
    outdir = tmp_path / "cdktf.out"
    (outdir / "stacks").mkdir(parents=True)
    manifest = {"stacks": {name: {"workingDirectory": f"stacks/{name}"} for name in stacks}}
    (outdir / "manifest.json").write_text(json.dumps(manifest))
    for name, document in stacks.items():
        (outdir / "stacks" / name).mkdir()
        (outdir / "stacks" / name / "cdk.tf.json").write_text(json.dumps(document))
    return outdir


def run(script: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(CI / script), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def outputs(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    return dict(line.split("=", 1) for line in result.stdout.splitlines())


# --- region_stacks.py -----------------------------------------------------------------------------


def test_region_stacks_are_every_stack_but_bootstrap_first_by_name(tmp_path: Path) -> None:
    synthesized(tmp_path, {"bootstrap-serving-prod": {}, **dict.fromkeys(REGION_STACKS, S3)})
    result = run("region_stacks.py", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert outputs(result) == {
        "stacks": json.dumps(REGION_STACKS),
        "first": "serving-prod-eu-west-1",
        "rest": json.dumps(["serving-prod-us-east-1"]),
        "backend": "s3",
    }


def test_region_stacks_start_with_the_first_region_named(tmp_path: Path) -> None:
    synthesized(tmp_path, dict.fromkeys(REGION_STACKS, S3))
    result = run("region_stacks.py", "--first-region", "us-east-1", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert outputs(result)["first"] == "serving-prod-us-east-1"
    assert json.loads(outputs(result)["rest"]) == ["serving-prod-eu-west-1"]


@pytest.mark.parametrize("region", ["ap-south-9", "east-1", "serving-prod-us-east-1"])
def test_a_first_region_outside_the_configuration_is_refused(tmp_path: Path, region: str) -> None:
    synthesized(tmp_path, dict.fromkeys(REGION_STACKS, S3))
    result = run("region_stacks.py", "--first-region", region, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""  # nothing half-written to $GITHUB_OUTPUT
    assert f"FIRST_REGION={region!r} is not a region of this configuration" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_terraform_cloud_stacks_say_cloud(tmp_path: Path) -> None:
    synthesized(tmp_path, dict.fromkeys(REGION_STACKS, CLOUD))
    result = run("region_stacks.py", cwd=tmp_path)
    assert outputs(result)["backend"] == "cloud"


@pytest.mark.parametrize(
    ("stacks", "message"),
    [
        ({"bootstrap-serving-prod": {}}, "lists no region stack"),
        ({REGION_STACKS[0]: S3, REGION_STACKS[1]: CLOUD}, "disagree on their state backend"),
        ({REGION_STACKS[0]: {"terraform": {}}}, "neither a cloud block nor an s3 backend"),
    ],
    ids=["no-region", "mixed-backends", "no-backend"],
)
def test_stacks_that_cannot_be_deployed_are_refused_in_one_line(
    tmp_path: Path, stacks: dict[str, dict[str, Any]], message: str
) -> None:
    synthesized(tmp_path, stacks)
    result = run("region_stacks.py", cwd=tmp_path)
    assert result.returncode == 1
    assert message in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_a_missing_manifest_is_one_line(tmp_path: Path) -> None:
    result = run("region_stacks.py", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("region_stacks: cdktf.out/manifest.json: not a cdktf manifest")
    assert len(result.stderr.splitlines()) == 1


# --- checkov_gate.py ------------------------------------------------------------------------------

FAKE_CHECKOV = """#!/bin/sh
echo "$@" > "$(dirname "$0")/args"
report="$(echo "$@" | sed -n 's/.*console,\\([^ ]*\\).*/\\1/p')"
printf '%s' "$FAKE_REPORT" > "$report"
exit "${FAKE_EXIT:-0}"
"""


# A region without data capture: its capture bucket released, and the Terraform version declared.
SERVED = {
    "terraform": {**S3["terraform"], "required_version": ">= 1.10.0, < 2.0.0"},
    "resource": {"aws_s3_bucket": {"logs": {"bucket": "logs"}}},
    "removed": [{"from": "aws_s3_bucket.capture", "lifecycle": {"destroy": False}}],
}
# A retired region moves the shared validation record out, then releases it.
RETIRED = {
    **S3,
    "moved": [{"from": 'aws_route53_record.v["a"]', "to": f"aws_route53_record.{RELEASED}"}],
    "removed": [{"from": f"aws_route53_record.{RELEASED}", "lifecycle": {"destroy": False}}],
}


def checkov_gate(
    tmp_path: Path, report: Any, *, exit_code: int = 0, retired: bool = False
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Runs the gate with a fake checkov that writes `report` and exits `exit_code`:
    (result, the arguments checkov got)."""
    synthesized(tmp_path, {REGION_STACKS[0]: SERVED, REGION_STACKS[1]: RETIRED if retired else S3})
    checkov = tmp_path / "checkov"
    checkov.write_text(FAKE_CHECKOV)
    checkov.chmod(0o755)
    result = subprocess.run(
        [sys.executable, str(CI / "checkov_gate.py"), str(checkov), str(tmp_path / "report.json")],
        cwd=tmp_path,
        env={
            "PATH": "/usr/bin:/bin",
            "FAKE_REPORT": json.dumps(report),
            "FAKE_EXIT": str(exit_code),
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result, (tmp_path / "args").read_text().split()


def summary(passed: int, failed: int = 0, parsing_errors: int = 0) -> dict[str, Any]:
    return {"summary": {"passed": passed, "failed": failed, "parsing_errors": parsing_errors}}


def test_checkov_gate_passes_when_checks_ran_and_none_failed(tmp_path: Path) -> None:
    result, args = checkov_gate(tmp_path, [summary(120)])
    assert result.returncode == 0, result.stderr
    assert args[:4] == ["-d", str(tmp_path / "checkov-stacks"), "--config-file", ".checkov.yaml"]


def test_checkov_gate_scans_a_copy_without_what_checkov_cannot_parse(tmp_path: Path) -> None:
    # Given a served stack with required_version and removed blocks (checkov 3.3.30 reports each
    # as a parsing error and then checks nothing), when the gate runs, then checkov scans a copy
    # with only those left out.
    result, _ = checkov_gate(tmp_path, [summary(120)])
    assert result.returncode == 0, result.stderr
    copy = json.loads((tmp_path / "checkov-stacks" / REGION_STACKS[0] / "cdk.tf.json").read_text())
    assert copy == {"terraform": S3["terraform"], "resource": SERVED["resource"]}


@pytest.mark.parametrize(
    "report",
    [summary(0), [summary(120), summary(0, parsing_errors=1)], [], {"no": "summary"}],
    ids=["nothing-passed", "parsing-error", "empty", "not-a-report"],
)
def test_checkov_gate_fails_when_checkov_checked_nothing(tmp_path: Path, report: Any) -> None:
    result, _ = checkov_gate(tmp_path, report)
    assert result.returncode == 1
    assert result.stderr.startswith("checkov_gate: ")


def test_checkov_gate_fails_with_checkov_on_a_finding(tmp_path: Path) -> None:
    result, _ = checkov_gate(tmp_path, [summary(119, failed=1)], exit_code=1)
    assert result.returncode == 1


def test_checkov_gate_skips_only_a_retired_region_stack(tmp_path: Path) -> None:
    result, _ = checkov_gate(tmp_path, [summary(60)], retired=True)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "checkov-stacks").iterdir()) == [REGION_STACKS[0]]
    assert (
        f"{REGION_STACKS[1]}: retired region, about to be destroyed: not scanned" in result.stdout
    )
