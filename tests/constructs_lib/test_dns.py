"""Given the example, when synthesized, each region adds its latency record, regional record and certificate."""

from __future__ import annotations

from typing import Any

import pytest

from config.models import ServiceConfig
from tests.support.lookup import by_key_prefix, find, ping_health_check, ref
from tests.support.synth import only, resources, synth_region


@pytest.fixture(scope="module", params=["us-east-1", "eu-west-1"])
def region_stack(
    request: pytest.FixtureRequest, example_config: ServiceConfig
) -> tuple[str, dict[str, Any]]:
    return request.param, synth_region(example_config, request.param)


def test_one_latency_record_per_region_with_health_check(
    region_stack: tuple[str, dict[str, Any]],
) -> None:
    region, stack = region_stack
    latency = [
        r for r in resources(stack, "aws_route53_record").values() if "latency_routing_policy" in r
    ]
    assert len(latency) == 1
    (record,) = latency
    check_key, _ = by_key_prefix(stack, "aws_route53_health_check", "dns_region_health_check_")
    alb_key = next(iter(resources(stack, "aws_lb")))
    assert record["name"] == "api.example.com"
    assert record["type"] == "A"
    assert record["set_identifier"] == region
    assert record["latency_routing_policy"] == {"region": region}
    assert record["health_check_id"] == ref("aws_route53_health_check", check_key, "id")
    assert record["alias"] == {
        "name": ref("aws_lb", alb_key, "dns_name"),
        "zone_id": ref("aws_lb", alb_key, "zone_id"),
        # The region's health is the calculated check's: the ALB's target health would add the
        # proxy's target group, whose own health check inference can starve.
        "evaluate_target_health": False,
    }


def test_health_check_calls_the_regional_ping(region_stack: tuple[str, dict[str, Any]]) -> None:
    region, stack = region_stack
    check = ping_health_check(stack)
    assert check["type"] == "HTTPS"
    assert check["fqdn"] == f"{region}.api.example.com"
    assert check["resource_path"] == "/ping"
    assert check["port"] == 443
    assert check["request_interval"] == 10
    assert check["failure_threshold"] == 3
    assert check["measure_latency"] is True


def test_regional_record_aliases_the_alb(region_stack: tuple[str, dict[str, Any]]) -> None:
    region, stack = region_stack
    _, record = find(stack, "aws_route53_record", name=f"{region}.api.example.com")
    assert "set_identifier" not in record and "health_check_id" not in record
    assert record["alias"]["evaluate_target_health"] is True


def test_certificate_covers_service_and_regional_names(
    region_stack: tuple[str, dict[str, Any]],
) -> None:
    region, stack = region_stack
    certificate = only(stack, "aws_acm_certificate")
    assert certificate["domain_name"] == "api.example.com"
    assert certificate["subject_alternative_names"] == [f"{region}.api.example.com"]
    assert certificate["validation_method"] == "DNS"
    assert certificate["lifecycle"] == {"create_before_destroy": True}


def test_validation_records_overwrite_and_cover_each_name(
    region_stack: tuple[str, dict[str, Any]],
) -> None:
    region, stack = region_stack
    cert_key = next(iter(resources(stack, "aws_acm_certificate")))
    (record,) = [r for r in resources(stack, "aws_route53_record").values() if "for_each" in r]
    assert record["allow_overwrite"] is True
    # Keyed by names known at plan time (a key derived from the certificate would fail the
    # first plan, before the certificate exists).
    assert record["for_each"] == f'${{toset(["api.example.com", "{region}.api.example.com"])}}'
    by_name = (
        f"{{ for option in aws_acm_certificate.{cert_key}.domain_validation_options : "
        "option.domain_name => option }"
    )
    assert record["name"] == f"${{{by_name}[each.value].resource_record_name}}"
    assert record["type"] == f"${{{by_name}[each.value].resource_record_type}}"
    assert record["records"] == [f"${{{by_name}[each.value].resource_record_value}}"]
    validation = only(stack, "aws_acm_certificate_validation")
    assert validation["certificate_arn"] == ref("aws_acm_certificate", cert_key, "arn")
    assert "validation_record_fqdns" in validation


def test_zone_is_looked_up_not_created(region_stack: tuple[str, dict[str, Any]]) -> None:
    _, stack = region_stack
    assert resources(stack, "aws_route53_zone") == {}
    (zone,) = stack["data"]["aws_route53_zone"].values()
    assert zone == {"name": "example.com", "private_zone": False}


def test_outputs_name_the_service_and_the_region(region_stack: tuple[str, dict[str, Any]]) -> None:
    region, stack = region_stack
    outputs = stack["output"]
    assert outputs["service_url"]["value"] == "https://api.example.com/invocations"
    assert outputs["regional_url"]["value"] == f"https://{region}.api.example.com/invocations"
    assert set(outputs) >= {"load_balancer_dns_name", "endpoint_name"}
