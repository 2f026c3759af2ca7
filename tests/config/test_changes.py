"""Given an old and a new configuration, `python -m config check NEW --since OLD` refuses the
changes a live service cannot take, before any Terraform is written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.configs import write_config

ROOT = Path(__file__).resolve().parents[2]


def check(
    tmp_path: Path, new: dict[str, Any], old: dict[str, Any] | None = None
) -> subprocess.CompletedProcess[str]:
    old_path = write_config(tmp_path, old or {}, name="old.yaml")
    new_path = write_config(tmp_path, new, name="new.yaml")
    return subprocess.run(
        [sys.executable, "-m", "config", "check", str(new_path), "--since", str(old_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_routine_change_passes(tmp_path: Path) -> None:
    result = check(
        tmp_path, {"model.model_data_url": "s3://example-models-{region}/v8/model.tar.gz"}
    )
    assert result.returncode == 0, result.stderr
    assert "valid (serving-prod" in result.stdout


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


def test_retiring_a_region_is_the_way_to_remove_it(tmp_path: Path) -> None:
    retired = {"regions": ["us-east-1"], "retired_regions": ["eu-west-1"]}
    assert check(tmp_path, retired).returncode == 0
    # ... and once its stack is destroyed, the region leaves the file.
    result = check(tmp_path, {"regions": ["us-east-1"]}, retired)
    assert result.returncode == 0, result.stderr


def test_explicit_file_wins_over_the_environment_variable(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("service: [\n")
    good = write_config(tmp_path, {}, name="good.yaml")
    result = subprocess.run(
        [sys.executable, "-m", "config", "check", str(good)],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
        env={"PATH": "/usr/bin:/bin", "SERVING_CONFIG": str(broken)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_capture_turned_off_is_valid_and_says_which_bucket_is_kept(tmp_path: Path) -> None:
    result = check(tmp_path, {}, {"data_capture.enabled": True})
    assert result.returncode == 0, result.stderr
    kept = [line for line in result.stdout.splitlines() if ": data kept: " in line]
    assert len(kept) == 2, result.stdout  # one line per served region
    assert "serving-prod-capture-<account-id>-us-east-1" in kept[0]
    assert "data-and-teardown.md#deleting-kept-data-deliberately" in kept[0]


def test_tearing_everything_down_retires_every_region(tmp_path: Path) -> None:
    result = check(tmp_path, {"regions": [], "retired_regions": ["us-east-1", "eu-west-1"]})
    assert result.returncode == 0, result.stderr
    assert "regions none: every region retired" in result.stdout
    kept = [line for line in result.stdout.splitlines() if ": data kept: retired_regions" in line]
    assert len(kept) == 2, result.stdout
