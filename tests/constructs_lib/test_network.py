"""Given the example, when synthesized, each region has a VPC over several AZs and no NAT."""

from __future__ import annotations

from typing import Any

import pytest

from config.models import ServiceConfig
from tests.support.configs import config_with
from tests.support.lookup import ref
from tests.support.synth import only, resources, synth_region


@pytest.fixture(scope="module")
def stack(example_config: ServiceConfig) -> dict[str, Any]:
    return synth_region(example_config, "us-east-1")


def tier(stack: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [s for s in resources(stack, "aws_subnet").values() if s["tags"]["tier"] == name]


def test_three_public_and_three_private_subnets_in_distinct_zones(stack: dict[str, Any]) -> None:
    for name in ("public", "private"):
        subnets = tier(stack, name)
        assert len(subnets) == 3
        assert len({s["availability_zone"] for s in subnets}) == 3
        assert len({s["cidr_block"] for s in subnets}) == 3
        assert all(s["map_public_ip_on_launch"] is False for s in subnets)


def test_two_zone_regions_get_two_subnets_per_tier() -> None:
    stack = synth_region(config_with(regions=["us-west-1"]), "us-west-1")
    assert len(tier(stack, "public")) == len(tier(stack, "private")) == 2


def test_no_nat_gateway(stack: dict[str, Any]) -> None:
    assert resources(stack, "aws_nat_gateway") == {}
    assert resources(stack, "aws_eip") == {}


def test_alb_spans_the_public_subnets(stack: dict[str, Any]) -> None:
    public = [k for k, s in resources(stack, "aws_subnet").items() if s["tags"]["tier"] == "public"]
    assert sorted(only(stack, "aws_lb")["subnets"]) == sorted(
        ref("aws_subnet", k, "id") for k in public
    )


def test_default_security_group_is_emptied(stack: dict[str, Any]) -> None:
    group = only(stack, "aws_default_security_group")
    assert "ingress" not in group and "egress" not in group


def test_flow_logs_are_on(stack: dict[str, Any]) -> None:
    vpc_key = next(iter(resources(stack, "aws_vpc")))
    flow_log = only(stack, "aws_flow_log")
    assert flow_log["vpc_id"] == ref("aws_vpc", vpc_key, "id")
    assert flow_log["traffic_type"] == "ALL"


def test_existing_network_is_used_instead_of_creating_one() -> None:
    existing = {
        "us-east-1": {
            "vpc_id": "vpc-0123456789abcdef0",
            "public_subnet_ids": ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"],
            "private_subnet_ids": ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"],
        }
    }
    stack = synth_region(config_with(network__existing=existing), "us-east-1")
    assert resources(stack, "aws_vpc") == {}
    assert resources(stack, "aws_subnet") == {}
    assert only(stack, "aws_lb")["subnets"] == [
        "subnet-0aaaaaaaaaaaaaaa1",
        "subnet-0aaaaaaaaaaaaaaa2",
    ]
    assert only(stack, "aws_security_group")["vpc_id"] == "vpc-0123456789abcdef0"


@pytest.mark.parametrize(
    "vpc_cidr, expected",
    [
        ("10.40.0.0/16", {"10.40.0.0/20", "10.40.16.0/20", "10.40.128.0/20"}),
        ("10.40.0.0/17", {"10.40.0.0/21", "10.40.8.0/21", "10.40.64.0/21"}),
        ("10.40.6.0/23", {"10.40.6.0/27", "10.40.6.32/27", "10.40.7.0/27"}),
    ],
)
def test_subnets_are_sixteenths_of_any_allowed_vpc(vpc_cidr: str, expected: set[str]) -> None:
    stack = synth_region(config_with(network__vpc_cidr=vpc_cidr), "us-east-1")
    blocks = {s["cidr_block"] for s in resources(stack, "aws_subnet").values()}
    assert len(blocks) == 6
    assert expected <= blocks
