"""Given the example, when synthesized, the ALB has every security default and forwards to the proxy."""

from __future__ import annotations

import json
from typing import Any

import pytest

from config.models import ServiceConfig
from tests.support.configs import EXISTING_NETWORKS, INTERNAL_ON_EXISTING_NETWORKS, config_with
from tests.support.lookup import by_key_prefix, find, ping_health_check, ref
from tests.support.synth import only, resources, synth_region


@pytest.fixture(scope="module")
def stack(example_config: ServiceConfig) -> dict[str, Any]:
    return synth_region(example_config, "us-east-1")


def listener(stack: dict[str, Any], port: int) -> dict[str, Any]:
    return find(stack, "aws_lb_listener", port=port)[1]


def test_https_listener_uses_tls13_policy_and_validated_certificate(stack: dict[str, Any]) -> None:
    https = listener(stack, 443)
    validation = next(iter(resources(stack, "aws_acm_certificate_validation")))
    assert https["protocol"] == "HTTPS"
    assert https["ssl_policy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert https["certificate_arn"] == ref(
        "aws_acm_certificate_validation", validation, "certificate_arn"
    )


def test_https_listener_forwards_to_the_lambda_target_group(stack: dict[str, Any]) -> None:
    group_key, _ = find(stack, "aws_lb_target_group", name="serving-prod-proxy")
    (action,) = listener(stack, 443)["default_action"]
    assert action == {
        "type": "forward",
        "target_group_arn": ref("aws_lb_target_group", group_key, "arn"),
    }


def test_http_listener_only_redirects_to_https(stack: dict[str, Any]) -> None:
    http = listener(stack, 80)
    assert http["protocol"] == "HTTP"
    (action,) = http["default_action"]
    assert action == {
        "type": "redirect",
        "redirect": {"protocol": "HTTPS", "port": "443", "status_code": "HTTP_301"},
    }


def test_exactly_two_listeners(stack: dict[str, Any]) -> None:
    assert sorted(
        listener["port"] for listener in resources(stack, "aws_lb_listener").values()
    ) == [80, 443]


def test_load_balancer_drops_invalid_headers_and_is_protected(stack: dict[str, Any]) -> None:
    alb = only(stack, "aws_lb")
    assert alb["name"] == "serving-prod"
    assert alb["drop_invalid_header_fields"] is True
    assert alb["enable_deletion_protection"] is True
    assert alb["internal"] is False
    assert alb["idle_timeout"] == 75


def test_deletion_protection_can_be_turned_off_for_dev() -> None:
    stack = synth_region(config_with(load_balancer__deletion_protection=False))
    assert only(stack, "aws_lb")["enable_deletion_protection"] is False
    bucket = only(stack, "aws_s3_bucket")
    assert bucket["lifecycle"] == {"prevent_destroy": False}
    assert bucket["force_destroy"] is True


def test_access_logs_go_to_a_protected_bucket_elb_may_write(stack: dict[str, Any]) -> None:
    alb = only(stack, "aws_lb")
    bucket_key, bucket = next(iter(resources(stack, "aws_s3_bucket").items()))
    assert alb["access_logs"] == {
        "bucket": ref("aws_s3_bucket", bucket_key, "bucket"),
        "enabled": True,
    }
    assert bucket["lifecycle"] == {"prevent_destroy": True}
    assert "force_destroy" not in bucket
    policy = json.loads(only(stack, "aws_s3_bucket_policy")["policy"])
    (delivery,) = [s for s in policy["Statement"] if s.get("Sid") == "ElbLogDelivery"]
    assert delivery["Principal"] == {
        "AWS": "arn:aws:iam::127311923021:root"
    }  # us-east-1's ELB account
    assert delivery["Action"] == "s3:PutObject"
    assert delivery["Resource"].endswith(
        "/AWSLogs/${data.aws_caller_identity.account.account_id}/*"
    )
    (rule,) = only(stack, "aws_s3_bucket_server_side_encryption_configuration")["rule"]
    assert (
        rule["apply_server_side_encryption_by_default"]["sse_algorithm"] == "AES256"
    )  # ELB requires SSE-S3


def test_access_logs_expire_after_retention(stack: dict[str, Any]) -> None:
    (rule,) = only(stack, "aws_s3_bucket_lifecycle_configuration")["rule"]
    assert rule["expiration"] == [{"days": 90}]


def test_newer_regions_deliver_logs_as_service_principal() -> None:
    stack = synth_region(config_with(regions=["ap-southeast-5"]), "ap-southeast-5")
    policy = json.loads(only(stack, "aws_s3_bucket_policy")["policy"])
    (delivery,) = [s for s in policy["Statement"] if s.get("Sid") == "ElbLogDelivery"]
    assert delivery["Principal"] == {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}


def test_security_group_opens_only_configured_cidrs_on_443_and_80() -> None:
    stack = synth_region(config_with(load_balancer__ingress_cidrs=["10.0.0.0/8", "192.0.2.0/24"]))
    rules = sorted(
        (r["cidr_ipv4"], r["from_port"], r["to_port"])
        for r in resources(stack, "aws_vpc_security_group_ingress_rule").values()
        # Besides: Route 53's health checkers (tests/constructs_lib/test_health_check_reach.py).
        if "cidr_ipv4" in r
    )
    assert rules == [
        ("10.0.0.0/8", 80, 80),
        ("10.0.0.0/8", 443, 443),
        ("192.0.2.0/24", 80, 80),
        ("192.0.2.0/24", 443, 443),
    ]
    group = only(stack, "aws_security_group")
    assert "egress" not in group and "ingress" not in group
    assert resources(stack, "aws_vpc_security_group_egress_rule") == {}


@pytest.mark.parametrize("group_name", ["serving-prod-proxy", "serving-prod-ping"])
def test_target_group_health_checks_the_deep_ping(stack: dict[str, Any], group_name: str) -> None:
    _, group = find(stack, "aws_lb_target_group", name=group_name)
    assert group["target_type"] == "lambda"
    assert group["health_check"]["path"] == "/ping"
    assert group["health_check"]["matcher"] == "200"
    assert group["health_check"]["enabled"] is True


@pytest.mark.parametrize(
    ("group_name", "function_prefix", "id_part"),
    [
        ("serving-prod-proxy", "proxy_function_", ""),
        ("serving-prod-ping", "ping_function_", "ping_"),
    ],
)
def test_only_its_target_group_may_invoke_each_function(
    stack: dict[str, Any], group_name: str, function_prefix: str, id_part: str
) -> None:
    group_key, _ = find(stack, "aws_lb_target_group", name=group_name)
    permission_key, permission = by_key_prefix(
        stack, "aws_lambda_permission", f"load_balancer_{id_part}invoke_permission_"
    )
    assert permission["principal"] == "elasticloadbalancing.amazonaws.com"
    assert permission["action"] == "lambda:InvokeFunction"
    assert permission["source_arn"] == ref("aws_lb_target_group", group_key, "arn")
    _, attachment = find(
        stack,
        "aws_lb_target_group_attachment",
        target_group_arn=ref("aws_lb_target_group", group_key, "arn"),
    )
    function_key, _ = by_key_prefix(stack, "aws_lambda_function", function_prefix)
    assert attachment["target_id"] == ref("aws_lambda_function", function_key, "arn")
    assert attachment["depends_on"] == [f"aws_lambda_permission.{permission_key}"]


def test_internal_load_balancer_uses_private_subnets_and_an_alarm_health_check() -> None:
    # An internal load balancer is accepted only on an existing network (one its clients reach).
    stack = synth_region(config_with(**INTERNAL_ON_EXISTING_NETWORKS))
    alb = only(stack, "aws_lb")
    assert alb["internal"] is True
    assert alb["subnets"] == EXISTING_NETWORKS["us-east-1"]["private_subnet_ids"]
    assert resources(stack, "aws_vpc") == {}
    assert resources(stack, "aws_internet_gateway") == {}
    _, alarm = find(
        stack, "aws_cloudwatch_metric_alarm", alarm_name="serving-prod-no-healthy-targets"
    )
    assert (alarm["namespace"], alarm["metric_name"], alarm["threshold"]) == (
        "AWS/ApplicationELB",
        "HealthyHostCount",
        1,
    )
    assert alarm["treat_missing_data"] == "breaching"
    check = ping_health_check(stack)
    assert check["type"] == "CLOUDWATCH_METRIC"
    assert check["cloudwatch_alarm_name"] == "serving-prod-no-healthy-targets"
    assert check["cloudwatch_alarm_region"] == "us-east-1"
