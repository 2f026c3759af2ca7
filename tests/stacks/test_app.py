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


CORE_TYPES = (
    "aws_sagemaker_model",
    "aws_sagemaker_endpoint_configuration",
    "aws_sagemaker_endpoint",
    "aws_appautoscaling_target",
    "aws_appautoscaling_policy",
    "aws_lambda_function",
    "aws_lb",
    "aws_lb_listener",
    "aws_lb_target_group",
    "aws_wafv2_web_acl",
)


def test_region_stacks_differ_only_by_region(example_config: ServiceConfig) -> None:
    east = synth_region(example_config, "us-east-1")
    west = synth_region(example_config, "eu-west-1")
    for resource_type in CORE_TYPES:
        east_text = json.dumps(east["resource"][resource_type]).replace("us-east-1", "eu-west-1")
        assert east_text == json.dumps(west["resource"][resource_type]), resource_type


def test_only_other_regions_add_a_us_east_1_provider_for_route53_metrics(
    example_config: ServiceConfig,
) -> None:
    east = synth_region(example_config, "us-east-1")
    west = synth_region(example_config, "eu-west-1")
    assert [p.get("alias") for p in east["provider"]["aws"]] == [None]
    assert [(p.get("alias"), p["region"]) for p in west["provider"]["aws"]] == [
        (None, "eu-west-1"),
        ("route53_metrics", "us-east-1"),
    ]
