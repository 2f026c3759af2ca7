"""The typed configuration: the one source of truth for every stack.

Every model forbids unknown keys, so a typo in a key is an error rather than a silently ignored
setting. Field descriptions are the configuration reference (the README table and the JSON Schema
are generated from them).
"""

from __future__ import annotations

import difflib
import ipaddress
import math
import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from config import aws_rules, instance_types
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


class ModelSettings(Strict):
    """The model container SageMaker serves."""

    image_uri: str = Field(
        description=(
            "ECR image URI of the inference container, with a tag or digest. SageMaker pulls "
            "images from the endpoint's own region: write `{region}` in place of the region "
            "to use one repository per region."
        ),
        examples=["763104351884.dkr.ecr.{region}.amazonaws.com/pytorch-inference:2.3-cpu-py311"],
    )
    model_data_url: str | None = Field(
        default=None,
        description=(
            "S3 URL of the model artifact (`model.tar.gz`); the bucket must be in the "
            "endpoint's region, so `{region}` may appear in it. Default: none (weights baked "
            "into the image)."
        ),
    )
    environment: dict[str, str] = Field(
        default_factory=dict,
        description="Environment variables of the container. Default: none.",
    )
    execution_role_arn: str | None = Field(
        default=None,
        description=(
            "Existing IAM role SageMaker assumes for the model. Default: a role is created "
            "with least privilege (pull this image, read this artifact, write its logs)."
        ),
    )
    network_isolation: bool = Field(
        default=True,
        description=(
            "Run the container without network access. Default: on. Turn off only if the "
            "container must call out at run time."
        ),
    )

    @field_validator("image_uri")
    @classmethod
    def _image_is_ecr(cls, value: str) -> str:
        if not ECR_IMAGE_PATTERN.match(value):
            raise ValueError(
                f"'{value}' is not an ECR image URI; expected "
                "<account>.dkr.ecr.<region|{region}>.amazonaws.com/<repository>:<tag> "
                "(or @sha256:<digest>)"
            )
        return value

    @field_validator("model_data_url")
    @classmethod
    def _model_data_is_s3(cls, value: str | None) -> str | None:
        if value is not None and not S3_URL_PATTERN.match(value):
            raise ValueError(
                f"'{value}' is not an S3 URL; expected s3://<bucket>/<key>, e.g. "
                "s3://my-models-{region}/fraud/model.tar.gz"
            )
        return value

    @field_validator("execution_role_arn")
    @classmethod
    def _role_is_arn(cls, value: str | None) -> str | None:
        if value is not None and not ROLE_ARN_PATTERN.match(value):
            raise ValueError(
                f"'{value}' is not an IAM role ARN; expected "
                "arn:aws:iam::<12-digit account>:role/<name>, or leave it out to create one"
            )
        return value

    @field_validator("environment")
    @classmethod
    def _environment_names(cls, value: dict[str, str]) -> dict[str, str]:
        bad = [k for k in value if not re.match(r"^[A-Za-z_][A-Za-z0-9_]{0,1023}$", k)]
        if bad:
            raise ValueError(
                f"invalid environment variable name(s) {bad}; use letters, digits and _"
            )
        return value

    def image_region(self) -> str | None:
        """The region written in the image URI, or None when it is the `{region}` placeholder."""
        match = ECR_IMAGE_PATTERN.match(self.image_uri)
        assert match is not None  # validated above
        region = match.group("region")
        return None if region == "{region}" else region


class ScheduledAction(Strict):
    """A scheduled change of the autoscaling range (e.g. scale up before business hours)."""

    name: str = Field(pattern=r"^[a-zA-Z0-9-]{1,64}$", description="Unique action name.")
    schedule: str = Field(
        description="`cron(...)`, `rate(...)` or `at(...)` expression.",
        pattern=r"^(cron|rate|at)\(.+\)$",
    )
    min_instance_count: int = Field(ge=1, description="Minimum while the action applies.")
    max_instance_count: int = Field(ge=1, description="Maximum while the action applies.")
    timezone: str = Field(default="UTC", description="IANA time zone. Default: UTC.")

    @field_validator("max_instance_count")
    @classmethod
    def _max_not_below_min(cls, value: int, info: ValidationInfo) -> int:
        minimum = info.data.get("min_instance_count")
        if minimum is not None and value < minimum:
            raise ValueError(f"{value} is below min_instance_count ({minimum})")
        return value


class AutoscalingSettings(Strict):
    """Target tracking on the production variant's instance count."""

    target_invocations_per_instance: int | None = Field(
        default=None,
        ge=1,
        description=(
            "Target of `SageMakerVariantInvocationsPerInstance` (invocations per instance per "
            "minute). Give this, or `max_rps_per_instance`."
        ),
    )
    max_rps_per_instance: float | None = Field(
        default=None,
        gt=0,
        description=(
            "Requests per second one instance sustains in a load test. The target is then "
            "`max_rps_per_instance × safety_factor × 60` (AWS's load-testing formula)."
        ),
    )
    safety_factor: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="Headroom applied to `max_rps_per_instance`. Default: 0.5.",
    )
    concurrency_target: float | None = Field(
        default=None,
        gt=0,
        description=(
            "Adds a second target-tracking policy on "
            "`SageMakerVariantConcurrentRequestsPerModelHighResolution` (published every "
            "10 s, so scale-out reacts in under a minute). Default: off."
        ),
    )
    scale_in_cooldown_s: int = Field(
        default=300,
        ge=0,
        description=(
            "Seconds after a scale-in before another. Default: 300, so a brief dip does not "
            "remove capacity that a new instance needs minutes to restore."
        ),
    )
    scale_out_cooldown_s: int = Field(
        default=60,
        ge=0,
        description="Seconds after a scale-out before another. Default: 60.",
    )
    scheduled_actions: list[ScheduledAction] = Field(
        default_factory=list, description="Scheduled range changes. Default: none."
    )

    @model_validator(mode="after")
    def _one_target(self) -> AutoscalingSettings:
        given = [
            f
            for f in ("target_invocations_per_instance", "max_rps_per_instance")
            if getattr(self, f) is not None
        ]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of target_invocations_per_instance (invocations per instance "
                "per minute) or max_rps_per_instance (+ optional safety_factor)"
                + (f"; got both {given}" if given else "; got neither")
            )
        names = [a.name for a in self.scheduled_actions]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"scheduled action names must be unique; repeated: {duplicates}")
        return self

    @property
    def invocations_target(self) -> float:
        """Invocations per instance per minute that target tracking holds."""
        if self.target_invocations_per_instance is not None:
            return float(self.target_invocations_per_instance)
        assert self.max_rps_per_instance is not None
        return round(self.max_rps_per_instance * self.safety_factor * 60, 2)


class ServerlessSettings(Strict):
    """Serverless Inference: SageMaker runs the container on demand and scales it itself."""

    memory_mb: int = Field(
        description=(
            "Memory of each serverless container (MB): 1024 to 6144 in 1024-MB steps "
            "(botocore sagemaker ServerlessConfig MemorySizeInMB)."
        ),
    )
    max_concurrency: int = Field(
        default=10,
        ge=1,
        description="Most concurrent invocations the endpoint serves. Default: 10.",
    )
    provisioned_concurrency: int | None = Field(
        default=None,
        ge=1,
        description=(
            "Invocations kept warm (no cold start); at most `max_concurrency`. Default: none "
            "(every container starts on demand)."
        ),
    )

    @field_validator("memory_mb")
    @classmethod
    def _memory_steps(cls, value: int) -> int:
        if value % 1024:
            raise ValueError(
                f"{value} MB is not a whole number of GB; serverless memory comes in 1024-MB "
                "steps (1024, 2048, ... 6144)"
            )
        return value

    @model_validator(mode="after")
    def _provisioned_within_max(self) -> ServerlessSettings:
        provisioned = self.provisioned_concurrency
        if provisioned is not None and provisioned > self.max_concurrency:
            raise ValueError(
                f"provisioned_concurrency ({provisioned}) is above max_concurrency "
                f"({self.max_concurrency}); SageMaker requires it to be at most max_concurrency"
            )
        return self


class InstanceFleet(Strict):
    """Instances of one production variant: type, counts, start-up limits and routing."""

    instance_type: str = Field(
        description="SageMaker instance type of the variant.",
        examples=["ml.m5.xlarge", "ml.g5.xlarge"],
    )
    allow_single_instance: bool = Field(
        default=False,
        description=(
            "Allow `min_instance_count: 1`. Default: false; one instance is one Availability "
            "Zone, and AWS Config flags single-instance production endpoints."
        ),
    )
    min_instance_count: int = Field(
        default=2,
        ge=1,
        description=(
            "Fewest instances autoscaling may leave. Default: 2, so SageMaker spreads them "
            "over Availability Zones."
        ),
    )
    initial_instance_count: int | None = Field(
        default=None,
        ge=1,
        description=(
            "Instances of every new fleet: at creation and at each rollout (blue/green starts "
            "a new fleet of this size). Must equal `max_instance_count`: Terraform's AWS "
            "provider 5.100 cannot keep the live count through an update "
            "(`RetainAllVariantProperties`), so a smaller fleet would shrink an endpoint that "
            "autoscaling has scaled out. Default: `max_instance_count`; autoscaling scales in "
            "after `scale_in_cooldown_s`."
        ),
    )
    max_instance_count: int = Field(
        default=4, ge=1, description="Most instances autoscaling may add. Default: 4."
    )
    volume_size_gb: int | None = Field(
        default=None,
        ge=1,
        le=512,
        description=(
            "ML storage volume per instance (GB), for instance types without local NVMe. "
            "Default: SageMaker's default for the instance type."
        ),
    )
    routing_strategy: Literal["least_outstanding_requests", "random"] = Field(
        default="least_outstanding_requests",
        description=(
            "How SageMaker spreads requests over the variant's instances: "
            "`least_outstanding_requests` sends each to the instance with the fewest in "
            "flight (lower tail latency when requests vary in cost); `random` picks any. "
            "Default: least_outstanding_requests."
        ),
    )
    container_startup_health_check_timeout_s: int | None = Field(
        default=None,
        ge=60,
        le=3600,
        description=(
            "Seconds a new instance's container has to pass its first health check (`/ping`) "
            "before SageMaker fails the fleet. Default: "
            f"{DEFAULT_STARTUP_TIMEOUT_S['accelerated']} for GPU and accelerator families "
            f"(g, p, inf, trn, dl), {DEFAULT_STARTUP_TIMEOUT_S['cpu']} otherwise."
        ),
    )
    model_data_download_timeout_s: int | None = Field(
        default=None,
        ge=60,
        le=3600,
        description=(
            "Seconds a new instance has to download and extract the model artifact. Default: "
            f"{DEFAULT_DOWNLOAD_TIMEOUT_S['accelerated']} for GPU and accelerator families, "
            f"{DEFAULT_DOWNLOAD_TIMEOUT_S['cpu']} otherwise."
        ),
    )
    inference_ami_version: (
        Literal[
            "al2-ami-sagemaker-inference-gpu-2",
            "al2-ami-sagemaker-inference-gpu-2-1",
            "al2-ami-sagemaker-inference-gpu-3-1",
            "al2-ami-sagemaker-inference-neuron-2",
        ]
        | None
    ) = Field(
        default=None,
        description=(
            "AMI of the instances (GPU driver and CUDA, or Neuron driver, versions). Default: "
            "SageMaker's choice for the instance type."
        ),
    )

    @field_validator("instance_type")
    @classmethod
    def _instance_type(cls, value: str | None) -> str | None:
        if value is not None and not INSTANCE_TYPE_PATTERN.match(value):
            raise ValueError(
                f"'{value}' is not a SageMaker instance type; expected ml.<family>.<size>, "
                "e.g. ml.m5.xlarge"
            )
        return value

    @field_validator("min_instance_count")
    @classmethod
    def _min_is_highly_available(cls, value: int, info: ValidationInfo) -> int:
        if value < 2 and not info.data.get("allow_single_instance", False):
            raise ValueError(
                f"{value} instance is a single Availability Zone; set min_instance_count: 2 "
                "or more, or spell out allow_single_instance: true (not for production)"
            )
        return value

    @field_validator("max_instance_count")
    @classmethod
    def _max_not_below_others(cls, value: int, info: ValidationInfo) -> int:
        minimum = info.data.get("min_instance_count")
        initial = info.data.get("initial_instance_count")
        if minimum is not None and value < minimum:
            raise ValueError(
                f"{value} is below min_instance_count ({minimum}); max_instance_count must be "
                f"at least {minimum}"
            )
        if initial is not None and initial != value:
            raise ValueError(
                f"initial_instance_count ({initial}) differs from max_instance_count ({value}): "
                "every rollout starts its new fleet at initial_instance_count, and the AWS "
                "provider cannot keep the live count, so a rollout at peak would shrink the "
                "endpoint; remove initial_instance_count (it defaults to max_instance_count)"
            )
        return value

    @property
    def initial_instances(self) -> int:
        """Instances of every new fleet (creation and rollouts): the most autoscaling may reach,
        so a rollout never leaves fewer instances than were serving before it."""
        return self.max_instance_count

    @property
    def accelerated(self) -> bool:
        """GPU or accelerator family: the start-up defaults are longer."""
        return self.instance_type is not None and instance_types.is_accelerated(self.instance_type)

    @property
    def startup_timeout_s(self) -> int:
        if self.container_startup_health_check_timeout_s is not None:
            return self.container_startup_health_check_timeout_s
        return DEFAULT_STARTUP_TIMEOUT_S["accelerated" if self.accelerated else "cpu"]

    @property
    def download_timeout_s(self) -> int:
        if self.model_data_download_timeout_s is not None:
            return self.model_data_download_timeout_s
        return DEFAULT_DOWNLOAD_TIMEOUT_S["accelerated" if self.accelerated else "cpu"]

    @property
    def fleet_start_s(self) -> int:
        """Longest a new fleet of this variant takes before it can take traffic."""
        return INSTANCE_LAUNCH_ALLOWANCE_S + self.download_timeout_s + self.startup_timeout_s


# Instance fields a serverless endpoint may not set (SageMaker has no instances to apply them to).
INSTANCE_ONLY_FIELDS = (
    "instance_type",
    "allow_single_instance",
    "min_instance_count",
    "initial_instance_count",
    "max_instance_count",
    "volume_size_gb",
    "routing_strategy",
    "container_startup_health_check_timeout_s",
    "model_data_download_timeout_s",
    "inference_ami_version",
)


class EndpointSettings(InstanceFleet):
    """The endpoint's (first) production variant: its instances, or serverless."""

    instance_type: str | None = Field(  # type: ignore[assignment]
        default=None,
        description=(
            "SageMaker instance type of the production variant. Required unless `serverless`."
        ),
        examples=["ml.m5.xlarge", "ml.g5.xlarge"],
    )
    variant_name: str = Field(
        default="primary",
        pattern=r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$",
        description="Name of the production variant. Default: `primary`.",
    )
    weight: float = Field(
        default=1,
        ge=0,
        description=(
            "Share of traffic when `variants` adds A/B variants: weight ÷ the sum of all "
            "production variants' weights; 0 parks the variant (no traffic, instances kept). "
            "Default: 1."
        ),
    )
    serverless: ServerlessSettings | None = Field(
        default=None,
        description=(
            "Serverless Inference instead of instances, for non-production environments: no "
            "instance fields, no autoscaling (SageMaker scales it), no `variants`/`shadow`, no "
            "network isolation, no data capture (AWS: Serverless Inference feature "
            "exclusions). Default: instances."
        ),
    )

    @model_validator(mode="after")
    def _instances_or_serverless(self) -> EndpointSettings:
        if self.serverless is None:
            if self.instance_type is None:
                raise ValueError(
                    "give instance_type (e.g. ml.m5.xlarge), or serverless: {memory_mb: 2048} "
                    "for a serverless endpoint"
                )
            return self
        given = [f for f in INSTANCE_ONLY_FIELDS if f in self.model_fields_set]
        if given:
            raise ValueError(
                f"serverless endpoints have no instances; remove {', '.join(given)} "
                "(or remove serverless to run on instances)"
            )
        return self

    @property
    def fleet_start_s(self) -> int:
        if self.serverless is not None:
            # No fleet to launch: containers start on demand (each cold start is ModelSetupTime).
            return INSTANCE_LAUNCH_ALLOWANCE_S
        return super().fleet_start_s


class VariantSettings(InstanceFleet):
    """An additional production variant (A/B): its own model, weight, instances and scaling."""

    name: str = Field(
        pattern=r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$",
        description="Variant name, unique on the endpoint; kept for the variant's life.",
    )
    model: ModelSettings = Field(description="The variant's model (same fields as `model`).")
    weight: float = Field(
        default=1,
        ge=0,
        description=(
            "Share of traffic: weight ÷ the sum of all production variants' weights; 0 parks "
            "the variant. Default: 1."
        ),
    )
    autoscaling: AutoscalingSettings | None = Field(
        default=None,
        description=(
            "The variant's target tracking. Default: the service's `autoscaling` without its "
            "scheduled actions (they set instance ranges, and ranges are per variant)."
        ),
    )


class ShadowVariantSettings(InstanceFleet):
    """A shadow variant: gets a copy of the production variant's requests; its answers are only
    captured (data capture), never returned to clients."""

    name: str = Field(
        pattern=r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$",
        description="Variant name, unique on the endpoint.",
    )
    model: ModelSettings = Field(description="The candidate model (same fields as `model`).")
    traffic_copy_percent: int = Field(
        default=100,
        ge=1,
        le=100,
        description=(
            "Share of the production variant's requests copied to the shadow (%). Default: 100."
        ),
    )
    autoscaling: AutoscalingSettings | None = Field(
        default=None,
        description=(
            "The shadow's target tracking. Default: the service's `autoscaling` without its "
            "scheduled actions."
        ),
    )


class DomainSettings(Strict):
    """Public DNS of the service (used by the traffic layer)."""

    hosted_zone_name: str = Field(
        description="Existing Route 53 hosted zone, e.g. `example.com`.",
    )
    record_name: str = Field(
        description=(
            "Service name inside the zone, e.g. `api.example.com`; each region is also "
            "reachable as `<region>.<record_name>`."
        ),
    )

    @field_validator("hosted_zone_name", "record_name")
    @classmethod
    def _hostname(cls, value: str) -> str:
        value = value.rstrip(".").lower()
        if not HOSTNAME_PATTERN.match(value):
            raise ValueError(f"'{value}' is not a DNS name such as api.example.com")
        return value

    @field_validator("record_name")
    @classmethod
    def _record_in_zone(cls, value: str, info: ValidationInfo) -> str:
        zone = info.data.get("hosted_zone_name")
        if zone and not value.endswith("." + zone):
            raise ValueError(
                f"'{value}' is not inside hosted zone '{zone}'; use a name ending in .{zone}"
            )
        return value


class ExistingNetwork(Strict):
    """A VPC and subnets that already exist in one region."""

    vpc_id: str = Field(pattern=r"^vpc-[0-9a-f]{8,17}$", description="VPC ID.")
    public_subnet_ids: list[Annotated[str, Field(pattern=r"^subnet-[0-9a-f]{8,17}$")]] = Field(
        min_length=2,
        description="Subnets in two or more Availability Zones for an internet-facing ALB.",
    )
    private_subnet_ids: list[Annotated[str, Field(pattern=r"^subnet-[0-9a-f]{8,17}$")]] = Field(
        min_length=2,
        description="Subnets in two or more Availability Zones for an internal ALB.",
    )


class NetworkSettings(Strict):
    """Where the load balancer lives in each region."""

    vpc_cidr: str = Field(
        default="10.40.0.0/16",
        pattern=r"^(\d{1,3}\.){3}\d{1,3}/(1[6-9]|2[0-4])$",
        description=(
            "CIDR of the VPC created in each region (regions are not peered, so they may "
            "share it). Default: `10.40.0.0/16`."
        ),
    )
    max_availability_zones: int = Field(
        default=3,
        ge=2,
        le=6,
        description=(
            "Public and private subnets in this many Availability Zones, or as many as the "
            "region has if fewer. Default: 3. No NAT gateways are created: nothing needs one."
        ),
    )
    existing: dict[Region, ExistingNetwork] = Field(
        default_factory=dict,
        description=(
            "Per region, an existing VPC and subnets to use instead of creating a VPC. "
            "Default: none (a VPC is created in every region)."
        ),
    )


class LoadBalancerSettings(Strict):
    """The Application Load Balancer in front of each region."""

    internal: bool = Field(
        default=False,
        description=(
            "Internal (private subnets) instead of internet-facing. Route 53's checkers cannot "
            "reach an internal ALB, so its health check follows a CloudWatch alarm instead. "
            "Default: false."
        ),
    )
    ingress_cidrs: list[str] = Field(
        default_factory=lambda: ["0.0.0.0/0"],
        min_length=1,
        description=(
            "CIDRs allowed to reach ports 443 and 80. When narrowed, Route 53's health checkers "
            "(managed prefix list `com.amazonaws.<region>.route53-healthchecks`) are admitted on "
            "443 too. Default: `0.0.0.0/0`."
        ),
    )
    deletion_protection: bool = Field(
        default=True,
        description=(
            "ALB deletion protection, and `prevent_destroy` on its access-log bucket. "
            "Default: on; turn off only for throw-away environments."
        ),
    )
    idle_timeout_s: int = Field(
        default=75,
        ge=1,
        le=4000,
        description=(
            "ALB idle timeout (s); must exceed `proxy.timeout_s`. Default: 75, above the "
            "proxy's 70."
        ),
    )
    ssl_policy: Literal[
        "ELBSecurityPolicy-TLS13-1-2-2021-06",
        "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
        "ELBSecurityPolicy-TLS13-1-3-2021-06",
    ] = Field(
        default="ELBSecurityPolicy-TLS13-1-2-2021-06",
        description=(
            "HTTPS listener policy (TLS 1.3 capable). `ELBSecurityPolicy-TLS13-1-3-2021-06` "
            "accepts TLS 1.3 only, which Route 53's HTTPS health checks (TLS 1.2 at most) cannot "
            "speak: its regions get the alarm-based health check. "
            "Default: `ELBSecurityPolicy-TLS13-1-2-2021-06`."
        ),
    )
    access_log_retention_days: int = Field(
        default=90, ge=1, description="Days access logs are kept. Default: 90."
    )

    @field_validator("ingress_cidrs")
    @classmethod
    def _cidrs(cls, value: list[str]) -> list[str]:
        return _check_cidrs(value)


# SageMaker real-time inference allows an invocation 60 s (InvokeEndpoint). The proxy waits that
# long once; the margin covers connecting (and retrying what never reached the model) and logging.
SAGEMAKER_INVOCATION_TIMEOUT_S = 60
PROXY_TIMEOUT_MARGIN_S = 10
PROXY_MIN_TIMEOUT_S = SAGEMAKER_INVOCATION_TIMEOUT_S + PROXY_TIMEOUT_MARGIN_S


class ProxySettings(Strict):
    """The Lambda function between the ALB and InvokeEndpoint."""

    memory_mb: int = Field(default=512, ge=128, le=10240, description="Memory (MB). Default: 512.")
    timeout_s: int = Field(
        default=PROXY_MIN_TIMEOUT_S,
        ge=5,
        le=900,
        description=(
            f"Function timeout (s): at least {PROXY_MIN_TIMEOUT_S} (SageMaker's "
            f"{SAGEMAKER_INVOCATION_TIMEOUT_S} s per invocation, which the proxy waits for once, "
            f"plus {PROXY_TIMEOUT_MARGIN_S} s to connect and log), and below the ALB idle "
            "timeout so the client gets the function's 504, not a dropped connection. "
            f"Default: {PROXY_MIN_TIMEOUT_S}."
        ),
    )
    reserved_concurrency: int = Field(
        default=100,
        ge=1,
        description=(
            "Reserved concurrent executions: a cap that protects the endpoint and guarantees "
            "this function capacity in the account. Default: 100."
        ),
    )
    log_retention_days: int = Field(
        default=365,
        description="Days the function's and the VPC flow logs are kept. Default: 365.",
    )


class WafSettings(Strict):
    """The AWS WAF web ACL on each load balancer."""

    enabled: bool = Field(default=True, description="Attach a web ACL to every ALB. Default: on.")
    rate_limit_per_5_min: int = Field(
        default=2000,
        ge=10,
        le=2_000_000_000,
        description=(
            "Requests one client IP may send in 5 minutes before WAF blocks it. Default: 2000."
        ),
    )
    allow_cidrs: list[str] = Field(
        default_factory=list,
        description=(
            "If given, only these client CIDRs are allowed; all others are blocked, Route 53's "
            "health checkers too, so the regions get the alarm-based health check. "
            "Default: none (no allow list)."
        ),
    )
    log_retention_days: int = Field(
        default=365, ge=1, description="Days WAF logs are kept. Default: 365."
    )
    body_rules: Literal["count", "block"] = Field(
        default="count",
        description=(
            "What the managed rules that inspect request bodies (cross-site scripting, local and "
            "remote file inclusion, SSRF, Log4j, Java deserialization) do on a match: `count` "
            "(logged and measured, not blocked) or `block`. Default: `count`; an inference "
            "payload is arbitrary text, and a legitimate prompt that contains code matches them."
        ),
    )

    @field_validator("allow_cidrs")
    @classmethod
    def _cidrs(cls, value: list[str]) -> list[str]:
        return _check_cidrs(value)


class RolloutSettings(Strict):
    """How SageMaker shifts traffic to a new endpoint configuration (blue/green)."""

    strategy: Literal["canary", "linear", "all_at_once"] = Field(
        default="canary",
        description=(
            "`canary`: a slice of capacity first, the rest after `wait_s`; `linear`: equal steps "
            "every `wait_s`; `all_at_once`: everything, then the baking period. Default: canary."
        ),
    )
    canary_size_percent: int = Field(
        default=10, ge=1, le=50, description="Share of capacity in the canary. Default: 10."
    )
    linear_step_percent: int = Field(
        default=20, ge=5, le=50, description="Share of capacity per linear step. Default: 20."
    )
    wait_s: int = Field(
        default=300,
        ge=0,
        le=3600,
        description="Seconds to watch the alarms after each traffic shift. Default: 300.",
    )
    maximum_execution_timeout_s: int = Field(
        default=MAX_ROLLOUT_S,
        ge=600,
        le=MAX_ROLLOUT_S,
        description=(
            "Longest the whole rollout may take before SageMaker rolls it back. At most "
            f"{MAX_ROLLOUT_S}: Terraform's AWS provider waits a fixed "
            f"{PROVIDER_ENDPOINT_WAIT_S // 60} minutes for the endpoint, and a rollback needs "
            f"time inside that wait too. Default: {MAX_ROLLOUT_S}."
        ),
    )
    termination_wait_s: int = Field(
        default=600,
        ge=0,
        le=3600,
        description=(
            "Seconds the old (blue) fleet stays up after the shift, for an instant rollback. "
            "Default: 600."
        ),
    )
    auto_rollback: bool = Field(
        default=True,
        description=(
            "Roll back when the endpoint's 5XX or p99 latency alarm fires during the rollout. "
            "Turning it off disarms the two rollback alarms (their names stay on the endpoint, "
            "so the change never replaces it) and moves paging to `-notify` alarms. Default: on."
        ),
    )

    @property
    def traffic_shifts(self) -> int:
        """Traffic shifts of one rollout, each followed by a `wait_s` baking period."""
        if self.strategy == "canary":
            return 2
        if self.strategy == "linear":
            return math.ceil(100 / self.linear_step_percent)
        return 1

    def planned_duration_s(self, fleet_start_s: int) -> int:
        """Worst case of a rollout that goes well: the new fleet starts (`fleet_start_s`: launch,
        model download, container health check), every shift bakes, and the old fleet waits
        out `termination_wait_s`."""
        return fleet_start_s + self.traffic_shifts * self.wait_s + self.termination_wait_s


class AlarmSettings(Strict):
    """CloudWatch alarm thresholds (every alarm notifies the region's SNS topic)."""

    period_s: Literal[60, 300] = Field(
        default=60,
        description="Alarm period (s); the metrics are published per minute. Default: 60.",
    )
    evaluation_periods: int = Field(
        default=3, ge=1, le=60, description="Periods in breach before alarming. Default: 3."
    )
    invocation_5xx_errors: int = Field(
        default=5,
        ge=1,
        description="Endpoint `Invocation5XXErrors` per period (sum). Default: 5.",
    )
    invocation_4xx_error_rate_percent: float = Field(
        default=10,
        gt=0,
        le=100,
        description="`Invocation4XXErrors` as % of `Invocations`. Default: 10.",
    )
    model_latency_p99_ms: int = Field(
        default=1000,
        ge=1,
        description="p99 of `ModelLatency` (ms). Default: 1000.",
    )
    cpu_utilization_percent: int = Field(
        default=90,
        ge=1,
        le=100,
        description=(
            "Average CPU per instance, % of all its vCPUs (SageMaker reports the sum over "
            "cores; the threshold is scaled by the instance type's vCPU count). Default: 90."
        ),
    )
    memory_utilization_percent: int = Field(
        default=90, ge=1, le=100, description="`MemoryUtilization` (%). Default: 90."
    )
    gpu_utilization_percent: int = Field(
        default=95,
        ge=1,
        le=100,
        description="GPU instance types only: average over the instance's GPUs (%). Default: 95.",
    )
    gpus_per_instance: int | None = Field(
        default=None,
        ge=1,
        description=(
            "GPUs of the instance type, for types the project does not know. Default: looked up."
        ),
    )
    alb_target_5xx: int = Field(
        default=10,
        ge=1,
        description="ALB `HTTPCode_Target_5XX_Count` per period. Default: 10.",
    )
    alb_rejected_connections: int = Field(
        default=1,
        ge=1,
        description="ALB `RejectedConnectionCount` per period. Default: 1.",
    )
    proxy_errors: int = Field(
        default=5, ge=1, description="Proxy function `Errors` per period. Default: 5."
    )
    proxy_throttles: int = Field(
        default=1, ge=1, description="Proxy function `Throttles` per period. Default: 1."
    )
    alb_elb_5xx: int = Field(
        default=5,
        ge=1,
        description=(
            "ALB `HTTPCode_ELB_5XX_Count` per period: 5XX the load balancer answers itself "
            "(no healthy target, a target response it cannot take). Default: 5."
        ),
    )
    serverless_concurrency_utilization_percent: int = Field(
        default=90,
        ge=1,
        le=100,
        description=(
            "Serverless endpoints only: `ServerlessConcurrentExecutionsUtilization` (concurrent "
            "executions ÷ `max_concurrency`) above this %, requests are about to be throttled. "
            "Default: 90."
        ),
    )
    proxy_response_too_large: int = Field(
        default=1,
        ge=1,
        description=(
            "Proxy answers `response_too_large` per period (a model response over the ALB's "
            "1 MB, counted by a metric filter on the proxy's log). Default: 1."
        ),
    )


class Subscription(Strict):
    """Where the region's alarm topic delivers."""

    protocol: Literal["email", "https", "sqs", "lambda", "sms"] = Field(description="SNS protocol.")
    endpoint: str = Field(min_length=3, description="Address, URL or ARN for the protocol.")

    @model_validator(mode="after")
    def _endpoint_matches_protocol(self) -> Subscription:
        expected = {
            "email": r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
            "https": r"^https://\S+$",
            "sqs": r"^arn:aws:sqs:[a-z0-9-]+:\d{12}:\S+$",
            "lambda": r"^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:\S+$",
            "sms": r"^\+\d{6,15}$",
        }[self.protocol]
        if not re.match(expected, self.endpoint):
            raise ValueError(f"endpoint '{self.endpoint}' is not a valid {self.protocol} endpoint")
        return self


class NotificationSettings(Strict):
    """The KMS-encrypted SNS topic every alarm of a region notifies."""

    subscriptions: list[Subscription] = Field(
        default_factory=list,
        description="Subscriptions of each region's alarm topic. Default: none.",
    )


class DataCaptureSettings(Strict):
    """Optional capture of requests and responses to S3, e.g. for model monitoring."""

    enabled: bool = Field(default=False, description="Capture data. Default: off.")
    sampling_percent: int = Field(
        default=10, ge=1, le=100, description="Share of requests captured. Default: 10."
    )
    capture_input: bool = Field(default=True, description="Capture requests. Default: on.")
    capture_output: bool = Field(default=True, description="Capture responses. Default: on.")
    json_content_types: list[str] = Field(
        default_factory=lambda: ["application/json"],
        description="Content types stored as JSON text. Default: `application/json`.",
    )
    csv_content_types: list[str] = Field(
        default_factory=lambda: ["text/csv"],
        description="Content types stored as CSV text. Default: `text/csv`.",
    )
    retention_days: int = Field(
        default=30, ge=1, description="Days captured objects are kept. Default: 30."
    )
    keep_bucket_on_destroy: bool = Field(
        default=True,
        description=(
            "`prevent_destroy` on the capture bucket. Default: on; captured data is evidence."
        ),
    )

    @model_validator(mode="after")
    def _captures_something(self) -> DataCaptureSettings:
        if self.enabled and not (self.capture_input or self.capture_output):
            raise ValueError("capture_input or capture_output must be on when enabled")
        return self


class S3StateSettings(Strict):
    """Terraform state in S3, encrypted, with S3-native locking (Terraform ≥ 1.10)."""

    backend: Literal["s3"] = Field(description="`s3`.")
    bucket: str = Field(
        pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
        description="State bucket (created by the bootstrap stack).",
    )
    region: Region = Field(description="Region of the state bucket.")
    key_prefix: str = Field(
        default="",
        pattern=r"^([A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*)?$",
        description=(
            "Prefix of the state keys; each stack writes `<key_prefix>/<stack>.tfstate`. "
            "Default: `<service>/<environment>`."
        ),
    )
    kms_key_id: str | None = Field(
        default=None,
        description="KMS key for state objects. Default: the bucket's default encryption.",
    )
    dynamodb_table: str | None = Field(
        default=None,
        pattern=r"^[a-zA-Z0-9_.-]{3,255}$",
        description=(
            "Legacy DynamoDB lock table, kept beside S3-native locking during a migration. "
            "Default: none (S3 lock files only)."
        ),
    )


class CloudStateSettings(Strict):
    """Terraform state and runs in Terraform Cloud (or Terraform Enterprise)."""

    backend: Literal["cloud"] = Field(description="`cloud`.")
    organization: str = Field(
        pattern=r"^[A-Za-z0-9_-]{1,90}$", description="Terraform Cloud organization."
    )
    hostname: str = Field(
        default="app.terraform.io",
        description="Terraform Cloud or Enterprise host. Default: `app.terraform.io`.",
    )
    workspace_prefix: str = Field(
        default="",
        pattern=r"^[A-Za-z0-9_-]*$",
        description=(
            "Each region stack uses the workspace `<workspace_prefix><stack name>`. "
            "Default: no prefix."
        ),
    )
    project: str | None = Field(
        default=None, description="Terraform Cloud project of the workspaces. Default: none."
    )


@dataclass(frozen=True)
class ServingVariant:
    """One variant as the stacks build it (production or shadow), whichever config block it
    came from."""

    name: str
    model: ModelSettings
    fleet: InstanceFleet | None
    """None for a serverless endpoint."""
    weight: float
    autoscaling: AutoscalingSettings | None
    primary: bool = False
    """The `endpoint` block's variant: keeps the resource addresses of one-variant stacks."""
    shadow: bool = False


def _image_region_problems(model: ModelSettings, regions: list[str]) -> list[str]:
    image_region = model.image_region()
    elsewhere = [r for r in regions if r != image_region]
    if image_region is not None and elsewhere:
        return [
            f"image_uri is in {image_region} but SageMaker pulls images from the endpoint's own "
            f"region ({', '.join(elsewhere)}); write {{region}} in its place and replicate the "
            "repository to every region"
        ]
    return []


class ServiceConfig(Strict):
    """One environment of the inference service."""

    service: str = Field(
        pattern=NAME_PATTERN,
        min_length=2,
        description="Service name: lowercase letters, digits and hyphens.",
    )
    environment: str = Field(
        pattern=NAME_PATTERN,
        min_length=2,
        description="Environment name, e.g. `prod`.",
    )
    regions: list[Region] = Field(
        description=(
            "Regions to serve from; one stack each. Two or more for regional failover. Empty "
            "only while the whole environment is torn down (every region in `retired_regions`)."
        ),
    )
    retired_regions: list[Region] = Field(
        default_factory=list,
        description=(
            'Regions being removed (docs/operations.md: "Removing a region"). Their stacks are still '
            "synthesized, ready to destroy: deletion protection off, and the certificate "
            "validation record the regions share released from the stack's state instead of "
            "deleted, so the other regions' certificates keep renewing; the buckets of access "
            "logs and captured data, and the key of the captured data, released from state and "
            "kept. Default: none."
        ),
    )
    model: ModelSettings
    endpoint: EndpointSettings
    autoscaling: AutoscalingSettings | None = Field(
        default=None,
        description=(
            "Target tracking of the production variants' instance counts. Required for "
            "instance-based endpoints; not for serverless (SageMaker scales it itself)."
        ),
    )
    variants: list[VariantSettings] = Field(
        default_factory=list,
        max_length=9,
        description=(
            "More production variants beside `endpoint` (A/B): each with its own model, weight, "
            "instances, scaling target, alarms and dashboard row. At most 9 (SageMaker takes 10 "
            "production variants). Not with `shadow` (SageMaker: one production variant when "
            "there is a shadow). Default: none."
        ),
    )
    shadow: ShadowVariantSettings | None = Field(
        default=None,
        description=(
            "A shadow variant: a candidate model that gets a copy of the traffic; its answers "
            "are captured (data capture is turned on for it), never returned. Default: none."
        ),
    )
    domain: DomainSettings
    network: NetworkSettings = Field(default_factory=NetworkSettings)
    load_balancer: LoadBalancerSettings = Field(default_factory=LoadBalancerSettings)
    proxy: ProxySettings = Field(default_factory=ProxySettings)
    waf: WafSettings = Field(default_factory=WafSettings)
    rollout: RolloutSettings = Field(default_factory=RolloutSettings)
    alarms: AlarmSettings = Field(default_factory=AlarmSettings)
    notifications: NotificationSettings = Field(default_factory=NotificationSettings)
    data_capture: DataCaptureSettings = Field(default_factory=DataCaptureSettings)
    state: Annotated[S3StateSettings | CloudStateSettings, Field(discriminator="backend")] = Field(
        description="Where Terraform state lives: `backend: s3` or `backend: cloud`."
    )
    tags: dict[str, str] = Field(
        default_factory=dict,
        description="Tags on every resource (provider `default_tags`). Default: none.",
    )

    @field_validator("regions")
    @classmethod
    def _unique_regions(cls, value: list[str]) -> list[str]:
        repeated = sorted({r for r in value if value.count(r) > 1})
        if repeated:
            raise ValueError(f"regions must be unique; repeated: {repeated}")
        return value

    @field_validator("retired_regions")
    @classmethod
    def _retired_regions_are_not_served(cls, value: list[str], info: ValidationInfo) -> list[str]:
        served = sorted(set(value) & set(info.data.get("regions", [])))
        if served:
            raise ValueError(
                f"{served} also in `regions`: a region is either served or retired; remove it "
                "from `regions` to retire it"
            )
        repeated = sorted({r for r in value if value.count(r) > 1})
        if repeated:
            raise ValueError(f"retired_regions must be unique; repeated: {repeated}")
        return value

    @model_validator(mode="before")
    @classmethod
    def _some_region(cls, data: Any) -> Any:
        # An empty `regions` is the last step of tearing the environment down, nothing else.
        if isinstance(data, dict) and data.get("regions") == [] and not data.get("retired_regions"):
            raise PydanticCustomError(
                "no_region",
                "list should have at least 1 item: {details}",
                {
                    "details": "no region to serve from",
                    "problems": [
                        (
                            "regions",
                            "list should have at least 1 item; an empty list only while "
                            "tearing the environment down, with every region in retired_regions "
                            "(docs/data-and-teardown.md)",
                        )
                    ],
                },
            )
        return data

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: dict[str, str]) -> dict[str, str]:
        problems = [k for k in value if k.lower().startswith("aws:") or not 1 <= len(k) <= 128]
        problems += [k for k, v in value.items() if len(v) > 256]
        if problems:
            raise ValueError(
                f"invalid tag(s) {problems}: keys are 1-128 characters and may not start "
                "with 'aws:', values at most 256 characters"
            )
        return value

    @model_validator(mode="after")
    def _serving_combinations(self) -> ServiceConfig:
        # Combinations SageMaker refuses or that cannot work, each with its source.
        found: list[tuple[str, str]] = []
        endpoint = self.endpoint
        if endpoint.serverless is not None:
            # AWS: "Serverless Inference — feature exclusions" (serverless-endpoints.html).
            excluded = [
                ("variants", bool(self.variants), "multiple production variants"),
                ("shadow", self.shadow is not None, "shadow variants (a second variant)"),
                ("data_capture.enabled", self.data_capture.enabled, "data capture"),
                ("model.network_isolation", self.model.network_isolation, "network isolation"),
            ]
            for path, present, feature in excluded:
                if present:
                    fix = (
                        "set model.network_isolation: false"
                        if path == "model.network_isolation"
                        else f"remove {path.split('.')[0]}"
                        if path != "data_capture.enabled"
                        else "set data_capture.enabled: false"
                    )
                    found.append(
                        (
                            path,
                            f"serverless endpoints do not support {feature} (AWS: Serverless "
                            f"Inference feature exclusions); {fix}, or run on instances",
                        )
                    )
            if self.autoscaling is not None:
                found.append(
                    (
                        "autoscaling",
                        "serverless endpoints scale themselves (no scaling target); remove "
                        "autoscaling, or use max_concurrency/provisioned_concurrency",
                    )
                )
            if self.rollout.strategy != "all_at_once":
                found.append(
                    (
                        "rollout.strategy",
                        f"{self.rollout.strategy} shifts a share of instance capacity, and a "
                        "serverless endpoint has no instances; set rollout.strategy: "
                        "all_at_once (SageMaker's blue/green default)",
                    )
                )
        elif self.autoscaling is None:
            found.append(
                (
                    "autoscaling",
                    "required for an instance-based endpoint; give target_invocations_per_"
                    "instance or max_rps_per_instance",
                )
            )
        weights = [endpoint.weight, *(v.weight for v in self.variants)]
        if not any(weights):
            found.append(
                (
                    "endpoint.weight",
                    "every production variant has weight 0, so no request could be served; "
                    "give at least one a weight above 0",
                )
            )
        if self.variants and self.shadow is not None:
            found.append(
                (
                    "shadow",
                    "SageMaker allows a shadow variant only beside exactly one production "
                    "variant (botocore CreateEndpointConfig ShadowProductionVariants); remove "
                    "`variants` or `shadow`",
                )
            )
        names = [endpoint.variant_name, *(v.name for v in self.variants)]
        if self.shadow is not None:
            names.append(self.shadow.name)
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            found.append(
                (
                    "variants",
                    f"variant names must be unique on the endpoint; repeated: {repeated}",
                )
            )
        fleets: list[tuple[str, InstanceFleet]] = [
            (f"variants[{i}]", v) for i, v in enumerate(self.variants)
        ]
        if self.shadow is not None:
            fleets.append(("shadow", self.shadow))
        if endpoint.serverless is None:
            fleets.insert(0, ("endpoint", endpoint))
        if self.rollout.strategy != "all_at_once":
            for path, fleet in fleets:
                if fleet.instance_type and fleet.instance_type.startswith("ml.inf1."):
                    # AWS: Deployment guardrails — Exclusions.
                    found.append(
                        (
                            f"{path}.instance_type",
                            f"SageMaker cannot shift traffic in steps on Inf1 instances (it "
                            f"falls back to all at once with no baking: Deployment guardrails "
                            f"exclusions), so a {self.rollout.strategy} rollout would not be "
                            "what it says; set rollout.strategy: all_at_once or use ml.inf2",
                        )
                    )
        for path, fleet in fleets:
            if fleet.inference_ami_version is not None and not fleet.accelerated:
                found.append(
                    (
                        f"{path}.inference_ami_version",
                        f"{fleet.inference_ami_version} is an AMI for GPU or Neuron "
                        f"instances, and {fleet.instance_type} has neither; remove it",
                    )
                )
        for index, variant in enumerate(self.variants):
            found += [
                (f"variants[{index}].model", m)
                for m in _image_region_problems(variant.model, self.stack_regions)
            ]
        if self.shadow is not None:
            found += [
                ("shadow.model", m)
                for m in _image_region_problems(self.shadow.model, self.stack_regions)
            ]
        slowest = max([endpoint.fleet_start_s, *(fleet.fleet_start_s for _, fleet in fleets)])
        planned = self.rollout.planned_duration_s(slowest)
        rollout = self.rollout
        if planned > rollout.maximum_execution_timeout_s:
            found.append(
                (
                    "rollout",
                    f"a {rollout.strategy} rollout takes up to {planned} s ({slowest} s to start "
                    f"the new fleet: {INSTANCE_LAUNCH_ALLOWANCE_S} s launch + the model download "
                    f"and container start-up timeouts, + {rollout.traffic_shifts} shifts × "
                    f"wait_s {rollout.wait_s} s + termination_wait_s "
                    f"{rollout.termination_wait_s} s), more than maximum_execution_timeout_s "
                    f"({rollout.maximum_execution_timeout_s} s, at most {MAX_ROLLOUT_S} because "
                    f"the AWS provider stops waiting after {PROVIDER_ENDPOINT_WAIT_S // 60} "
                    "minutes); shorten wait_s or termination_wait_s, take bigger steps, or "
                    "lower the start-up timeouts",
                )
            )
        if found:
            raise PydanticCustomError(
                "serving_combination",
                "{count} setting(s) that cannot work together: {details}",
                {
                    "count": len(found),
                    "details": "; ".join(f"{path}: {message}" for path, message in found),
                    "problems": found,
                },
            )
        return self

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

    @field_validator("environment")
    @classmethod
    def _name_fits(cls, value: str, info: ValidationInfo) -> str:
        name = f"{info.data.get('service', '')}-{value}"
        if len(name) > MAX_SERVICE_ENV_LENGTH:
            raise ValueError(
                f"service + environment '{name}' is {len(name)} characters; keep it to "
                f"{MAX_SERVICE_ENV_LENGTH} (load balancer names are limited to 32)"
            )
        return value

    @field_validator("model")
    @classmethod
    def _image_in_every_region(cls, value: ModelSettings, info: ValidationInfo) -> ModelSettings:
        with_stacks = [*info.data.get("regions", []), *info.data.get("retired_regions", [])]
        problems = _image_region_problems(value, with_stacks)
        if problems:
            raise ValueError(problems[0])
        return value

    @field_validator("network")
    @classmethod
    def _existing_networks_are_for_our_regions(
        cls, value: NetworkSettings, info: ValidationInfo
    ) -> NetworkSettings:
        with_stacks = [*info.data.get("regions", []), *info.data.get("retired_regions", [])]
        unknown = sorted(set(value.existing) - set(with_stacks))
        if unknown and "regions" in info.data:
            raise ValueError(
                f"existing networks for regions not in `regions`: {unknown}; remove them or "
                "add the regions"
            )
        return value

    @field_validator("alarms")
    @classmethod
    def _instance_type_is_known_to_alarms(
        cls, value: AlarmSettings, info: ValidationInfo
    ) -> AlarmSettings:
        fleets = [
            info.data.get("endpoint"),
            *info.data.get("variants", []),
            info.data.get("shadow"),
        ]
        kinds = [f.instance_type for f in fleets if f is not None and f.instance_type]
        for kind in dict.fromkeys(kinds):
            if instance_types.vcpus(kind) is None:
                raise ValueError(
                    f"cannot tell the vCPUs of {kind} to scale the CPU alarm; use a standard "
                    "size (large, xlarge, 2xlarge, ...)"
                )
            if instance_types.has_gpu(kind) and not (
                value.gpus_per_instance or instance_types.gpus(kind)
            ):
                raise ValueError(
                    f"{kind} has GPUs, but how many is not known here; set alarms.gpus_per_instance"
                )
        return value

    @field_validator("proxy")
    @classmethod
    def _proxy_times_out_before_the_alb(
        cls, value: ProxySettings, info: ValidationInfo
    ) -> ProxySettings:
        problems = []
        if value.timeout_s < PROXY_MIN_TIMEOUT_S:
            problems.append(
                f"timeout_s ({value.timeout_s}) must be at least {PROXY_MIN_TIMEOUT_S}: the "
                f"proxy waits up to SageMaker's {SAGEMAKER_INVOCATION_TIMEOUT_S} s for the model "
                f"and needs {PROXY_TIMEOUT_MARGIN_S} s more to connect and answer"
            )
        balancer = info.data.get("load_balancer")
        if balancer is not None and value.timeout_s >= balancer.idle_timeout_s:
            problems.append(
                f"timeout_s ({value.timeout_s}) must be below load_balancer.idle_timeout_s "
                f"({balancer.idle_timeout_s}), or clients get a dropped connection instead of "
                "a 504"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return value

    @property
    def serving_variants(self) -> list[ServingVariant]:
        """Every variant the endpoint serves: `endpoint` first, then `variants`, then `shadow`."""
        endpoint = self.endpoint
        found = [
            ServingVariant(
                name=endpoint.variant_name,
                model=self.model,
                fleet=None if endpoint.serverless is not None else endpoint,
                weight=endpoint.weight,
                autoscaling=self.autoscaling,
                primary=True,
            )
        ]
        found += [
            ServingVariant(
                name=v.name,
                model=v.model,
                fleet=v,
                weight=v.weight,
                autoscaling=v.autoscaling or self.inherited_autoscaling,
            )
            for v in self.variants
        ]
        if self.shadow is not None:
            found.append(
                ServingVariant(
                    name=self.shadow.name,
                    model=self.shadow.model,
                    fleet=self.shadow,
                    # SageMaker copies to a shadow the share of the production variant's requests
                    # given by the ratio of their weights.
                    weight=round(endpoint.weight * self.shadow.traffic_copy_percent / 100, 6),
                    autoscaling=self.shadow.autoscaling or self.inherited_autoscaling,
                    shadow=True,
                )
            )
        return found

    @property
    def inherited_autoscaling(self) -> AutoscalingSettings | None:
        """What a variant without its own `autoscaling` gets: the service's targets and
        cooldowns, without its scheduled actions (they set instance ranges, which are each
        variant's own)."""
        if self.autoscaling is None:
            return None
        return self.autoscaling.model_copy(update={"scheduled_actions": []})

    @property
    def data_capture_enabled(self) -> bool:
        """Data capture is on when asked for, and always with a shadow variant: capture is the
        only record of a shadow's answers."""
        return self.data_capture.enabled or self.shadow is not None

    @property
    def name(self) -> str:
        """`<service>-<environment>`: the endpoint name in every region."""
        return f"{self.service}-{self.environment}"

    def stack_name(self, region: str) -> str:
        return f"{self.name}-{region}"

    @property
    def stack_regions(self) -> list[str]:
        """Every region with a stack: the served ones, then the retired ones."""
        return [*self.regions, *self.retired_regions]

    @property
    def bootstrap_stack_name(self) -> str:
        # Not prefixed with the service, so `cdktf deploy '<service>-<env>-*'` never picks it up.
        return f"bootstrap-{self.name}"

    @property
    def state_key_prefix(self) -> str:
        key_prefix = self.state.key_prefix if isinstance(self.state, S3StateSettings) else ""
        return key_prefix or f"{self.service}/{self.environment}"
