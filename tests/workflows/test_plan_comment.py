"""The pull request's plan comment (the actions/github-script step run under node with a fake
GitHub API) and the plan-safety verdict in pull requests (docs/workflows.md)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, cast

import pytest

from emulator.terraform import skip_or_fail
from tests.plan_safety.plans import ENDPOINT, model_rollout, plan, resource
from tests.workflows.workflow_files import (
    COMMENT_LIMIT,
    GITHUB_SCRIPT,
    PULL_REQUEST,
    jobs,
    load,
    run_script,
    step_with_id,
    steps_using,
    triggers,
)

# --- the plan comment (actions/github-script, run under node with a fake GitHub API) --------------

GITHUB_SCRIPT_DRIVER = """
const fs = require('fs');
const [script, existing] = process.argv.slice(2).map((file) => fs.readFileSync(file, 'utf8'));
const calls = [];
const github = {
  paginate: async (method, args) => (method === 'listComments' ? JSON.parse(existing) : []),
  rest: { issues: {
    listComments: 'listComments',
    createComment: async (args) => calls.push({ call: 'create', ...args }),
    updateComment: async (args) => calls.push({ call: 'update', ...args }),
  } },
};
const context = {
  serverUrl: 'https://github.com', runId: 42, repo: { owner: 'acme', repo: 'serving' },
  payload: { pull_request: { number: 7, head: { sha: '0123456789abcdef' } } },
};
const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;
new AsyncFunction('require', 'github', 'context', 'core', script)(require, github, context, {})
  .then(() => process.stdout.write(JSON.stringify(calls)))
  .catch((error) => { console.error(error); process.exit(1); });
"""


SAFE_VERDICT = (
    "**Plan-safety verdict**: :white_check_mark: in place\n\n"
    "```text\nserving-prod-us-east-1: in place (2 to change, 1 to add, 0 to delete)\n```"
)


def post_plan_comment(
    tmp_path: Path,
    plan: str,
    *,
    exit_code: int = 0,
    existing: list[dict[str, Any]] | None = None,
    verdict: str | None = SAFE_VERDICT,
    verdict_exit_code: str = "0",
    label: bool = False,
) -> list[dict[str, Any]]:
    """Runs the workflow's comment script; returns the GitHub API calls it made.

    `verdict` is the Markdown the verdict step wrote (None: no file) and `verdict_exit_code` its
    exit code ("": the step was skipped); `label` is whether allow-protected-changes is set.
    """
    node = shutil.which("node")
    if node is None:
        skip_or_fail("node is not on PATH (the plan-comment script is JavaScript)")
    assert node is not None
    (step,) = steps_using(jobs(PULL_REQUEST)["diff"], GITHUB_SCRIPT)
    (tmp_path / "script.js").write_text(step["with"]["script"])
    (tmp_path / "driver.js").write_text(GITHUB_SCRIPT_DRIVER)
    (tmp_path / "existing.json").write_text(json.dumps(existing or []))
    (tmp_path / "plan.txt").write_text(plan)
    if verdict is not None:
        (tmp_path / "verdict.md").write_text(verdict + "\n")
    # STACK comes from the job.
    assert set(step["env"]) == {
        "PLAN_FILE",
        "DIFF_EXIT_CODE",
        "VERDICT_FILE",
        "VERDICT_EXIT_CODE",
        "ALLOW_PROTECTED_LABEL",
    }
    result = subprocess.run(
        [node, "driver.js", "script.js", "existing.json"],
        cwd=tmp_path,
        env={
            **os.environ,
            "STACK": "serving-prod-us-east-1",
            "PLAN_FILE": str(tmp_path / "plan.txt"),
            "DIFF_EXIT_CODE": str(exit_code),
            "VERDICT_FILE": str(tmp_path / "verdict.md"),
            "VERDICT_EXIT_CODE": verdict_exit_code,
            "ALLOW_PROTECTED_LABEL": "true" if label else "false",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return cast("list[dict[str, Any]]", json.loads(result.stdout))


PLAN = (
    "serving-prod-us-east-1  Terraform will perform the following actions:\n"
    "\x1b[1m  # aws_sagemaker_endpoint.inference_endpoint\x1b[0m will be updated in-place\n"
    "serving-prod-us-east-1  Plan: 1 to add, 2 to change, 0 to destroy.\n"
)
MARKER = "<!-- cdktf-diff:serving-prod-us-east-1 -->"


def test_first_plan_of_a_stack_creates_its_comment(tmp_path: Path) -> None:
    (call,) = post_plan_comment(tmp_path, PLAN)
    assert call["call"] == "create"
    assert call["issue_number"] == 7
    assert call["body"].startswith(MARKER + "\n")
    assert (
        "`cdktf diff serving-prod-us-east-1`: Plan: 1 to add, 2 to change, 0 to destroy."
        in call["body"]
    )
    assert (
        "Commit 0123456 · [workflow run](https://github.com/acme/serving/actions/runs/42)"
        in call["body"]
    )


def test_plan_comment_has_no_terminal_colour_codes(tmp_path: Path) -> None:
    (call,) = post_plan_comment(tmp_path, PLAN)
    assert "\x1b" not in call["body"]
    assert "# aws_sagemaker_endpoint.inference_endpoint will be updated in-place" in call["body"]


def test_next_plan_updates_only_the_comment_of_its_own_stack(tmp_path: Path) -> None:
    existing = [
        {"id": 1, "user": {"type": "User"}, "body": MARKER + "\nquoted by a reviewer"},
        {
            "id": 2,
            "user": {"type": "Bot"},
            "body": "<!-- cdktf-diff:serving-prod-eu-west-1 -->\nold",
        },
        {"id": 3, "user": {"type": "Bot"}, "body": MARKER + "\nold plan"},
    ]
    (call,) = post_plan_comment(tmp_path, PLAN, existing=existing)
    assert call["call"] == "update"
    assert call["comment_id"] == 3
    assert "Plan: 1 to add" in call["body"]


def test_plan_without_changes_says_so(tmp_path: Path) -> None:
    plan = "serving-prod-us-east-1  No changes. Your infrastructure matches the configuration.\n"
    (call,) = post_plan_comment(tmp_path, plan)
    assert "`cdktf diff serving-prod-us-east-1`: No changes." in call["body"]


def test_failed_diff_is_reported_in_the_comment(tmp_path: Path) -> None:
    (call,) = post_plan_comment(tmp_path, "Error: No valid credential sources found\n", exit_code=1)
    assert "`cdktf diff` failed (exit 1)" in call["body"]
    assert "Error: No valid credential sources found" in call["body"]


def test_long_plan_is_truncated_to_the_comment_limit(tmp_path: Path) -> None:
    plan = "".join(f"  # aws_route53_record.r{i} will be created\n" for i in range(5000)) + PLAN
    (call,) = post_plan_comment(tmp_path, plan)
    body = call["body"]
    assert len(body) <= COMMENT_LIMIT
    assert len(body) > COMMENT_LIMIT - 200  # uses the room it has
    assert body.startswith(MARKER)
    heading = next(line for line in body.splitlines() if line.startswith("#### "))
    assert "Plan: 1 to add, 2 to change, 0 to destroy." in heading  # summary survives
    assert "**Plan-safety verdict**" in body.splitlines()[1]  # and so does the verdict
    assert "**Truncated** to GitHub's comment limit" in body
    assert "\n```\n\n</details>" in body  # the code block is closed before the note


def test_backticks_in_a_plan_cannot_close_its_code_block(tmp_path: Path) -> None:
    (call,) = post_plan_comment(tmp_path, 'description = "```"\n' + PLAN)
    assert "\n````text\n" in call["body"]


# --- the plan-safety verdict in pull requests (README "Plan-safety verdict") --------------------

ALLOW_LABEL = "${{ contains(github.event.pull_request.labels.*.name, 'allow-protected-changes') }}"
REFUSED_PLAN = plan(resource(ENDPOINT, ["delete", "create"], {"name": "a"}, {"name": "b"}))


def test_a_label_change_reruns_the_pull_request_checks() -> None:
    types = triggers(load(PULL_REQUEST))["pull_request"]["types"]
    assert {"opened", "synchronize", "reopened", "labeled", "unlabeled"} <= set(types)


def test_diff_job_saves_the_plan_and_judges_it_before_commenting() -> None:
    diff = jobs(PULL_REQUEST)["diff"]
    steps = diff["steps"]
    saved, verdict = step_with_id(diff, "plan"), step_with_id(diff, "verdict")
    (comment,) = steps_using(diff, GITHUB_SCRIPT)
    order = [steps.index(step) for step in (step_with_id(diff, "diff"), saved, verdict, comment)]
    assert order == sorted(order)
    assert saved["if"] == "steps.diff.outputs.exit_code == '0'"
    for command in (
        'terraform -chdir="$workdir" init -input=false',
        # The read-only plan role may not write the lock file.
        'terraform -chdir="$workdir" plan -input=false -lock=false -no-color -out=plan.tfplan',
        'terraform -chdir="$workdir" show -json plan.tfplan > "$RUNNER_TEMP/$STACK.plan.json"',
    ):
        assert command in saved["run"]
    assert 'workdir="cdktf.out/stacks/$STACK"' in saved["run"]
    assert 'python -m plan_safety --markdown "$RUNNER_TEMP/$STACK.plan.json"' in verdict["run"]
    assert (
        "--allow" not in verdict["run"]
    )  # the comment shows every refusal; the label decides later
    assert comment["if"] == "${{ !cancelled() }}"  # a failed saved plan is reported too
    assert comment["env"]["ALLOW_PROTECTED_LABEL"] == ALLOW_LABEL


@pytest.mark.parametrize(
    ("document", "exit_code", "shown"),
    [(model_rollout(), "0", "model rollout"), (REFUSED_PLAN, "1", "REFUSED")],
    ids=["rollout", "refused"],
)
def test_pull_request_verdict_step_records_the_verdict_without_failing(
    tmp_path: Path, document: dict[str, Any], exit_code: str, shown: str
) -> None:
    (tmp_path / "serving-prod-us-east-1.plan.json").write_text(json.dumps(document))
    result, outputs = run_script(
        tmp_path, step_with_id(jobs(PULL_REQUEST)["diff"], "verdict")["run"], {}
    )
    assert result.returncode == 0, result.stderr  # the last step fails the job, after the comment
    assert outputs["exit_code"] == exit_code
    verdict = (tmp_path / "verdict.md").read_text()
    assert verdict.startswith("**Plan-safety verdict**")
    assert shown in verdict
    assert shown in (tmp_path / "step_summary").read_text()


@pytest.mark.parametrize(
    ("verdict_exit_code", "label", "fails"),
    [
        ("0", "false", False),
        ("1", "false", True),
        ("1", "true", False),
        ("", "true", True),
        ("2", "true", True),
    ],
    ids=["safe", "refused", "refused-labelled", "no-verdict", "invalid-plan"],
)
def test_refused_verdict_fails_the_job_unless_labelled(
    tmp_path: Path, verdict_exit_code: str, label: str, fails: bool
) -> None:
    step = jobs(PULL_REQUEST)["diff"]["steps"][-1]
    assert step["env"] == {
        "VERDICT_EXIT_CODE": "${{ steps.verdict.outputs.exit_code }}",
        "ALLOW_PROTECTED_LABEL": ALLOW_LABEL,
    }
    assert step["if"] == "${{ !cancelled() && steps.diff.outputs.exit_code == '0' }}"
    result, _ = run_script(
        tmp_path,
        step["run"],
        {"VERDICT_EXIT_CODE": verdict_exit_code, "ALLOW_PROTECTED_LABEL": label},
    )
    assert (result.returncode != 0) == fails, result.stdout
    if label == "true" and not fails:
        assert "::warning::" in result.stdout


def test_verdict_heads_the_plan_comment(tmp_path: Path) -> None:
    (call,) = post_plan_comment(tmp_path, PLAN)
    lines = call["body"].splitlines()
    assert lines[0] == MARKER  # the sticky comment is still found by its first line
    assert lines[1] == "**Plan-safety verdict**: :white_check_mark: in place"
    assert call["body"].index("Plan-safety verdict") < call["body"].index("#### `cdktf diff")


def test_refused_verdict_in_the_comment_says_how_to_proceed(tmp_path: Path) -> None:
    refused = "**Plan-safety verdict**: :x: refused\n\n```text\nREFUSED\n```"
    (call,) = post_plan_comment(tmp_path, PLAN, verdict=refused, verdict_exit_code="1")
    assert (
        "This job fails. If the change is intended, add the `allow-protected-changes` label."
        in call["body"]
    )
    (labelled,) = post_plan_comment(
        tmp_path, PLAN, verdict=refused, verdict_exit_code="1", label=True
    )
    assert ":warning: Allowed by the `allow-protected-changes` label" in labelled["body"]
    assert "REFUSED" in labelled["body"]  # the job still shows the verdict


def test_comment_says_when_there_is_no_verdict(tmp_path: Path) -> None:
    (call,) = post_plan_comment(tmp_path, PLAN, verdict=None, verdict_exit_code="")
    assert "none, the saved plan of this stack could not be made" in call["body"].splitlines()[1]
    (invalid,) = post_plan_comment(tmp_path, PLAN, verdict=None, verdict_exit_code="2")
    assert "could not judge the plan (exit 2" in invalid["body"]
