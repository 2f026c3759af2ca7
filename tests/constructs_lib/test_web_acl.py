"""Given the example, when synthesized, each ALB has a logged WAF web ACL with managed rules and a rate limit."""

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


def rules(stack: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in only(stack, "aws_wafv2_web_acl")["rule"]}


def test_web_acl_is_regional_and_associated_with_the_alb(stack: dict[str, Any]) -> None:
    acl_key, acl = next(iter(resources(stack, "aws_wafv2_web_acl").items()))
    alb_key = next(iter(resources(stack, "aws_lb")))
    assert acl["scope"] == "REGIONAL"
    assert acl["default_action"] == {"allow": {}}
    association = only(stack, "aws_wafv2_web_acl_association")
    assert association["resource_arn"] == ref("aws_lb", alb_key, "arn")
    assert association["web_acl_arn"] == ref("aws_wafv2_web_acl", acl_key, "arn")


def test_rules_are_blocks_terraform_reads_back_not_a_json_string(stack: dict[str, Any]) -> None:
    """Provider 5.100 does not read `rule_json` back from AWS: a rule removed in the console
    would never show in a plan (constructs_lib/web_acl.py)."""
    acl = only(stack, "aws_wafv2_web_acl")
    assert "rule_json" not in acl
    assert len(acl["rule"]) >= 3, acl["rule"]


def test_managed_rule_groups_are_enforced(stack: dict[str, Any]) -> None:
    by_name = rules(stack)
    for group in ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"):
        rule = by_name[group]
        assert rule["override_action"] == {"none": {}}
        assert rule["statement"]["managed_rule_group_statement"]["vendor_name"] == "AWS"


def counted(stack: dict[str, Any], group: str) -> list[str]:
    statement = rules(stack)[group]["statement"]["managed_rule_group_statement"]
    overrides = statement.get("rule_action_override", [])
    assert all(o["action_to_use"] == {"count": {}} for o in overrides)
    return [o["name"] for o in overrides]


def test_body_inspecting_rules_count_by_default_so_prompts_with_code_pass(
    stack: dict[str, Any],
) -> None:
    assert counted(stack, "AWSManagedRulesCommonRuleSet") == [
        "SizeRestrictions_BODY",
        "CrossSiteScripting_BODY",
        "GenericLFI_BODY",
        "GenericRFI_BODY",
        "EC2MetaDataSSRF_BODY",
    ]
    assert counted(stack, "AWSManagedRulesKnownBadInputsRuleSet") == [
        "JavaDeserializationRCE_BODY",
        "Log4JRCE_BODY",
    ]


def test_body_rules_block_when_configured_but_large_bodies_still_pass() -> None:
    stack = synth_region(config_with(waf__body_rules="block"))

    assert counted(stack, "AWSManagedRulesCommonRuleSet") == ["SizeRestrictions_BODY"]
    assert counted(stack, "AWSManagedRulesKnownBadInputsRuleSet") == []


def test_rate_limit_blocks_per_ip_with_configured_limit() -> None:
    stack = synth_region(config_with(waf__rate_limit_per_5_min=500))
    rule = rules(stack)["rate-limit-per-ip"]
    assert rule["action"] == {"block": {}}
    assert rule["statement"]["rate_based_statement"] == {
        "limit": 500,
        "aggregate_key_type": "IP",
        "evaluation_window_sec": 300,
    }


def test_no_allow_list_by_default(stack: dict[str, Any]) -> None:
    assert "block-outside-allow-list" not in rules(stack)
    assert resources(stack, "aws_wafv2_ip_set") == {}


def test_allow_list_blocks_everyone_else() -> None:
    stack = synth_region(config_with(waf__allow_cidrs=["203.0.113.0/24"]))
    ip_set_key, ip_set = next(iter(resources(stack, "aws_wafv2_ip_set").items()))
    assert ip_set["addresses"] == ["203.0.113.0/24"]
    rule = rules(stack)["block-outside-allow-list"]
    assert rule["priority"] == 0
    assert rule["action"] == {"block": {}}
    assert rule["statement"] == {
        "not_statement": {
            "statement": [
                {"ip_set_reference_statement": {"arn": ref("aws_wafv2_ip_set", ip_set_key, "arn")}}
            ]
        }
    }


def test_waf_logs_to_an_encrypted_group_with_retention(stack: dict[str, Any]) -> None:
    group_key, group = next(
        (k, g)
        for k, g in resources(stack, "aws_cloudwatch_log_group").items()
        if g["name"].startswith("aws-waf-logs-")
    )
    assert group["name"] == "aws-waf-logs-serving-prod"
    assert group["retention_in_days"] == 365
    assert "kms_key_id" in group
    logging = only(stack, "aws_wafv2_web_acl_logging_configuration")
    assert logging["log_destination_configs"] == [ref("aws_cloudwatch_log_group", group_key, "arn")]


def test_waf_can_be_turned_off() -> None:
    stack = synth_region(config_with(waf__enabled=False))
    assert resources(stack, "aws_wafv2_web_acl") == {}
