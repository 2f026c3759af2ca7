"""Shared pieces of the configuration models: the strict base model, regions, CIDRs, limits."""

from __future__ import annotations

import difflib
import ipaddress
import re
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
)

from config.regions import OTHER_PARTITION_REGIONS, PROVIDER_REFUSED_REGIONS, SAGEMAKER_REGIONS

NAME_PATTERN = r"^[a-z][a-z0-9-]*[a-z0-9]$"
# Terraform's AWS provider 5.100 waits for an updated endpoint with the SDK's fixed waiter (30 s ×
# 120 attempts) and takes no `timeouts` block. A rollout must end, rollback included, inside it.
PROVIDER_ENDPOINT_WAIT_S = 3600
# Time kept inside that wait for a rollback (traffic back to the old fleet, new fleet deleted).
ROLLBACK_ALLOWANCE_S = 600
MAX_ROLLOUT_S = PROVIDER_ENDPOINT_WAIT_S - ROLLBACK_ALLOWANCE_S
# Launching the new (green) fleet before the first traffic shift: instances are provisioned
# (this allowance), then the model is downloaded and the container passes its health check (each
# bounded by the variant's own timeout, which SageMaker enforces).
INSTANCE_LAUNCH_ALLOWANCE_S = 300
# Timeouts of new fleets when the config leaves them out, by instance family. GPU and accelerator
# families (g*, p*, inf*, trn*, dl*) load large weights onto the device: longer. The CPU defaults
# keep the fleet start at 900 s, the allowance rollouts were planned with before these settings.
DEFAULT_DOWNLOAD_TIMEOUT_S = {"cpu": 300, "accelerated": 600}
DEFAULT_STARTUP_TIMEOUT_S = {"cpu": 300, "accelerated": 900}
# `routing_strategy` values and the API's names for them (botocore sagemaker RoutingStrategy;
# Terraform's AWS provider 5.100 accepts these two).
ROUTING_STRATEGIES = {
    "least_outstanding_requests": "LEAST_OUTSTANDING_REQUESTS",
    "random": "RANDOM",
}
# Inference AMI versions that both botocore's ProductionVariantInferenceAmiVersion enum and
# Terraform's AWS provider 5.100 accept (measured with `terraform validate`: the provider refuses
# the newer al2023 image botocore lists). aws_rules checks them against botocore as well.
INFERENCE_AMI_VERSIONS = (
    "al2-ami-sagemaker-inference-gpu-2",
    "al2-ami-sagemaker-inference-gpu-2-1",
    "al2-ami-sagemaker-inference-gpu-3-1",
    "al2-ami-sagemaker-inference-neuron-2",
)
# ALB and target group names are limited to 32 characters; "<service>-<env>" plus a short suffix
# must fit.
MAX_SERVICE_ENV_LENGTH = 26
ECR_IMAGE_PATTERN = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>\{region\}|[a-z]{2}(-[a-z]+)+-\d)"
    r"\.amazonaws\.com/(?P<repository>[a-z0-9][a-z0-9._/-]*)(?P<ref>:[\w][\w.-]{0,127}|@sha256:[0-9a-f]{64})$"
)
S3_URL_PATTERN = re.compile(
    r"^s3://(?P<bucket>[a-z0-9][a-z0-9.{}-]{1,61}[a-z0-9}])/(?P<key>[^\s]+)$"
)
ROLE_ARN_PATTERN = re.compile(r"^arn:aws:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
INSTANCE_TYPE_PATTERN = re.compile(r"^ml\.[a-z0-9]+\.[a-z0-9]+$")
HOSTNAME_PATTERN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class Strict(BaseModel):
    """Base for all config models: unknown keys are errors, values are not coerced silently."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, strict=True, str_strip_whitespace=True, allow_inf_nan=False
    )


def _check_region(region: str) -> str:
    if region in SAGEMAKER_REGIONS:
        return region
    if region in OTHER_PARTITION_REGIONS:
        raise ValueError(
            f"'{region}' is in a separate AWS partition (GovCloud/China); this service spans "
            "commercial regions only"
        )
    if region in PROVIDER_REFUSED_REGIONS:
        raise ValueError(
            f"'{region}' has SageMaker, but Terraform's AWS provider 5.100.0, which this project "
            "pins, refuses it ('invalid AWS Region'); serve from another region until the "
            "provider is upgraded"
        )
    close = difflib.get_close_matches(region, sorted(SAGEMAKER_REGIONS), n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    raise ValueError(
        f"'{region}' is not an AWS region with SageMaker real-time inference.{hint} "
        "Use a region code such as us-east-1 or eu-west-1"
    )


Region = Annotated[str, AfterValidator(_check_region)]


def _check_cidrs(value: list[str]) -> list[str]:
    bad = []
    for cidr in value:
        try:
            ipaddress.ip_network(cidr, strict=True)
        except ValueError:
            bad.append(cidr)
    if bad:
        raise ValueError(f"not CIDR blocks: {bad}; write e.g. 10.0.0.0/8 or 203.0.113.7/32")
    return value
