"""One environment of the service: every block together, and the rules that combine them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from pydantic import (
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from config.base import (
    INSTANCE_LAUNCH_ALLOWANCE_S,
    MAX_ROLLOUT_S,
    MAX_SERVICE_ENV_LENGTH,
    NAME_PATTERN,
    PROVIDER_ENDPOINT_WAIT_S,
    Region,
    Strict,
)
from config.edge import (
    PROXY_MIN_TIMEOUT_S,
    PROXY_TIMEOUT_MARGIN_S,
    SAGEMAKER_INVOCATION_TIMEOUT_S,
    AuthenticationSettings,
    DomainSettings,
    LoadBalancerSettings,
    NetworkSettings,
    ProxySettings,
    WafSettings,
)
from config.observability import AlarmSettings, DataCaptureSettings, NotificationSettings
from config.serving import (
    AutoscalingSettings,
    EndpointSettings,
    InstanceFleet,
    ModelSettings,
    RolloutSettings,
    ServingVariant,
    ShadowVariantSettings,
    VariantSettings,
)
from config.state import CloudStateSettings, S3StateSettings


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


class ServiceSettings(Strict):
    """One environment of the inference service, every rule but the AWS API limits (which
    `config.aws_rules` reads from this class; `config.models.ServiceConfig` adds them)."""

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
    authentication: AuthenticationSettings = Field(
        default_factory=AuthenticationSettings,
        description=(
            "Who may call the service (docs/authentication.md). A public load balancer needs "
            "`jwt`, `mutual_tls` or `allow_unauthenticated: true`; an internal one may leave it "
            "out. Default: none configured."
        ),
    )
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
    def _serving_combinations(self) -> ServiceSettings:
        # Combinations SageMaker refuses or that cannot work, each rule with its source.
        found = [problem for rule in COMBINATION_RULES for problem in rule(self)]
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

    @model_validator(mode="after")
    def _public_service_is_authenticated(self) -> ServiceSettings:
        auth = self.authentication
        if self.load_balancer.internal or auth.configured or auth.allow_unauthenticated:
            return self
        problem = (
            "authentication",
            "a public load balancer (load_balancer.internal: false) must say who may call it; "
            "set one of authentication.jwt (issuer, audiences, required_scopes; keys from the "
            "issuer's JWKS), authentication.mutual_tls (ca_bundle_s3_bucket and "
            "ca_bundle_s3_key: client certificates checked by the load balancer), or "
            "authentication.allow_unauthenticated: true to serve anyone "
            "(docs/authentication.md)",
        )
        raise PydanticCustomError(
            "authentication_required",
            "{details}",
            {"details": f"{problem[0]}: {problem[1]}", "problems": [problem]},
        )


Problem = tuple[str, str]
"""(field path, what is wrong and the fix)."""


def _serverless_exclusions(s: ServiceSettings) -> list[Problem]:
    """AWS: "Serverless Inference — feature exclusions" (serverless-endpoints.html)."""
    if s.endpoint.serverless is None:
        return []
    excluded = [
        ("variants", bool(s.variants), "multiple production variants", "remove variants"),
        ("shadow", s.shadow is not None, "shadow variants (a second variant)", "remove shadow"),
        (
            "data_capture.enabled",
            s.data_capture.enabled,
            "data capture",
            "set data_capture.enabled: false",
        ),
        (
            "model.network_isolation",
            s.model.network_isolation,
            "network isolation",
            "set model.network_isolation: false",
        ),
    ]
    found = [
        (
            path,
            f"serverless endpoints do not support {feature} (AWS: Serverless Inference feature "
            f"exclusions); {fix}, or run on instances",
        )
        for path, present, feature, fix in excluded
        if present
    ]
    if s.autoscaling is not None:
        found.append(
            (
                "autoscaling",
                "serverless endpoints scale themselves (no scaling target); remove "
                "autoscaling, or use max_concurrency/provisioned_concurrency",
            )
        )
    if s.rollout.strategy != "all_at_once":
        found.append(
            (
                "rollout.strategy",
                f"{s.rollout.strategy} shifts a share of instance capacity, and a "
                "serverless endpoint has no instances; set rollout.strategy: "
                "all_at_once (SageMaker's blue/green default)",
            )
        )
    return found


def _instances_need_autoscaling(s: ServiceSettings) -> list[Problem]:
    if s.endpoint.serverless is not None or s.autoscaling is not None:
        return []
    return [
        (
            "autoscaling",
            "required for an instance-based endpoint; give target_invocations_per_"
            "instance or max_rps_per_instance",
        )
    ]


def _some_weight_serves(s: ServiceSettings) -> list[Problem]:
    if any([s.endpoint.weight, *(v.weight for v in s.variants)]):
        return []
    return [
        (
            "endpoint.weight",
            "every production variant has weight 0, so no request could be served; "
            "give at least one a weight above 0",
        )
    ]


def _shadow_beside_one_variant(s: ServiceSettings) -> list[Problem]:
    if not (s.variants and s.shadow is not None):
        return []
    return [
        (
            "shadow",
            "SageMaker allows a shadow variant only beside exactly one production "
            "variant (botocore CreateEndpointConfig ShadowProductionVariants); remove "
            "`variants` or `shadow`",
        )
    ]


def _unique_variant_names(s: ServiceSettings) -> list[Problem]:
    names = [s.endpoint.variant_name, *(v.name for v in s.variants)]
    if s.shadow is not None:
        names.append(s.shadow.name)
    repeated = sorted({n for n in names if names.count(n) > 1})
    if not repeated:
        return []
    return [("variants", f"variant names must be unique on the endpoint; repeated: {repeated}")]


def _fleets(s: ServiceSettings) -> list[tuple[str, InstanceFleet]]:
    """(path, fleet) of every instance-based variant, production first, then the shadow."""
    fleets: list[tuple[str, InstanceFleet]] = [
        (f"variants[{i}]", v) for i, v in enumerate(s.variants)
    ]
    if s.shadow is not None:
        fleets.append(("shadow", s.shadow))
    if s.endpoint.serverless is None:
        fleets.insert(0, ("endpoint", s.endpoint))
    return fleets


def _no_steps_on_inf1(s: ServiceSettings) -> list[Problem]:
    """AWS: Deployment guardrails — Exclusions."""
    if s.rollout.strategy == "all_at_once":
        return []
    return [
        (
            f"{path}.instance_type",
            f"SageMaker cannot shift traffic in steps on Inf1 instances (it "
            f"falls back to all at once with no baking: Deployment guardrails "
            f"exclusions), so a {s.rollout.strategy} rollout would not be "
            "what it says; set rollout.strategy: all_at_once or use ml.inf2",
        )
        for path, fleet in _fleets(s)
        if fleet.instance_type and fleet.instance_type.startswith("ml.inf1.")
    ]


def _variant_images_in_every_region(s: ServiceSettings) -> list[Problem]:
    found = [
        (f"variants[{index}].model", m)
        for index, variant in enumerate(s.variants)
        for m in _image_region_problems(variant.model, s.stack_regions)
    ]
    if s.shadow is not None:
        found += [
            ("shadow.model", m) for m in _image_region_problems(s.shadow.model, s.stack_regions)
        ]
    return found


def _rollout_fits_the_providers_wait(s: ServiceSettings) -> list[Problem]:
    slowest = max([s.endpoint.fleet_start_s, *(fleet.fleet_start_s for _, fleet in _fleets(s))])
    rollout = s.rollout
    planned = rollout.planned_duration_s(slowest)
    if planned <= rollout.maximum_execution_timeout_s:
        return []
    return [
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
    ]


COMBINATION_RULES: tuple[Callable[[ServiceSettings], list[Problem]], ...] = (
    _serverless_exclusions,
    _instances_need_autoscaling,
    _some_weight_serves,
    _shadow_beside_one_variant,
    _unique_variant_names,
    _no_steps_on_inf1,
    _variant_images_in_every_region,
    _rollout_fits_the_providers_wait,
)
"""The serving combinations SageMaker refuses or that cannot work, in the order reported."""
