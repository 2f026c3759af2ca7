"""The GitHub workflows: valid for GitHub, clean for zizmor, and shaped as the README promises.

Offline throughout. check-jsonschema and zizmor run from their own environment:
`$WORKFLOW_TOOLS_BIN/<tool>` (.ci/run builds it outside the tree from
tools/requirements-workflow-checks.txt), else `.venv-tools/bin/<tool>`, else PATH. The scripts inside the workflows (the stack
matrix, the plan comment, the health gate) are taken out of the YAML and run here against fakes.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from emulator.terraform import skip_or_fail
from tests.plan_safety.plans import ENDPOINT, model_rollout, plan, resource
from tests.workflows.workflow_files import (
    action,
    jobs,
    load,
    run_script,
    step_with_id,
    steps_using,
    triggers,
)

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
PULL_REQUEST = WORKFLOWS / "pull-request.yml"
DEPLOY = WORKFLOWS / "deploy.yml"
TOOL_REQUIREMENTS = ROOT / "tools" / "requirements-workflow-checks.txt"
WORKFLOW_FILES = sorted(WORKFLOWS.glob("*.yml")) + sorted(WORKFLOWS.glob("*.yaml"))

FULL_SHA = re.compile(r"^[^@\s]+@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"#\s*v\d+\.\d+\.\d+\s*$")
COMMENT_LIMIT = 65536  # GitHub's maximum comment length

AWS_CREDENTIALS = "aws-actions/configure-aws-credentials"
CHECKOUT = "actions/checkout"
GITHUB_SCRIPT = "actions/github-script"
SETUP_TERRAFORM = "hashicorp/setup-terraform"

MANIFEST = {
    "stacks": {
        name: {"name": name, "workingDirectory": f"stacks/{name}"}
        for name in ("bootstrap-serving-prod", "serving-prod-eu-west-1", "serving-prod-us-east-1")
    },
    "version": "0.21.0",
}
REGION_STACKS = ["serving-prod-eu-west-1", "serving-prod-us-east-1"]


# --- reading the workflows ------------------------------------------------------------------------


def all_steps() -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(file name, job id, step) for every step of every workflow."""
    for path in WORKFLOW_FILES:
        for job_id, job in jobs(path).items():
            for step in job.get("steps", []):
                yield path.name, job_id, step


def write_permissions(job: dict[str, Any]) -> set[str]:
    permissions = job.get("permissions", {})
    assert isinstance(permissions, dict), (
        f"job permissions should be a mapping, found {permissions!r}"
    )
    return {scope for scope, level in permissions.items() if level == "write"}


# --- the tools ------------------------------------------------------------------------------------


def workflow_tool(name: str) -> str:
    configured = os.environ.get("WORKFLOW_TOOLS_BIN")
    candidates = [Path(configured) / name] if configured else []
    candidates.append(ROOT / ".venv-tools" / "bin" / name)
    for candidate in candidates:
        if candidate.is_file():
            return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    skip_or_fail(
        f"{name} is not installed (python3 -m venv .venv-tools && .venv-tools/bin/pip install "
        "--only-binary :all: -r tools/requirements-workflow-checks.txt)"
    )
    raise AssertionError("unreachable")


def run_tool(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


def validate_schema(path: Path) -> subprocess.CompletedProcess[str]:
    return run_tool(
        workflow_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(path)
    )


def zizmor(root: Path) -> tuple[list[dict[str, Any]], subprocess.CompletedProcess[str]]:
    """`zizmor --offline --format json .github/workflows/` in `root`."""
    result = run_tool(
        workflow_tool("zizmor"), "--offline", "--format", "json", ".github/workflows/", cwd=root
    )
    try:
        findings = json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(
            f"zizmor printed no JSON (exit {result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return findings, result


def describe(finding: dict[str, Any]) -> str:
    where = []
    for location in finding.get("locations", []):
        path = location["symbolic"]["key"].get("Local", {}).get("verbatim_path", "?")
        row = location["concrete"]["location"]["start_point"]["row"] + 1
        where.append(f"{path}:{row} {location['symbolic'].get('annotation', '')}")
    return f"{finding['ident']} ({finding['desc']}): " + "; ".join(where)


def test_the_workflows_exist() -> None:
    for name in ("pull-request.yml", "deploy.yml", "deploy-environment.yml", "deploy-region.yml"):
        assert WORKFLOWS / name in WORKFLOW_FILES, name


def test_workflow_tools_are_the_pinned_versions() -> None:
    pins = dict(
        line.split("==")
        for line in TOOL_REQUIREMENTS.read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert set(pins) == {"check-jsonschema", "zizmor"}
    for name, version in pins.items():
        shown = run_tool(workflow_tool(name), "--version").stdout
        assert version in shown, f"{name}: pinned {version}, installed {shown.strip()}"


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda path: path.name)
def test_workflow_is_valid_for_github(path: Path) -> None:
    result = validate_schema(path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_check_rejects_a_broken_workflow(tmp_path: Path) -> None:
    # Guards the gate itself: a job without `runs-on` must not validate.
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  build:\n    steps:\n      - run: true\n")
    assert validate_schema(broken).returncode != 0


def test_zizmor_finds_nothing() -> None:
    findings, result = zizmor(ROOT)
    assert findings == [], "zizmor findings (zero allowed):\n" + "\n".join(map(describe, findings))
    assert result.returncode == 0, result.stderr
    for path in WORKFLOW_FILES:  # it audited every file, not an empty folder
        assert f"completed .github/workflows/{path.name}" in result.stderr, result.stderr


def test_zizmor_flags_an_injectable_unpinned_workflow(tmp_path: Path) -> None:
    # Guards the gate itself: the findings this repository avoids are really detected.
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "bad.yml").write_text(
        "on: pull_request\njobs:\n  bad:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - uses: actions/checkout@v5\n"
        '      - run: echo "${{ github.event.pull_request.title }}"\n'
    )
    findings, _ = zizmor(tmp_path)
    assert {"unpinned-uses", "template-injection", "artipacked"} <= {f["ident"] for f in findings}


# --- pinning and privileges -----------------------------------------------------------------------


def test_every_action_is_pinned_to_a_full_commit_sha() -> None:
    unpinned = [
        f"{name} {job_id}: {step['uses']}"
        for name, job_id, step in all_steps()
        if "uses" in step
        and not step["uses"].startswith(("./", "$/"))
        and not FULL_SHA.match(step["uses"])
    ]
    assert unpinned == []


def test_every_pinned_action_names_its_release() -> None:
    for path in WORKFLOW_FILES:
        for line in path.read_text().splitlines():
            if re.match(r"^\s*(- )?uses: (?!\./|\$/)", line):
                assert VERSION_COMMENT.search(line), (
                    f"{path.name}: no `# vX.Y.Z` after: {line.strip()}"
                )


def test_each_action_is_pinned_to_one_commit_everywhere() -> None:
    commits: dict[str, set[str]] = {}
    for _, _, step in all_steps():
        if "uses" in step:
            name, _, ref = step["uses"].partition("@")
            commits.setdefault(name, set()).add(ref)
    assert {name: refs for name, refs in commits.items() if len(refs) > 1} == {}


def test_archived_cdktf_action_is_not_used() -> None:
    for path in WORKFLOW_FILES:
        assert "terraform-cdk-action" not in path.read_text(), path.name


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda path: path.name)
def test_workflow_grants_nothing_by_default(path: Path) -> None:
    permissions = load(path).get("permissions")
    read_only = isinstance(permissions, dict) and set(permissions.values()) <= {"read", "none"}
    assert permissions in ({}, "read-all") or read_only, f"top-level permissions: {permissions!r}"


def test_every_job_declares_its_own_permissions() -> None:
    for path in WORKFLOW_FILES:
        for job_id, job in jobs(path).items():
            assert isinstance(job.get("permissions"), dict), f"{path.name} {job_id}"


def assumes_an_aws_role(job: dict[str, Any]) -> bool:
    """The job configures AWS credentials, itself or through the local workflow it calls."""
    called = str(job.get("uses", ""))
    if called.startswith(("./", "$/")):
        return any(assumes_an_aws_role(j) for j in jobs(ROOT / called.removeprefix("$/")).values())
    return bool(steps_using(job, AWS_CREDENTIALS))


def test_id_token_write_only_where_aws_credentials_are_configured() -> None:
    for path in WORKFLOW_FILES:
        for job_id, job in jobs(path).items():
            assumes_role = assumes_an_aws_role(job)
            assert ("id-token" in write_permissions(job)) == assumes_role, f"{path.name} {job_id}"


def test_only_the_diff_and_preview_jobs_may_write_to_pull_requests() -> None:
    writers = {
        (path.name, job_id, scope)
        for path in WORKFLOW_FILES
        for job_id, job in jobs(path).items()
        for scope in write_permissions(job) - {"id-token"}
    }
    assert writers == {
        ("pull-request.yml", "diff", "pull-requests"),
        ("pull-request.yml", "preview", "pull-requests"),
    }


def test_aws_credentials_come_from_an_oidc_role_in_a_variable() -> None:
    found = 0
    for name, job_id, step in all_steps():
        if action(step) != AWS_CREDENTIALS:
            continue
        found += 1
        inputs = step["with"]
        assert re.fullmatch(r"\$\{\{ vars\.AWS_\w+_ROLE_ARN \}\}", inputs["role-to-assume"]), job_id
        assert not {"aws-access-key-id", "aws-secret-access-key", "aws-session-token"} & set(inputs)
        assert "secrets." not in json.dumps(inputs), f"{name} {job_id}"
    # The diff matrix; a region's deploy: the S3 deploy role or the Cloud read-only role.
    assert found == 3


def test_no_expression_is_expanded_inside_a_script() -> None:
    # `${{ }}` is pasted into the script before it runs: data becomes code (template injection).
    # Values reach scripts through `env:` instead.
    for name, job_id, step in all_steps():
        scripts = [step.get("run", "")]
        if action(step) == GITHUB_SCRIPT:
            scripts.append(step["with"]["script"])
        for script in scripts:
            assert "${{" not in script, f"{name} {job_id}: {step.get('name', step.get('uses'))}"


def test_checkout_never_leaves_the_token_on_disk() -> None:
    checkouts = [
        (name, job_id, step) for name, job_id, step in all_steps() if action(step) == CHECKOUT
    ]
    assert checkouts
    for name, job_id, step in checkouts:
        assert step.get("with", {}).get("persist-credentials") is False, f"{name} {job_id}"


def test_terraform_is_1_10_or_newer_without_the_wrapper() -> None:
    # S3-native state locking needs Terraform 1.10; the wrapper garbles `terraform output -raw`.
    setups = [step for _, _, step in all_steps() if action(step) == SETUP_TERRAFORM]
    assert setups
    for step in setups:
        major, minor = (int(part) for part in str(step["with"]["terraform_version"]).split(".")[:2])
        assert (major, minor) >= (1, 10), step["with"]
        assert step["with"]["terraform_wrapper"] is False


# --- pull requests --------------------------------------------------------------------------------


def test_pull_request_runs_tests_synth_and_checkov() -> None:
    scripts = "\n".join(step.get("run", "") for step in jobs(PULL_REQUEST)["test"]["steps"])
    for command in (
        "pipenv sync --dev",
        "pipenv run test",
        "pipenv run synth",
        "python tools/ci/checkov_gate.py .venv-checkov/bin/checkov",  # tests/workflows
        "-r tools/requirements-checkov.txt",
        "-r tools/requirements-workflow-checks.txt",  # CI=true fails tests whose tools are missing
    ):
        assert command in scripts


def test_pull_request_runs_cancel_the_superseded_ones() -> None:
    concurrency = load(PULL_REQUEST)["concurrency"]
    assert "github.event.pull_request.number" in concurrency["group"]
    assert concurrency["cancel-in-progress"] is True


def test_diff_matrix_is_the_stack_list_from_the_manifest() -> None:
    stacks, diff = jobs(PULL_REQUEST)["stacks"], jobs(PULL_REQUEST)["diff"]
    assert diff["needs"] == "stacks"
    assert diff["strategy"]["matrix"] == {"stack": "${{ fromJSON(needs.stacks.outputs.stacks) }}"}
    assert diff["strategy"]["fail-fast"] is False  # one stack's failed plan hides no other plan
    assert stacks["outputs"]["stacks"] == "${{ steps.manifest.outputs.stacks }}"


def test_diff_runs_the_pinned_cdktf_cli_on_its_own_stack() -> None:
    diff = jobs(PULL_REQUEST)["diff"]
    assert diff["env"]["STACK"] == "${{ matrix.stack }}"
    scripts = [step.get("run", "") for step in diff["steps"]]
    install = next(i for i, script in enumerate(scripts) if "npm ci" in script)
    plan = scripts.index(step_with_id(diff, "diff")["run"])
    credentials = diff["steps"].index(steps_using(diff, AWS_CREDENTIALS)[0])
    assert install < credentials < plan  # nothing the installs run sees the credentials
    assert 'npx cdktf diff "$STACK"' in scripts[plan]
    assert step_with_id(diff, "diff")["env"]["TF_CLI_ARGS_plan"] == "-lock=false"


def test_diff_uses_the_read_only_plan_role() -> None:
    (credentials,) = steps_using(jobs(PULL_REQUEST)["diff"], AWS_CREDENTIALS)
    assert credentials["with"]["role-to-assume"] == "${{ vars.AWS_PLAN_ROLE_ARN }}"


def test_forks_get_no_plan_and_no_comment() -> None:
    same_repository = "github.event.pull_request.head.repo.full_name == github.repository"
    for job_id in ("stacks", "diff"):
        assert same_repository in jobs(PULL_REQUEST)[job_id]["if"], job_id
    assert "if" not in jobs(PULL_REQUEST)["test"]  # forks are still tested


def run_manifest_step(
    tmp_path: Path, step: dict[str, Any], env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    """Runs a workflow step's script (tools/ci from this checkout) in a folder holding
    cdktf.out/manifest.json and each region stack's cdk.tf.json (S3 backend)."""
    (tmp_path / "cdktf.out").mkdir()
    (tmp_path / "cdktf.out" / "manifest.json").write_text(json.dumps(MANIFEST))
    for name in REGION_STACKS:
        (tmp_path / "cdktf.out" / "stacks" / name).mkdir(parents=True)
        backend = {"terraform": {"backend": {"s3": {"bucket": "example-serving-tfstate"}}}}
        (tmp_path / "cdktf.out" / "stacks" / name / "cdk.tf.json").write_text(json.dumps(backend))
    output = tmp_path / "github_output"
    output.touch()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    result = subprocess.run(
        [
            "bash",
            "--noprofile",
            "--norc",
            "-eo",
            "pipefail",
            "-c",
            step["run"].replace("tools/ci/", f"{ROOT}/tools/ci/"),
        ],
        cwd=tmp_path,
        env={
            **os.environ,
            "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            "GITHUB_OUTPUT": str(output),
            **(env or {}),
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
    return result, outputs


def test_stack_matrix_is_every_region_stack_but_never_bootstrap(tmp_path: Path) -> None:
    step = step_with_id(jobs(PULL_REQUEST)["stacks"], "manifest")
    result, outputs = run_manifest_step(tmp_path, step)
    assert result.returncode == 0, result.stderr
    assert json.loads(outputs["stacks"]) == REGION_STACKS


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


# --- deploys: tests/workflows/test_deploy.py; their scripts: tests/workflows/test_ci_scripts.py


def test_pull_request_previews_every_changed_environment_file() -> None:
    job = load(PULL_REQUEST)["jobs"]["preview"]
    (checkout,) = steps_using(job, "actions/checkout")
    assert checkout["with"]["fetch-depth"] == 2  # the merge commit's first parent is the base
    (step,) = [s for s in job["steps"] if "--since" in s.get("run", "")]
    script = step["run"]
    # Every environment file the pull request adds or changes, not one named by a variable.
    assert "git diff --name-only --diff-filter=AMR HEAD^1 HEAD" in script
    assert "python -m config environments" in script
    assert 'for file in "${files[@]}"' in script
    assert 'git show "HEAD^1:$file"' in script
    assert "SERVING_CONFIG" not in script and "SERVING_CONFIG" not in step.get("env", {})
    (comment,) = steps_using(job, GITHUB_SCRIPT)
    assert "config-preview:${file}" in comment["with"]["script"]


def test_environments_command_picks_environment_files_only(tmp_path: Path) -> None:
    config_dir = tmp_path / "config"
    (config_dir / "examples").mkdir(parents=True)
    environment = config_dir / "staging.yaml"
    environment.write_text("service: serving\nenvironment: staging\n")
    (config_dir / "examples" / "ab.yaml").write_text("service: s\nenvironment: e\n")
    (config_dir / "notes.yaml").write_text("title: not an environment\n")
    files = [environment, config_dir / "examples" / "ab.yaml", config_dir / "notes.yaml"]
    result = subprocess.run(
        [sys.executable, "-m", "config", "environments", *map(str, files)],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [str(environment)]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("pull-request.yml", "${{ vars.SERVING_CONFIG || 'config/example.yaml' }}"),
        ("deploy-environment.yml", "${{ inputs.config }}"),  # deploy.yml names one per job
        ("deploy-region.yml", "${{ inputs.config }}"),
    ],
)
def test_every_step_names_its_configuration(name: str, expected: str) -> None:
    # `cdktf synth/diff` (main.py --from-cdktf-cli) refuses to guess an environment: a step
    # that leaves SERVING_CONFIG empty when the repository variable is unset would fail.
    workflow = load(WORKFLOWS / name)
    values = [
        step["env"]["SERVING_CONFIG"]
        for job in workflow["jobs"].values()
        for step in job.get("steps", [])
        if "SERVING_CONFIG" in step.get("env", {})
    ]
    assert values, name
    assert set(values) == {expected}, values
