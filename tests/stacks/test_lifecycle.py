"""Nothing stateful is destroyed by accident; nothing referenced by name is destroyed before its successor exists."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.configs import INTERNAL_ON_EXISTING_NETWORKS, config_with
from tests.support.synth import resources, synth_region


def lifecycles(document: dict[str, Any], rule: str) -> list[str]:
    return sorted(
        resource_type
        for resource_type, by_name in document.get("resource", {}).items()
        for resource in by_name.values()
        if resource.get("lifecycle", {}).get(rule) is True
    )


def stack(synthesized_example: Path, name: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(
        (synthesized_example / "stacks" / name / "cdk.tf.json").read_text()
    )
    return found


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1"])
def test_region_stack_protects_its_log_bucket(synthesized_example: Path, region: str) -> None:
    assert lifecycles(stack(synthesized_example, f"serving-prod-{region}"), "prevent_destroy") == [
        "aws_s3_bucket"
    ]


def test_bootstrap_protects_state_bucket_and_its_key(synthesized_example: Path) -> None:
    assert lifecycles(stack(synthesized_example, "bootstrap-serving-prod"), "prevent_destroy") == [
        "aws_kms_key",
        "aws_s3_bucket",
    ]


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1"])
def test_replaced_by_name_resources_are_created_before_destroyed(
    synthesized_example: Path, region: str
) -> None:
    assert lifecycles(
        stack(synthesized_example, f"serving-prod-{region}"), "create_before_destroy"
    ) == [
        "aws_acm_certificate",
        # The /ping check, the error-rate check and the calculated check over both.
        "aws_route53_health_check",
        "aws_route53_health_check",
        "aws_route53_health_check",
        "aws_sagemaker_endpoint_configuration",
        "aws_sagemaker_model",
    ]


@pytest.mark.parametrize(
    "overrides",
    [{"waf__allow_cidrs": ["10.0.0.0/8"]}, INTERNAL_ON_EXISTING_NETWORKS],
    ids=["waf-allow-list", "internal-alb"],
)
def test_switching_the_health_check_kind_replaces_it_before_the_old_goes(
    overrides: dict[str, Any],
) -> None:
    # These settings swap the HTTPS check for the alarm-based one (`type` forces a new check);
    # Route 53 refuses to delete a check a latency record still uses.
    # Route 53 refuses to delete a check a calculated check still uses, too.
    checks = resources(synth_region(config_with(**overrides)), "aws_route53_health_check")
    assert sorted(c["type"] for c in checks.values()) == [
        "CALCULATED",
        "CLOUDWATCH_METRIC",
        "CLOUDWATCH_METRIC",
    ]
    assert all(c["lifecycle"] == {"create_before_destroy": True} for c in checks.values())


def test_dev_environment_may_destroy_its_log_bucket() -> None:
    document = synth_region(config_with(load_balancer__deletion_protection=False))
    assert lifecycles(document, "prevent_destroy") == []
