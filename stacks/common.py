"""What every stack of the service shares: the AWS provider with the service's default tags."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags
from constructs import Construct

from config.models import ServiceConfig


def service_tags(config: ServiceConfig) -> dict[str, str]:
    return {
        "service": config.service,
        "environment": config.environment,
        "managed-by": "cdktf",
        **config.tags,
    }


def aws_provider(
    scope: Construct, config: ServiceConfig, region: str, alias: str | None = None
) -> AwsProvider:
    return AwsProvider(
        scope,
        f"aws_{alias}" if alias else "aws",
        region=region,
        alias=alias,
        default_tags=[AwsProviderDefaultTags(tags=service_tags(config))],
    )
