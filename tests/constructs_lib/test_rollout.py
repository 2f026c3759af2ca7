"""Given rollout settings, the endpoint updates blue/green and rolls back on its alarms."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from config.models import ServiceConfig
from tests.support.configs import config_with
from tests.support.lookup import find, ref
from tests.support.synth import only, resources, synth_region

DOCS = Path(__file__).resolve().parents[2] / "docs" / "rollouts.md"


@pytest.fixture(scope="module")
def stack(example_config: ServiceConfig) -> dict[str, Any]:
    return synth_region(example_config, "us-east-1")


def policy(stack: dict[str, Any]) -> dict[str, Any]:
    endpoint = only(stack, "aws_sagemaker_endpoint")
    found: dict[str, Any] = endpoint["deployment_config"]["blue_green_update_policy"]
    return found


def test_canary_by_default(stack: dict[str, Any]) -> None:
    routing = policy(stack)["traffic_routing_configuration"]
    assert routing == {
        "type": "CANARY",
        "wait_interval_in_seconds": 300,
        "canary_size": {"type": "CAPACITY_PERCENT", "value": 10},
    }


def test_timeouts_of_the_rollout(stack: dict[str, Any]) -> None:
    # Provider 5.100 waits 60 minutes for the endpoint; 10 of them are kept for a rollback.
    assert policy(stack)["maximum_execution_timeout_in_seconds"] == 3000
    assert policy(stack)["termination_wait_in_seconds"] == 600


def test_rollback_alarms_are_the_endpoint_5xx_and_latency_alarms(stack: dict[str, Any]) -> None:
    errors_key, _ = find(
        stack, "aws_cloudwatch_metric_alarm", alarm_name="serving-prod-us-east-1-endpoint-5xx"
    )
    latency_key, _ = find(
        stack,
        "aws_cloudwatch_metric_alarm",
        alarm_name="serving-prod-us-east-1-endpoint-latency-p99",
    )
    alarms = only(stack, "aws_sagemaker_endpoint")["deployment_config"][
        "auto_rollback_configuration"
    ]["alarms"]
    assert alarms == [
        {"alarm_name": ref("aws_cloudwatch_metric_alarm", errors_key, "alarm_name")},
        {"alarm_name": ref("aws_cloudwatch_metric_alarm", latency_key, "alarm_name")},
    ]


def test_linear_steps_from_config() -> None:
    stack = synth_region(
        config_with(
            rollout__strategy="linear", rollout__linear_step_percent=25, rollout__wait_s=120
        )
    )
    assert policy(stack)["traffic_routing_configuration"] == {
        "type": "LINEAR",
        "wait_interval_in_seconds": 120,
        "linear_step_size": {"type": "CAPACITY_PERCENT", "value": 25},
    }


def test_all_at_once_has_no_step_size() -> None:
    routing = policy(synth_region(config_with(rollout__strategy="all_at_once")))[
        "traffic_routing_configuration"
    ]
    assert routing == {"type": "ALL_AT_ONCE", "wait_interval_in_seconds": 300}


def test_turning_auto_rollback_off_keeps_the_endpoint_and_disarms_its_alarms() -> None:
    stack = synth_region(config_with(rollout__auto_rollback=False))
    on = synth_region(config_with())
    # The endpoint's deployment config is identical (a change to it would replace the endpoint).
    assert (
        only(stack, "aws_sagemaker_endpoint")["deployment_config"]
        == only(on, "aws_sagemaker_endpoint")["deployment_config"]
    )
    alarms = {a["alarm_name"]: a for a in resources(stack, "aws_cloudwatch_metric_alarm").values()}
    for name in ("endpoint-5xx", "endpoint-latency-p99"):
        gate = alarms[f"serving-prod-us-east-1-{name}"]
        assert "alarm_actions" not in gate
        assert [q["expression"] for q in gate["metric_query"] if q.get("return_data")] == [
            "0 * watched"
        ]
        notify = alarms[f"serving-prod-us-east-1-{name}-notify"]
        assert notify["alarm_actions"] and "metric_query" not in notify


def test_apply_fails_unless_the_endpoint_runs_the_planned_configuration(
    stack: dict[str, Any],
) -> None:
    # Given a rollout SageMaker rolls back (InService again, on the old configuration), the
    # provider's waiter sees success: the postcondition is what fails the apply.
    (config_key,) = resources(stack, "aws_sagemaker_endpoint_configuration")
    (check,) = only(stack, "aws_sagemaker_endpoint")["lifecycle"]["postcondition"]
    planned = ref("aws_sagemaker_endpoint_configuration", config_key, "name")
    assert check["condition"] == f"${{(self.endpoint_config_name == {planned[2:-1]})}}"


def test_rolled_back_rollout_error_names_region_endpoint_and_where_the_reason_is(
    stack: dict[str, Any],
) -> None:
    (check,) = only(stack, "aws_sagemaker_endpoint")["lifecycle"]["postcondition"]
    message = check["error_message"]
    assert "SageMaker endpoint serving-prod in us-east-1" in message
    assert (
        "`aws sagemaker describe-endpoint --region us-east-1 --endpoint-name serving-prod "
        "--query FailureReason`"
    ) in message
    assert "${self.endpoint_config_name}" in message  # the configuration it runs
    assert "re-run the apply" in message  # retries the rollout, registers autoscaling again


@pytest.mark.parametrize("auto_rollback", [True, False])
def test_execution_role_may_describe_exactly_its_rollback_alarms(auto_rollback: bool) -> None:
    # Deployment guardrails read the rollback alarms as the endpoint's execution role.
    stack = synth_region(config_with(rollout__auto_rollback=auto_rollback))
    watched = only(stack, "aws_sagemaker_endpoint")["deployment_config"][
        "auto_rollback_configuration"
    ]["alarms"]
    alarm_keys = [a["alarm_name"].split(".")[1] for a in watched]
    _, execution_role_policy = find(stack, "aws_iam_role_policy", name="least-privilege")
    policy = json.loads(execution_role_policy["policy"])
    reading = [s for s in policy["Statement"] if "cloudwatch:DescribeAlarms" in str(s["Action"])]
    assert reading == [
        {
            "Sid": "ReadRollbackAlarms",
            "Effect": "Allow",
            "Action": "cloudwatch:DescribeAlarms",
            "Resource": [ref("aws_cloudwatch_metric_alarm", k, "arn") for k in alarm_keys],
        }
    ]


def test_docs_quote_the_rolled_back_rollout_error_as_synthesized(stack: dict[str, Any]) -> None:
    (check,) = only(stack, "aws_sagemaker_endpoint")["lifecycle"]["postcondition"]
    (config_key,) = resources(stack, "aws_sagemaker_endpoint_configuration")
    shown = (
        check["error_message"]
        .replace("${self.endpoint_config_name}", "<running configuration>")
        .replace(
            ref("aws_sagemaker_endpoint_configuration", config_key, "name"),
            "<planned configuration>",
        )
    )
    assert "\n" + shown + "\n" in DOCS.read_text()
