"""`main.py` as users run it: a summary on success; one clear message, no traceback, no output on error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.configs import write_config

ROOT = Path(__file__).resolve().parent.parent


def run_main(
    tmp_path: Path, config: Path | None = None, *, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CDKTF_OUTDIR": str(tmp_path / "out"), **(extra_env or {})}
    env.pop("SERVING_CONFIG", None)
    if config is not None:
        env["SERVING_CONFIG"] = str(config)
    return subprocess.run(
        [sys.executable, "main.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.slow  # a whole synth in a subprocess
def test_example_synthesizes_with_a_summary(tmp_path: Path) -> None:
    result = run_main(tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Synthesized serving-prod from ")
    assert "serving-prod-us-east-1, serving-prod-eu-west-1" in result.stdout
    assert (
        "6 × ml.m5.xlarge per region (autoscaling 2-6, target 600 invocations/instance/min)"
        in result.stdout
    )
    assert (tmp_path / "out" / "stacks" / "serving-prod-eu-west-1" / "cdk.tf.json").is_file()
    assert "Node 20 is end-of-life" not in result.stderr


@pytest.mark.parametrize(
    "overrides, field",
    [
        (
            {"endpoint.min_instance_count": 1},
            "endpoint.min_instance_count",
        ),
        ({"regions": ["us-east-1", "moon-1"]}, "regions[1]"),
        (
            {"autoscaling.target_invocations_per_instance": "lots"},
            "autoscaling.target_invocations_per_instance",
        ),
    ],
)
def test_bad_config_exits_non_zero_with_one_clear_message(
    tmp_path: Path, overrides: dict[str, object], field: str
) -> None:
    config = write_config(tmp_path, overrides)
    result = run_main(tmp_path, config)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"{config}: {field}: " in result.stderr
    assert result.stdout == ""
    assert not (tmp_path / "out").exists(), "no partial Terraform output"


@pytest.mark.slow  # a whole synth in a subprocess
def test_context_selects_the_config(tmp_path: Path) -> None:
    config = write_config(tmp_path, {"environment": "staging"})
    result = run_main(tmp_path, extra_env={"CDKTF_CONTEXT_JSON": f'{{"config": "{config}"}}'})
    assert result.returncode == 0, result.stderr
    assert "Synthesized serving-staging" in result.stdout


def test_the_cdktf_cli_without_a_chosen_environment_is_refused(tmp_path: Path) -> None:
    # cdktf.json runs main.py with --from-cdktf-cli; cdktf-cli 0.21 drops `--context`.
    env = {**os.environ, "CDKTF_OUTDIR": str(tmp_path / "out")}
    env.pop("SERVING_CONFIG", None)
    result = subprocess.run(
        [sys.executable, "main.py", "--from-cdktf-cli"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "no environment chosen" in result.stderr
    assert "SERVING_CONFIG=config/example.yaml npx cdktf diff" in result.stderr
    assert not (tmp_path / "out").exists()


def test_two_different_choices_are_refused(tmp_path: Path) -> None:
    staging = write_config(tmp_path, {"environment": "staging"})
    result = run_main(
        tmp_path,
        ROOT / "config" / "example.yaml",
        extra_env={"CDKTF_CONTEXT_JSON": f'{{"config": "{staging}"}}'},
    )
    assert result.returncode == 2
    assert "two environments chosen" in result.stderr


def test_help_prints_usage_without_building(tmp_path: Path) -> None:
    outdir = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "main.py", "--help"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ, "CDKTF_OUTDIR": str(outdir)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: python main.py")
    assert not outdir.exists()


def test_output_folder_under_a_missing_parent_is_one_line_error(tmp_path: Path) -> None:
    outdir = tmp_path / "missing" / "out"
    result = subprocess.run(
        [sys.executable, "main.py"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ, "CDKTF_OUTDIR": str(outdir), "SERVING_CONFIG": "config/example.yaml"},
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"error: CDKTF_OUTDIR: output folder {outdir}: its parent folder {outdir.parent} does "
        "not exist; create it or choose another folder"
    )


def test_plan_safety_help_exits_0() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "plan_safety", "--help"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0
    assert result.stdout.startswith("usage: python -m plan_safety")


@pytest.mark.parametrize("tool", sorted(p.name for p in (ROOT / "tools").glob("*.py")))
def test_every_tool_has_help_that_changes_nothing(tool: str) -> None:
    before = subprocess.run(
        ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout
    result = subprocess.run(
        [sys.executable, f"tools/{tool}", "--help"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: ")
    after = subprocess.run(
        ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout
    assert after == before
