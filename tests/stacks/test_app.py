"""The app: one independent stack per region plus the bootstrap stack."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from config.models import ServiceConfig
from tests.support.synth import synth_region


@pytest.fixture(scope="module")
def synthesized(synthesized_example: Path) -> Path:
    return synthesized_example


def test_one_stack_per_region_plus_bootstrap(synthesized: Path) -> None:
    manifest = json.loads((synthesized / "manifest.json").read_text())
    assert sorted(manifest["stacks"]) == [
        "bootstrap-serving-prod",
        "serving-prod-eu-west-1",
        "serving-prod-us-east-1",
    ]


def test_region_stacks_do_not_depend_on_each_other(synthesized: Path) -> None:
    manifest = json.loads((synthesized / "manifest.json").read_text())
    for name, stack in manifest["stacks"].items():
        assert stack["dependencies"] == [], name


def test_no_remote_state_between_stacks(synthesized: Path) -> None:
    for stack_file in synthesized.glob("stacks/*/cdk.tf.json"):
        document = json.loads(stack_file.read_text())
        assert "terraform_remote_state" not in document.get("data", {}), stack_file


def test_bootstrap_name_is_outside_the_region_glob(example_config: ServiceConfig) -> None:
    assert not example_config.bootstrap_stack_name.startswith(f"{example_config.name}-")


def test_region_stacks_differ_only_by_region(example_config: ServiceConfig) -> None:
    east = synth_region(example_config, "us-east-1")
    west = synth_region(example_config, "eu-west-1")
    # The state bucket lives in one region for all stacks; only the key differs.
    assert east["terraform"].pop("backend")["s3"]["region"] == west["terraform"].pop("backend")["s3"]["region"]
    # ELB access logs are delivered by a different AWS account in each region.
    east_text = json.dumps(east).replace("127311923021", "156460612806")
    assert east_text.replace("us-east-1", "eu-west-1") == json.dumps(west)
