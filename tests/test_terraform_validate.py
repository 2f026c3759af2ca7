"""Every synthesized stack passes `terraform init -backend=false` + `terraform validate`, offline."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.support.terraform import offline_terraform

STACKS = ["bootstrap-serving-prod", "serving-prod-us-east-1", "serving-prod-eu-west-1"]

pytestmark = pytest.mark.terraform


def test_example_synthesizes_at_least_two_region_stacks(synthesized_example: Path) -> None:
    found = sorted(p.name for p in (synthesized_example / "stacks").iterdir())
    assert found == sorted(STACKS)


@pytest.mark.parametrize("stack", STACKS)
def test_stack_validates(synthesized_example: Path, tmp_path_factory: pytest.TempPathFactory, stack: str) -> None:
    workdir = tmp_path_factory.mktemp(f"validate-{stack}")
    terraform = offline_terraform(tmp_path_factory.getbasetemp() / "terraform")
    shutil.copytree(synthesized_example / "stacks" / stack, workdir, dirs_exist_ok=True)
    terraform.run(workdir, "init", "-backend=false", "-input=false", "-no-color")
    result = terraform.run(workdir, "validate", "-json", "-no-color", check=False)
    report = json.loads(result.stdout)
    assert report["valid"] is True, report["diagnostics"]
    assert report["error_count"] == 0
