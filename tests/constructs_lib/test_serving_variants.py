"""Given the example configurations, when a region stack is synthesized, then each variant (A/B,
shadow, serverless) gets its endpoint settings, scaling target, alarms and dashboard row."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from config.loader import load_config
from config.models import ServiceConfig
from tests.support.synth import only, resources, synth_region

EXAMPLES = Path(__file__).resolve().parents[2] / "config" / "examples"


@pytest.fixture(scope="module")
def example(example_config: ServiceConfig) -> dict[str, Any]:
    return synth_region(example_config, "us-east-1")


@pytest.fixture(scope="module")
def ab() -> dict[str, Any]:
    return synth_region(load_config(EXAMPLES / "ab.yaml"))


@pytest.fixture(scope="module")
def shadow() -> dict[str, Any]:
    return synth_region(load_config(EXAMPLES / "shadow.yaml"))


@pytest.fixture(scope="module")
def serverless() -> dict[str, Any]:
    return synth_region(load_config(EXAMPLES / "serverless-dev.yaml"))


def configuration(stack: dict[str, Any]) -> dict[str, Any]:
    return only(stack, "aws_sagemaker_endpoint_configuration")


def alarm(stack: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [
        a
        for a in resources(stack, "aws_cloudwatch_metric_alarm").values()
        if a["alarm_name"] == name
    ]
    return found


def alarm_names(stack: dict[str, Any]) -> set[str]:
    return {a["alarm_name"] for a in resources(stack, "aws_cloudwatch_metric_alarm").values()}


def scaling_resource_ids(stack: dict[str, Any]) -> list[str]:
    return sorted(t["resource_id"] for t in resources(stack, "aws_appautoscaling_target").values())


def dashboard_titles(stack: dict[str, Any]) -> list[str]:
    body = json.loads(only(stack, "aws_cloudwatch_dashboard")["dashboard_body"])
    return [w["properties"]["title"] for w in body["widgets"]]


def test_example_routes_to_the_least_busy_instance_with_explicit_start_up_limits(
    example: dict[str, Any],
) -> None:
    (variant,) = configuration(example)["production_variants"]
    assert variant["routing_config"] == [{"routing_strategy": "LEAST_OUTSTANDING_REQUESTS"}]
    assert variant["model_data_download_timeout_in_seconds"] == 300
    assert variant["container_startup_health_check_timeout_in_seconds"] == 300
    assert "inference_ami_version" not in variant
    assert "shadow_production_variants" not in configuration(example)


def test_random_routing_is_selectable(example_config: ServiceConfig) -> None:
    endpoint = example_config.endpoint.model_copy(update={"routing_strategy": "random"})
    stack = synth_region(example_config.model_copy(update={"endpoint": endpoint}))
    (variant,) = configuration(stack)["production_variants"]
    assert variant["routing_config"] == [{"routing_strategy": "RANDOM"}]


def test_ab_variants_each_serve_their_own_model_at_their_weight(ab: dict[str, Any]) -> None:
    variants = configuration(ab)["production_variants"]
    assert [(v["variant_name"], v["initial_variant_weight"], v["instance_type"],
             v["initial_instance_count"]) for v in variants] == [
        ("champion", 9, "ml.m5.xlarge", 4),
        ("challenger", 1, "ml.m5.large", 3),
    ]  # fmt: skip
    models = resources(ab, "aws_sagemaker_model")
    assert len(models) == 2
    by_name = {m["name"]: m for m in models.values()}
    champion, challenger = (v["model_name"] for v in variants)
    assert champion != challenger
    assert {champion, challenger} == {f"${{aws_sagemaker_model.{k}.name}}" for k in models}
    artifacts = sorted(m["primary_container"]["model_data_url"] for m in by_name.values())
    assert artifacts == [
        "s3://example-models-us-east-1/fraud-scoring/v7/model.tar.gz",
        "s3://example-models-us-east-1/fraud-scoring/v8/model.tar.gz",
    ]


def test_the_first_variant_keeps_the_one_variant_addresses(ab: dict[str, Any]) -> None:
    models = resources(ab, "aws_sagemaker_model")
    assert sorted(k.rsplit("_", 1)[0] for k in models) == [
        "inference_model",
        "inference_model_challenger",
    ]
    targets = resources(ab, "aws_appautoscaling_target")
    assert sorted(k.rsplit("_", 1)[0] for k in targets) == [
        "autoscaling_challenger_target",
        "autoscaling_target",
    ]


def test_execution_role_may_read_every_variants_artifact(ab: dict[str, Any]) -> None:
    (policy,) = [
        p for p in resources(ab, "aws_iam_role_policy").values() if p["name"] == "least-privilege"
    ]
    (read,) = [
        s for s in json.loads(policy["policy"])["Statement"] if s["Sid"] == "ReadModelArtifact"
    ]
    assert read["Resource"] == [
        "arn:aws:s3:::example-models-us-east-1/fraud-scoring/v7/model.tar.gz",
        "arn:aws:s3:::example-models-us-east-1/fraud-scoring/v8/model.tar.gz",
    ]


def test_each_ab_variant_has_its_own_scaling_target_and_policies(ab: dict[str, Any]) -> None:
    endpoint = f"${{aws_sagemaker_endpoint.inference_endpoint_{_endpoint_suffix(ab)}.name}}"
    assert scaling_resource_ids(ab) == [
        f"endpoint/{endpoint}/variant/challenger",
        f"endpoint/{endpoint}/variant/champion",
    ]
    ranges = sorted(
        (t["min_capacity"], t["max_capacity"])
        for t in resources(ab, "aws_appautoscaling_target").values()
    )
    assert ranges == [(2, 3), (2, 4)]
    policies = sorted(p["name"] for p in resources(ab, "aws_appautoscaling_policy").values())
    assert policies == [
        "scoring-ab-challenger-invocations-per-instance",
        "scoring-ab-invocations-per-instance",
    ]


def _endpoint_suffix(stack: dict[str, Any]) -> str:
    (key,) = resources(stack, "aws_sagemaker_endpoint")
    return key.rsplit("_", 1)[1]


def test_rollback_alarms_watch_every_production_variant(ab: dict[str, Any]) -> None:
    errors = alarm(ab, "scoring-ab-us-east-1-endpoint-5xx")
    queries = {q["id"]: q for q in errors["metric_query"]}
    assert queries["all"]["expression"] == "SUM([v0, v1])"
    assert [queries[i]["metric"]["dimensions"]["VariantName"] for i in ("v0", "v1")] == [
        "champion",
        "challenger",
    ]
    latency = alarm(ab, "scoring-ab-us-east-1-endpoint-latency-p99")
    assert {q["id"]: q for q in latency["metric_query"]}["all"]["expression"] == "MAX([v0, v1])"
    # The endpoint still names the same two alarms: adding variants never replaces it.
    rollback = only(ab, "aws_sagemaker_endpoint")["deployment_config"][
        "auto_rollback_configuration"
    ]["alarms"]
    assert len(rollback) == 2


def test_each_more_variant_has_its_own_alarms(ab: dict[str, Any]) -> None:
    names = alarm_names(ab)
    for suffix in ("5xx", "latency-p99", "4xx-rate", "cpu", "memory"):
        assert f"scoring-ab-us-east-1-challenger-{suffix}" in names
        assert f"scoring-ab-us-east-1-endpoint-{suffix}" in names
    cpu = alarm(ab, "scoring-ab-us-east-1-challenger-cpu")
    assert cpu["dimensions"] == {"EndpointName": "scoring-ab", "VariantName": "challenger"}
    assert cpu["threshold"] == 90 * 2  # ml.m5.large: 2 vCPUs


def test_each_more_variant_has_a_dashboard_row(ab: dict[str, Any]) -> None:
    titles = dashboard_titles(ab)
    assert [t for t in titles if t.startswith("Variant challenger")] == [
        "Variant challenger: invocations and errors",
        "Variant challenger: model latency (µs)",
        "Variant challenger: instances against the autoscaling range",
    ]


def test_shadow_variant_gets_a_copy_of_the_traffic_and_capture(shadow: dict[str, Any]) -> None:
    config = configuration(shadow)
    (production,) = config["production_variants"]
    (candidate,) = config["shadow_production_variants"]
    assert production["initial_variant_weight"] == 1
    assert candidate["variant_name"] == "candidate"
    assert candidate["initial_variant_weight"] == 0.5  # traffic_copy_percent 50
    assert candidate["instance_type"] == "ml.m5.xlarge"
    assert candidate["initial_instance_count"] == 2
    assert candidate["routing_config"] == [{"routing_strategy": "LEAST_OUTSTANDING_REQUESTS"}]
    assert config["data_capture_config"]["enable_capture"] is True


def test_shadow_variant_has_its_own_scaling_target_and_alarms(shadow: dict[str, Any]) -> None:
    assert [r.rsplit("/", 1)[1] for r in scaling_resource_ids(shadow)] == [
        "candidate",
        "primary",
    ]
    names = alarm_names(shadow)
    assert {
        "scoring-shadow-us-east-1-candidate-5xx",
        "scoring-shadow-us-east-1-candidate-cpu",
    } <= names
    # The shadow's errors never roll back a production rollout: the rollback alarm watches
    # the production variant alone.
    errors = alarm(shadow, "scoring-shadow-us-east-1-endpoint-5xx")
    assert errors["dimensions"] == {"EndpointName": "scoring-shadow", "VariantName": "primary"}
    assert "Shadow variant candidate: invocations and errors" in dashboard_titles(shadow)


def test_serverless_variant_has_no_instances(serverless: dict[str, Any]) -> None:
    config = configuration(serverless)
    (variant,) = config["production_variants"]
    assert variant["serverless_config"] == {
        "memory_size_in_mb": 3072,
        "max_concurrency": 20,
        "provisioned_concurrency": 2,
    }
    for instance_only in (
        "instance_type",
        "initial_instance_count",
        "routing_config",
        "container_startup_health_check_timeout_in_seconds",
        "model_data_download_timeout_in_seconds",
        "volume_size_in_gb",
    ):
        assert instance_only not in variant
    assert "kms_key_arn" not in config  # no storage volume to encrypt
    assert only(serverless, "aws_sagemaker_model")["enable_network_isolation"] is False


def test_serverless_endpoint_has_no_scaling_target(serverless: dict[str, Any]) -> None:
    assert resources(serverless, "aws_appautoscaling_target") == {}
    assert resources(serverless, "aws_appautoscaling_policy") == {}


def test_serverless_alarms_watch_concurrency_not_instances(serverless: dict[str, Any]) -> None:
    names = alarm_names(serverless)
    assert "scoring-dev-us-east-1-endpoint-cpu" not in names
    concurrency = alarm(serverless, "scoring-dev-us-east-1-endpoint-concurrency")
    assert concurrency["metric_name"] == "ServerlessConcurrentExecutionsUtilization"
    assert concurrency["namespace"] == "AWS/SageMaker"
    assert concurrency["threshold"] == 0.9
    assert {
        "scoring-dev-us-east-1-endpoint-5xx",
        "scoring-dev-us-east-1-endpoint-latency-p99",
    } <= names
    titles = dashboard_titles(serverless)
    assert "Serverless concurrency (share of max_concurrency)" in titles
    assert not any(t.startswith("Instances") for t in titles)


def test_serverless_rollout_shifts_all_at_once(serverless: dict[str, Any]) -> None:
    routing = only(serverless, "aws_sagemaker_endpoint")["deployment_config"][
        "blue_green_update_policy"
    ]["traffic_routing_configuration"]
    assert routing["type"] == "ALL_AT_ONCE"


def test_a_new_model_for_one_variant_replaces_only_that_variants_model(ab: dict[str, Any]) -> None:
    config = load_config(EXAMPLES / "ab.yaml")
    (challenger,) = config.variants
    model = challenger.model.model_copy(
        update={"model_data_url": "s3://example-models-{region}/fraud-scoring/v9/model.tar.gz"}
    )
    changed = config.model_copy(
        update={"variants": [challenger.model_copy(update={"model": model})]}
    )
    after = synth_region(changed)

    def names(stack: dict[str, Any]) -> dict[str, str]:
        return {
            k.rsplit("_", 1)[0]: m["name"]
            for k, m in resources(stack, "aws_sagemaker_model").items()
        }

    before_names, after_names = names(ab), names(after)
    assert after_names["inference_model"] == before_names["inference_model"]
    assert after_names["inference_model_challenger"] != before_names["inference_model_challenger"]
