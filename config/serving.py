"""What is served: the model, the instance fleets and variants, autoscaling, rollouts."""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from typing import Literal

from pydantic import (
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from config import instance_types
from config.base import (
    DEFAULT_DOWNLOAD_TIMEOUT_S,
    DEFAULT_STARTUP_TIMEOUT_S,
    ECR_IMAGE_PATTERN,
    INFERENCE_AMI_VERSIONS,
    INSTANCE_LAUNCH_ALLOWANCE_S,
    INSTANCE_TYPE_PATTERN,
    MAX_ROLLOUT_S,
    PROVIDER_ENDPOINT_WAIT_S,
    ROLE_ARN_PATTERN,
    S3_URL_PATTERN,
    Strict,
)


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
    inference_ami_version: str | None = Field(
        default=None,
        description=(
            "AMI of the instances (GPU driver and CUDA, or Neuron driver, versions): one of "
            + ", ".join(f"`{v}`" for v in INFERENCE_AMI_VERSIONS)
            + " (those Terraform's AWS provider 5.100 accepts); a GPU AMI on NVIDIA types, the "
            "Neuron AMI on Inferentia and Trainium. Default: SageMaker's choice for the "
            "instance type."
        ),
        examples=list(INFERENCE_AMI_VERSIONS),
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
        default=20,
        ge=5,
        le=50,
        description=(
            "Share of capacity per linear step: 10 to 50 for a `linear` rollout (SageMaker's "
            "range). Default: 20."
        ),
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

    def model_fingerprint(self) -> str:
        """Eight hex digits of what the model is: a new image, artifact, environment, role or
        isolation setting is a new model name, so a new model (models are immutable)."""
        model = self.model
        identity: list[object] = [
            model.image_uri,
            model.model_data_url,
            sorted(model.environment.items()),
            model.execution_role_arn,
            model.network_isolation,
        ]
        if not self.primary:
            # Two variants may serve the same model; each needs a model of its own name. The
            # first variant's identity is unchanged, so its model keeps its name.
            identity.append(self.name)
        return hashlib.sha256(json.dumps(identity).encode()).hexdigest()[:8]
