"""An AWS WAF web ACL in front of a regional load balancer.

The rules are `rule` blocks, not the provider's `rule_json` string, although each rule block
adds about 1.5 s of CPU to every plan (tools/measure_terraform_commands.py): with `rule_json`,
provider 5.100 never reads the rules back from AWS (its Read keeps the state's JSON), so a rule
changed or removed outside Terraform would not show in any plan. The rules are the protection.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.wafv2_ip_set import Wafv2IpSet
from cdktf_cdktf_provider_aws.wafv2_web_acl import (
    Wafv2WebAcl,
    Wafv2WebAclDefaultAction,
    Wafv2WebAclDefaultActionAllow,
    Wafv2WebAclRule,
    Wafv2WebAclRuleAction,
    Wafv2WebAclRuleActionBlock,
    Wafv2WebAclRuleOverrideAction,
    Wafv2WebAclRuleOverrideActionNone,
    Wafv2WebAclRuleVisibilityConfig,
    Wafv2WebAclVisibilityConfig,
)
from cdktf_cdktf_provider_aws.wafv2_web_acl_association import Wafv2WebAclAssociation
from cdktf_cdktf_provider_aws.wafv2_web_acl_logging_configuration import (
    Wafv2WebAclLoggingConfiguration,
)
from constructs import Construct

from config.models import WafSettings
from config.names import ResourceNames
from constructs_lib import aws_terms

ALLOW_LIST_PRIORITY = 0
RATE_LIMIT_PRIORITY = 1
CALLER_RATE_LIMIT_PRIORITY = 2
# WAF's rate-based rules count over 5 minutes (evaluation_window_sec 300).
RATE_WINDOW_S = 300
# The caller's identity as WAF sees it: the bearer token. WAF does not see client certificates
# (mutual TLS ends at the load balancer), so only JWT callers get a limit of their own.
CALLER_KEY_HEADER = "authorization"
COMMON_RULES_PRIORITY = 10
KNOWN_BAD_INPUTS_PRIORITY = 20


@dataclass(frozen=True)
class WebAclProps:
    name: str
    names: ResourceNames
    """Every AWS-visible name of the stack (config.names)."""
    load_balancer_arn: str
    settings: WafSettings
    log_key_arn: str
    rate_limit_callers: bool = False
    """default: false. True with bearer tokens: a rate-based rule keyed on the `Authorization`
    header limits each caller (`rate_limit_per_caller_per_5_min`) beside the per-IP limit.
    Requests without the header are not counted by it (WAF skips a request missing its key)."""


def _visibility(metric: str) -> Wafv2WebAclRuleVisibilityConfig:
    return Wafv2WebAclRuleVisibilityConfig(
        cloudwatch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
    )


class WebAcl(Construct):
    """Managed common and known-bad-inputs rules, a per-IP rate limit, an optional allow list;
    logged to an encrypted log group; associated with the load balancer."""

    def __init__(self, scope: Construct, id_: str, props: WebAclProps) -> None:
        super().__init__(scope, id_)
        settings = props.settings
        rules = self._rules(props)

        self.web_acl = Wafv2WebAcl(
            self,
            "web_acl",
            name=props.names.web_acl,
            description=f"Edge rules of {props.name}'s load balancer",
            scope="REGIONAL",
            default_action=Wafv2WebAclDefaultAction(allow=Wafv2WebAclDefaultActionAllow()),
            rule=rules,
            visibility_config=Wafv2WebAclVisibilityConfig(
                cloudwatch_metrics_enabled=True,
                metric_name=props.name,
                sampled_requests_enabled=True,
            ),
        )
        self.log_group = CloudwatchLogGroup(
            self,
            "log_group",
            name=props.names.waf_log_group,
            retention_in_days=settings.log_retention_days,
            kms_key_id=props.log_key_arn,
        )
        Wafv2WebAclLoggingConfiguration(
            self,
            "logging",
            resource_arn=self.web_acl.arn,
            log_destination_configs=[self.log_group.arn],
        )
        Wafv2WebAclAssociation(
            self,
            "association",
            resource_arn=props.load_balancer_arn,
            web_acl_arn=self.web_acl.arn,
        )
        self.web_acl_arn = self.web_acl.arn

    def _rules(self, props: WebAclProps) -> list[Wafv2WebAclRule]:
        """In priority order: the allow list (if any), the per-IP and per-caller rate limits, and
        AWS's managed rule groups."""
        settings = props.settings
        rules: list[Wafv2WebAclRule] = []
        if settings.allow_cidrs:
            allowed = Wafv2IpSet(
                self,
                "allow_list",
                name=props.names.allow_list_ip_set,
                scope="REGIONAL",
                ip_address_version="IPV4",
                addresses=list(settings.allow_cidrs),
            )
            rules.append(
                Wafv2WebAclRule(
                    name="block-outside-allow-list",
                    priority=ALLOW_LIST_PRIORITY,
                    action=Wafv2WebAclRuleAction(block=Wafv2WebAclRuleActionBlock()),
                    statement={
                        "not_statement": {
                            "statement": [{"ip_set_reference_statement": {"arn": allowed.arn}}]
                        }
                    },
                    visibility_config=_visibility(f"{props.name}-allow-list"),
                )
            )
        rules.append(
            Wafv2WebAclRule(
                name="rate-limit-per-ip",
                priority=RATE_LIMIT_PRIORITY,
                action=Wafv2WebAclRuleAction(block=Wafv2WebAclRuleActionBlock()),
                statement={
                    "rate_based_statement": {
                        "limit": settings.rate_limit_per_5_min,
                        "aggregate_key_type": "IP",
                        "evaluation_window_sec": RATE_WINDOW_S,
                    }
                },
                visibility_config=_visibility(f"{props.name}-rate-limit"),
            )
        )
        if props.rate_limit_callers:
            rules.append(self._caller_rate_limit(props.name, settings))
        count_bodies = settings.body_rules == "count"
        rules.append(
            self._managed(
                aws_terms.WAF_COMMON_RULE_SET,
                COMMON_RULES_PRIORITY,
                props.name,
                count_only=[
                    aws_terms.WAF_BODY_SIZE_RULE,
                    *(aws_terms.WAF_COMMON_BODY_RULES if count_bodies else ()),
                ],
            )
        )
        rules.append(
            self._managed(
                aws_terms.WAF_KNOWN_BAD_INPUTS,
                KNOWN_BAD_INPUTS_PRIORITY,
                props.name,
                count_only=list(aws_terms.WAF_KNOWN_BAD_INPUTS_BODY_RULES if count_bodies else ()),
            )
        )
        return rules

    @staticmethod
    def _caller_rate_limit(acl_name: str, settings: WafSettings) -> Wafv2WebAclRule:
        return Wafv2WebAclRule(
            name="rate-limit-per-caller",
            priority=CALLER_RATE_LIMIT_PRIORITY,
            action=Wafv2WebAclRuleAction(block=Wafv2WebAclRuleActionBlock()),
            statement={
                "rate_based_statement": {
                    "limit": settings.rate_limit_per_caller_per_5_min,
                    "aggregate_key_type": "CUSTOM_KEYS",
                    "evaluation_window_sec": RATE_WINDOW_S,
                    "custom_key": [
                        {
                            "header": {
                                "name": CALLER_KEY_HEADER,
                                "text_transformation": [{"priority": 0, "type": "NONE"}],
                            }
                        }
                    ],
                }
            },
            visibility_config=_visibility(f"{acl_name}-rate-limit-per-caller"),
        )

    @staticmethod
    def _managed(
        group: str, priority: int, acl_name: str, count_only: list[str] | None = None
    ) -> Wafv2WebAclRule:
        statement: dict[str, Any] = {"name": group, "vendor_name": "AWS"}
        if count_only:
            statement["rule_action_override"] = [
                {"name": rule, "action_to_use": {"count": {}}} for rule in count_only
            ]
        return Wafv2WebAclRule(
            name=group,
            priority=priority,
            override_action=Wafv2WebAclRuleOverrideAction(none=Wafv2WebAclRuleOverrideActionNone()),
            statement={"managed_rule_group_statement": statement},
            visibility_config=_visibility(f"{acl_name}-{group}"),
        )
