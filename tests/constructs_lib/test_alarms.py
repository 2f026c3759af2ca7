"""Given the example, every alarm watches the right metric, dimensions and threshold, and notifies the topic."""

from __future__ import annotations

import json
from typing import Any

import pytest

from config.models import ServiceConfig
from config.names import SERVICE_ALARMS, VARIANT_ALARM_SUFFIXES
from tests.support.configs import config_with
from tests.support.lookup import by_key_prefix, find, ref
from tests.support.synth import only, resources, synth_region

ENDPOINT_DIMS = {"EndpointName": "serving-prod", "VariantName": "primary"}


@pytest.fixture(scope="module")
def east(example_config: ServiceConfig) -> dict[str, Any]:
    return synth_region(example_config, "us-east-1")


@pytest.fixture(scope="module")
def west(example_config: ServiceConfig) -> dict[str, Any]:
    return synth_region(example_config, "eu-west-1")


def alarm(stack: dict[str, Any], suffix: str, region: str = "us-east-1") -> dict[str, Any]:
    return find(stack, "aws_cloudwatch_metric_alarm", alarm_name=f"serving-prod-{region}-{suffix}")[
        1
    ]


@pytest.mark.parametrize(
    "suffix, namespace, metric, statistic, threshold, comparison",
    [
        (
            "endpoint-5xx",
            "AWS/SageMaker",
            "Invocation5XXErrors",
            "Sum",
            5,
            "GreaterThanOrEqualToThreshold",
        ),
        (
            "endpoint-cpu",
            "/aws/sagemaker/Endpoints",
            "CPUUtilization",
            "Average",
            360,
            "GreaterThanThreshold",
        ),
        (
            "endpoint-memory",
            "/aws/sagemaker/Endpoints",
            "MemoryUtilization",
            "Average",
            90,
            "GreaterThanThreshold",
        ),
    ],
)
def test_endpoint_alarm(
    east: dict[str, Any],
    suffix: str,
    namespace: str,
    metric: str,
    statistic: str,
    threshold: float,
    comparison: str,
) -> None:
    found = alarm(east, suffix)
    assert (found["namespace"], found["metric_name"], found["statistic"]) == (
        namespace,
        metric,
        statistic,
    )
    assert found["dimensions"] == ENDPOINT_DIMS
    assert found["threshold"] == threshold
    assert found["comparison_operator"] == comparison
    assert found["treat_missing_data"] == "notBreaching"
    assert (found["period"], found["evaluation_periods"]) == (60, 3)


def test_cpu_threshold_is_scaled_by_vcpus(east: dict[str, Any]) -> None:
    assert alarm(east, "endpoint-cpu")["threshold"] == 90 * 4  # ml.m5.xlarge has 4 vCPUs


def test_latency_alarm_is_p99_in_microseconds(east: dict[str, Any]) -> None:
    found = alarm(east, "endpoint-latency-p99")
    assert (found["metric_name"], found["extended_statistic"]) == ("ModelLatency", "p99")
    assert "statistic" not in found
    assert found["threshold"] == 1_000_000  # 1000 ms


def test_4xx_alarm_is_a_rate_of_invocations(east: dict[str, Any]) -> None:
    found = alarm(east, "endpoint-4xx-rate")
    queries = {q["id"]: q for q in found["metric_query"]}
    assert queries["rate"]["expression"] == "IF(invocations > 0, 100 * errors / invocations, 0)"
    assert queries["rate"]["return_data"] is True
    assert queries["errors"]["metric"]["metric_name"] == "Invocation4XXErrors"
    assert queries["invocations"]["metric"]["metric_name"] == "Invocations"
    assert queries["errors"]["metric"]["dimensions"] == ENDPOINT_DIMS
    assert found["threshold"] == 10


def test_no_gpu_alarm_on_cpu_instances(east: dict[str, Any]) -> None:
    names = [a["alarm_name"] for a in resources(east, "aws_cloudwatch_metric_alarm").values()]
    assert "serving-prod-us-east-1-endpoint-gpu" not in names


def test_every_alarm_name_is_one_the_clash_rule_knows(east: dict[str, Any]) -> None:
    """Given the example, when synthesized, then each alarm is `<stack>-<service alarm>` or
    `<stack>-<variant>-<suffix>` from config/names.py, so the variant-name clash rule sees it."""
    # Names without the stack prefix (the load balancer's `<service>-no-healthy-targets`) cannot
    # equal a `<stack>-...` one.
    stack = "serving-prod-us-east-1-"
    names = [a["alarm_name"] for a in resources(east, "aws_cloudwatch_metric_alarm").values()]
    assert len([n for n in names if n.startswith(stack)]) >= 10
    for name in (n for n in names if n.startswith(stack)):
        rest = name.removeprefix(stack)
        assert rest in SERVICE_ALARMS or any(
            rest.endswith(f"-{suffix}") for suffix in VARIANT_ALARM_SUFFIXES
        ), name


def test_gpu_alarm_scaled_by_gpu_count() -> None:
    stack = synth_region(config_with(endpoint__instance_type="ml.g5.12xlarge"))
    found = alarm(stack, "endpoint-gpu")
    assert (found["metric_name"], found["threshold"]) == ("GPUUtilization", 95 * 4)


@pytest.mark.parametrize(
    "suffix, namespace, metric, threshold",
    [
        ("alb-target-5xx", "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", 10),
        ("alb-rejected-connections", "AWS/ApplicationELB", "RejectedConnectionCount", 1),
        ("proxy-errors", "AWS/Lambda", "Errors", 5),
        ("proxy-throttles", "AWS/Lambda", "Throttles", 1),
        ("alb-elb-5xx", "AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", 5),
    ],
)
def test_traffic_alarm(
    east: dict[str, Any], suffix: str, namespace: str, metric: str, threshold: int
) -> None:
    found = alarm(east, suffix)
    assert (found["namespace"], found["metric_name"], found["threshold"]) == (
        namespace,
        metric,
        threshold,
    )
    alb_key = next(iter(resources(east, "aws_lb")))
    function_key, _ = by_key_prefix(east, "aws_lambda_function", "proxy_function_")
    expected = (
        {"LoadBalancer": ref("aws_lb", alb_key, "arn_suffix")}
        if namespace == "AWS/ApplicationELB"
        else {"FunctionName": ref("aws_lambda_function", function_key, "function_name")}
    )
    assert found["dimensions"] == expected


def test_responses_too_large_for_the_alb_are_counted_from_the_proxy_log_and_alarmed(
    east: dict[str, Any],
) -> None:
    log_filter = only(east, "aws_cloudwatch_log_metric_filter")
    group_key = next(
        key
        for key, group in resources(east, "aws_cloudwatch_log_group").items()
        if group["name"] == "/aws/lambda/serving-prod-proxy"
    )
    assert log_filter["log_group_name"] == ref("aws_cloudwatch_log_group", group_key, "name")
    assert log_filter["pattern"] == '{ $.error = "response_too_large" }'
    transformation = log_filter["metric_transformation"]
    assert (transformation["namespace"], transformation["name"], transformation["value"]) == (
        "InferenceProxy",
        "ResponseTooLarge",
        "1",
    )
    assert transformation["dimensions"] == {"Endpoint": "$.endpoint"}
    found = alarm(east, "proxy-response-too-large")
    assert (found["namespace"], found["metric_name"], found["threshold"]) == (
        "InferenceProxy",
        "ResponseTooLarge",
        1,
    )
    # The proxy logs the endpoint it calls, `<service>-<environment>`.
    assert found["dimensions"] == {"Endpoint": "serving-prod"}
    assert found["treat_missing_data"] == "notBreaching"


def test_thresholds_come_from_config() -> None:
    stack = synth_region(
        config_with(
            alarms__invocation_5xx_errors=1, alarms__proxy_throttles=3, alarms__evaluation_periods=5
        )
    )
    assert alarm(stack, "endpoint-5xx")["threshold"] == 1
    assert alarm(stack, "proxy-throttles")["threshold"] == 3
    assert alarm(stack, "endpoint-5xx")["evaluation_periods"] == 5


def test_every_alarm_notifies_the_encrypted_topic(east: dict[str, Any]) -> None:
    topic_key, topic = find(east, "aws_sns_topic", name="serving-prod-us-east-1-alarms")
    assert topic["kms_master_key_id"].startswith("${aws_kms_key.")
    for found in resources(east, "aws_cloudwatch_metric_alarm").values():
        # Read by Route 53, not paged: TrafficAlarms and the health-check alarm page instead.
        if found["alarm_name"].endswith(("no-healthy-targets", "error-rate-health")):
            continue
        assert found["alarm_actions"] == [ref("aws_sns_topic", topic_key, "arn")], found[
            "alarm_name"
        ]
        assert found["ok_actions"] == [ref("aws_sns_topic", topic_key, "arn")]


def test_topic_key_lets_cloudwatch_publish(east: dict[str, Any]) -> None:
    _, topic = find(east, "aws_sns_topic", name="serving-prod-us-east-1-alarms")
    key = resources(east, "aws_kms_key")[topic["kms_master_key_id"].split(".")[1]]
    assert key["enable_key_rotation"] is True
    (statement,) = [
        s for s in json.loads(key["policy"])["Statement"] if s["Sid"] == "CloudWatchPublishes"
    ]
    assert statement["Principal"] == {"Service": "cloudwatch.amazonaws.com"}


def test_subscriptions_from_config() -> None:
    subscriptions = [
        {"protocol": "email", "endpoint": "oncall@example.com"},
        {"protocol": "https", "endpoint": "https://hooks.example.com/x"},
    ]
    stack = synth_region(config_with(notifications__subscriptions=subscriptions))
    found = sorted(
        (s["protocol"], s["endpoint"])
        for s in resources(stack, "aws_sns_topic_subscription").values()
    )
    assert found == [("email", "oncall@example.com"), ("https", "https://hooks.example.com/x")]


def test_health_check_alarm_lives_in_us_east_1_with_its_own_topic(west: dict[str, Any]) -> None:
    found = alarm(west, "route53-health", "eu-west-1")
    # The check the latency record follows: `/ping` AND the error rate.
    check_key, _ = by_key_prefix(west, "aws_route53_health_check", "dns_region_health_check_")
    assert (found["namespace"], found["metric_name"], found["statistic"]) == (
        "AWS/Route53",
        "HealthCheckStatus",
        "Minimum",
    )
    assert found["dimensions"] == {
        "HealthCheckId": ref("aws_route53_health_check", check_key, "id")
    }
    assert (found["threshold"], found["comparison_operator"]) == (1, "LessThanThreshold")
    assert found["treat_missing_data"] == "breaching"
    assert found["provider"] == "aws.route53_metrics"
    topic_key, topic = find(west, "aws_sns_topic", name="serving-prod-eu-west-1-health-alarms")
    assert topic["provider"] == "aws.route53_metrics"
    assert found["alarm_actions"] == [ref("aws_sns_topic", topic_key, "arn")]


def test_health_check_alarm_in_us_east_1_uses_the_regional_topic(east: dict[str, Any]) -> None:
    found = alarm(east, "route53-health")
    assert "provider" not in found
    topic_key, _ = find(east, "aws_sns_topic", name="serving-prod-us-east-1-alarms")
    assert found["alarm_actions"] == [ref("aws_sns_topic", topic_key, "arn")]
