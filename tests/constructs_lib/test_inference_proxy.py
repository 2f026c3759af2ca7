"""Given the example, when synthesized, the proxy function is scoped to its endpoint and observable."""

from __future__ import annotations

import json
from typing import Any

import pytest

from config.models import ServiceConfig
from tests.support.configs import config_with
from tests.support.lookup import by_key_prefix, find, ref
from tests.support.synth import only, resources, synth_region


def proxy_function(stack: dict[str, Any]) -> dict[str, Any]:
    """The proxy (the stack also has the ping function)."""
    return by_key_prefix(stack, "aws_lambda_function", "proxy_function_")[1]


@pytest.fixture(scope="module")
def stack(example_config: ServiceConfig) -> dict[str, Any]:
    return synth_region(example_config, "eu-west-1")


def proxy_policy(stack: dict[str, Any]) -> dict[str, Any]:
    role_key, _ = find(stack, "aws_iam_role", name="serving-prod-proxy-eu-west-1")
    (policy,) = [
        p
        for p in resources(stack, "aws_iam_role_policy").values()
        if p["role"] == ref("aws_iam_role", role_key, "id")
    ]
    found: dict[str, Any] = json.loads(policy["policy"])
    return found


def test_function_runs_the_packaged_handler(stack: dict[str, Any]) -> None:
    function = proxy_function(stack)
    assert function["function_name"] == "serving-prod-proxy"
    assert function["runtime"] == "python3.12"
    assert function["handler"] == "handler.handler"
    assert function["filename"].startswith("assets/") and function["filename"].endswith(
        "/archive.zip"
    )
    assert function["source_code_hash"] in function["filename"]


def test_function_calls_its_own_region_endpoint(stack: dict[str, Any]) -> None:
    endpoint_key = next(iter(resources(stack, "aws_sagemaker_endpoint")))
    variables = proxy_function(stack)["environment"]["variables"]
    assert variables["ENDPOINT_NAME"] == ref("aws_sagemaker_endpoint", endpoint_key, "name")


def test_read_timeout_is_sagemakers_60_s_below_function_and_alb_idle_timeouts(
    stack: dict[str, Any],
) -> None:
    function = proxy_function(stack)
    read_timeout = int(function["environment"]["variables"]["READ_TIMEOUT_S"])
    assert read_timeout == 60 < function["timeout"] == 70 < only(stack, "aws_lb")["idle_timeout"]


def test_memory_and_reserved_concurrency_come_from_config() -> None:
    function = proxy_function(
        synth_region(config_with(proxy__memory_mb=1024, proxy__reserved_concurrency=7))
    )
    assert (function["memory_size"], function["reserved_concurrent_executions"]) == (1024, 7)


def test_tracing_is_active(stack: dict[str, Any]) -> None:
    assert proxy_function(stack)["tracing_config"] == {"mode": "Active"}


def test_role_may_only_invoke_and_describe_this_endpoint(stack: dict[str, Any]) -> None:
    endpoint_key = next(iter(resources(stack, "aws_sagemaker_endpoint")))
    statements = {s["Sid"]: s for s in proxy_policy(stack)["Statement"]}
    assert statements["InvokeAndDescribeThisEndpoint"] == {
        "Sid": "InvokeAndDescribeThisEndpoint",
        "Effect": "Allow",
        "Action": ["sagemaker:InvokeEndpoint", "sagemaker:DescribeEndpoint"],
        "Resource": ref("aws_sagemaker_endpoint", endpoint_key, "arn"),
    }
    sagemaker_actions = [
        a
        for s in statements.values()
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
        if a.startswith("sagemaker:")
    ]
    assert sorted(sagemaker_actions) == ["sagemaker:DescribeEndpoint", "sagemaker:InvokeEndpoint"]


def test_role_writes_only_its_own_log_group(stack: dict[str, Any]) -> None:
    group_key, _ = find(stack, "aws_cloudwatch_log_group", name="/aws/lambda/serving-prod-proxy")
    statements = {s["Sid"]: s for s in proxy_policy(stack)["Statement"]}
    assert (
        statements["WriteOwnLogs"]["Resource"]
        == ref("aws_cloudwatch_log_group", group_key, "arn") + ":*"
    )
    assert set(statements) == {"InvokeAndDescribeThisEndpoint", "WriteOwnLogs", "XRayTraces"}


def test_log_group_has_retention_and_kms_key(stack: dict[str, Any]) -> None:
    _, group = find(stack, "aws_cloudwatch_log_group", name="/aws/lambda/serving-prod-proxy")
    assert group["retention_in_days"] == 365
    assert group["kms_key_id"].startswith("${aws_kms_key.") and group["kms_key_id"].endswith(
        ".arn}"
    )


def test_log_key_lets_cloudwatch_logs_use_it_in_this_region_only(stack: dict[str, Any]) -> None:
    _, group = find(stack, "aws_cloudwatch_log_group", name="/aws/lambda/serving-prod-proxy")
    key_key = group["kms_key_id"].split(".")[1]
    key = resources(stack, "aws_kms_key")[key_key]
    assert key["enable_key_rotation"] is True
    (logs,) = [
        s for s in json.loads(key["policy"])["Statement"] if s["Sid"] == "CloudWatchLogsEncrypts"
    ]
    assert logs["Principal"] == {"Service": "logs.eu-west-1.amazonaws.com"}
    assert logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"].startswith(
        "arn:aws:logs:eu-west-1:"
    )


def test_function_waits_for_its_log_group_and_permissions(stack: dict[str, Any]) -> None:
    depends_on = proxy_function(stack)["depends_on"]
    assert any(d.startswith("aws_cloudwatch_log_group.") for d in depends_on)
    assert any(d.startswith("aws_iam_role_policy.") for d in depends_on)
