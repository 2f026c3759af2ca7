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
from typing import Any

import pytest

from emulator.terraform import skip_or_fail
from tests.workflows.workflow_files import (
    GITHUB_SCRIPT,
    PULL_REQUEST,
    action,
    jobs,
    load,
    step_with_id,
    steps_using,
)

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
DEPLOY = WORKFLOWS / "deploy.yml"
TOOL_REQUIREMENTS = ROOT / "tools" / "requirements-workflow-checks.txt"
WORKFLOW_FILES = sorted(WORKFLOWS.glob("*.yml")) + sorted(WORKFLOWS.glob("*.yaml"))

FULL_SHA = re.compile(r"^[^@\s]+@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"#\s*v\d+\.\d+\.\d+\s*$")

AWS_CREDENTIALS = "aws-actions/configure-aws-credentials"
CHECKOUT = "actions/checkout"
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


# --- deploys: tests/workflows/test_deploy.py; their scripts: tests/workflows/test_ci_scripts.py;
# the plan comment and the verdict in pull requests: tests/workflows/test_plan_comment.py


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
