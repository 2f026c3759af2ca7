"""Given any configuration the check allows, when synthesized, the region's health check can pass.

A health check that can never pass disables failover: with every region unhealthy, Route 53
treats all records as healthy. Route 53 calls `/ping` over HTTPS only where its checkers get
through (public ALB, a listener that speaks TLS 1.2, security group and WAF admitting them);
everywhere else the check follows the target group's healthy-hosts alarm.
"""

from __future__ import annotations

import itertools
from typing import Any, get_args

import pytest

from config.health_checks import TLS13_ONLY_POLICIES, alarm_health_check_reasons
from config.models import LoadBalancerSettings, ServiceConfig
from tests.support.configs import EXISTING_NETWORKS, config_with
from tests.support.lookup import ping_health_check
from tests.support.synth import only, resources, synth_region

POLICIES = get_args(LoadBalancerSettings.model_fields["ssl_policy"].annotation)
INGRESS = {"open": ["0.0.0.0/0"], "narrowed": ["203.0.113.0/24"]}
WAF = {"no-allow-list": [], "allow-list": ["198.51.100.0/24"]}
CASES = list(itertools.product([False, True], POLICIES, INGRESS, WAF))


def https_check_gets_through(stack: dict[str, Any]) -> list[str]:
    """What would stop Route 53's checkers from getting a 200 from `/ping`; empty if nothing."""
    blockers = []
    check = ping_health_check(stack)
    if (check["port"], check["resource_path"]) != (443, "/ping"):
        blockers.append("the check does not call https://…/ping")
    if only(stack, "aws_lb")["internal"]:
        blockers.append("internal load balancer")
    https = next(v for v in resources(stack, "aws_lb_listener").values() if v["port"] == 443)
    if https["ssl_policy"] in TLS13_ONLY_POLICIES:
        blockers.append("listener refuses TLS 1.2")
    prefix_lists = stack.get("data", {}).get("aws_ec2_managed_prefix_list", {})
    checker_lists = {
        f"${{data.aws_ec2_managed_prefix_list.{key}.id}}"
        for key, value in prefix_lists.items()
        if value["name"].endswith(".route53-healthchecks")
    }
    admitted = [
        rule
        for rule in resources(stack, "aws_vpc_security_group_ingress_rule").values()
        if rule["from_port"] <= 443 <= rule["to_port"]
        and (rule.get("cidr_ipv4") == "0.0.0.0/0" or rule.get("prefix_list_id") in checker_lists)
    ]
    if not admitted:
        blockers.append("security group keeps the checkers out")
    for acl in resources(stack, "aws_wafv2_web_acl").values():
        if any("ip_set_reference_statement" in str(rule["statement"]) for rule in acl["rule"]):
            blockers.append("WAF allow list blocks the checkers")
    return blockers


def alarm_check_follows_the_targets(stack: dict[str, Any]) -> list[str]:
    check = ping_health_check(stack)
    alarms = {
        alarm["alarm_name"]: alarm
        for alarm in resources(stack, "aws_cloudwatch_metric_alarm").values()
    }
    alarm = alarms.get(check["cloudwatch_alarm_name"])
    if alarm is None or alarm.get("metric_name") != "HealthyHostCount":
        return ["the check follows no healthy-hosts alarm of this stack"]
    return []


@pytest.mark.parametrize(
    ("internal", "policy", "ingress", "waf"),
    CASES,
    ids=["-".join(["internal" if c[0] else "public", *map(str, c[1:])]) for c in CASES],
)
def test_every_allowed_configuration_gets_a_health_check_that_can_pass(
    internal: bool, policy: str, ingress: str, waf: str
) -> None:
    config = config_with(
        load_balancer__internal=internal,
        network__existing=EXISTING_NETWORKS if internal else {},
        load_balancer__ssl_policy=policy,
        load_balancer__ingress_cidrs=INGRESS[ingress],
        waf__allow_cidrs=WAF[waf],
    )

    stack = synth_region(config)

    check = ping_health_check(stack)
    if check["type"] == "HTTPS":
        assert https_check_gets_through(stack) == []
        assert alarm_health_check_reasons(config) == []
    else:
        assert check["type"] == "CLOUDWATCH_METRIC"
        assert alarm_check_follows_the_targets(stack) == []
        assert alarm_health_check_reasons(config)


def test_narrowed_ingress_admits_route53s_checker_prefix_list_on_443_only() -> None:
    stack = synth_region(config_with(load_balancer__ingress_cidrs=["203.0.113.0/24"]))

    (prefix_list,) = stack["data"]["aws_ec2_managed_prefix_list"].values()
    assert prefix_list["name"] == "com.amazonaws.us-east-1.route53-healthchecks"
    from_list = [
        rule
        for rule in resources(stack, "aws_vpc_security_group_ingress_rule").values()
        if "prefix_list_id" in rule
    ]
    assert [(r["from_port"], r["to_port"]) for r in from_list] == [(443, 443)]
    assert ping_health_check(stack)["type"] == "HTTPS"


def test_open_ingress_needs_no_prefix_list(example_config: ServiceConfig) -> None:
    stack = synth_region(example_config)
    assert "aws_ec2_managed_prefix_list" not in stack.get("data", {})
    assert ping_health_check(stack)["type"] == "HTTPS"


def test_tls13_only_policy_gets_the_alarm_based_check_with_the_reason() -> None:
    config = config_with(load_balancer__ssl_policy="ELBSecurityPolicy-TLS13-1-3-2021-06")

    assert alarm_health_check_reasons(config) == [
        "ELBSecurityPolicy-TLS13-1-3-2021-06 accepts TLS 1.3 only; Route 53 health checks use "
        "TLS 1.2"
    ]
    assert ping_health_check(synth_region(config))["type"] == "CLOUDWATCH_METRIC"
