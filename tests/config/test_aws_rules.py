"""Given a value beyond an AWS limit, when the configuration is loaded, then the message names the
field, the limit and where it comes from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from config.loader import ConfigError, load_config
from tests.support.configs import write_config


def only_problem(tmp_path: Path, overrides: dict[str, Any]) -> str:
    path = write_config(tmp_path, overrides)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    (problem,) = caught.value.problems
    return problem


def test_instance_type_must_be_a_hosting_type_from_botocore(tmp_path: Path) -> None:
    message = only_problem(tmp_path, {"endpoint.instance_type": "ml.m5.medium"})
    assert message.startswith(
        "endpoint.instance_type: 'ml.m5.medium' is not a SageMaker real-time hosting instance "
        "type (botocore sagemaker ProductionVariantInstanceType); did you mean"
    )


def test_log_retention_must_be_a_cloudwatch_value(tmp_path: Path) -> None:
    message = only_problem(tmp_path, {"waf.log_retention_days": 10})
    assert message.startswith("waf.log_retention_days: 10 is not one of the values CloudWatch Logs")
    assert "nearest: 5, 7, 14" in message


def test_certificate_name_over_64_characters_is_refused(tmp_path: Path) -> None:
    message = only_problem(tmp_path, {"domain.record_name": f"{'a' * 58}.example.com"})
    assert message.startswith("domain.record_name: the certificate domain name")
    assert "70 characters; ACM allows 64" in message


def test_dotless_kms_alias_keeps_dotted_bucket_valid(tmp_path: Path) -> None:
    path = write_config(tmp_path, {"state.bucket": "tfstate.ml.example.com"})
    assert load_config(path).state.bucket == "tfstate.ml.example.com"  # type: ignore[union-attr]


def test_service_that_makes_an_internal_load_balancer_name_is_refused(tmp_path: Path) -> None:
    message = only_problem(tmp_path, {"service": "internal"})
    assert message == (
        "service: the load balancer name 'internal-prod' it gives is refused by AWS: load "
        "balancer names may not start with `internal-`; change service so that it fits"
    )


def test_duplicate_ingress_cidr_is_refused(tmp_path: Path) -> None:
    message = only_problem(tmp_path, {"load_balancer.ingress_cidrs": ["10.0.0.0/8"] * 2})
    assert message == "load_balancer.ingress_cidrs: repeated: ['10.0.0.0/8']; give each once"


def test_vpc_cidr_outside_the_subnet_plan_is_refused(tmp_path: Path) -> None:
    message = only_problem(tmp_path, {"network.vpc_cidr": "10.40.0.0/25"})
    assert message.startswith("network.vpc_cidr: ")


def test_scheduled_action_cannot_bypass_two_instances(tmp_path: Path) -> None:
    action = {"name": "night", "schedule": "cron(0 22 * * ? *)"}
    message = only_problem(
        tmp_path,
        {
            "autoscaling.scheduled_actions": [
                {**action, "min_instance_count": 1, "max_instance_count": 1},
                {**action, "name": "day", "min_instance_count": 2, "max_instance_count": 6},
            ]
        },
    )
    assert message.startswith(
        "autoscaling.scheduled_actions[0].min_instance_count: 1 instance is a single "
        "Availability Zone while the action applies"
    )


def test_target_below_one_invocation_per_minute_is_refused(tmp_path: Path) -> None:
    message = only_problem(tmp_path, {"autoscaling.max_rps_per_instance": 0.0001})
    assert message.startswith(
        "autoscaling.max_rps_per_instance: max_rps_per_instance × safety_factor × 60 gives a "
        "target of 0 invocations per instance per minute"
    )


def test_tags_counted_with_the_stacks_own_for_route53(tmp_path: Path) -> None:
    message = only_problem(tmp_path, {"tags": {f"t{i}": "x" for i in range(7)}})
    assert message.startswith("tags: 7 tags make 11 on the Route 53 health check")
    assert "Route 53 allows 10" in message


def test_yaml_boolean_trap_is_named(tmp_path: Path) -> None:
    path = write_config(tmp_path, {})
    path.write_text(path.read_text().replace("environment: prod", "environment: no"))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.problems == [
        "environment: input should be a valid string (got False) (YAML 1.1 reads unquoted `no` "
        "as a boolean: write 'no' in quotes if you mean the word)"
    ]


def test_base_60_number_is_refused(tmp_path: Path) -> None:
    path = write_config(tmp_path, {})
    path.write_text(
        path.read_text().replace("max_instance_count: 6", "max_instance_count: 1:30", 1)
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.problems == [
        "endpoint.max_instance_count: `1:30` is read by YAML 1.1 as a base-60 number (90); quote "
        "it ('1:30') if you mean text, or write the number you mean"
    ]


def test_scheduled_action_above_the_fleet_size_is_refused(tmp_path: Path) -> None:
    action = {"name": "peak", "schedule": "cron(0 7 * * ? *)"}
    message = only_problem(
        tmp_path,
        {
            "autoscaling.scheduled_actions": [
                {**action, "min_instance_count": 2, "max_instance_count": 8},
                {**action, "name": "calm", "min_instance_count": 2, "max_instance_count": 6},
            ]
        },
    )
    assert message.startswith(
        "autoscaling.scheduled_actions[0].max_instance_count: 8 is above "
        "endpoint.max_instance_count (6)"
    )


def test_schedule_without_a_way_back_is_refused(tmp_path: Path) -> None:
    action = {"name": "peak", "schedule": "cron(0 7 * * ? *)"}
    message = only_problem(
        tmp_path,
        {
            "autoscaling.scheduled_actions": [
                {**action, "min_instance_count": 3, "max_instance_count": 6}
            ]
        },
    )
    assert message.startswith(
        "autoscaling.scheduled_actions: no action scales back to the endpoint's own range "
        "(min_instance_count 2, max_instance_count 6)"
    )


def test_schedule_that_scales_back_is_accepted(tmp_path: Path) -> None:
    # The example: business hours raise the floor to 3, the evening sets it back to 2.
    autoscaling = load_config(write_config(tmp_path, {})).autoscaling
    assert autoscaling is not None
    assert len(autoscaling.scheduled_actions) == 2
