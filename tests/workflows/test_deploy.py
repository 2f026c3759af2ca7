"""deploy.yml → deploy-environment.yml → deploy-region.yml: every environment file, staging before
production, one definition of a region's deploy, S3 or Terraform Cloud, and the guarantees of a
deploy (never cancelled, only the judged plan applied, quota and status gates), run against fakes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.plan_safety.plans import ENDPOINT, model_rollout, plan, resource
from tests.workflows.workflow_files import (
    AWS_CREDENTIALS,
    DEPLOY,
    DEPLOY_ENVIRONMENT,
    DEPLOY_REGION,
    ENVIRONMENT_FILES,
    ROOT,
    jobs,
    literal_env,
    load,
    region_job,
    run_script,
    step_with_id,
    steps_using,
    triggers,
)

ENVIRONMENT_WORKFLOW = "$/.github/workflows/deploy-environment.yml"
REGION_WORKFLOW = "$/.github/workflows/deploy-region.yml"
TOKEN = "${{ secrets.TF_API_TOKEN }}"
REFUSED_PLAN = plan(resource(ENDPOINT, ["delete", "create"], {"name": "a"}, {"name": "b"}))

# --- every environment, staging first -------------------------------------------------------------


def environment_jobs() -> dict[str, dict[str, Any]]:
    return jobs(DEPLOY)


def test_deploy_runs_on_main_and_by_hand_only() -> None:
    on = triggers(load(DEPLOY))
    assert set(on) == {"push", "workflow_dispatch"}
    assert on["push"]["branches"] == ["main"]
    # workflow_dispatch may name any branch; every environment's deploy is guarded.
    for job_id, job in environment_jobs().items():
        assert job["if"] == "github.ref == 'refs/heads/main'", job_id


def test_every_environment_file_is_deployed_in_its_own_github_environment() -> None:
    assert {p.stem for p in ENVIRONMENT_FILES} == {"staging", "production"}
    deployed = {
        job["with"]["config"]: job["with"]["environment"] for job in environment_jobs().values()
    }
    assert deployed == {str(p.relative_to(ROOT)): p.stem for p in ENVIRONMENT_FILES}


def test_staging_deploys_before_production() -> None:
    by_environment = {
        job["with"]["environment"]: job_id for job_id, job in environment_jobs().items()
    }
    production = environment_jobs()[by_environment["production"]]
    assert (
        production["needs"] == by_environment["staging"]
    )  # a failed staging deploys no production


def test_each_environment_has_its_own_concurrency_group_and_is_never_cancelled() -> None:
    # Stopping `terraform apply` midway leaves resources half-changed and the state locked.
    groups = []
    for job_id, job in environment_jobs().items():
        assert job["concurrency"]["cancel-in-progress"] is False, job_id
        assert "${{" not in job["concurrency"]["group"]  # one group for every ref
        groups.append(job["concurrency"]["group"])
    assert len(set(groups)) == len(groups) == len(ENVIRONMENT_FILES)
    assert "concurrency" not in load(DEPLOY_ENVIRONMENT)
    assert "concurrency" not in load(DEPLOY_REGION)


def test_every_environment_deploys_through_one_definition() -> None:
    for job_id, job in environment_jobs().items():
        assert job["uses"] == ENVIRONMENT_WORKFLOW, job_id
        assert set(job["with"]) == {"environment", "config", "allow_protected_changes"}
        assert job["secrets"] == {"TF_API_TOKEN": TOKEN}  # passed by name, never `inherit`


# --- one region's deploy, the first and the others ------------------------------------------------


def test_first_and_other_regions_deploy_through_one_definition() -> None:
    first, other = (
        jobs(DEPLOY_ENVIRONMENT)["first-region"],
        jobs(DEPLOY_ENVIRONMENT)["other-regions"],
    )
    assert first["uses"] == other["uses"] == REGION_WORKFLOW
    assert first["with"] == {**other["with"], "stack": "${{ needs.stacks.outputs.first }}"}
    assert other["with"]["stack"] == "${{ matrix.stack }}"
    assert first["with"]["backend"] == "${{ needs.stacks.outputs.backend }}"
    assert first["secrets"] == other["secrets"] == {"TF_API_TOKEN": TOKEN}


def test_other_regions_wait_for_the_first_one_at_a_time_and_stop_on_a_failure() -> None:
    other = jobs(DEPLOY_ENVIRONMENT)["other-regions"]
    assert other["needs"] == ["stacks", "first-region"]  # a failed first region starts no other
    assert other["strategy"]["matrix"] == {"stack": "${{ fromJSON(needs.stacks.outputs.rest) }}"}
    assert other["strategy"]["max-parallel"] == 1  # the other regions stay up for Route 53
    assert other["strategy"]["fail-fast"] is True  # a failed region stops those not started yet


def test_the_region_job_is_behind_its_environment() -> None:
    job = region_job()
    assert job["environment"]["name"] == "${{ inputs.environment }}"
    assert job["env"] == {"STACK": "${{ inputs.stack }}"}
    assert job["timeout-minutes"] == 360  # a blue/green rollout runs inside the apply


def test_the_dispatch_input_reaches_the_region_job_and_nothing_else_allows() -> None:
    (allow,) = triggers(load(DEPLOY))["workflow_dispatch"]["inputs"].values()
    assert allow["type"] == "boolean"
    assert allow["default"] is False
    for job in environment_jobs().values():
        assert (
            job["with"]["allow_protected_changes"]
            == "${{ inputs.allow_protected_changes == true }}"
        )
    for job_id in ("first-region", "other-regions"):
        passed = jobs(DEPLOY_ENVIRONMENT)[job_id]["with"]["allow_protected_changes"]
        assert passed == "${{ inputs.allow_protected_changes }}"
    for path in (DEPLOY_ENVIRONMENT, DEPLOY_REGION):
        declared = triggers(load(path))["workflow_call"]["inputs"]["allow_protected_changes"]
        assert declared["default"] is False, path.name
    verdict = step_with_id(region_job(), "verdict")
    assert verdict["env"] == {"ALLOW_PROTECTED_CHANGES": "${{ inputs.allow_protected_changes }}"}


# --- S3 or Terraform Cloud ------------------------------------------------------------------------


def test_s3_assumes_the_deploy_role_and_cloud_only_a_read_only_role() -> None:
    roles = {
        step["if"]: step["with"]["role-to-assume"]
        for step in steps_using(region_job(), AWS_CREDENTIALS)
    }
    assert roles == {
        "inputs.backend == 's3'": "${{ vars.AWS_DEPLOY_ROLE_ARN }}",
        "inputs.backend == 'cloud'": "${{ vars.AWS_STATUS_ROLE_ARN }}",
    }
    for step in steps_using(region_job(), AWS_CREDENTIALS):
        # An apply (or the gate after it) that outlives its credentials stops halfway.
        assert step["with"]["role-duration-seconds"] == 21600


def test_terraform_cloud_token_reaches_only_the_terraform_steps() -> None:
    steps = region_job()["steps"]
    with_token = {
        step.get("id") for step in steps if step.get("env", {}).get("TF_TOKEN_app_terraform_io")
    }
    assert with_token == {"plan", "deploy", "health"}
    for step_id in with_token:
        assert step_with_id(region_job(), step_id)["env"]["TF_TOKEN_app_terraform_io"] == TOKEN
    assert "env" not in load(DEPLOY_REGION) or "TF_TOKEN" not in json.dumps(
        load(DEPLOY_REGION)["env"]
    )
    assert "TF_TOKEN" not in json.dumps(region_job()["env"])  # the installs never see it


@pytest.mark.parametrize("path", [DEPLOY_ENVIRONMENT, DEPLOY_REGION], ids=lambda p: p.name)
def test_the_token_is_an_optional_secret_of_the_called_workflow(path: Path) -> None:
    secrets = triggers(load(path))["workflow_call"]["secrets"]
    assert secrets == {
        "TF_API_TOKEN": {"description": secrets["TF_API_TOKEN"]["description"], "required": False}
    }


def test_the_backend_comes_from_the_synthesized_stacks() -> None:
    stacks = jobs(DEPLOY_ENVIRONMENT)["stacks"]
    assert stacks["outputs"]["backend"] == "${{ steps.manifest.outputs.backend }}"
    manifest = step_with_id(stacks, "manifest")
    assert manifest["run"].startswith("python tools/ci/region_stacks.py")
    assert manifest["env"] == {"FIRST_REGION": "${{ vars.FIRST_REGION }}"}


def test_the_manifest_step_writes_the_first_region_the_rest_and_the_backend(tmp_path: Path) -> None:
    outdir = tmp_path / "cdktf.out"
    names = ["bootstrap-serving-staging", "serving-staging-eu-west-1", "serving-staging-us-east-1"]
    (outdir / "stacks").mkdir(parents=True)
    (outdir / "manifest.json").write_text(json.dumps({"stacks": {n: {} for n in names}}))
    for name in names[1:]:
        (outdir / "stacks" / name).mkdir()
        cloud = {"terraform": {"cloud": {"organization": "ml-platform"}}}
        (outdir / "stacks" / name / "cdk.tf.json").write_text(json.dumps(cloud))
    step = step_with_id(jobs(DEPLOY_ENVIRONMENT)["stacks"], "manifest")
    script = step["run"].replace("tools/ci/", f"{ROOT}/tools/ci/")
    result, outputs = run_script(tmp_path, script, {"FIRST_REGION": "us-east-1"}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert outputs["first"] == "serving-staging-us-east-1"
    assert json.loads(outputs["rest"]) == ["serving-staging-eu-west-1"]
    assert outputs["backend"] == "cloud"


def test_deploy_gates_on_checkov_asserting_checks_ran() -> None:
    scripts = [step.get("run", "") for step in jobs(DEPLOY_ENVIRONMENT)["stacks"]["steps"]]
    assert 'python tools/ci/checkov_gate.py .venv-checkov/bin/checkov "$REPORT"' in scripts
    synth = scripts.index("pipenv run synth")
    assert synth < scripts.index(
        'python tools/ci/checkov_gate.py .venv-checkov/bin/checkov "$REPORT"'
    )


# --- the judged plan, and only it -----------------------------------------------------------------

FAKE_TERRAFORM = """echo "terraform $*" >> "$FAKE_LOG"
case "$*" in
  *" show -json plan.tfplan") cat "$FAKE_PLAN_JSON" ;;
esac
"""
FAKE_NPX = 'echo "npx $*" >> "$FAKE_LOG"\n'
WORKDIR = "-chdir=cdktf.out/stacks/serving-prod-us-east-1"


def test_deploy_applies_the_judged_plan_then_checks_health() -> None:
    steps = region_job()["steps"]
    ids = [step.get("id") for step in steps]
    assert ids.index("plan") + 1 == ids.index("verdict")
    assert ids.index("verdict") + 1 == ids.index("deploy")  # nothing re-plans in between
    assert ids.index("deploy") + 1 == ids.index("health")
    assert "npx cdktf synth" in step_with_id(region_job(), "plan")["run"]  # the pinned CLI
    install = next(i for i, step in enumerate(steps) if "npm ci" in step.get("run", ""))
    credentials = [steps.index(step) for step in steps_using(region_job(), AWS_CREDENTIALS)]
    assert install < min(credentials)  # nothing the installs run sees the credentials
    assert max(credentials) < ids.index("quota") < ids.index("plan")  # quota before the plan


def test_deploy_never_applies_anything_but_the_saved_plan() -> None:
    for step in region_job()["steps"]:
        script = step.get("run", "")
        assert "cdktf deploy" not in script  # it would plan afresh and apply that
        for line in script.splitlines():
            if " apply " in line:
                assert line.rstrip().endswith(" plan.tfplan"), line


def run_deploy(
    tmp_path: Path, document: dict[str, Any], allow_input: str = ""
) -> tuple[list[str], str, int]:
    """The plan, verdict and apply steps in turn with a fake terraform and npx, stopping at the
    first failing step as GitHub does: (commands run, step summary, exit)."""
    (tmp_path / "show.json").write_text(json.dumps(document))
    env = {"FAKE_LOG": str(tmp_path / "log"), "FAKE_PLAN_JSON": str(tmp_path / "show.json")}
    fakes = {"terraform": FAKE_TERRAFORM, "npx": FAKE_NPX}
    code = 0
    for step_id in ("plan", "verdict", "deploy"):
        step = step_with_id(region_job(), step_id)
        inputs = {"ALLOW_PROTECTED_CHANGES": allow_input} if step_id == "verdict" else {}
        result, _ = run_script(tmp_path, step["run"], {**env, **literal_env(step), **inputs}, fakes)
        code = result.returncode
        if code != 0:
            break
    summary = tmp_path / "step_summary"
    return (
        (tmp_path / "log").read_text().splitlines(),
        summary.read_text() if summary.exists() else "",
        code,
    )


def test_deploy_applies_the_plan_file_the_verdict_judged(tmp_path: Path) -> None:
    commands, summary, code = run_deploy(tmp_path, model_rollout())
    assert code == 0
    assert commands == [
        "npx cdktf synth",
        f"terraform {WORKDIR} init -input=false -no-color",
        f"terraform {WORKDIR} plan -input=false -no-color -out=plan.tfplan",
        f"terraform {WORKDIR} show -json plan.tfplan",
        f"terraform {WORKDIR} apply -input=false -no-color plan.tfplan",
    ]
    assert "model rollout" in summary


def test_deploy_refuses_to_apply_a_refused_plan(tmp_path: Path) -> None:
    commands, summary, code = run_deploy(tmp_path, REFUSED_PLAN)
    assert code == 1
    assert not any(" apply " in command for command in commands)
    assert "REFUSED" in summary


def test_deploy_refuses_to_apply_a_plan_it_cannot_judge(tmp_path: Path) -> None:
    commands, _, code = run_deploy(tmp_path, {"not": "a plan"})
    assert code == 2
    assert not any(" apply " in command for command in commands)


def test_deploy_by_hand_with_the_input_applies_a_refused_plan(tmp_path: Path) -> None:
    commands, summary, code = run_deploy(tmp_path, REFUSED_PLAN, allow_input="true")
    assert code == 0
    assert commands[-1] == f"terraform {WORKDIR} apply -input=false -no-color plan.tfplan"
    assert f"{ENDPOINT} (replace) allowed by *" in summary


# --- the quota preflight and the status gate (python -m operations status, faked) ---------------

FAKE_PIPENV = """echo "pipenv $*" >> "$FAKE_LOG"
echo "REGION     VERDICT"
echo "us-east-1  $FAKE_VERDICT"
exit "$FAKE_STATUS_EXIT"
"""
FAKE_OUTPUT_TERRAFORM = """echo "terraform $*" >> "$FAKE_LOG"
printf 'https://us-east-1.api.example.com/invocations'
"""
CONFIG = "config/environments/production.yaml"
STATUS = f"pipenv run python -m operations status --config {CONFIG} --stack serving-prod-us-east-1"


def run_operations_step(
    tmp_path: Path, step_id: str, exit_code: int
) -> tuple[Any, dict[str, str], list[str], str]:
    """A step that runs `operations status`, with a fake pipenv exiting `exit_code`:
    (result, outputs, commands run, step summary)."""
    step = step_with_id(region_job(), step_id)
    assert step["env"]["SERVING_CONFIG"] == "${{ inputs.config }}"
    env = {
        **literal_env(step),
        "SERVING_CONFIG": CONFIG,
        "FAKE_LOG": str(tmp_path / "log"),
        "FAKE_STATUS_EXIT": str(exit_code),
        "FAKE_VERDICT": "as planned" if exit_code == 0 else "NOT AS PLANNED",
    }
    fakes = {"pipenv": FAKE_PIPENV, "terraform": FAKE_OUTPUT_TERRAFORM}
    result, outputs = run_script(tmp_path, step["run"], env, fakes)
    summary = tmp_path / "step_summary"
    return (
        result,
        outputs,
        (tmp_path / "log").read_text().splitlines(),
        summary.read_text() if summary.exists() else "",
    )


def test_quota_preflight_asks_status_for_the_quota_of_its_stack_only(tmp_path: Path) -> None:
    result, _, commands, _ = run_operations_step(tmp_path, "quota", 0)
    assert result.returncode == 0, result.stderr
    assert commands == [f"{STATUS} --quota-only"]


def test_quota_preflight_stops_the_job_when_the_rollout_would_not_fit(tmp_path: Path) -> None:
    result, _, _, _ = run_operations_step(tmp_path, "quota", 1)
    assert result.returncode == 1


def test_status_gate_waits_for_its_stack_to_be_as_planned(tmp_path: Path) -> None:
    result, outputs, commands, summary = run_operations_step(tmp_path, "health", 0)
    assert result.returncode == 0, result.stderr
    assert commands == [
        "terraform -chdir=cdktf.out/stacks/serving-prod-us-east-1 output -raw regional_url",
        f"{STATUS} --wait-s 600",
    ]
    assert outputs["url"] == "https://us-east-1.api.example.com/invocations"
    assert region_job()["environment"]["url"] == "${{ steps.health.outputs.url }}"
    assert "us-east-1  as planned" in summary


def test_a_region_not_as_planned_fails_the_gate_and_says_the_rollout_stops(
    tmp_path: Path,
) -> None:
    result, _, _, summary = run_operations_step(tmp_path, "health", 1)
    assert result.returncode == 1
    assert "us-east-1  NOT AS PLANNED" in result.stdout
    assert "us-east-1  NOT AS PLANNED" in summary
    assert (
        "::error::serving-prod-us-east-1 is not as planned (status exit 1); the rollout stops "
        "before the next region"
    ) in result.stdout


def test_deploy_never_probes_the_load_balancer_from_the_runner() -> None:
    # An internal or narrowed load balancer does not answer the runner; AWS's API does.
    scripts = "\n".join(
        step.get("run", "")
        for path in (DEPLOY_ENVIRONMENT, DEPLOY_REGION)
        for job in jobs(path).values()
        for step in job.get("steps", [])
    )
    scripts += (ROOT / "tools" / "ci" / "status_gate.py").read_text()
    assert "curl" not in scripts
    assert not re.search(r"/ping\b(?! from)", scripts)


# --- docs/workflows.md's settings table -----------------------------------------------------------


def settings_table() -> dict[str, str]:
    """`name: where` for each row of docs/workflows.md's workflow-settings table."""
    text = (ROOT / "docs" / "workflows.md").read_text()
    table = text[
        text.index("<!-- workflow-settings:begin -->") : text.index(
            "<!-- workflow-settings:end -->"
        )
    ]
    rows = re.findall(r"^\| `([A-Z_]+)` \| ([^|]+) \|", table, re.MULTILINE)
    return {name: where.strip() for name, where in rows}


def test_the_settings_table_names_every_variable_and_secret_the_workflows_read() -> None:
    read = set()
    for path in sorted((ROOT / ".github" / "workflows").glob("*.yml")):
        read |= set(re.findall(r"\b(?:vars|secrets)\.([A-Z_]+)", path.read_text()))
    read.discard("GITHUB_TOKEN")
    assert read == set(settings_table())


def test_the_settings_table_puts_deploy_credentials_in_each_environment() -> None:
    table = settings_table()
    for name in ("AWS_DEPLOY_ROLE_ARN", "TF_API_TOKEN", "AWS_STATUS_ROLE_ARN"):
        assert "of each environment" in table[name], name
    for name in ("AWS_PLAN_ROLE_ARN", "FIRST_REGION"):
        assert table[name].startswith("repository variable"), name
