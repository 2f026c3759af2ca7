"""The shims of moto's SageMaker: what CreateModel, CreateEndpointConfig, CreateEndpoint,
UpdateEndpoint and UpdateEndpointWeightsAndCapacities do in AWS and moto 5.2 does not.

Each shim is labelled `# EMULATOR GAP:` and listed in `GAPS`; moto is imported inside the shims,
so the test process can import this module without starting (or importing) moto.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from emulator.sagemaker_endpoint_config import (
    ConfigRefused,
    check_endpoint_config,
    sagemaker_instance_types,
)
from emulator.sagemaker_rollout import (
    SAGEMAKER_VARIANT_CAPACITY,
    SAGEMAKER_VARIANT_PROVISIONED_CONCURRENCY,
    DeployedEndpoint,
    Rollout,
    UpdateRefused,
    _deployed_variant,
    plan_rollout,
    variant_resource_id,
)

UPDATE_ENDPOINT_RECORD = "sagemaker-update-endpoint.jsonl"
"""The server's record of UpdateEndpoint requests, one JSON object a line, in its work directory."""

ECR_IMAGE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/"
    r"(?P<repository>[^:@]+)(?::(?P<tag>[^@]+)|@(?P<digest>sha256:[0-9a-f]{64}))$"
)
"""An Amazon ECR image URI: account, region, repository, and a tag or a digest."""

GAPS: list[str] = [
    "SageMaker: DescribeModel returns an empty VpcConfig and DescribeEndpointConfig an empty "
    "DataCaptureConfig where AWS omits them, so the re-plan wants to replace both; shim: omit "
    "empty objects in those two answers.",
    "SageMaker: CreateModel ignores EnableNetworkIsolation (DescribeModel always says false), so "
    "the re-plan wants to replace the model; shim: keep the flag the request gave.",
    "SageMaker: CreateEndpoint ignores DeploymentConfig (blue/green policy, auto-rollback alarms), "
    "so the re-plan wants to replace the endpoint; shim: keep it and return it in DescribeEndpoint "
    "(LastDeploymentConfig).",
    "SageMaker: CreateEndpointConfig drops ShadowProductionVariants, so DescribeEndpointConfig "
    "has none and the re-plan wants to replace the configuration; shim: keep them (their models "
    "must exist, as for production variants) and return them.",
    "SageMaker: CreateEndpointConfig checks InstanceType against a stale list and refuses types "
    "SageMaker accepts (ml.g5, ml.g6, ml.inf2, ml.c6i, ml.m6i, ...); shim: check it against "
    "botocore's ProductionVariantInstanceType enum.",
    "SageMaker: CreateEndpointConfig accepts variants SageMaker refuses; shim: ValidationException "
    "for more than one production or shadow variant beside ShadowProductionVariants, a variant "
    "name used twice, a variant with both or neither of ServerlessConfig and "
    "InstanceType+InitialInstanceCount, a ServerlessConfig out of botocore's limits (memory in "
    "1024-MB steps, ProvisionedConcurrency above MaxConcurrency) and a serverless endpoint with "
    "several production variants.",
    "SageMaker: DescribeEndpoint has no ShadowProductionVariants, leaves out a variant weight of 0 "
    "and the default weight (1.0) and has no RoutingConfig; shim: report every variant as "
    "botocore's ProductionVariantSummary has it.",
    "SageMaker: UpdateEndpoint is not implemented (HTTP 500), so a rollout to a new endpoint "
    "configuration cannot be applied; shim: SageMaker's documented rules, refusals included "
    "(ValidationException for an unknown endpoint or configuration, an endpoint not InService, "
    "production variant names changed under a DeploymentConfig (shadow variants may be added, "
    "removed or renamed: SageMaker runs shadow tests on live endpoints), an instance-based "
    "endpoint updated to a serverless configuration, an instance type changed or a variant "
    "(production or shadow) removed while registered with Application Auto Scaling); variants "
    "(shadow variants too) take the new configuration's "
    "initial counts and weights unless RetainAllVariantProperties. The rollout completes at once "
    "(InService on return: no Updating phase, traffic shifting or baking). SageMaker's rollback, "
    "at once too: when one of the deployment's auto-rollback alarms "
    "(DeploymentConfig.AutoRollbackConfiguration.Alarms) is in ALARM at the update (tests set it "
    "with CloudWatch SetAlarmState), or the new fleet cannot start (a model image in this "
    "account's and region's ECR that is not there), the endpoint stays InService on its old "
    "configuration and variants, with a FailureReason (the emulator's wording) that the next "
    "successful rollout clears. Every "
    f"request is recorded with its outcome in <workdir>/{UPDATE_ENDPOINT_RECORD}.",
    "SageMaker: UpdateEndpointWeightsAndCapacities clears the weight (or instance count) of a "
    "variant that the request leaves out, where AWS changes only what is given, and refuses a "
    "shadow variant as not present in the endpoint configuration; shim: keep what is left out, "
    "and apply the request to shadow variants too.",
]
"""One line per difference from AWS that this module's shims work around."""


def apply_sagemaker_shims(update_endpoint_record: Path) -> None:
    """Patch moto's SageMaker; `update_endpoint_record` is where UpdateEndpoint requests go."""
    # In this order: later shims wrap what the earlier ones patched (CreateEndpoint's wrappers
    # read what the inner ones kept; CreateEndpointConfig refuses before it keeps anything).
    _shim_sagemaker_omit_empty_blocks()
    _shim_sagemaker_network_isolation()
    _shim_sagemaker_deployment_config()
    _shim_sagemaker_shadow_variants()
    _shim_sagemaker_instance_types()
    _shim_sagemaker_endpoint_config_refusals()
    _shim_sagemaker_endpoint_variants()
    _shim_sagemaker_update_endpoint(update_endpoint_record)
    _shim_sagemaker_weights_and_capacities()


def _shim_sagemaker_omit_empty_blocks() -> None:
    # EMULATOR GAP: moto answers `"VpcConfig": {}` / `"DataCaptureConfig": {}` where AWS leaves the
    # key out; the provider reads an empty block, which differs from the configuration's none.
    from moto.core.responses import ActionResult
    from moto.sagemaker.responses import SageMakerResponse as Response

    def omitting_empty(original: Any, keys: tuple[str, ...]) -> Any:
        def describe(self: Any) -> Any:
            result = original(self)
            if isinstance(result, ActionResult) and isinstance(result.result, dict):
                answer = {k: v for k, v in result.result.items() if not (k in keys and v == {})}
                return ActionResult(answer)
            return result

        return describe

    Response.describe_model = omitting_empty(Response.describe_model, ("VpcConfig",))  # type: ignore[method-assign]
    Response.describe_endpoint_config = omitting_empty(  # type: ignore[method-assign]
        Response.describe_endpoint_config, ("DataCaptureConfig",)
    )


def _shim_sagemaker_network_isolation() -> None:
    # EMULATOR GAP: moto's CreateModel drops EnableNetworkIsolation, so DescribeModel reports
    # false and the provider plans to replace a network-isolated model after every apply.
    from moto.sagemaker.responses import SageMakerResponse as Response

    create = Response.create_model

    def create_model(self: Any) -> Any:
        result = create(self)
        model = self.sagemaker_backend.describe_model(self._get_param("ModelName"))
        model.enable_network_isolation = bool(self._get_param("EnableNetworkIsolation", False))
        return result

    Response.create_model = create_model  # type: ignore[method-assign]


def _shim_sagemaker_deployment_config() -> None:
    # EMULATOR GAP: moto's CreateEndpoint drops DeploymentConfig; `deployment_config` forces a new
    # endpoint, so the re-plan would replace it.
    from moto.sagemaker.responses import SageMakerResponse as Response

    create = Response.create_endpoint

    def create_endpoint(self: Any) -> Any:
        result = create(self)
        endpoint = self.sagemaker_backend.endpoints[self._get_param("EndpointName")]
        # DescribeEndpoint answers from the object's attributes (None left out): AWS reports the
        # configuration as LastDeploymentConfig.
        endpoint.last_deployment_config = self._get_param("DeploymentConfig")
        return result

    Response.create_endpoint = create_endpoint  # type: ignore[method-assign]


def _shim_sagemaker_shadow_variants() -> None:
    # EMULATOR GAP: moto's CreateEndpointConfig drops ShadowProductionVariants; the provider reads
    # `shadow_production_variants` back (ForceNew), so the re-plan would replace the configuration.
    from moto.sagemaker.responses import SageMakerResponse as Response

    create = Response.create_endpoint_config

    def create_endpoint_config(self: Any) -> Any:
        shadow = self._get_param("ShadowProductionVariants")
        if shadow:
            # Refused as moto refuses a production variant of an unknown model.
            self.sagemaker_backend.validate_production_variants(shadow)
        result = create(self)
        config = self.sagemaker_backend.endpoint_configs[self._get_param("EndpointConfigName")]
        # DescribeEndpointConfig answers from the object's attributes (None left out).
        config.shadow_production_variants = shadow or None
        return result

    Response.create_endpoint_config = create_endpoint_config  # type: ignore[method-assign]


def _shim_sagemaker_instance_types() -> None:
    # EMULATOR GAP: moto checks a variant's InstanceType against a list frozen years ago, so it
    # refuses ml.g5.xlarge and every newer type; botocore's enum is what SageMaker accepts.
    from moto.sagemaker.exceptions import ValidationError
    from moto.sagemaker.models import FakeEndpointConfig

    def validate_instance_type(self: Any, instance_type: str) -> None:
        if instance_type not in sagemaker_instance_types():
            raise ValidationError(
                message=f"Value '{instance_type}' at 'instanceType' failed to satisfy constraint: "
                f"Member must satisfy enum value set: {sorted(sagemaker_instance_types())}"
            )

    FakeEndpointConfig.validate_instance_type = validate_instance_type  # type: ignore[method-assign]


def _shim_sagemaker_endpoint_config_refusals() -> None:
    # EMULATOR GAP: moto's CreateEndpointConfig accepts variant combinations that SageMaker
    # refuses; check_endpoint_config() holds SageMaker's documented rules.
    from moto.sagemaker.exceptions import ValidationError
    from moto.sagemaker.responses import SageMakerResponse as Response

    create = Response.create_endpoint_config

    def create_endpoint_config(self: Any) -> Any:
        try:
            check_endpoint_config(
                self._get_param("ProductionVariants") or [],
                self._get_param("ShadowProductionVariants"),
            )
        except ConfigRefused as refused:
            raise ValidationError(message=str(refused)) from None
        return create(self)

    Response.create_endpoint_config = create_endpoint_config  # type: ignore[method-assign]


def _shim_sagemaker_endpoint_variants() -> None:
    # EMULATOR GAP: moto's DescribeEndpoint has no ShadowProductionVariants, leaves out a weight
    # of 0 (an A/B variant taking no traffic yet) and the default weight, and has no RoutingConfig.
    from moto.sagemaker.responses import SageMakerResponse as Response

    create = Response.create_endpoint

    def create_endpoint(self: Any) -> Any:
        result = create(self)
        endpoint = self.sagemaker_backend.endpoints[self._get_param("EndpointName")]
        config = self.sagemaker_backend.endpoint_configs[endpoint.endpoint_config_name]
        endpoint.production_variants = [_deployed_variant(v) for v in config.production_variants]
        shadow = getattr(config, "shadow_production_variants", None) or []
        # DescribeEndpoint answers from the object's attributes (None left out).
        endpoint.shadow_production_variants = [_deployed_variant(v) for v in shadow] or None
        return result

    Response.create_endpoint = create_endpoint  # type: ignore[method-assign]


def _types_of(config: Any) -> dict[str, str | None]:
    variants = config.production_variants + _shadow_of(config)
    return {v["VariantName"]: v.get("InstanceType") for v in variants}


def _shadow_of(config_or_endpoint: Any) -> list[dict[str, Any]]:
    return getattr(config_or_endpoint, "shadow_production_variants", None) or []


def _autoscaled(backend: Any, endpoint: Any) -> frozenset[str]:
    from moto.applicationautoscaling.models import applicationautoscaling_backends

    scaling = applicationautoscaling_backends[backend.account_id][backend.region_name]
    return frozenset(
        variant["VariantName"]
        for variant in endpoint.production_variants + _shadow_of(endpoint)
        for dimension in (SAGEMAKER_VARIANT_CAPACITY, SAGEMAKER_VARIANT_PROVISIONED_CONCURRENCY)
        if getattr(
            scaling.targets.get(dimension, {}).get(
                variant_resource_id(endpoint.endpoint_name, variant["VariantName"])
            ),
            "service_namespace",
            None,
        )
        == "sagemaker"
    )


def _alarms_in_alarm(backend: Any) -> frozenset[str]:
    from moto.cloudwatch.models import cloudwatch_backends

    cloudwatch = cloudwatch_backends[backend.account_id][backend.region_name]
    return frozenset(
        name for name, alarm in cloudwatch.alarms.items() if alarm.state_value == "ALARM"
    )


def _fleet_failure(backend: Any, config: Any) -> str | None:
    """Why the new fleet cannot start: a model whose image is in this account's and region's
    ECR repository (the only registry the emulator holds) without that tag or digest."""
    from moto.ecr.models import ecr_backends

    ecr = ecr_backends[backend.account_id][backend.region_name]
    for variant in config.production_variants + _shadow_of(config):
        model = backend._models.get(variant.get("ModelName"))
        image = (model.primary_container or {}).get("Image", "") if model else ""
        found = ECR_IMAGE.match(image)
        if not found or (found["account"], found["region"]) != (
            backend.account_id,
            backend.region_name,
        ):
            continue  # another registry or account: assumed pullable
        repository = ecr.repositories.get(found["repository"])
        tag, digest = found["tag"], found["digest"]
        if repository is None or not any(
            (tag and tag in i.image_tags) or (digest and digest == i.get_image_digest())
            for i in repository.images
        ):
            return (
                f'Variant "{variant["VariantName"]}": the image {image} of model '
                f'"{variant.get("ModelName")}" was not found in Amazon ECR.'
            )
    return None


def _record(record_path: Path, entry: dict[str, Any]) -> None:
    import datetime
    import json

    entry = {"time": datetime.datetime.now(datetime.UTC).isoformat(), **entry}
    with record_path.open("a") as log:
        log.write(json.dumps(entry, default=str) + "\n")


def _endpoint_and_config(backend: Any, name: str, config_name: str) -> tuple[Any, Any]:
    """The endpoint and the configuration an UpdateEndpoint names, refused as SageMaker words it
    when either does not exist."""
    from moto.sagemaker.models import FakeEndpoint, FakeEndpointConfig

    endpoint = backend.endpoints.get(name)
    if endpoint is None:
        arn = FakeEndpoint.arn_formatter(name, backend.account_id, backend.region_name)
        raise UpdateRefused(f'Could not find endpoint "{arn}".')
    config = backend.endpoint_configs.get(config_name)
    if config is None:
        arn = FakeEndpointConfig.arn_formatter(config_name, backend.account_id, backend.region_name)
        raise UpdateRefused(f'Could not find endpoint configuration "{arn}".')
    return endpoint, config


def _apply_rollout(endpoint: Any, config_name: str, config: Any, rollout: Rollout) -> None:
    """The endpoint after the deployment: InService, on the new configuration unless rolled
    back (then on the old one, with FailureReason)."""
    from moto.core.utils import utcnow

    endpoint.last_modified_time = utcnow()
    endpoint.endpoint_status = "InService"
    endpoint.last_deployment_config = rollout.last_deployment_config
    endpoint.failure_reason = rollout.failure_reason
    if rollout.rolled_back:
        return
    endpoint.endpoint_config_name = config_name
    endpoint.production_variants = rollout.variants
    endpoint.shadow_production_variants = rollout.shadow_variants or None
    endpoint.data_capture_config = config.data_capture_config


def _shim_sagemaker_update_endpoint(record_path: Path) -> None:
    # EMULATOR GAP: moto has no UpdateEndpoint (HTTP 500), which the provider calls when an
    # endpoint's configuration or deployment_config changes. sagemaker_rollout.plan_rollout()
    # holds SageMaker's rules; this glues it to moto's backends and records every request.
    import json
    import threading

    from moto.core.responses import ActionResult
    from moto.sagemaker.exceptions import ValidationError
    from moto.sagemaker.responses import SageMakerResponse as Response

    lock = threading.Lock()
    # What each endpoint (by ARN) runs on. DescribeEndpoint has no instance types, and the
    # configuration the endpoint was deployed from may since have been deleted or recreated.
    instance_types: dict[str, dict[str, str | None]] = {}
    create = Response.create_endpoint

    def create_endpoint(self: Any) -> Any:
        result = create(self)
        endpoint = self.sagemaker_backend.endpoints[self._get_param("EndpointName")]
        config = self.sagemaker_backend.endpoint_configs[endpoint.endpoint_config_name]
        with lock:
            instance_types[endpoint.arn] = _types_of(config)
        return result

    def roll_out(backend: Any, request: dict[str, Any]) -> tuple[str, Rollout]:
        name = request.get("EndpointName", "")
        config_name = request.get("EndpointConfigName", "")
        endpoint, config = _endpoint_and_config(backend, name, config_name)
        if endpoint.arn not in instance_types:
            raise RuntimeError(f"emulator: no record of what {endpoint.arn} runs on")
        rollout = plan_rollout(
            DeployedEndpoint(
                name=name,
                arn=endpoint.arn,
                status=endpoint.endpoint_status,
                variants=endpoint.production_variants,
                instance_types=instance_types[endpoint.arn],
                autoscaled=_autoscaled(backend, endpoint),
                last_deployment_config=getattr(endpoint, "last_deployment_config", None),
                shadow_variants=_shadow_of(endpoint),
            ),
            config_arn=config.endpoint_config_arn,
            config_variants=config.production_variants,
            request=request,
            config_shadow_variants=_shadow_of(config),
            alarms_in_alarm=_alarms_in_alarm(backend),
            fleet_failure=_fleet_failure(backend, config),
        )
        _apply_rollout(endpoint, config_name, config, rollout)
        if not rollout.rolled_back:
            instance_types[endpoint.arn] = _types_of(config)
        return str(endpoint.arn), rollout

    def update_endpoint(self: Any) -> Any:
        request = json.loads(self.body or "{}")
        seen = {"account": self.current_account, "region": self.region, "request": request}
        with lock:
            try:
                arn, rollout = roll_out(self.sagemaker_backend, request)
            except UpdateRefused as refused:
                error = {"Code": "ValidationException", "Message": str(refused)}
                _record(record_path, {**seen, "outcome": "refused", "error": error})
                raise ValidationError(message=str(refused)) from None
            except Exception as broken:
                error = {"Code": type(broken).__name__, "Message": str(broken)}
                _record(record_path, {**seen, "outcome": "error", "error": error})
                raise
            if rollout.rolled_back:
                # UpdateEndpoint itself succeeds; the deployment fails later, asynchronously.
                _record(
                    record_path,
                    {**seen, "outcome": "rolled back", "reason": rollout.failure_reason},
                )
            else:
                _record(record_path, {**seen, "outcome": "accepted"})
        return ActionResult({"EndpointArn": arn})

    Response.create_endpoint = create_endpoint  # type: ignore[method-assign]
    Response.update_endpoint = update_endpoint  # type: ignore[attr-defined]


def _shim_sagemaker_weights_and_capacities() -> None:
    # EMULATOR GAP: moto's UpdateEndpointWeightsAndCapacities sets both DesiredWeight and
    # DesiredInstanceCount (and their Current twins) from the request, None for one left out;
    # AWS changes only what the request gives, so "scale out to 5" would drop the variant's weight.
    # moto also checks variant names against the production variants only; ShadowProductionVariants
    # are variants of the endpoint too (DescribeEndpoint reports their weights and counts), which
    # Application Auto Scaling scales through this same API.
    from moto.sagemaker.exceptions import AWSValidationException
    from moto.sagemaker.models import SageMakerModelBackend as Backend

    update = Backend.update_endpoint_weights_and_capacities
    settings = ("DesiredWeight", "DesiredInstanceCount")

    def update_endpoint_weights_and_capacities(
        self: Any, endpoint_name: str, desired_weights_and_capacities: list[dict[str, Any]]
    ) -> str:
        endpoint = self.endpoints.get(endpoint_name)
        variants = endpoint.production_variants if endpoint is not None else []
        current = {variant["VariantName"]: variant for variant in variants}
        shadow = {
            variant["VariantName"]: variant
            for variant in getattr(endpoint, "shadow_production_variants", None) or []
            if variant["VariantName"] not in current
        }
        completed: list[dict[str, Any]] = []
        shadow_completed: list[dict[str, Any]] = []
        for desired in desired_weights_and_capacities:
            name = desired.get("VariantName")
            now = current.get(name) or shadow.get(name) or {}
            kept = {key: now.get(key) for key in settings if desired.get(key) is None}
            (shadow_completed if name in shadow else completed).append({**desired, **kept})
        names = [desired["VariantName"] for desired in shadow_completed]
        for name in names:
            if names.count(name) > 1:
                raise AWSValidationException(
                    f'The variant name "{name}" was non-unique within the request.'
                )
        arn = update(self, endpoint_name, completed)
        for desired in shadow_completed:
            variant = shadow[desired["VariantName"]]
            for key in settings:
                variant[key] = variant[key.replace("Desired", "Current")] = desired.get(key)
        return str(arn)

    Backend.update_endpoint_weights_and_capacities = update_endpoint_weights_and_capacities  # type: ignore[method-assign]
