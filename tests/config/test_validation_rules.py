"""Given a configuration that breaks one rule, when it is loaded, then that rule's message shows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from config.loader import ConfigError, load_config
from config.models import AutoscalingSettings
from tests.support.configs import REMOVE, write_config


def autoscaling_of(path: Path) -> AutoscalingSettings:
    autoscaling = load_config(path).autoscaling
    assert autoscaling is not None
    return autoscaling


def problems(tmp_path: Path, overrides: dict[str, Any]) -> list[str]:
    path = write_config(tmp_path, overrides)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return caught.value.problems


def only_problem(tmp_path: Path, overrides: dict[str, Any]) -> str:
    found = problems(tmp_path, overrides)
    assert len(found) == 1, found
    return found[0]


def test_example_configuration_is_valid() -> None:
    config = load_config()
    assert config.name == "serving-prod"
    assert len(config.regions) >= 2


def test_single_instance_is_rejected_without_opt_in(tmp_path: Path) -> None:
    message = only_problem(tmp_path, {"endpoint.min_instance_count": 1})
    assert message.startswith(
        "endpoint.min_instance_count: 1 instance is a single Availability Zone"
    )
    assert "allow_single_instance: true" in message


def test_single_instance_is_accepted_with_opt_in(tmp_path: Path) -> None:
    path = write_config(
        tmp_path,
        {
            "endpoint.allow_single_instance": True,
            "endpoint.min_instance_count": 1,
            "autoscaling.scheduled_actions": REMOVE,
        },
    )
    assert load_config(path).endpoint.min_instance_count == 1


def test_initial_below_max_is_rejected(tmp_path: Path) -> None:
    # Every rollout starts its new fleet at initial_instance_count (provider 5.100 sends no
    # RetainAllVariantProperties): below max, a rollout at peak would shrink the endpoint.
    message = only_problem(tmp_path, {"endpoint.initial_instance_count": 2})
    assert message.startswith(
        "endpoint.max_instance_count: initial_instance_count (2) differs from max_instance_count (6)"
    )
    assert "remove initial_instance_count" in message


def test_max_below_min_is_rejected(tmp_path: Path) -> None:
    message = only_problem(
        tmp_path,
        {
            "endpoint.min_instance_count": 4,
            "endpoint.max_instance_count": 3,
            "autoscaling.scheduled_actions": REMOVE,
        },
    )
    assert message == (
        "endpoint.max_instance_count: 3 is below min_instance_count (4); max_instance_count must be at least 4"
    )


def test_max_below_initial_is_rejected(tmp_path: Path) -> None:
    message = only_problem(
        tmp_path, {"endpoint.initial_instance_count": 7, "endpoint.max_instance_count": 6}
    )
    assert message.startswith(
        "endpoint.max_instance_count: initial_instance_count (7) differs from max_instance_count (6)"
    )


def test_new_fleets_start_at_max(tmp_path: Path) -> None:
    path = write_config(tmp_path, {"endpoint.min_instance_count": 3})
    assert load_config(path).endpoint.initial_instances == 6


def test_initial_equal_to_max_is_accepted(tmp_path: Path) -> None:
    path = write_config(tmp_path, {"endpoint.initial_instance_count": 6})
    assert load_config(path).endpoint.initial_instances == 6


def test_autoscaling_target_from_load_test_uses_aws_formula(tmp_path: Path) -> None:
    path = write_config(
        tmp_path, {"autoscaling.max_rps_per_instance": 12.5, "autoscaling.safety_factor": 0.4}
    )
    assert autoscaling_of(path).invocations_target == 12.5 * 0.4 * 60


def test_safety_factor_defaults_to_half(tmp_path: Path) -> None:
    path = write_config(
        tmp_path, {"autoscaling.max_rps_per_instance": 10, "autoscaling.safety_factor": REMOVE}
    )
    assert autoscaling_of(path).invocations_target == 300


def test_autoscaling_target_given_directly(tmp_path: Path) -> None:
    path = write_config(
        tmp_path,
        {
            "autoscaling.max_rps_per_instance": REMOVE,
            "autoscaling.target_invocations_per_instance": 750,
        },
    )
    assert autoscaling_of(path).invocations_target == 750


def test_autoscaling_needs_exactly_one_target_both(tmp_path: Path) -> None:
    message = only_problem(tmp_path, {"autoscaling.target_invocations_per_instance": 100})
    assert message.startswith("autoscaling: give exactly one of target_invocations_per_instance")
    assert "got both" in message


def test_autoscaling_needs_exactly_one_target_neither(tmp_path: Path) -> None:
    message = only_problem(tmp_path, {"autoscaling.max_rps_per_instance": REMOVE})
    assert message.endswith("got neither")


def test_safety_factor_above_one_is_rejected(tmp_path: Path) -> None:
    message = only_problem(tmp_path, {"autoscaling.safety_factor": 1.5})
    assert message.startswith("autoscaling.safety_factor: input should be less than or equal to 1")


def test_unknown_region_is_rejected_with_suggestion(tmp_path: Path) -> None:
    message = only_problem(tmp_path, {"regions": ["us-east-1", "eu-west-9"]})
    assert message.startswith("regions[1]: 'eu-west-9' is not an AWS region with SageMaker")
    assert "Did you mean 'eu-west-" in message


def test_other_partition_region_is_rejected(tmp_path: Path) -> None:
    message = only_problem(tmp_path, {"regions": ["us-gov-west-1"]})
    assert "separate AWS partition" in message


def test_duplicate_regions_are_rejected(tmp_path: Path) -> None:
    message = only_problem(tmp_path, {"regions": ["us-east-1", "eu-west-1", "us-east-1"]})
    assert message == "regions: regions must be unique; repeated: ['us-east-1']"


def test_empty_region_list_is_rejected(tmp_path: Path) -> None:
    message = only_problem(tmp_path, {"regions": []})
    assert message.startswith("regions: list should have at least 1 item")


def test_typo_in_key_is_rejected_with_suggestion(tmp_path: Path) -> None:
    found = problems(tmp_path, {"endpoint.instanse_type": "ml.m5.large"})
    assert (
        "endpoint.instanse_type: unknown field; did you mean 'instance_type'?"
        in found[0] + found[-1]
    )


def test_missing_required_field_names_it(tmp_path: Path) -> None:
    message = only_problem(tmp_path, {"model.image_uri": REMOVE})
    assert message.startswith("model.image_uri: required field is missing; add it")


def test_wrong_type_is_rejected_not_coerced(tmp_path: Path) -> None:
    message = only_problem(tmp_path, {"endpoint.max_instance_count": "6"})
    assert message == "endpoint.max_instance_count: input should be a valid integer (got '6')"


def test_image_must_be_ecr(tmp_path: Path) -> None:
    message = only_problem(tmp_path, {"model.image_uri": "docker.io/library/nginx:latest"})
    assert message.startswith(
        "model.image_uri: 'docker.io/library/nginx:latest' is not an ECR image URI"
    )


def test_image_pinned_to_another_region_is_rejected(tmp_path: Path) -> None:
    message = only_problem(
        tmp_path, {"model.image_uri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/model:1"}
    )
    assert message.startswith("model: image_uri is in us-east-1 but SageMaker pulls images")
    assert "eu-west-1" in message


def test_model_data_must_be_s3_url(tmp_path: Path) -> None:
    message = only_problem(tmp_path, {"model.model_data_url": "https://example.com/model.tar.gz"})
    assert message.startswith(
        "model.model_data_url: 'https://example.com/model.tar.gz' is not an S3 URL"
    )


def test_execution_role_must_be_role_arn(tmp_path: Path) -> None:
    message = only_problem(tmp_path, {"model.execution_role_arn": "arn:aws:iam::123:user/bob"})
    assert message.startswith(
        "model.execution_role_arn: 'arn:aws:iam::123:user/bob' is not an IAM role ARN"
    )


def test_instance_type_must_be_sagemaker_type(tmp_path: Path) -> None:
    message = only_problem(tmp_path, {"endpoint.instance_type": "m5.xlarge"})
    assert "expected ml.<family>.<size>" in message


def test_record_must_be_inside_zone(tmp_path: Path) -> None:
    message = only_problem(tmp_path, {"domain.record_name": "api.example.org"})
    assert message == (
        "domain.record_name: 'api.example.org' is not inside hosted zone 'example.com'; "
        "use a name ending in .example.com"
    )


def test_long_service_name_is_rejected(tmp_path: Path) -> None:
    message = only_problem(
        tmp_path, {"service": "a-very-long-service-name", "environment": "production"}
    )
    assert message.startswith(
        "environment: service + environment 'a-very-long-service-name-production' is 35"
    )


def test_service_name_format(tmp_path: Path) -> None:
    message = only_problem(tmp_path, {"service": "Serving_API"})
    assert message.startswith(
        "service: 'Serving_API' has the wrong format; Service name: lowercase"
    )


def test_state_backend_kind_is_checked(tmp_path: Path) -> None:
    message = only_problem(tmp_path, {"state.backend": "gcs"})
    assert message == "state: 'gcs' is not a backend; set `backend` to one of 's3', 'cloud'"


def test_state_backend_must_be_named(tmp_path: Path) -> None:
    message = only_problem(tmp_path, {"state.backend": REMOVE})
    assert (
        message
        == "state: `backend` is missing; add `backend: s3` (S3 state) or `backend: cloud` (Terraform Cloud)"
    )


def test_cloud_backend_typo_is_reported_at_the_users_path(tmp_path: Path) -> None:
    found = problems(tmp_path, {"state": {"backend": "cloud", "organisation": "ml"}})
    assert found == [
        "state.organization: required field is missing; add it (Terraform Cloud organization.)",
        "state.organisation: unknown field; did you mean 'organization'? valid fields here: "
        "backend, hostname, organization, project, workspace_prefix",
    ]


def test_reserved_tag_prefix_is_rejected(tmp_path: Path) -> None:
    message = only_problem(tmp_path, {"tags": {"aws:owner": "me"}})
    assert "may not start with 'aws:'" in message


def test_scheduled_action_max_below_min_is_rejected(tmp_path: Path) -> None:
    action = {
        "name": "night",
        "schedule": "cron(0 22 * * ? *)",
        "min_instance_count": 4,
        "max_instance_count": 2,
    }
    message = only_problem(tmp_path, {"autoscaling.scheduled_actions": [action]})
    assert (
        message
        == "autoscaling.scheduled_actions[0].max_instance_count: 2 is below min_instance_count (4)"
    )


def test_all_problems_are_reported_at_once(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        {"regions": ["mars-1"], "endpoint.min_instance_count": 1, "autoscaling.safety_factor": 0},
    )
    paths = sorted(p.split(":")[0] for p in found)
    assert paths == ["autoscaling.safety_factor", "endpoint.min_instance_count", "regions[0]"]


def test_proxy_timeout_must_be_below_alb_idle_timeout(tmp_path: Path) -> None:
    message = only_problem(tmp_path, {"proxy.timeout_s": 75})
    assert message.startswith(
        "proxy: timeout_s (75) must be below load_balancer.idle_timeout_s (75)"
    )


def test_proxy_timeout_must_leave_room_for_sagemakers_60_s(tmp_path: Path) -> None:
    message = only_problem(tmp_path, {"proxy.timeout_s": 55})
    assert message.startswith(
        "proxy: timeout_s (55) must be at least 70: the proxy waits up to SageMaker's 60 s"
    )


def test_ingress_cidrs_must_be_cidr_blocks(tmp_path: Path) -> None:
    message = only_problem(tmp_path, {"load_balancer.ingress_cidrs": ["10.0.0.0/33", "0.0.0.0/0"]})
    assert message.startswith("load_balancer.ingress_cidrs: not CIDR blocks: ['10.0.0.0/33']")


def test_existing_network_needs_two_subnets(tmp_path: Path) -> None:
    existing = {
        "us-east-1": {
            "vpc_id": "vpc-0123456789abcdef0",
            "public_subnet_ids": ["subnet-0aaaaaaaaaaaaaaa1"],
            "private_subnet_ids": ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"],
        }
    }
    message = only_problem(tmp_path, {"network.existing": existing})
    assert message.startswith(
        "network.existing.us-east-1.public_subnet_ids: list should have at least 2 items"
    )


def test_existing_network_for_unknown_region_is_rejected(tmp_path: Path) -> None:
    existing = {
        "eu-central-1": {
            "vpc_id": "vpc-0123456789abcdef0",
            "public_subnet_ids": ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"],
            "private_subnet_ids": ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"],
        }
    }
    message = only_problem(tmp_path, {"network.existing": existing})
    assert message.startswith(
        "network: existing networks for regions not in `regions`: ['eu-central-1']"
    )


def test_tls_policy_must_be_tls13(tmp_path: Path) -> None:
    message = only_problem(tmp_path, {"load_balancer.ssl_policy": "ELBSecurityPolicy-2016-08"})
    assert message.startswith(
        "load_balancer.ssl_policy: 'ELBSecurityPolicy-2016-08' is not allowed"
    )
