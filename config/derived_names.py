"""The names the stacks derive from a configuration, each with the fields to blame and the limit
AWS puts on it (`derived_names`); `config.aws_rules.problems` reports the ones that break it.

Every name comes from `config.names.ResourceNames`, the object the constructs take their names
from, so a rename there is checked here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from config import aws_limits, health_checks
from config.aws_limits import shape
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
        names += _trust_store_names(config, region)
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


def _trust_store_names(config: ServiceSettings, region: str) -> list[DerivedName]:
    """Where the trust store reads its CA bundle, per stack (mutual TLS only)."""
    mutual_tls = config.authentication.mutual_tls
    if mutual_tls is None:
        return []
    bucket = mutual_tls.ca_bundle_s3_bucket.replace("{region}", region)
    return [
        DerivedName(
            "CA bundle bucket", bucket, "authentication.mutual_tls.ca_bundle_s3_bucket", _bucket
        ),
        DerivedName(
            "CA bundle key",
            mutual_tls.ca_bundle_s3_key,
            "authentication.mutual_tls.ca_bundle_s3_key",
            _s3_key,
        ),
    ]


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
