"""The typed configuration: the one source of truth for every stack.

Every model forbids unknown keys, so a typo in a key is an error rather than a silently ignored
setting. Field descriptions are the configuration reference (the README table and the JSON Schema
are generated from them). The models live by concern (`config.serving`, `config.edge`,
`config.observability`, `config.state`, `config.service`); this module adds the AWS API limits on
top and re-exports them all, so `from config.models import ...` keeps working.
"""

from __future__ import annotations

from pydantic import model_validator
from pydantic_core import PydanticCustomError

from config import aws_rules
from config.base import (
    DEFAULT_DOWNLOAD_TIMEOUT_S,
    DEFAULT_STARTUP_TIMEOUT_S,
    ECR_IMAGE_PATTERN,
    HOSTNAME_PATTERN,
    INFERENCE_AMI_VERSIONS,
    INSTANCE_LAUNCH_ALLOWANCE_S,
    INSTANCE_TYPE_PATTERN,
    MAX_ROLLOUT_S,
    MAX_SERVICE_ENV_LENGTH,
    NAME_PATTERN,
    PROVIDER_ENDPOINT_WAIT_S,
    ROLE_ARN_PATTERN,
    ROLLBACK_ALLOWANCE_S,
    ROUTING_STRATEGIES,
    S3_URL_PATTERN,
    Region,
    Strict,
)
from config.edge import (
    DEFAULT_HEALTH_CHECK_PORT,
    JWT_ALGORITHMS,
    PROXY_MIN_TIMEOUT_S,
    PROXY_TIMEOUT_MARGIN_S,
    SAGEMAKER_INVOCATION_TIMEOUT_S,
    AuthenticationSettings,
    DomainSettings,
    ExistingNetwork,
    JwtAlgorithm,
    JwtSettings,
    LoadBalancerSettings,
    MutualTlsSettings,
    NetworkSettings,
    ProxySettings,
    WafSettings,
)
from config.observability import (
    AlarmSettings,
    DataCaptureSettings,
    NotificationSettings,
    Subscription,
)
from config.service import (
    ServiceSettings,
)
from config.serving import (
    INSTANCE_ONLY_FIELDS,
    AutoscalingSettings,
    EndpointSettings,
    InstanceFleet,
    ModelSettings,
    RolloutSettings,
    ScheduledAction,
    ServerlessSettings,
    ServingVariant,
    ShadowVariantSettings,
    VariantSettings,
)
from config.state import (
    CloudStateSettings,
    S3StateSettings,
)


class ServiceConfig(ServiceSettings):
    """One environment of the inference service."""

    @model_validator(mode="after")
    def _within_aws_limits(self) -> ServiceConfig:
        # Once every field is valid: each value and derived name against its AWS API's limits.
        found = aws_rules.problems(self)
        if found:
            raise PydanticCustomError(
                "aws_limits",
                "{count} AWS limit(s) exceeded: {details}",
                {
                    "count": len(found),
                    "details": "; ".join(f"{path}: {message}" for path, message in found),
                    "problems": found,
                },
            )
        return self


__all__ = [
    "DEFAULT_DOWNLOAD_TIMEOUT_S",
    "DEFAULT_HEALTH_CHECK_PORT",
    "DEFAULT_STARTUP_TIMEOUT_S",
    "ECR_IMAGE_PATTERN",
    "HOSTNAME_PATTERN",
    "INFERENCE_AMI_VERSIONS",
    "INSTANCE_LAUNCH_ALLOWANCE_S",
    "INSTANCE_ONLY_FIELDS",
    "INSTANCE_TYPE_PATTERN",
    "JWT_ALGORITHMS",
    "MAX_ROLLOUT_S",
    "MAX_SERVICE_ENV_LENGTH",
    "NAME_PATTERN",
    "PROVIDER_ENDPOINT_WAIT_S",
    "PROXY_MIN_TIMEOUT_S",
    "PROXY_TIMEOUT_MARGIN_S",
    "ROLE_ARN_PATTERN",
    "ROLLBACK_ALLOWANCE_S",
    "ROUTING_STRATEGIES",
    "S3_URL_PATTERN",
    "SAGEMAKER_INVOCATION_TIMEOUT_S",
    "AlarmSettings",
    "AuthenticationSettings",
    "AutoscalingSettings",
    "CloudStateSettings",
    "DataCaptureSettings",
    "DomainSettings",
    "EndpointSettings",
    "ExistingNetwork",
    "InstanceFleet",
    "JwtAlgorithm",
    "JwtSettings",
    "LoadBalancerSettings",
    "ModelSettings",
    "MutualTlsSettings",
    "NetworkSettings",
    "NotificationSettings",
    "ProxySettings",
    "Region",
    "RolloutSettings",
    "S3StateSettings",
    "ScheduledAction",
    "ServerlessSettings",
    "ServiceConfig",
    "ServiceSettings",
    "ServingVariant",
    "ShadowVariantSettings",
    "Strict",
    "Subscription",
    "VariantSettings",
    "WafSettings",
]
