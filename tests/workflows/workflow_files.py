"""Reading the deploy workflows and running their steps' scripts against fakes (as GitHub would:
bash -eo pipefail, from the checkout, `python` this interpreter, fakes first on PATH)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
DEPLOY = WORKFLOWS / "deploy.yml"
DEPLOY_ENVIRONMENT = WORKFLOWS / "deploy-environment.yml"
DEPLOY_REGION = WORKFLOWS / "deploy-region.yml"
PULL_REQUEST = WORKFLOWS / "pull-request.yml"
ENVIRONMENT_FILES = sorted((ROOT / "config" / "environments").glob("*.yaml"))
AWS_CREDENTIALS = "aws-actions/configure-aws-credentials"
GITHUB_SCRIPT = "actions/github-script"
COMMENT_LIMIT = 65536  # GitHub's maximum comment length


def load(path: Path) -> dict[Any, Any]:
    document = yaml.safe_load(path.read_text())
    assert isinstance(document, dict), f"{path.name} is not a mapping"
    return document


def triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    # YAML 1.1 (PyYAML) reads the bare key `on` as the boolean True.
    found = workflow.get("on", workflow.get(True))
    assert isinstance(found, dict), f"triggers should be a mapping, found {found!r}"
    return found


def jobs(path: Path) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = load(path)["jobs"]
    return found


def region_job() -> dict[str, Any]:
    (job,) = jobs(DEPLOY_REGION).values()
    return job


def action(step: dict[str, Any]) -> str:
    return str(step.get("uses", "")).split("@", 1)[0]


def step_with_id(job: dict[str, Any], step_id: str) -> dict[str, Any]:
    found = [step for step in job["steps"] if step.get("id") == step_id]
    assert len(found) == 1, f"expected one step with id {step_id!r}, found {len(found)}"
    step: dict[str, Any] = found[0]
    return step


def steps_using(job: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [step for step in job.get("steps", []) if action(step) == name]


def literal_env(step: dict[str, Any]) -> dict[str, str]:
    """The step's env values that are not expressions (those GitHub fills in)."""
    return {k: str(v) for k, v in step.get("env", {}).items() if "${{" not in str(v)}


def run_script(
    tmp_path: Path,
    script: str,
    env: dict[str, str],
    fakes: dict[str, str] | None = None,
    cwd: Path = ROOT,
) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    """Runs a step's script; returns it and the outputs it wrote to $GITHUB_OUTPUT."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    if not (bin_dir / "python").exists():
        (bin_dir / "python").symlink_to(sys.executable)
    for name, body in (fakes or {}).items():
        (bin_dir / name).write_text("#!/bin/sh\n" + body)
        (bin_dir / name).chmod(0o755)
    output = tmp_path / "github_output"
    output.touch()
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=cwd,
        env={
            **os.environ,
            "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(tmp_path / "step_summary"),
            "RUNNER_TEMP": str(tmp_path),
            "STACK": "serving-prod-us-east-1",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
    return result, outputs
