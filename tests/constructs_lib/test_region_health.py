"""Given the example, when synthesized, a region's health is `/ping` AND its model's error rate.

moto stores CALCULATED and CLOUDWATCH_METRIC health checks but never evaluates them, so their
wiring is asserted here, on the synthesized Terraform; docs/health-and-failover.md's numbers are
recomputed from the same synth and the handler's constants.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import botocore.session
import pytest

from config import health_checks
from config.models import ServiceConfig
from config.regions import SAGEMAKER_REGIONS
from constructs_lib.dns import ALIAS_TARGET_TTL_S
from constructs_lib.inference_proxy import PING_RESERVED_CONCURRENCY
from tests.support.configs import INTERNAL_ON_EXISTING_NETWORKS, config_with
from tests.support.handler_constants import handler_constants
from tests.support.lookup import by_key_prefix, find, ping_health_check, ref
from tests.support.synth import synth_region

REGION = "eu-west-1"
DOC = Path(__file__).resolve().parents[2] / "docs" / "health-and-failover.md"
CHECK = "aws_route53_health_check"
ALARM = "aws_cloudwatch_metric_alarm"


@pytest.fixture(scope="module")
def stack(example_config: ServiceConfig) -> dict[str, Any]:
    return synth_region(example_config, REGION)


def region_check(stack: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return by_key_prefix(stack, CHECK, "dns_region_health_check_")


def error_rate_alarm(stack: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return by_key_prefix(stack, ALARM, "error_rate_health_alarm_")


def test_the_latency_record_follows_the_and_of_ping_and_error_rate(
    stack: dict[str, Any],
) -> None:
    region_key, calculated = region_check(stack)
    ping_key, _ = by_key_prefix(stack, CHECK, "dns_health_check_")
    errors_key, _ = by_key_prefix(stack, CHECK, "dns_error_rate_health_check_")
    _, record = find(stack, "aws_route53_record", set_identifier=REGION)

    assert record["health_check_id"] == ref(CHECK, region_key, "id")
    assert calculated["type"] == "CALCULATED"
    assert calculated["child_healthchecks"] == [
        ref(CHECK, ping_key, "id"),
        ref(CHECK, errors_key, "id"),
    ]
    # Healthy only when every child is: AND.
    assert calculated["child_health_threshold"] == len(calculated["child_healthchecks"]) == 2


def test_the_ping_check_keeps_its_address_and_settings(stack: dict[str, Any]) -> None:
    # The existing address (in tests/stacks/addresses) is the HTTPS check, unchanged.
    check = ping_health_check(stack)
    assert (check["type"], check["resource_path"], check["fqdn"]) == (
        "HTTPS",
        "/ping",
        f"{REGION}.api.example.com",
    )


def test_the_error_rate_check_reads_this_regions_alarm(stack: dict[str, Any]) -> None:
    _, check = by_key_prefix(stack, CHECK, "dns_error_rate_health_check_")
    alarm_key, _ = error_rate_alarm(stack)

    assert check["type"] == "CLOUDWATCH_METRIC"
    # A reference, not a name: Terraform creates the alarm before the check that reads it.
    assert check["cloudwatch_alarm_name"] == ref(ALARM, alarm_key, "alarm_name")
    assert check["cloudwatch_alarm_region"] == REGION
    assert check["insufficient_data_health_status"] == "LastKnownStatus"


def test_the_error_rate_alarm_is_the_proxy_target_groups_5xx_share_in_a_form_route53_reads(
    stack: dict[str, Any], example_config: ServiceConfig
) -> None:
    _, alarm = error_rate_alarm(stack)
    queries = {q["id"]: q for q in alarm["metric_query"]}
    proxy_group, _ = find(stack, "aws_lb_target_group", name="serving-prod-proxy")

    assert {q["metric"]["metric_name"] for q in queries.values() if "metric" in q} == {
        "HTTPCode_Target_5XX_Count",
        "RequestCount",
    }
    for query in (queries["errors"], queries["requests"]):
        metric = query["metric"]
        assert metric["namespace"] == "AWS/ApplicationELB"
        assert metric["dimensions"]["TargetGroup"] == ref(
            "aws_lb_target_group", proxy_group, "arn_suffix"
        )
        # Route 53: standard resolution, and Sum among the statistics it accepts.
        assert metric["stat"] == "Sum"
        assert metric["period"] == example_config.alarms.period_s
        assert metric["period"] % 60 == 0
    assert [q["id"] for q in alarm["metric_query"] if q["return_data"]] == ["rate"]
    assert (alarm["threshold"], alarm["comparison_operator"]) == (
        health_checks.ERROR_RATE_UNHEALTHY_PERCENT,
        "GreaterThanOrEqualToThreshold",
    )
    assert alarm["evaluation_periods"] == alarm["datapoints_to_alarm"]
    assert alarm["evaluation_periods"] == example_config.alarms.evaluation_periods
    assert alarm["treat_missing_data"] == "notBreaching"


def evaluate(expression: str, requests: float | None, errors: float | None) -> float | None:
    """The alarm's metric math for one period: IF, FILL, arithmetic. None is no data."""
    if requests is None:
        return None  # no RequestCount datapoint: the expression has no data

    def if_(condition: bool, then: float, otherwise: float) -> float:
        return then if condition else otherwise

    python = expression.replace("IF(", "if_(").replace("FILL(", "fill(")
    namespace = {
        "if_": if_,
        "fill": lambda value, default: default if value is None else value,
        "requests": requests,
        "errors": errors,
    }
    return float(eval(python, {"__builtins__": {}}, namespace))


@pytest.mark.parametrize(
    ("requests", "errors", "breaching"),
    [
        (None, None, False),  # no traffic: no data, notBreaching
        (
            health_checks.ERROR_RATE_MIN_REQUESTS - 1,
            health_checks.ERROR_RATE_MIN_REQUESTS - 1,
            False,
        ),
        (health_checks.ERROR_RATE_MIN_REQUESTS, None, False),  # no 5XX datapoint at all
        (1000, 499, False),
        (1000, 500, True),
        (health_checks.ERROR_RATE_MIN_REQUESTS, health_checks.ERROR_RATE_MIN_REQUESTS, True),
    ],
    ids=["no-traffic", "quiet-all-errors", "no-errors", "just-under", "half", "at-minimum"],
)
def test_a_quiet_region_is_never_breaching_and_a_busy_failing_one_is(
    stack: dict[str, Any], requests: float | None, errors: float | None, breaching: bool
) -> None:
    _, alarm = error_rate_alarm(stack)
    (rate,) = [q["expression"] for q in alarm["metric_query"] if q["return_data"]]

    value = evaluate(rate, requests, errors)

    # Missing data counts as not breaching (treat_missing_data, asserted above).
    assert (value is not None and value >= alarm["threshold"]) is breaching


def test_ping_goes_to_its_own_function_ahead_of_inference(stack: dict[str, Any]) -> None:
    _, rule = by_key_prefix(stack, "aws_lb_listener_rule", "load_balancer_https_listener_ping_")
    https_key, _ = find(stack, "aws_lb_listener", port=443)
    ping_group, _ = find(stack, "aws_lb_target_group", name="serving-prod-ping")

    assert rule["listener_arn"] == ref("aws_lb_listener", https_key, "arn")
    assert rule["priority"] == 1
    assert rule["condition"] == [{"path_pattern": {"values": ["/ping"]}}]
    assert rule["action"] == [
        {"type": "forward", "target_group_arn": ref("aws_lb_target_group", ping_group, "arn")}
    ]


def test_the_ping_function_has_concurrency_of_its_own_and_may_only_describe(
    stack: dict[str, Any],
) -> None:
    _, ping = by_key_prefix(stack, "aws_lambda_function", "ping_function_")
    _, proxy = by_key_prefix(stack, "aws_lambda_function", "proxy_function_")
    _, policy = by_key_prefix(stack, "aws_iam_role_policy", "ping_role_policy_")
    statements = json.loads(policy["policy"])["Statement"]

    assert ping["reserved_concurrent_executions"] == PING_RESERVED_CONCURRENCY
    assert ping["function_name"] == "serving-prod-ping"
    # The same package and handler as the proxy: one `/ping`.
    assert (ping["filename"], ping["handler"]) == (proxy["filename"], proxy["handler"])
    actions = sorted(a for s in statements for a in s["Action"])
    assert [a for a in actions if a.startswith("sagemaker:")] == ["sagemaker:DescribeEndpoint"]
    assert actions == [
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "sagemaker:DescribeEndpoint",
        "xray:PutTelemetryRecords",
        "xray:PutTraceSegments",
    ]
    assert ping["tracing_config"] == {"mode": "Active"}


def test_every_sagemaker_region_is_one_route53_reads_alarms_in() -> None:
    model = botocore.session.get_session().get_service_model("route53")
    readable = set(model.shape_for("AlarmIdentifier").members["Region"].enum)

    assert sorted(set(SAGEMAKER_REGIONS) - readable) == []


def test_an_internal_region_combines_its_healthy_targets_alarm_with_the_error_rate() -> None:
    stack = synth_region(config_with(**INTERNAL_ON_EXISTING_NETWORKS))
    _, calculated = region_check(stack)
    ping_key, ping = by_key_prefix(stack, CHECK, "dns_health_check_")
    ping_group, _ = find(stack, "aws_lb_target_group", name="serving-prod-ping")
    _, healthy_hosts = find(stack, ALARM, alarm_name="serving-prod-no-healthy-targets")

    assert ping["type"] == "CLOUDWATCH_METRIC"
    assert ref(CHECK, ping_key, "id") in calculated["child_healthchecks"]
    assert calculated["child_health_threshold"] == 2
    # The ALB's checks of `/ping` land on the ping function's target group.
    assert healthy_hosts["dimensions"]["TargetGroup"] == ref(
        "aws_lb_target_group", ping_group, "arn_suffix"
    )


# --- docs/health-and-failover.md ---------------------------------------------------------


def doc_text() -> str:
    return " ".join(DOC.read_text().split())


def test_the_ping_table_in_the_doc_is_the_handlers_mapping() -> None:
    handler = handler_constants()
    rows = re.findall(r"^\| `(\w+)` \| (200|503) \|", DOC.read_text(), re.MULTILINE)

    assert {status: int(code) for status, code in rows} == {
        status: 200 if answer.serving else 503 for status, answer in handler.PING_STATUSES.items()
    }
    assert len(rows) == len(handler.PING_STATUSES)


def test_the_failover_times_in_the_doc_are_recomputed_from_the_settings(
    stack: dict[str, Any],
) -> None:
    handler = handler_constants()
    ping = ping_health_check(stack)
    _, alarm = error_rate_alarm(stack)
    cache_s = int(handler.DEFAULT_PING_CACHE_S)
    interval_s, failures = ping["request_interval"], ping["failure_threshold"]
    period_s = alarm["metric_query"][0]["metric"]["period"]
    periods = alarm["evaluation_periods"]
    ttl_s = ALIAS_TARGET_TTL_S

    control_plane_s = cache_s + failures * interval_s + ttl_s
    detection_s = (periods + 1) * period_s
    data_plane_s = detection_s + ttl_s

    text = doc_text()
    for claim in (
        f"every {interval_s} s, {failures} failures",
        f"status cache {cache_s} s + {failures} failures × {interval_s} s interval",
        f"{cache_s} s + {failures * interval_s} s + {ttl_s} s TTL = **{control_plane_s} s**",
        f"({periods} evaluation periods + 1 partial period) × {period_s} s",
        f"{detection_s} s + {ttl_s} s TTL = **{data_plane_s} s**",
        f"the ALB's TTL, {ttl_s} s",
        f"{failures} passing `/ping` checks ({failures * interval_s} s)",
        f"IF(requests >= {health_checks.ERROR_RATE_MIN_REQUESTS},",
        f"below {health_checks.ERROR_RATE_MIN_REQUESTS} requests",
        f"at least {health_checks.ERROR_RATE_UNHEALTHY_PERCENT} % of the requests",
        f"`insufficient_data_health_status = {health_checks.ERROR_RATE_INSUFFICIENT_DATA}`",
        f"{PING_RESERVED_CONCURRENCY} reserved concurrent executions",
        f"cached {cache_s} s in the warm function",
        f"for at most {handler.MAX_PING_STALE_S:g} s, then 503",
    ):
        assert claim in text, claim
