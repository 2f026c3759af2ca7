"""`status`'s judgement on plain facts: each rule that makes a region "not as planned"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from config.loader import load_config
from constructs_lib import aws_terms
from constructs_lib.dns import regional_name
from operations import smoke, status
from operations.status import Facts, Quota, judge, planned_variants

ROOT = Path(__file__).resolve().parents[2]
CONFIG = load_config(ROOT / "config" / "example.yaml")
REGION = "us-east-1"
CONFIG_NAME = f"{CONFIG.name}-20261128020000000000000001"


def running_config(model_name: str | None = None) -> dict[str, Any]:
    (variant,) = planned_variants(CONFIG)
    return {
        "EndpointConfigName": CONFIG_NAME,
        "ProductionVariants": [
            {
                "VariantName": variant.name,
                "ModelName": model_name or variant.model_name,
                "InstanceType": variant.instance_type,
                "InitialInstanceCount": variant.initial_instance_count,
            }
        ],
    }


def facts(**changes: Any) -> Facts:
    (variant,) = planned_variants(CONFIG)
    given = Facts(
        endpoint={
            "EndpointName": CONFIG.name,
            "EndpointStatus": "InService",
            "EndpointConfigName": CONFIG_NAME,
            "ProductionVariants": [
                {"VariantName": variant.name, "CurrentInstanceCount": 6, "DesiredInstanceCount": 6}
            ],
        },
        endpoint_config=running_config(),
        scalable_targets={variant.name: {"MinCapacity": 2, "MaxCapacity": 6}},
        health_check_id="hc-1",
        health_check_reports=["Success: HTTP Status Code 200"] * 8,
        quotas=[Quota("ml.m5.xlarge", 20.0, 6, 6)],
    )
    for name, value in changes.items():
        setattr(given, name, value)
    return given


def test_the_names_status_reads_are_the_ones_the_constructs_create() -> None:
    assert status.VARIANT_INSTANCE_COUNT == aws_terms.VARIANT_INSTANCE_COUNT
    assert status.variant_resource_id("e", "v") == aws_terms.variant_resource_id("e", "v")
    assert (
        smoke.regional_url(CONFIG, REGION)
        == f"https://{regional_name(REGION, CONFIG.domain.record_name)}/invocations"
    )


def test_a_region_that_matches_the_plan_is_as_planned() -> None:
    verdict = judge(CONFIG, REGION, facts(), quota_only=False)

    assert verdict.problems == []
    assert (verdict.configuration, verdict.last_deployment) == ("as planned", "succeeded")


def test_a_rolled_back_rollout_is_reported_with_sagemakers_reason() -> None:
    endpoint = {**facts().endpoint, "FailureReason": "Alarm serving-prod-5xx went into ALARM"}  # type: ignore[dict-item]
    old = running_config(model_name=f"{CONFIG.name}-0ldm0de1")

    verdict = judge(CONFIG, REGION, facts(endpoint=endpoint, endpoint_config=old), quota_only=False)

    assert verdict.last_deployment == "rolled back"
    assert any(
        p.startswith("last deployment rolled back: Alarm serving-prod-5xx")
        for p in verdict.problems
    )
    assert any(f"model {CONFIG.name}-0ldm0de1, planned" in p for p in verdict.problems)


def test_an_endpoint_whose_configuration_was_deleted_is_not_as_planned() -> None:
    verdict = judge(
        CONFIG, REGION, facts(endpoint_config=None, endpoint_config_missing=True), quota_only=False
    )

    assert verdict.configuration == "deleted"
    assert any("no longer exists" in p for p in verdict.problems)


def test_a_variant_without_its_scalable_target_is_not_as_planned() -> None:
    verdict = judge(CONFIG, REGION, facts(scalable_targets={}), quota_only=False)

    assert verdict.problems == [
        "variant primary is not registered with Application Auto Scaling (re-apply the region's "
        "stack to register it)"
    ]


def test_an_endpoint_that_is_rolling_back_is_not_as_planned() -> None:
    endpoint = {**facts().endpoint, "EndpointStatus": "RollingBack"}  # type: ignore[dict-item]

    verdict = judge(CONFIG, REGION, facts(endpoint=endpoint), quota_only=False)

    assert verdict.last_deployment == "rolling back"
    assert "endpoint is RollingBack (not serving)" in verdict.problems


def test_a_missing_endpoint_is_not_as_planned() -> None:
    verdict = judge(CONFIG, REGION, facts(endpoint=None), quota_only=False)

    assert verdict.problems == [f"endpoint {CONFIG.name} does not exist in {REGION}"]


def test_an_unhealthy_route53_check_is_not_as_planned() -> None:
    reports = ["Failure: Connection timed out"] * 7 + ["Success: HTTP Status Code 200"]

    verdict = judge(CONFIG, REGION, facts(health_check_reports=reports), quota_only=False)

    assert verdict.health_check == "unhealthy (1/8 checkers)"
    assert verdict.problems == ["Route 53 health check hc-1 is unhealthy"]


def test_the_next_rollout_needs_max_instance_count_per_variant() -> None:
    assert status.rollout_needs(CONFIG) == {"ml.m5.xlarge": CONFIG.endpoint.max_instance_count}


def test_quota_headroom_below_the_next_rollout_is_not_as_planned() -> None:
    short = [Quota("ml.m5.xlarge", 10.0, 6, 6)]

    verdict = judge(CONFIG, REGION, facts(quotas=short), quota_only=True)

    assert verdict.problems == [
        "quota 'ml.m5.xlarge for endpoint usage' is 10 with 6 in use: the next rollout starts 6 "
        "beside the live fleet; request at least 12 in Service Quotas"
    ]
