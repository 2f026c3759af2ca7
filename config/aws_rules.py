"""Every value that reaches an AWS API, checked against that API's limits before synthesis.

Two kinds of rule, both reported as `<field path>: <problem>; <fix>`:

- field rules (`FIELD_RULES`): a configured value against the API shape it is sent to, e.g.
  `endpoint.instance_type` against SageMaker's `ProductionVariantInstanceType` enum;
- derived names (`derived_names`): what the stacks build from the configuration (KMS aliases,
  bucket, role, function, load balancer names, the certificate's names, health-check tags,
  state keys, workspaces), each against its limit and blamed on the fields it comes from.

`ServiceConfig` runs `problems()` once its fields are valid, so a configuration that validates
synthesizes into names AWS accepts. The formulas here mirror the constructs';
`tests/config/test_aws_rules.py` checks them against a synthesized stack.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from config import acceptance_rules, aws_limits, provider_enums, schedules
from config.aws_limits import DOCUMENTED, shape
from config.derived_names import ScaledVariant, derived_names, scaled_variants
from config.service import ServiceSettings

# Tags the stacks add: provider default tags, plus each resource's own (`Name`, `tier`).
BUILT_IN_DEFAULT_TAGS = ("service", "environment", "managed-by")
RESOURCE_OWN_TAGS = ("Name", "tier")
HEALTH_CHECK_OWN_TAGS = ("Name",)

Problem = tuple[str, str]


@dataclass(frozen=True)
class FieldRule:
    """Checks one configured field; `describe()` is the README's wording of its limit."""

    describe: Callable[[], str]
    check: Callable[[Any], str | None]


def _text(text: str) -> Callable[[], str]:
    return lambda: text


def _shape_rule(service: str, name: str) -> FieldRule:
    # Shapes are read when a value is checked, not at import: importing loads no model.
    return FieldRule(
        describe=lambda: shape(service, name).describe(),
        check=lambda value: shape(service, name).problem(value),
    )


def _in(values: Callable[[], Any], what: str) -> FieldRule:
    def check(value: Any) -> str | None:
        allowed = values()
        if value in allowed:
            return None
        close = sorted(allowed, key=lambda v: abs(v - value) if isinstance(v, int) else 0)[:3]
        near = f"; nearest: {', '.join(map(str, sorted(close)))}" if close else ""
        return f"{value!r} is not one of the values {what} accepts{near}"

    return FieldRule(
        describe=lambda: f"one of {', '.join(map(str, values()))} ({what})", check=check
    )


def _instance_type(value: str) -> str | None:
    if value in aws_limits.sagemaker_instance_types():
        return None
    import difflib

    close = difflib.get_close_matches(value, sorted(aws_limits.sagemaker_instance_types()), n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return (
        f"'{value}' is not a SageMaker real-time hosting instance type (botocore sagemaker "
        f"ProductionVariantInstanceType){hint}"
    )


def _each(rule: FieldRule) -> FieldRule:
    """Apply `rule` to every item of a list, or every key of a map."""

    def check(values: Any) -> str | None:
        for value in values:
            problem = rule.check(value)
            if problem is not None:
                return f"{_short(value)}: {problem}"
        return None

    return FieldRule(describe=lambda: f"each: {rule.describe()}", check=check)


def _each_value(rule: FieldRule) -> FieldRule:
    def check(values: dict[str, Any]) -> str | None:
        for key, value in values.items():
            problem = rule.check(value)
            if problem is not None:
                return f"value of {_short(key)}: {problem}"
        return None

    return FieldRule(describe=lambda: f"each value: {rule.describe()}", check=check)


def _unique(values: list[Any]) -> str | None:
    repeated = sorted({str(v) for v in values if values.count(v) > 1})
    return f"repeated: {repeated}; give each once" if repeated else None


def _ipv4_cidrs(values: list[str]) -> str | None:
    v6 = [c for c in values if ":" in c]
    return f"IPv6 CIDRs {v6[:3]} are not supported here; give IPv4 CIDRs" if v6 else None


def _at_most(count: int, what: str) -> Callable[[list[Any]], str | None]:
    def check(values: list[Any]) -> str | None:
        return f"{len(values)} entries; {what}" if len(values) > count else None

    return check


def _s3_bucket(value: str) -> str | None:
    problem = aws_limits.s3_bucket_problem(value)
    return f"'{_short(value)}' is not a valid bucket name: {problem}" if problem else None


def _vpc_cidr(value: str) -> str | None:
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ValueError as error:
        return f"'{_short(value)}' is not an IPv4 network ({error}); write e.g. 10.40.0.0/16"
    if not 16 <= network.prefixlen <= 24:
        return f"/{network.prefixlen} is outside /16-/24; write e.g. 10.40.0.0/16"
    if network.is_loopback or network.is_link_local or network.is_multicast or network.is_reserved:
        return (
            f"{value} is a loopback, link-local, multicast or reserved range; use e.g. 10.40.0.0/16"
        )
    return None


def _tag_keys(tags: dict[str, str]) -> str | None:
    for key in tags:
        for service, key_shape, _ in aws_limits.TAG_SHAPES:
            problem = shape(service, key_shape).problem(key)
            if problem is not None:
                return f"tag key {_short(key)}: {problem}"
    return None


def _tag_values(tags: dict[str, str]) -> str | None:
    for key, value in tags.items():
        for service, _, value_shape in aws_limits.TAG_SHAPES:
            problem = shape(service, value_shape).problem(value)
            if problem is not None:
                return f"value of tag {_short(key)}: {problem}"
    return None


_HOSTNAME = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
# https://developer.hashicorp.com/terraform/cloud-docs/projects/manage
_PROJECT = re.compile(r"[A-Za-z0-9_ -]{3,40}")
_PROJECT_LIMIT = (
    "3-40 characters: letters, digits, spaces, `-` and `_` (Terraform Cloud project names: "
    "https://developer.hashicorp.com/terraform/cloud-docs/projects/manage)"
)


def _hostname(value: str) -> str | None:
    if _HOSTNAME.fullmatch(value.lower()):
        return None
    return f"'{_short(value)}' is not a host name; write e.g. app.terraform.io"


def _project(value: str) -> str | None:
    if _PROJECT.fullmatch(value):
        return None
    return f"'{_short(value)}' is not a Terraform Cloud project name: {_PROJECT_LIMIT}"


_TAG_LIMIT = (
    "keys and values as every tagging API's botocore `TagKey`/`TagValue` allow (keys 1-128, "
    "values 0-256 characters: letters, digits, spaces and `_.:/=+-@`)"
)
_TAG_COUNT_LIMIT = (
    "with the stacks' own tags (service, environment, managed-by, Name, tier): at most 50 per "
    "resource (AWS tagging docs) and 10 on a Route 53 health check (botocore route53 `TagList`)"
)

_RETENTION = _in(aws_limits.log_retention_days, "CloudWatch Logs retention (botocore logs `Days`)")


def _model_rules(at: str) -> dict[str, list[FieldRule]]:
    return {
        f"{at}.image_uri": [_shape_rule("sagemaker", "ContainerImage")],
        f"{at}.model_data_url": [_shape_rule("sagemaker", "Url")],
        f"{at}.execution_role_arn": [_shape_rule("sagemaker", "RoleArn")],
        f"{at}.environment": [
            _shape_rule("sagemaker", "EnvironmentMap"),
            _each(_shape_rule("sagemaker", "EnvironmentKey")),
            _each_value(_shape_rule("sagemaker", "EnvironmentValue")),
        ],
    }


def _scheduled_action_rules(at: str) -> dict[str, list[FieldRule]]:
    return {
        f"{at}.scheduled_actions[].name": [
            _shape_rule("application-autoscaling", "ScheduledActionName")
        ],
        f"{at}.scheduled_actions[].schedule": [
            _shape_rule("application-autoscaling", "ResourceIdMaxLen1600"),
            FieldRule(schedules.describe_schedule, schedules.schedule_problem),
        ],
        f"{at}.scheduled_actions[].timezone": [
            FieldRule(schedules.describe_time_zone, schedules.time_zone_problem)
        ],
    }


def _fleet_rules(at: str) -> dict[str, list[FieldRule]]:
    """The production-variant fields every fleet (endpoint, A/B variant, shadow) sends."""
    return {
        f"{at}.instance_type": [
            FieldRule(
                lambda: (
                    f"one of {len(aws_limits.sagemaker_instance_types())} values (botocore "
                    "sagemaker ProductionVariantInstanceType)"
                ),
                _instance_type,
            ),
            FieldRule(*provider_enums.rule("instance_type")),
        ],
        f"{at}.volume_size_gb": [_shape_rule("sagemaker", "ProductionVariantVolumeSizeInGB")],
        f"{at}.container_startup_health_check_timeout_s": [
            _shape_rule("sagemaker", "ProductionVariantContainerStartupHealthCheckTimeoutInSeconds")
        ],
        f"{at}.model_data_download_timeout_s": [
            _shape_rule("sagemaker", "ProductionVariantModelDataDownloadTimeoutInSeconds")
        ],
        f"{at}.inference_ami_version": [
            _shape_rule("sagemaker", "ProductionVariantInferenceAmiVersion"),
            FieldRule(*provider_enums.rule("inference_ami_version")),
        ],
    }


FIELD_RULES: dict[str, list[FieldRule]] = {
    "endpoint.variant_name": [_shape_rule("sagemaker", "VariantName")],
    **_model_rules("model"),
    **_model_rules("variants[].model"),
    **_model_rules("shadow.model"),
    **_fleet_rules("endpoint"),
    **_fleet_rules("variants[]"),
    **_fleet_rules("shadow"),
    "variants[].name": [_shape_rule("sagemaker", "VariantName")],
    "shadow.name": [_shape_rule("sagemaker", "VariantName")],
    "endpoint.weight": [_shape_rule("sagemaker", "VariantWeight")],
    "variants[].weight": [_shape_rule("sagemaker", "VariantWeight")],
    "endpoint.serverless.memory_mb": [_shape_rule("sagemaker", "ServerlessMemorySizeInMB")],
    "endpoint.serverless.max_concurrency": [_shape_rule("sagemaker", "ServerlessMaxConcurrency")],
    "endpoint.serverless.provisioned_concurrency": [
        _shape_rule("sagemaker", "ServerlessProvisionedConcurrency")
    ],
    **_scheduled_action_rules("autoscaling"),
    **_scheduled_action_rules("variants[].autoscaling"),
    **_scheduled_action_rules("shadow.autoscaling"),
    "network.vpc_cidr": [FieldRule(_text(DOCUMENTED["vpc_cidr"].text), _vpc_cidr)],
    "load_balancer.ingress_cidrs": [
        FieldRule(_text("no repeats"), _unique),
        FieldRule(_text("IPv4 only (security group rules are `cidr_ipv4`)"), _ipv4_cidrs),
        FieldRule(
            _text(
                f"at most {aws_limits.MAX_SECURITY_GROUP_INBOUND_RULES // 2} CIDRs: "
                + DOCUMENTED["security_group_rules"].text
            ),
            _at_most(
                aws_limits.MAX_SECURITY_GROUP_INBOUND_RULES // 2,
                DOCUMENTED["security_group_rules"].text,
            ),
        ),
    ],
    "waf.allow_cidrs": [
        FieldRule(_text("no repeats"), _unique),
        FieldRule(_text("IPv4 only (the IP set is `IPV4`)"), _ipv4_cidrs),
        FieldRule(
            _text(DOCUMENTED["waf_ip_set"].text),
            _at_most(aws_limits.MAX_WAF_IP_SET_ADDRESSES, DOCUMENTED["waf_ip_set"].text),
        ),
    ],
    "waf.rate_limit_per_5_min": [_shape_rule("wafv2", "RateLimit")],
    "waf.log_retention_days": [_RETENTION],
    "proxy.log_retention_days": [_RETENTION],
    "proxy.memory_mb": [_shape_rule("lambda", "MemorySize")],
    "proxy.timeout_s": [_shape_rule("lambda", "Timeout")],
    "data_capture.sampling_percent": [_shape_rule("sagemaker", "SamplingPercentage")],
    "data_capture.json_content_types": [
        _shape_rule("sagemaker", "JsonContentTypes"),
        _each(_shape_rule("sagemaker", "JsonContentType")),
    ],
    "data_capture.csv_content_types": [
        _shape_rule("sagemaker", "CsvContentTypes"),
        _each(_shape_rule("sagemaker", "CsvContentType")),
    ],
    "notifications.subscriptions": [FieldRule(_text("no repeats"), _unique)],
    "state.bucket": [FieldRule(_text(DOCUMENTED["s3_bucket"].text), _s3_bucket)],
    "state.dynamodb_table": [_shape_rule("dynamodb", "TableName")],
    "state.kms_key_id": [_shape_rule("sagemaker", "KmsKeyId")],
    "state.hostname": [FieldRule(_text("a DNS host name such as app.terraform.io"), _hostname)],
    "state.project": [FieldRule(_text(_PROJECT_LIMIT), _project)],
    "tags": [
        FieldRule(_text(_TAG_LIMIT), _tag_keys),
        FieldRule(_text(_TAG_COUNT_LIMIT), _tag_values),
    ],
}


# What each field's derived names must fit, for the README (`derived_names` checks them).
DERIVED_LIMITS = {
    "service": (
        "with `environment`, every name derived from `<service>-<environment>` fits its API: "
        "load balancer and target group (32 characters, no `internal-`), security group (no "
        "`sg-`), SageMaker endpoint/model/configuration (63), IAM roles (64), Lambda function "
        "(64), KMS aliases, SNS topics, alarms, dashboards, log groups, and the access-log and "
        "capture buckets (S3 naming rules, 63)"
    ),
    "domain.record_name": (
        "at most 64 characters (ACM's limit on a certificate's first name, parsed from "
        "botocore acm RequestCertificate); `<region>.<record_name>` fits ACM's "
        "`DomainNameString`, Route 53's `FullyQualifiedDomainName` and the health check's "
        "`Name` tag (256)"
    ),
    "state.bucket": "its KMS alias `alias/<bucket, dots as ->` fits botocore kms `AliasNameType`",
    "state.key_prefix": "`<key_prefix>/<stack>.tfstate` is at most 1024 bytes (S3 object keys)",
    "state.workspace_prefix": (
        "`<workspace_prefix><stack>` is at most 90 characters (Terraform Cloud workspace names: "
        "https://developer.hashicorp.com/terraform/cloud-docs/workspaces/create)"
    ),
    "model.model_data_url": "per region: the bucket follows S3's naming rules",
    "autoscaling.max_rps_per_instance": (
        "`max_rps_per_instance × safety_factor × 60` is at least 1 invocation per minute"
    ),
    "autoscaling.scheduled_actions[].name": (
        "`<service>-<environment>-<name>` fits botocore application-autoscaling "
        "`ScheduledActionName`"
    ),
}


def field_limits(path: str) -> list[str]:
    """The README's wording of the rules on `path` (reference paths: `a.b[].c`)."""
    limits = [rule.describe() for rule in FIELD_RULES.get(path, [])]
    if path in DERIVED_LIMITS:
        limits.append(DERIVED_LIMITS[path])
    return limits


def _values_at(config: Any, path: str) -> Iterator[tuple[str, Any]]:
    """(concrete path, value) for a reference path such as `autoscaling.scheduled_actions[].name`."""
    items: list[tuple[str, Any]] = [("", config)]
    for part in path.split("."):
        is_list = part.endswith("[]")
        name = part.removesuffix("[]")
        found = []
        for prefix, node in items:
            if node is None or not hasattr(node, name):
                continue
            value = getattr(node, name)
            here = f"{prefix}.{name}" if prefix else name
            if is_list:
                found += [(f"{here}[{i}]", v) for i, v in enumerate(value)]
            else:
                found.append((here, value))
        items = found
    yield from ((p, v) for p, v in items if v is not None)


def _short(value: Any, limit: int = 60) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"


def _tag_count_problems(config: ServiceSettings) -> list[Problem]:
    keys = set(BUILT_IN_DEFAULT_TAGS) | set(config.tags)
    problems = []
    most = len(keys | set(RESOURCE_OWN_TAGS))
    if most > aws_limits.MAX_TAGS_PER_RESOURCE:
        problems.append(
            (
                "tags",
                f"{len(config.tags)} tags make {most} on a subnet with the stacks' own "
                f"({', '.join(BUILT_IN_DEFAULT_TAGS + RESOURCE_OWN_TAGS)}); AWS allows "
                f"{aws_limits.MAX_TAGS_PER_RESOURCE} per resource: remove "
                f"{most - aws_limits.MAX_TAGS_PER_RESOURCE}",
            )
        )
    health = len(keys | set(HEALTH_CHECK_OWN_TAGS))
    limit = aws_limits.route53_max_tags()
    if health > limit:
        problems.append(
            (
                "tags",
                f"{len(config.tags)} tags make {health} on the Route 53 health check with the "
                f"stacks' own ({', '.join(BUILT_IN_DEFAULT_TAGS + HEALTH_CHECK_OWN_TAGS)}); "
                f"Route 53 allows {limit} (botocore route53 TagList): remove {health - limit}",
            )
        )
    return problems


def _autoscaling_problems(config: ServiceSettings) -> list[Problem]:
    problems: list[Problem] = []
    for scaled in scaled_variants(config):
        problems += _scaling_problems_of(scaled)
    return sorted(set(problems), key=problems.index)


def _scaling_problems_of(scaled: ScaledVariant) -> list[Problem]:
    problems: list[Problem] = []
    fleet, at, where = scaled.fleet, scaled.scaling_path, scaled.fleet_path
    # Inherited settings that do not fit this variant are reported at the variant.
    inherited = "" if at.startswith(where) or where == "endpoint" else f" (for {where})"
    owner = "the endpoint" if where == "endpoint" else where
    actions = scaled.scaling.scheduled_actions
    for index, action in enumerate(actions):
        if action.min_instance_count < 2 and not fleet.allow_single_instance:
            problems.append(
                (
                    f"{at}.scheduled_actions[{index}].min_instance_count",
                    f"{action.min_instance_count} instance is a single Availability Zone "
                    "while the action applies; set 2 or more, or spell out "
                    f"{where}.allow_single_instance: true (not for production){inherited}",
                )
            )
        if action.max_instance_count > fleet.max_instance_count:
            # Every new fleet starts at max_instance_count (a rollout must not shrink the
            # endpoint): a schedule above it would be undone by the next rollout.
            problems.append(
                (
                    f"{at}.scheduled_actions[{index}].max_instance_count",
                    f"{action.max_instance_count} is above {where}.max_instance_count "
                    f"({fleet.max_instance_count}), the size of every new fleet; raise "
                    f"{where}.max_instance_count instead{inherited}",
                )
            )
    base = (fleet.min_instance_count, fleet.max_instance_count)
    ranges = {(a.min_instance_count, a.max_instance_count) for a in actions}
    if ranges - {base} and base not in ranges:
        # Application Auto Scaling never restores a range by itself: the first action would
        # stay in force for ever (README "Changing a live service").
        problems.append(
            (
                f"{at}.scheduled_actions",
                f"no action scales back to {owner}'s own range (min_instance_count "
                f"{base[0]}, max_instance_count {base[1]}); add one, e.g. after business "
                f"hours{inherited}",
            )
        )
    target = scaled.scaling.invocations_target
    limit = aws_limits.max_target_value()
    if not math.isfinite(target) or target > limit:
        problems.append(
            (
                f"{at}.max_rps_per_instance",
                f"max_rps_per_instance × safety_factor × 60 overflows ({target:g}); Application "
                f"Auto Scaling takes targets up to 2^360: give a realistic requests per second",
            )
        )
    elif target < 1:
        problems.append(
            (
                f"{at}.max_rps_per_instance",
                f"max_rps_per_instance × safety_factor × 60 gives a target of {target:g} "
                "invocations per instance per minute; it must be at least 1 (raise "
                "max_rps_per_instance or safety_factor)",
            )
        )
    concurrency = scaled.scaling.concurrency_target
    if concurrency is not None and concurrency > limit:
        problems.append(
            (
                f"{at}.concurrency_target",
                f"{concurrency:g} is above Application Auto Scaling's largest target (2^360)",
            )
        )
    return problems


def _template_problems(config: ServiceSettings) -> list[Problem]:
    """Strings Terraform would read as a template (`${...}`, `%{...}`) instead of as text: at best
    `terraform validate` fails, at worst the value quietly becomes another resource's attribute."""
    found: list[Problem] = []
    stack: list[tuple[str, Any]] = [("", config.model_dump())]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            stack += [(f"{path}.{k}" if path else str(k), v) for k, v in node.items()]
        elif isinstance(node, list):
            stack += [(f"{path}[{i}]", v) for i, v in enumerate(node)]
        elif isinstance(node, str) and ("${" in node or "%{" in node):
            found.append(
                (
                    path,
                    f"'{_short(node)}' holds `${{` or `%{{`, which Terraform reads as a "
                    "template, not text; remove it",
                )
            )
    return sorted(found)


def problems(config: ServiceSettings) -> list[Problem]:
    """Every AWS limit `config` breaks, as (field path, message); empty when AWS will accept it."""
    found: list[Problem] = _template_problems(config)
    for path, rules in FIELD_RULES.items():
        for concrete, value in _values_at(config, path):
            for rule in rules:
                problem = rule.check(value)
                if problem is not None:
                    found.append((concrete, problem))
    reported = {path for path, _ in found}
    seen: set[tuple[str, str]] = set()
    for derived in derived_names(config):
        if derived.blame in reported or (derived.what, derived.blame) in seen:
            continue
        problem = derived.check(derived.value)
        if problem is not None:
            seen.add((derived.what, derived.blame))
            found.append(
                (
                    derived.blame,
                    f"the {derived.what} '{_short(derived.value)}' it gives is refused by AWS: "
                    f"{problem}; change {derived.blame} so that it fits",
                )
            )
    found += _tag_count_problems(config)
    found += _autoscaling_problems(config)
    found += acceptance_rules.problems(config)
    return found
