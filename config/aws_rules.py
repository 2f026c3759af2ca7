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

from config import aws_limits, health_checks
from config.aws_limits import DOCUMENTED, shape
from config.names import resource_names
from config.service import ServiceSettings
from config.serving import (
    AutoscalingSettings,
    InstanceFleet,
    ShadowVariantSettings,
    VariantSettings,
)
from config.state import CloudStateSettings, S3StateSettings

# An account ID is a token at synth time; names that embed it are checked with 12 digits.
ACCOUNT_PLACEHOLDER = "123456789012"
# `name_prefix` resources: Terraform appends a 26-character unique suffix.
TERRAFORM_UNIQUE_SUFFIX = "x" * 26
# The model name ends with an 8-character hash of the model's identity.
MODEL_FINGERPRINT = "0" * 8
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


def _timezone(value: str) -> str | None:
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(value)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError, OSError):
        return f"'{_short(value)}' is not an IANA time zone; write e.g. UTC or Europe/Berlin"
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
            _shape_rule("application-autoscaling", "ResourceIdMaxLen1600")
        ],
        f"{at}.scheduled_actions[].timezone": [
            FieldRule(_text("an IANA time zone name known to the tz database"), _timezone)
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
            )
        ],
        f"{at}.volume_size_gb": [_shape_rule("sagemaker", "ProductionVariantVolumeSizeInGB")],
        f"{at}.container_startup_health_check_timeout_s": [
            _shape_rule("sagemaker", "ProductionVariantContainerStartupHealthCheckTimeoutInSeconds")
        ],
        f"{at}.model_data_download_timeout_s": [
            _shape_rule("sagemaker", "ProductionVariantModelDataDownloadTimeoutInSeconds")
        ],
        f"{at}.inference_ami_version": [
            _shape_rule("sagemaker", "ProductionVariantInferenceAmiVersion")
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


@dataclass(frozen=True)
class DerivedName:
    """A name the stacks build from the configuration, the fields it comes from, and its limit."""

    what: str
    value: str
    blame: str
    check: Callable[[str], str | None]


def _shape_check(service: str, name: str) -> Callable[[str], str | None]:
    return lambda value: shape(service, name).problem(value)


def _pattern_check(pattern: str, max_length: int, what: str) -> Callable[[str], str | None]:
    compiled = re.compile(pattern)

    def check(value: str) -> str | None:
        if len(value) > max_length:
            return f"{len(value)} characters; {what} allows at most {max_length}"
        if not compiled.fullmatch(value):
            return f"{what} allows only {pattern}"
        return None

    return check


def _kms_alias(value: str) -> str | None:
    if value.startswith("alias/aws/"):
        return "KMS reserves aliases starting with alias/aws/"
    return shape("kms", "AliasNameType").problem(value)


def _security_group_name(value: str) -> str | None:
    # botocore ec2 CreateSecurityGroup GroupName (documented in prose only).
    if value.startswith("sg-"):
        return "security group names may not start with `sg-`"
    return None if len(value) <= 255 else f"{len(value)} characters; at most 255"


def _sns_topic(value: str) -> str | None:
    # botocore sns CreateTopic Name (documented in prose only).
    return _pattern_check(r"[A-Za-z0-9_-]+", 256, "SNS topic names")(value)


def _dashboard(value: str) -> str | None:
    # botocore cloudwatch PutDashboard DashboardName (documented in prose only).
    return _pattern_check(r"[A-Za-z0-9_-]+", 255, "CloudWatch dashboard names")(value)


def _function_name(value: str) -> str | None:
    # botocore lambda CreateFunction FunctionName: "limited to 64 characters" for a plain name.
    return _pattern_check(r"[a-zA-Z0-9_-]+", 64, "Lambda function names")(value)


def _acm_first_name(value: str) -> str | None:
    limit = aws_limits.acm_domain_name_length()
    if len(value) > limit:
        return (
            f"{len(value)} characters; ACM allows {limit} for a certificate's domain name "
            "(botocore acm RequestCertificate DomainName)"
        )
    return shape("acm", "DomainNameString").problem(value)


def _s3_key(value: str) -> str | None:
    size = len(value.encode())
    if size > aws_limits.MAX_S3_KEY_BYTES:
        return f"{size} bytes; S3 object keys have at most {aws_limits.MAX_S3_KEY_BYTES}"
    return None


def _workspace(value: str) -> str | None:
    # https://developer.hashicorp.com/terraform/cloud-docs/workspaces/create
    return _pattern_check(
        r"[A-Za-z0-9_-]+", aws_limits.MAX_TFC_WORKSPACE_NAME, "Terraform Cloud workspace names"
    )(value)


def _bucket(value: str) -> str | None:
    return aws_limits.s3_bucket_problem(value)


def derived_names(config: ServiceSettings) -> list[DerivedName]:
    """Every name the stacks derive from `config`, with the fields to blame and its limit."""
    names = _service_names(config) + _optional_names(config)
    # Retired regions keep a stack until it is destroyed: their names reach AWS too.
    for region in config.stack_regions:
        names += _regional_names(config, region) + _regional_artifact_names(config, region)
    return names


def _service_names(config: ServiceSettings) -> list[DerivedName]:
    """The names every stack shares (region-independent)."""

    svc = "service"  # service + environment: blamed on `service`, the longer-lived choice
    # Region-independent names are the same in every stack: read them from the first.
    first = resource_names(config, config.stack_regions[0])
    names = [
        DerivedName(
            "SageMaker endpoint name",
            first.endpoint,
            svc,
            _shape_check("sagemaker", "EndpointName"),
        ),
        DerivedName(
            "SageMaker model name",
            first.model(MODEL_FINGERPRINT),
            svc,
            _shape_check("sagemaker", "ModelName"),
        ),
        DerivedName(
            "SageMaker endpoint configuration name",
            first.endpoint_configuration_prefix + TERRAFORM_UNIQUE_SUFFIX,
            svc,
            _shape_check("sagemaker", "EndpointConfigName"),
        ),
        DerivedName(
            "load balancer name",
            first.load_balancer,
            svc,
            lambda v: aws_limits.elb_name_problem(v, load_balancer=True),
        ),
        DerivedName(
            "target group name",
            first.target_group,
            svc,
            lambda v: aws_limits.elb_name_problem(v, load_balancer=False),
        ),
        DerivedName(
            "security group name", first.load_balancer_security_group, svc, _security_group_name
        ),
        DerivedName("proxy function name", first.proxy_function, svc, _function_name),
        DerivedName("endpoint KMS alias", f"alias/{first.endpoint_key_alias}", svc, _kms_alias),
        DerivedName("log KMS alias", f"alias/{first.log_key_alias}", svc, _kms_alias),
        DerivedName(
            "proxy log group",
            first.proxy_log_group,
            svc,
            _shape_check("logs", "LogGroupName"),
        ),
        DerivedName(
            "flow log group",
            first.flow_log_group,
            svc,
            _shape_check("logs", "LogGroupName"),
        ),
        DerivedName(
            "certificate domain name",
            config.domain.record_name,
            "domain.record_name",
            _acm_first_name,
        ),
    ]
    return names


def _optional_names(config: ServiceSettings) -> list[DerivedName]:
    """The web ACL's, the scaling policies' and the state key's names, when configured."""
    svc = "service"
    first = resource_names(config, config.stack_regions[0])
    names: list[DerivedName] = []
    if config.waf.enabled:
        names.append(
            DerivedName("web ACL name", first.web_acl, svc, _shape_check("wafv2", "EntityName"))
        )
        names.append(
            DerivedName(
                "WAF allow-list IP set name",
                first.allow_list_ip_set,
                svc,
                _shape_check("wafv2", "EntityName"),
            )
        )
    for scaled in scaled_variants(config):
        blame = scaled.fleet_path if scaled.fleet_path != "endpoint" else svc
        names.append(
            DerivedName(
                "scaling policy name",
                f"{scaled.name_prefix}-invocations-per-instance",
                blame if scaled.fleet_path == "endpoint" else f"{scaled.fleet_path}.name",
                _shape_check("application-autoscaling", "PolicyName"),
            )
        )
        for index, action in enumerate(scaled.scaling.scheduled_actions):
            names.append(
                DerivedName(
                    "scheduled action name",
                    f"{scaled.name_prefix}-{action.name}",
                    f"{scaled.scaling_path}.scheduled_actions[{index}].name",
                    _shape_check("application-autoscaling", "ScheduledActionName"),
                )
            )
    if isinstance(config.state, S3StateSettings):
        names.append(
            DerivedName(
                "state bucket KMS alias",
                f"alias/{state_key_alias(config.state.bucket)}",
                "state.bucket",
                _kms_alias,
            )
        )
    return names


def _regional_names(config: ServiceSettings, region: str) -> list[DerivedName]:
    """One region's stack: topics, dashboard, alarms, roles, buckets, certificate, health check."""
    svc = "service"
    names: list[DerivedName] = []
    stack = config.stack_name(region)
    here = resource_names(config, region)
    regional = f"{region}.{config.domain.record_name}"
    names += [
        DerivedName("alarm topic", here.health_alarm_topic, svc, _sns_topic),
        DerivedName("alarm topic KMS alias", f"alias/{here.health_alarm_topic}", svc, _kms_alias),
        DerivedName("dashboard name", here.dashboard, svc, _dashboard),
        DerivedName(
            "alarm name",
            # The longest: the paging twin of a disarmed rollback alarm (auto_rollback off).
            f"{stack}-endpoint-latency-p99-notify",
            svc,
            _shape_check("cloudwatch", "AlarmName"),
        ),
        DerivedName(
            "SageMaker execution role name",
            here.sagemaker_role,
            svc,
            _shape_check("iam", "roleNameType"),
        ),
        DerivedName(
            "flow log role name",
            here.flow_log_role,
            svc,
            _shape_check("iam", "roleNameType"),
        ),
        DerivedName(
            "proxy role name",
            here.proxy_role,
            svc,
            _shape_check("iam", "roleNameType"),
        ),
        DerivedName(
            "access log bucket",
            here.access_log_bucket(ACCOUNT_PLACEHOLDER),
            svc,
            _bucket,
        ),
        DerivedName(
            "certificate alternative name",
            regional,
            "domain.record_name",
            _shape_check("acm", "DomainNameString"),
        ),
        DerivedName(
            "health check domain name",
            regional,
            "domain.record_name",
            _shape_check("route53", "FullyQualifiedDomainName"),
        ),
        DerivedName(
            "health check Name tag",
            f"{regional} (alarm)"
            if health_checks.alarm_health_check_reasons(config)
            else f"{regional}/ping",
            "domain.record_name",
            _shape_check("route53", "TagValue"),
        ),
    ]
    return names


def _regional_artifact_names(config: ServiceSettings, region: str) -> list[DerivedName]:
    """One region's images, model artifacts, variant alarms, capture bucket and state."""
    svc = "service"
    stack = config.stack_name(region)
    here = resource_names(config, region)
    names: list[DerivedName] = []
    for at, model in _models(config):
        image = model.image_uri.replace("{region}", region)
        names.append(
            DerivedName(
                "image URI",
                image,
                f"{at}.image_uri",
                _shape_check("sagemaker", "ContainerImage"),
            )
        )
        if model.model_data_url is None:
            continue
        url = model.model_data_url.replace("{region}", region)
        bucket = url.removeprefix("s3://").split("/", 1)[0]
        names.append(DerivedName("model artifact bucket", bucket, f"{at}.model_data_url", _bucket))
        names.append(
            DerivedName(
                "model artifact URL",
                url,
                f"{at}.model_data_url",
                _shape_check("sagemaker", "Url"),
            )
        )
    for at, variant_name in _more_variants(config):
        names.append(
            DerivedName(
                "alarm name",
                f"{stack}-{variant_name}-latency-p99",
                f"{at}.name",
                _shape_check("cloudwatch", "AlarmName"),
            )
        )
    if config.data_capture_enabled:
        names.append(
            DerivedName(
                "data capture bucket",
                here.data_capture_bucket(ACCOUNT_PLACEHOLDER),
                svc,
                _bucket,
            )
        )
    if isinstance(config.state, S3StateSettings):
        names.append(
            DerivedName(
                "state key",
                f"{config.state_key_prefix}/{stack}.tfstate",
                "state.key_prefix",
                _s3_key,
            )
        )
    elif isinstance(config.state, CloudStateSettings):
        names.append(
            DerivedName(
                "Terraform Cloud workspace",
                f"{config.state.workspace_prefix}{stack}",
                "state.workspace_prefix",
                _workspace,
            )
        )
    return names


def _models(config: ServiceSettings) -> list[tuple[str, Any]]:
    """(path, model settings) of every variant's model."""
    found: list[tuple[str, Any]] = [("model", config.model)]
    found += [(f"variants[{i}].model", v.model) for i, v in enumerate(config.variants)]
    if config.shadow is not None:
        found.append(("shadow.model", config.shadow.model))
    return found


def _more_variants(config: ServiceSettings) -> list[tuple[str, str]]:
    """(path, name) of the variants beside the `endpoint` block's."""
    found = [(f"variants[{i}]", v.name) for i, v in enumerate(config.variants)]
    if config.shadow is not None:
        found.append(("shadow", config.shadow.name))
    return found


def state_key_alias(bucket: str) -> str:
    """The state key's alias name: the bucket's name, with the dots KMS aliases cannot hold."""
    return bucket.replace(".", "-")


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


@dataclass(frozen=True)
class ScaledVariant:
    """A variant with a scaling target, and where its settings sit in the file."""

    fleet_path: str
    fleet: InstanceFleet
    scaling_path: str
    scaling: AutoscalingSettings
    name_prefix: str
    """Prefix of its policy and scheduled-action names: `<service>-<env>[-<variant>]`."""


def scaled_variants(config: ServiceSettings) -> list[ScaledVariant]:
    found = []
    if config.endpoint.serverless is None and config.autoscaling is not None:
        found.append(
            ScaledVariant(
                "endpoint", config.endpoint, "autoscaling", config.autoscaling, config.name
            )
        )
    fleets: list[tuple[str, VariantSettings | ShadowVariantSettings]] = [
        (f"variants[{i}]", v) for i, v in enumerate(config.variants)
    ]
    if config.shadow is not None:
        fleets.append(("shadow", config.shadow))
    for path, fleet in fleets:
        own = fleet.autoscaling
        scaling = own or config.inherited_autoscaling
        if scaling is not None:
            found.append(
                ScaledVariant(
                    path,
                    fleet,
                    f"{path}.autoscaling" if own else "autoscaling",
                    scaling,
                    f"{config.name}-{fleet.name}",
                )
            )
    return found


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
    return found
