"""Every AWS-visible name in the synthesized stacks comes from `config.names.ResourceNames`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from config.models import ServiceConfig
from config.names import ResourceNames, resource_names

# The account ID is a token at synth time: the stacks read it from this data source.
ACCOUNT = "${data.aws_caller_identity.account.account_id}"
# (resource type, attribute) pairs whose values are names AWS sees, as the stacks set them.
NAMED = (
    ("aws_sagemaker_endpoint", "name"),
    ("aws_sagemaker_endpoint_configuration", "name_prefix"),
    ("aws_lb", "name"),
    ("aws_lb_target_group", "name"),
    ("aws_security_group", "name"),
    ("aws_lambda_function", "function_name"),
    ("aws_iam_role", "name"),
    ("aws_cloudwatch_log_group", "name"),
    ("aws_cloudwatch_log_metric_filter", "name"),
    ("aws_kms_alias", "name"),
    ("aws_s3_bucket", "bucket"),
    ("aws_sns_topic", "name"),
    ("aws_cloudwatch_dashboard", "dashboard_name"),
    ("aws_wafv2_web_acl", "name"),
    ("aws_wafv2_ip_set", "name"),
)


def expected_names(names: ResourceNames, config: ServiceConfig, region: str) -> set[str]:
    topics = {names.alarm_topic}
    if region != "us-east-1":  # Route 53's metrics region: the health alarm's topic lives there
        topics.add(names.health_alarm_topic)
    found = {
        names.endpoint,
        names.endpoint_configuration_prefix,
        names.load_balancer,
        names.target_group,
        names.load_balancer_security_group,
        names.proxy_function,
        names.ping_function,
        names.ping_log_group,
        names.ping_role,
        names.ping_target_group,
        names.sagemaker_role,
        names.proxy_role,
        names.flow_log_role,
        names.proxy_log_group,
        names.flow_log_group,
        names.proxy_response_too_large_filter,
        f"alias/{names.endpoint_key_alias}",
        f"alias/{names.log_key_alias}",
        names.access_log_bucket(ACCOUNT),
        names.dashboard,
        *topics,
        *(f"alias/{topic}" for topic in topics),
    }
    if config.waf.enabled:
        found |= {names.web_acl, names.waf_log_group}
        if config.waf.allow_cidrs:
            found.add(names.allow_list_ip_set)
    if config.data_capture_enabled:
        found.add(names.data_capture_bucket(ACCOUNT))
    return found


def synthesized_names(stack: dict[str, Any]) -> set[str]:
    resources = stack.get("resource", {})
    return {
        block[attribute]
        for type_, attribute in NAMED
        for block in resources.get(type_, {}).values()
        if attribute in block
    }


def test_every_synthesized_name_comes_from_resource_names(
    synthesized_example: Path, example_config: ServiceConfig
) -> None:
    # Given the example, when synthesized, then each region's names are exactly ResourceNames'.
    for region in example_config.stack_regions:
        names = resource_names(example_config, region)
        stack = json.loads(
            (synthesized_example / "stacks" / names.stack / "cdk.tf.json").read_text()
        )
        assert synthesized_names(stack) == expected_names(names, example_config, region), region


def test_models_are_named_from_resource_names(
    synthesized_example: Path, example_config: ServiceConfig
) -> None:
    region = example_config.regions[0]
    names = resource_names(example_config, region)
    stack = json.loads((synthesized_example / "stacks" / names.stack / "cdk.tf.json").read_text())
    for model in stack["resource"]["aws_sagemaker_model"].values():
        fingerprint = model["name"].rpartition("-")[2]
        assert model["name"] == names.model(fingerprint)
        assert len(fingerprint) == 8
