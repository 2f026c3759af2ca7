"""`python -m plan_safety`: files in, one verdict per stack out, exit 0 / 1 / 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from plan_safety.cli import main
from tests.plan_safety.plans import (
    ENDPOINT,
    HTTPS_LISTENER,
    STACK,
    model_rollout,
    plan,
    resource,
)

ROOT = Path(__file__).resolve().parents[2]
OTHER_STACK = "serving-prod-eu-west-1"


def write(tmp_path: Path, stack: str, document: Any) -> Path:
    path = tmp_path / f"{stack}.plan.json"
    path.write_text(json.dumps(document) if not isinstance(document, str) else document)
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = main([str(arg) for arg in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_one_line_per_stack_named_after_its_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = write(tmp_path, STACK, plan())
    second = write(tmp_path, OTHER_STACK, model_rollout())
    code, out, err = run(capsys, first, second)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == f"{STACK}: no changes"
    assert lines[1].startswith(f"{OTHER_STACK}: model rollout (")
    assert len(lines) == 2


def test_any_refused_stack_fails_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    safe = write(tmp_path, STACK, plan())
    refused = write(tmp_path, OTHER_STACK, plan(resource(ENDPOINT, ["delete", "create"], {}, {})))
    code, out, _ = run(capsys, safe, refused)
    assert code == 1
    assert (
        f"{OTHER_STACK}: REFUSED — replaces/deletes protected resources:\n  {ENDPOINT} (replace)"
        in out
    )


def test_stack_option_names_a_single_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "show.json"
    path.write_text(json.dumps(plan()))
    code, out, _ = run(capsys, "--stack", STACK, path)
    assert (code, out) == (0, f"{STACK}: no changes\n")


def test_allow_turns_a_refusal_into_a_pass_and_reports_what_it_matched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, STACK, plan(resource(HTTPS_LISTENER, ["delete"], {"port": 443})))
    assert run(capsys, path)[0] == 1
    code, out, _ = run(capsys, "--allow", HTTPS_LISTENER, "--allow", "aws_kms_key.*", path)
    assert code == 0
    assert f"  allowed: {HTTPS_LISTENER} (delete) allowed by {HTTPS_LISTENER}" in out
    assert "--allow 'aws_kms_key.*' matched no protected change" in out


def test_allow_all_protected_is_an_explicit_decommission(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, STACK, plan(resource(HTTPS_LISTENER, ["delete"], {"port": 443})))
    code, out, _ = run(capsys, "--allow-all-protected", path)
    assert code == 0
    assert f"allowed: {HTTPS_LISTENER} (delete) allowed by *" in out
    assert "--allow-all-protected: every protected replace/delete is allowed" in out


def test_markdown_wraps_the_verdict_for_a_comment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, STACK, plan(resource(HTTPS_LISTENER, ["delete"], {"port": 443})))
    code, out, _ = run(capsys, "--markdown", path)
    assert code == 1
    assert out.startswith("**Plan-safety verdict**: :x: refused\n\n```text\n")
    assert f"\n  {HTTPS_LISTENER} (delete)\n```\n" in out
    _, safe, _ = run(capsys, "--markdown", write(tmp_path, OTHER_STACK, model_rollout()))
    assert safe.startswith("**Plan-safety verdict**: :white_check_mark: model rollout\n")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "unreadable: No such file or directory"),
        ("{not json", "not JSON (Expecting property name enclosed in double quotes, line 1)"),
        ('["a list"]', "not `terraform show -json` output (no format_version)"),
        (
            json.dumps({"format_version": "1.0", "terraform_version": "1.11.4", "values": {}}),
            "not a plan: `terraform show -json` of a state, not of a saved plan",
        ),
        (json.dumps({**plan(), "errored": True}), "the plan errored"),
        (
            json.dumps({**plan(), "resource_changes": [{"address": "aws_lb.x", "change": {}}]}),
            "resource_changes entry 'aws_lb.x' has no change.actions list",
        ),
    ],
    ids=["missing", "not-json", "not-terraform", "state-not-plan", "errored", "no-actions"],
)
def test_bad_input_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, message: str
) -> None:
    path = tmp_path / f"{STACK}.plan.json"
    if content is not None:
        path.write_text(content)
    code, out, err = run(capsys, path)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"plan_safety: {path}: ")
    assert message in err


def test_stack_name_is_required_from_file_name_or_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan()))
    code, _, err = run(capsys, path)
    assert code == 2
    assert "cannot tell the stack: name the file <stack>.plan.json or pass --stack" in err
    code, _, err = run(capsys, "--stack", STACK, path, path)
    assert code == 2
    assert "--stack names the stack of a single PLAN_JSON" in err


def test_module_runs_and_prints_no_traceback_on_bad_input(tmp_path: Path) -> None:
    path = write(tmp_path, STACK, "\x00 not a plan")
    result = subprocess.run(
        [sys.executable, "-m", "plan_safety", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1
    usage = subprocess.run(
        [sys.executable, "-m", "plan_safety", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert usage.returncode == 0
    assert usage.stdout.startswith("usage: python -m plan_safety ")
