"""Given serving settings (routing, start-up timeouts, A/B variants, shadow, serverless), when the
configuration is loaded, then what AWS accepts loads and what cannot work is refused clearly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from config.changes import unsafe_changes
from config.loader import ConfigError, load_config
from config.models import INFERENCE_AMI_VERSIONS, ServiceConfig
from tests.support.configs import REMOVE, write_config

EXAMPLES = Path(__file__).resolve().parents[2] / "config" / "examples"
IMAGE = "763104351884.dkr.ecr.{region}.amazonaws.com/pytorch-inference:2.3.0-cpu-py311"
CHALLENGER = {
    "name": "challenger",
    "model": {"image_uri": IMAGE, "model_data_url": "s3://models-{region}/v8/model.tar.gz"},
    "instance_type": "ml.m5.large",
    "weight": 1,
}
SHADOW = {"name": "candidate", "model": {"image_uri": IMAGE}, "instance_type": "ml.m5.xlarge"}
SERVERLESS = {
    "endpoint": {"serverless": {"memory_mb": 2048}},
    "autoscaling": REMOVE,
    "model.network_isolation": False,
    "rollout.strategy": "all_at_once",
}


def problems(tmp_path: Path, overrides: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(tmp_path, overrides))
    return caught.value.problems


def loaded(tmp_path: Path, overrides: dict[str, Any]) -> ServiceConfig:
    return load_config(write_config(tmp_path, overrides))


@pytest.mark.parametrize("name", ["ab", "shadow", "serverless-dev"])
def test_shipped_examples_are_valid(name: str) -> None:
    assert load_config(EXAMPLES / f"{name}.yaml").regions == ["us-east-1"]


def test_routing_strategy_defaults_to_least_outstanding_requests(tmp_path: Path) -> None:
    config = loaded(tmp_path, {"endpoint.routing_strategy": REMOVE})
    assert config.endpoint.routing_strategy == "least_outstanding_requests"


def test_unknown_routing_strategy_is_refused(tmp_path: Path) -> None:
    (message,) = problems(tmp_path, {"endpoint.routing_strategy": "prefix_aware"})
    assert message.startswith("endpoint.routing_strategy:")
    assert "least_outstanding_requests" in message and "random" in message


@pytest.mark.parametrize(
    ("instance_type", "download_s", "startup_s"),
    [("ml.m5.xlarge", 300, 300), ("ml.g5.xlarge", 600, 900), ("ml.inf2.xlarge", 600, 900)],
)
def test_start_up_timeouts_default_by_instance_family(
    tmp_path: Path, instance_type: str, download_s: int, startup_s: int
) -> None:
    config = loaded(
        tmp_path,
        {
            "endpoint.instance_type": instance_type,
            "endpoint.model_data_download_timeout_s": REMOVE,
            "endpoint.container_startup_health_check_timeout_s": REMOVE,
        },
    )
    assert (config.endpoint.download_timeout_s, config.endpoint.startup_timeout_s) == (
        download_s,
        startup_s,
    )


@pytest.mark.parametrize("value", [59, 3601])
@pytest.mark.parametrize(
    "field", ["model_data_download_timeout_s", "container_startup_health_check_timeout_s"]
)
def test_start_up_timeouts_outside_60_to_3600_s_are_refused(
    tmp_path: Path, field: str, value: int
) -> None:
    (message,) = problems(tmp_path, {f"endpoint.{field}": value})
    assert message.startswith(f"endpoint.{field}:")
    assert ("60" if value < 60 else "3600") in message


def test_long_start_up_timeouts_count_towards_the_rollout(tmp_path: Path) -> None:
    (message,) = problems(
        tmp_path,
        {
            "endpoint.model_data_download_timeout_s": 1800,
            "endpoint.container_startup_health_check_timeout_s": 1800,
        },
    )
    # 300 launch + 1800 + 1800 + 2 × 300 + 600 = 5100 s > 3000 s.
    assert message.startswith("rollout: a canary rollout takes up to 5100 s (3900 s to start")
    assert "lower the start-up timeouts" in message


def test_inference_ami_version_outside_the_providers_list_is_refused(tmp_path: Path) -> None:
    (message,) = problems(
        tmp_path,
        {
            "endpoint.instance_type": "ml.g5.xlarge",
            "endpoint.inference_ami_version": "al2023-ami-sagemaker-inference-gpu-4-1",
        },
    )
    assert message.startswith("endpoint.inference_ami_version:")
    assert INFERENCE_AMI_VERSIONS[0] in message


def test_inference_ami_version_on_a_cpu_instance_is_refused(tmp_path: Path) -> None:
    (message,) = problems(
        tmp_path, {"endpoint.inference_ami_version": "al2-ami-sagemaker-inference-gpu-3-1"}
    )
    assert message.startswith("endpoint.inference_ami_version: al2-ami-sagemaker-inference-gpu")
    assert "ml.m5.xlarge has no accelerator; remove inference_ami_version" in message


def test_canary_rollout_on_inf1_is_refused(tmp_path: Path) -> None:
    found = problems(tmp_path, {"endpoint.instance_type": "ml.inf1.xlarge"})
    assert any(
        p.startswith("endpoint.instance_type: SageMaker cannot shift traffic in steps on Inf1")
        and "rollout.strategy: all_at_once" in p
        for p in found
    ), found


def test_ab_variants_load_with_their_own_model_and_scaling(tmp_path: Path) -> None:
    config = loaded(tmp_path, {"variants": [CHALLENGER]})
    names = [(v.name, v.weight, v.shadow) for v in config.serving_variants]
    assert names == [("primary", 1, False), ("challenger", 1, False)]
    inherited = config.serving_variants[1].autoscaling
    assert config.autoscaling is not None and inherited is not None
    assert inherited.invocations_target == config.autoscaling.invocations_target
    # Scheduled actions set instance ranges, which are each variant's own.
    assert config.autoscaling.scheduled_actions and inherited.scheduled_actions == []


def test_all_weights_zero_is_refused(tmp_path: Path) -> None:
    (message,) = problems(
        tmp_path, {"endpoint.weight": 0, "variants": [{**CHALLENGER, "weight": 0}]}
    )
    assert message.startswith("endpoint.weight: every production variant has weight 0")


def test_repeated_variant_names_are_refused(tmp_path: Path) -> None:
    (message,) = problems(tmp_path, {"variants": [{**CHALLENGER, "name": "primary"}]})
    assert message == (
        "variants: variant names must be unique on the endpoint; repeated: ['primary']"
    )


def test_more_than_nine_ab_variants_are_refused(tmp_path: Path) -> None:
    many = [{**CHALLENGER, "name": f"v{i}"} for i in range(10)]
    (message,) = problems(tmp_path, {"variants": many})
    assert message.startswith("variants:") and "9" in message


def test_ab_variants_and_a_shadow_together_are_refused(tmp_path: Path) -> None:
    (message,) = problems(tmp_path, {"variants": [CHALLENGER], "shadow": SHADOW})
    assert message.startswith("shadow: SageMaker allows a shadow variant only beside exactly one")


def test_a_shadow_variant_turns_data_capture_on(tmp_path: Path) -> None:
    config = loaded(tmp_path, {"shadow": SHADOW})
    assert config.data_capture.enabled is False
    assert config.data_capture_enabled is True
    (shadow,) = [v for v in config.serving_variants if v.shadow]
    assert shadow.weight == 1  # traffic_copy_percent 100 of the production weight 1


def test_shadow_traffic_copy_is_the_ratio_of_weights(tmp_path: Path) -> None:
    config = loaded(
        tmp_path, {"endpoint.weight": 2, "shadow": {**SHADOW, "traffic_copy_percent": 25}}
    )
    assert [v.weight for v in config.serving_variants] == [2, 0.5]


def test_variant_image_in_one_region_is_refused_for_others(tmp_path: Path) -> None:
    pinned = IMAGE.replace("{region}", "us-east-1")
    found = problems(tmp_path, {"variants": [{**CHALLENGER, "model": {"image_uri": pinned}}]})
    assert any(
        p.startswith("variants[0].model: image_uri is in us-east-1") and "eu-west-1" in p
        for p in found
    ), found


def test_variant_schedule_is_checked_against_the_variants_own_range(tmp_path: Path) -> None:
    own = {
        "target_invocations_per_instance": 100,
        "scheduled_actions": [
            {"name": "peak", "schedule": "cron(0 7 * * ? *)", "min_instance_count": 2,
             "max_instance_count": 6},
            {"name": "off", "schedule": "cron(0 19 * * ? *)", "min_instance_count": 2,
             "max_instance_count": 3},
        ],
    }  # fmt: skip
    found = problems(
        tmp_path, {"variants": [{**CHALLENGER, "max_instance_count": 3, "autoscaling": own}]}
    )
    assert found == [
        "variants[0].autoscaling.scheduled_actions[0].max_instance_count: 6 is above "
        "variants[0].max_instance_count (3), the size of every new fleet; raise "
        "variants[0].max_instance_count instead"
    ]


def test_serverless_endpoint_loads_without_instances_or_autoscaling(tmp_path: Path) -> None:
    config = loaded(tmp_path, SERVERLESS)
    assert config.autoscaling is None
    assert config.endpoint.instance_type is None
    assert config.serving_variants[0].fleet is None


@pytest.mark.parametrize(
    ("overrides", "start"),
    [
        ({"variants": [CHALLENGER]}, "variants: serverless endpoints do not support multiple"),
        ({"shadow": SHADOW}, "shadow: serverless endpoints do not support shadow variants"),
        ({"data_capture.enabled": True}, "data_capture.enabled: serverless endpoints do not"),
        ({"model.network_isolation": True}, "model.network_isolation: serverless endpoints do"),
        ({"autoscaling": {"target_invocations_per_instance": 100}}, "autoscaling: serverless"),
        ({"rollout.strategy": "canary"}, "rollout.strategy: canary shifts a share of instance"),
    ],
)
def test_what_serverless_does_not_support_is_refused(
    tmp_path: Path, overrides: dict[str, Any], start: str
) -> None:
    found = problems(tmp_path, {**SERVERLESS, **overrides})
    assert any(p.startswith(start) for p in found), found


def test_serverless_with_instance_fields_is_refused(tmp_path: Path) -> None:
    (message,) = problems(
        tmp_path, {**SERVERLESS, "endpoint": {"serverless": {"memory_mb": 2048}, "instance_type": "ml.m5.large"}}
    )  # fmt: skip
    assert message.startswith(
        "endpoint: serverless endpoints have no instances; remove instance_type"
    )


@pytest.mark.parametrize(
    ("serverless", "start"),
    [
        ({"memory_mb": 1500}, "endpoint.serverless.memory_mb: 1500 MB is not a whole number of GB"),
        ({"memory_mb": 7168}, "endpoint.serverless.memory_mb: 7168 is above"),
        ({"memory_mb": 2048, "max_concurrency": 201}, "endpoint.serverless.max_concurrency: 201"),
        (
            {"memory_mb": 2048, "max_concurrency": 5, "provisioned_concurrency": 6},
            "endpoint.serverless: provisioned_concurrency (6) is above max_concurrency (5)",
        ),
    ],
)
def test_serverless_settings_outside_aws_limits_are_refused(
    tmp_path: Path, serverless: dict[str, Any], start: str
) -> None:
    found = problems(tmp_path, {**SERVERLESS, "endpoint": {"serverless": serverless}})
    assert any(p.startswith(start) for p in found), found


def test_instance_endpoint_without_autoscaling_is_refused(tmp_path: Path) -> None:
    (message,) = problems(tmp_path, {"autoscaling": REMOVE})
    assert message.startswith("autoscaling: required for an instance-based endpoint")


def test_endpoint_without_instance_type_or_serverless_is_refused(tmp_path: Path) -> None:
    (message,) = problems(tmp_path, {"endpoint.instance_type": REMOVE})
    assert message.startswith("endpoint: give instance_type")


def test_adding_a_production_variant_to_a_live_endpoint_is_refused(tmp_path: Path) -> None:
    old = loaded(tmp_path, {})
    new = loaded(tmp_path, {"variants": [CHALLENGER]})
    (problem,) = unsafe_changes(old, new)
    assert problem.startswith("variants: production variant names [] → ['challenger']")
    assert "weight 0" in problem


def test_shifting_weights_and_adding_a_shadow_are_routine(tmp_path: Path) -> None:
    old = loaded(tmp_path, {"variants": [CHALLENGER]})
    assert unsafe_changes(old, loaded(tmp_path, {"variants": [{**CHALLENGER, "weight": 5}]})) == []
    single = loaded(tmp_path, {})
    assert unsafe_changes(single, loaded(tmp_path, {"shadow": SHADOW})) == []


def test_an_instance_endpoint_cannot_become_serverless(tmp_path: Path) -> None:
    old = loaded(tmp_path, {})
    (problem,) = unsafe_changes(old, loaded(tmp_path, SERVERLESS))
    assert problem.startswith("endpoint.serverless: an instance-based endpoint cannot become")
    assert unsafe_changes(loaded(tmp_path, SERVERLESS), old) == []
