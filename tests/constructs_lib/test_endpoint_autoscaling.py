"""Given autoscaling settings, when synthesized, the variant scales on the configured metrics."""

from __future__ import annotations

from typing import Any

import pytest

from config.models import ServiceConfig
from tests.support.configs import REMOVE, config_with
from tests.support.synth import only, resources, synth_region


@pytest.fixture(scope="module")
def stack(example_config: ServiceConfig) -> dict[str, Any]:
    return synth_region(example_config, "us-east-1")


def policy_for(stack: dict[str, Any], metric: str) -> dict[str, Any]:
    found = [
        p
        for p in resources(stack, "aws_appautoscaling_policy").values()
        if p["target_tracking_scaling_policy_configuration"]["predefined_metric_specification"][
            "predefined_metric_type"
        ]
        == metric
    ]
    assert len(found) == 1, found
    return found[0]


def test_scalable_target_is_the_variant_instance_count(stack: dict[str, Any]) -> None:
    target = only(stack, "aws_appautoscaling_target")
    endpoint_id = next(iter(resources(stack, "aws_sagemaker_endpoint")))
    assert target["service_namespace"] == "sagemaker"
    assert target["scalable_dimension"] == "sagemaker:variant:DesiredInstanceCount"
    assert (
        target["resource_id"]
        == f"endpoint/${{aws_sagemaker_endpoint.{endpoint_id}.name}}/variant/primary"
    )
    assert (target["min_capacity"], target["max_capacity"]) == (2, 6)


def test_invocations_policy_holds_the_computed_target(stack: dict[str, Any]) -> None:
    policy = policy_for(stack, "SageMakerVariantInvocationsPerInstance")
    config = policy["target_tracking_scaling_policy_configuration"]
    assert policy["policy_type"] == "TargetTrackingScaling"
    assert config["target_value"] == 600  # 20 rps × 0.5 × 60
    assert config["scale_in_cooldown"] == 300
    assert config["scale_out_cooldown"] == 60


def test_concurrency_policy_uses_high_resolution_metric(stack: dict[str, Any]) -> None:
    policy = policy_for(stack, "SageMakerVariantConcurrentRequestsPerModelHighResolution")
    assert policy["target_tracking_scaling_policy_configuration"]["target_value"] == 4
    assert len(resources(stack, "aws_appautoscaling_policy")) == 2


def test_only_one_policy_without_concurrency_target() -> None:
    stack = synth_region(config_with(autoscaling__concurrency_target=REMOVE))
    (policy,) = resources(stack, "aws_appautoscaling_policy").values()
    assert policy["name"] == "serving-prod-invocations-per-instance"


def test_policies_scale_the_same_target(stack: dict[str, Any]) -> None:
    target_id = next(iter(resources(stack, "aws_appautoscaling_target")))
    for policy in resources(stack, "aws_appautoscaling_policy").values():
        assert policy["resource_id"] == f"${{aws_appautoscaling_target.{target_id}.resource_id}}"


def test_cooldowns_come_from_config() -> None:
    stack = synth_region(
        config_with(autoscaling__scale_in_cooldown_s=900, autoscaling__scale_out_cooldown_s=30)
    )
    config = policy_for(stack, "SageMakerVariantInvocationsPerInstance")[
        "target_tracking_scaling_policy_configuration"
    ]
    assert (config["scale_in_cooldown"], config["scale_out_cooldown"]) == (900, 30)


def test_scheduled_action_changes_the_range(stack: dict[str, Any]) -> None:
    actions = {
        a["name"]: a for a in resources(stack, "aws_appautoscaling_scheduled_action").values()
    }
    assert sorted(actions) == ["serving-prod-after-hours", "serving-prod-business-hours"]
    action = actions["serving-prod-business-hours"]
    assert action["schedule"] == "cron(0 7 ? * MON-FRI *)"
    assert action["timezone"] == "Europe/Berlin"
    assert action["scalable_target_action"] == {"min_capacity": "3", "max_capacity": "6"}
    # ... and the evening sets the endpoint's own range back.
    back = actions["serving-prod-after-hours"]["scalable_target_action"]
    assert back == {"min_capacity": "2", "max_capacity": "6"}


def test_no_scheduled_actions_by_default() -> None:
    stack = synth_region(config_with(autoscaling__scheduled_actions=REMOVE))
    assert resources(stack, "aws_appautoscaling_scheduled_action") == {}
