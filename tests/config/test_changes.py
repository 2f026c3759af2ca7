"""Given an old and a new configuration, `python -m config check NEW --since OLD` refuses the
changes a live service cannot take, before any Terraform is written."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from config.__main__ import main as config_main
from config.changes import StackPreview, data_notes, preview_lines, unsafe_changes
from tests.support.configs import config_with, write_config

ROOT = Path(__file__).resolve().parents[2]


def check(
    tmp_path: Path, new: dict[str, Any], old: dict[str, Any] | None = None
) -> subprocess.CompletedProcess[str]:
    old_path = write_config(tmp_path, old or {}, name="old.yaml")
    new_path = write_config(tmp_path, new, name="new.yaml")
    return subprocess.run(
        [sys.executable, "-m", "config", "check", str(new_path), "--since", str(old_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


@pytest.mark.slow  # main.py synthesizes both files in subprocesses
def test_routine_change_passes_and_says_it_rolls_out_a_new_fleet(tmp_path: Path) -> None:
    # The one end-to-end preview: both files synthesized by main.py in subprocesses.
    result = check(
        tmp_path, {"model.model_data_url": "s3://example-models-{region}/v8/model.tar.gz"}
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "valid (serving-prod" in lines[0]
    assert lines[1] == f"change since {tmp_path / 'old.yaml'}:"
    for region in ("us-east-1", "eu-west-1"):
        assert any(
            line.startswith(f"  serving-prod-{region}: blue/green rollout with 1 new model(s) "
                            "to a new fleet of 6 instances (primary 6 × ml.m5.xlarge)")
            for line in lines
        ), lines  # fmt: skip


@pytest.mark.parametrize(
    ("new", "old", "field"),
    [
        ({"endpoint.variant_name": "blue"}, None, "endpoint.variant_name: primary → blue"),
        (
            {"environment": "production"},
            None,
            "service/environment: serving-prod → serving-production",
        ),
        ({"regions": ["us-east-1"]}, None, "regions: ['eu-west-1'] removed without being retired"),
        (
            {"state.bucket": "other-tfstate"},
            None,
            "state: the backend, bucket or key prefix changed",
        ),
    ],
    ids=["variant-rename", "environment-rename", "region-dropped", "state-moved"],
)
def test_unsafe_change_is_refused(
    tmp_path: Path, new: dict[str, Any], old: dict[str, Any] | None, field: str
) -> None:
    result = check(tmp_path, new, old)
    assert result.returncode == 2, result.stdout
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[0].startswith("error: ") and "cannot take" in lines[0], lines
    assert any(field in line and line.startswith(str(tmp_path)) for line in lines[1:]), lines


def test_retiring_a_region_is_the_way_to_remove_it() -> None:
    retired = config_with(regions=["us-east-1"], retired_regions=["eu-west-1"])
    assert unsafe_changes(config_with(), retired) == []
    # ... and once its stack is destroyed, the region leaves the file.
    assert unsafe_changes(retired, config_with(regions=["us-east-1"])) == []


def test_retiring_a_region_in_the_same_change_as_anything_else_is_refused() -> None:
    # Given a change that retires eu-west-1 and turns capture off, when checked, then it is
    # refused: the retire apply would release the storage key while replacing the endpoint
    # configuration that depends on it, a Terraform cycle.
    retired = {"regions": ["us-east-1"], "retired_regions": ["eu-west-1"]}
    old = config_with(data_capture__enabled=True)
    (problem,) = unsafe_changes(old, config_with(**retired))
    assert problem.startswith(
        "retired_regions: ['eu-west-1'] retired in the same change as data_capture: "
    ), problem
    assert "retire the region in a change of its own, deploy it, then make the other" in problem
    assert "docs/data-and-teardown.md#removing-a-region" in problem
    # Once the retire is deployed, other changes may follow while its stack waits for `destroy`.
    assert (
        unsafe_changes(config_with(**retired), config_with(data_capture__enabled=True, **retired))
        == []
    )


def test_explicit_file_wins_over_the_environment_variable(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("service: [\n")
    good = write_config(tmp_path, {}, name="good.yaml")
    result = subprocess.run(
        [sys.executable, "-m", "config", "check", str(good)],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
        env={"PATH": "/usr/bin:/bin", "SERVING_CONFIG": str(broken)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_capture_turned_off_keeps_the_bucket_and_says_so_per_stack() -> None:
    old = config_with(data_capture__enabled=True)
    notes = data_notes(old, config_with())
    assert sorted(notes) == ["serving-prod-eu-west-1", "serving-prod-us-east-1"]
    (note,) = notes["serving-prod-us-east-1"]
    assert note.startswith("capture stops (data_capture.enabled off): the capture bucket "
                           "serving-prod-capture-<account-id>-us-east-1 ")  # fmt: skip
    assert "data-and-teardown.md#deleting-kept-data-deliberately" in note


def test_kept_data_is_printed_under_its_stack_line() -> None:
    stacks = [StackPreview("serving-prod-us-east-1", "serving-prod-us-east-1: no changes")]
    stacks = [replace(stacks[0], kept=["capture stops (x): ..."])]
    assert preview_lines(stacks) == [
        "serving-prod-us-east-1: no changes",
        "  data kept: capture stops (x): ...",
    ]


def test_retiring_every_region_keeps_logs_capture_and_key_of_each() -> None:
    old = config_with(data_capture__enabled=True)
    gone = config_with(regions=[], retired_regions=["us-east-1", "eu-west-1"])
    notes = data_notes(old, gone)
    assert [len(n) for n in notes.values()] == [1, 1]
    (note,) = notes["serving-prod-eu-west-1"]
    for kept in (
        "access-log bucket serving-prod-alb-logs-<account-id>-eu-west-1",
        "capture bucket serving-prod-capture-<account-id>-eu-west-1",
        "KMS key alias/sagemaker/serving-prod",
    ):
        assert kept in note, note


def test_tearing_everything_down_is_valid_with_every_region_retired(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(tmp_path, {"regions": [], "retired_regions": ["us-east-1", "eu-west-1"]})
    assert config_main(["check", str(path)]) == 0
    assert "regions none: every region retired" in capsys.readouterr().out


def test_config_help_exits_0_and_check_help_is_help_not_a_file() -> None:
    for args in (["--help"], ["check", "--help"]):
        result = subprocess.run(
            [sys.executable, "-m", "config", *args],
            cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("usage: python -m config"), result.stdout
        assert "--help" not in result.stderr
    assert "--since OLD_FILE" in result.stdout and "--allow ADDRESS" in result.stdout
