"""A moto server on 127.0.0.1 (a free port) for the emulator tests, patched where moto falls short.

The server runs in a process of its own (this file is its entry point): the shims below patch
moto's classes before the server starts, so they never leak into the test process, and moto does
not compete for the test process's GIL while several `terraform` runs call it at once.

Every shim is the smallest change that lets Terraform's AWS provider do against moto what it does
against AWS. Each is labelled `# EMULATOR GAP:` and listed in `GAPS`; none touches what users
deploy.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, cast

# Run as a script (the server process), this file's package is not importable until the folder
# above it is on the path.
if not __package__:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from emulator.sagemaker_rollout import (
    DeployedEndpoint,
    Rollout,
    UpdateRefused,
    _deployed_variant,
    plan_rollout,
    variant_resource_id,
)

HOST = "127.0.0.1"
START_TIMEOUT_S = 60
# moto accepts any credentials (resources land in its default account, 123456789012).
ACCESS_KEY = "testing"
SECRET_KEY = "testing"

UPDATE_ENDPOINT_RECORD = "sagemaker-update-endpoint.jsonl"
"""The server's record of UpdateEndpoint requests, one JSON object a line, in its work directory."""

ECR_IMAGE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/"
    r"(?P<repository>[^:@]+)(?::(?P<tag>[^@]+)|@(?P<digest>sha256:[0-9a-f]{64}))$"
)
"""An Amazon ECR image URI: account, region, repository, and a tag or a digest."""

SAGEMAKER_QUOTAS_FILE = "sagemaker-endpoint-quotas.json"
"""The account's SageMaker endpoint-usage quotas, in the server's work directory:
`{"<instance type>": {"default": N, "applied": M}}` (`applied` optional). Read on every request,
so a test sets them with `MotoServer.set_sagemaker_endpoint_quotas` at any time."""

SAGEMAKER_VARIANT_CAPACITY = "sagemaker:variant:DesiredInstanceCount"
"""Application Auto Scaling's dimension for the instance count of a SageMaker variant."""

SAGEMAKER_VARIANT_PROVISIONED_CONCURRENCY = "sagemaker:variant:DesiredProvisionedConcurrency"
"""Application Auto Scaling's dimension for the provisioned concurrency of a serverless variant."""

# Read by moto when it is imported, so set in the server's environment.
SERVER_ENVIRONMENT = {
    # EMULATOR GAP: ACM certificates stay PENDING_VALIDATION for 60 s by default.
    "MOTO_ACM_VALIDATION_WAIT": "0",
}

GAPS: list[str] = [
    "Application Auto Scaling: ListTagsForResource, TagResource and UntagResource are not "
    "implemented (HTTP 500 right after RegisterScalableTarget), and RegisterScalableTarget drops "
    "its Tags; shim: an in-memory tag store per scalable-target ARN.",
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
    "Application Auto Scaling: RegisterScalableTarget refuses the dimension "
    "sagemaker:variant:DesiredProvisionedConcurrency (a serverless variant's provisioned "
    "concurrency), which AWS supports; shim: accept it for a SageMaker variant.",
    "ACM: certificates stay PENDING_VALIDATION for MOTO_ACM_VALIDATION_WAIT seconds (default 60); "
    "shim: MOTO_ACM_VALIDATION_WAIT=0.",
    "ACM: RequestCertificate ignores KeyAlgorithm (DescribeCertificate always says RSA_2048), so "
    "the re-plan wants to replace an EC certificate; shim: report the algorithm requested.",
    "Lambda: functions have no LoggingConfig (AWS always returns one), so the re-plan wants to "
    "update logging_config; shim: keep and return it, with AWS's defaults.",
    "Service Quotas: only VPC quotas exist (NoSuchResourceException for SageMaker) and "
    "GetAWSDefaultServiceQuota is not implemented; shim: SageMaker's '<instance type> for "
    "endpoint usage' quota for every instance type in botocore's ProductionVariantInstanceType "
    "enum, per account and region, in ListAWSDefaultServiceQuotas, GetAWSDefaultServiceQuota and "
    "GetServiceQuota (the applied value, else the default). Values come from "
    f"<workdir>/{SAGEMAKER_QUOTAS_FILE}; a type it does not name has a quota of 0 (as AWS gives "
    "many accelerated types in a new account), so nothing passes a quota check by accident. "
    "Quota codes are derived from the name (AWS's own L- codes are not published in botocore).",
    "ELBv2: DeleteLoadBalancer deletes a load balancer whose deletion protection is on (AWS "
    "refuses with OperationNotPermitted); shim: refuse too, so the teardown test proves that "
    "turning protection off comes first.",
    "Route 53: CreateHealthCheck and UpdateHealthCheck drop AlarmIdentifier and "
    "InsufficientDataHealthStatus of a CLOUDWATCH_METRIC check, and report it with an HTTP "
    "check's port 80 and 30 s interval, so the re-plan wants to replace it; shim: keep and return "
    "the alarm settings, leave out the endpoint's. moto never evaluates CALCULATED or CLOUDWATCH_METRIC "
    "checks (their status is not emulated; tests assert their wiring).",
]
"""One line per difference from AWS that the harness works around."""


def apply_shims(update_endpoint_record: Path, quotas_file: Path | None = None) -> None:
    """Patch moto's response classes; call before the server handles its first request.

    `update_endpoint_record` is the file where the UpdateEndpoint shim appends each request;
    `quotas_file` holds the SageMaker endpoint-usage quotas (default: beside the record).
    """
    _shim_service_quotas_sagemaker(
        quotas_file or update_endpoint_record.parent / SAGEMAKER_QUOTAS_FILE
    )
    _shim_application_autoscaling_tags()
    _shim_sagemaker_omit_empty_blocks()
    _shim_sagemaker_network_isolation()
    _shim_sagemaker_deployment_config()
    _shim_sagemaker_shadow_variants()
    _shim_sagemaker_instance_types()
    _shim_sagemaker_endpoint_config_refusals()
    _shim_sagemaker_endpoint_variants()
    _shim_sagemaker_update_endpoint(update_endpoint_record)
    _shim_sagemaker_weights_and_capacities()
    _shim_application_autoscaling_provisioned_concurrency()
    _shim_acm_key_algorithm()
    _shim_lambda_logging_config()
    _shim_elbv2_deletion_protection()
    _shim_route53_alarm_health_checks()


def _shim_application_autoscaling_tags() -> None:
    # EMULATOR GAP: Application Auto Scaling has no tagging API in moto 5.2. The provider reads
    # tags after every RegisterScalableTarget; without them apply fails with HTTP 500.
    import json
    import threading

    from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse as Response

    tags_by_arn: dict[str, dict[str, str]] = {}
    lock = threading.Lock()
    register = Response.register_scalable_target
    deregister = Response.deregister_scalable_target

    def request(self: Any) -> dict[str, Any]:
        return cast("dict[str, Any]", json.loads(self.body or "{}"))

    def register_scalable_target(self: Any) -> str:
        body = register(self)
        given = request(self).get("Tags") or {}
        with lock:
            tags_by_arn.setdefault(json.loads(body)["ScalableTargetARN"], {}).update(given)
        return body

    def deregister_scalable_target(self: Any) -> str:
        params = request(self)
        targets = self.applicationautoscaling_backend.targets
        target = targets.get(params.get("ScalableDimension"), {}).get(params.get("ResourceId"))
        body = deregister(self)
        if target is not None:
            with lock:
                tags_by_arn.pop(target.arn, None)
        return body

    def list_tags_for_resource(self: Any) -> str:
        with lock:
            tags = dict(tags_by_arn.get(request(self)["ResourceARN"], {}))
        return json.dumps({"Tags": tags})

    def tag_resource(self: Any) -> str:
        params = request(self)
        with lock:
            tags_by_arn.setdefault(params["ResourceARN"], {}).update(params.get("Tags") or {})
        return "{}"

    def untag_resource(self: Any) -> str:
        params = request(self)
        with lock:
            tags = tags_by_arn.get(params["ResourceARN"], {})
            for key in params.get("TagKeys") or []:
                tags.pop(key, None)
        return "{}"

    Response.register_scalable_target = register_scalable_target  # type: ignore[method-assign]
    Response.deregister_scalable_target = deregister_scalable_target  # type: ignore[method-assign]
    Response.list_tags_for_resource = list_tags_for_resource  # type: ignore[attr-defined]
    Response.tag_resource = tag_resource  # type: ignore[attr-defined]
    Response.untag_resource = untag_resource  # type: ignore[attr-defined]


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


class ConfigRefused(Exception):
    """A CreateEndpointConfig request that SageMaker refuses with a ValidationException."""


@cache
def _sagemaker_shape(name: str) -> Any:
    # botocore's service model is the source of SageMaker's shapes, enums and limits.
    import botocore.session

    return botocore.session.get_session().get_service_model("sagemaker").shape_for(name)


def sagemaker_instance_types() -> frozenset[str]:
    """The instance types a production variant may have (botocore's enum)."""
    return frozenset(_sagemaker_shape("ProductionVariantInstanceType").enum)


def _serverless_limits() -> dict[str, tuple[int, int]]:
    members = _sagemaker_shape("ProductionVariantServerlessConfig").members
    return {name: (shape.metadata["min"], shape.metadata["max"]) for name, shape in members.items()}


def check_endpoint_config(
    production_variants: list[dict[str, Any]], shadow_variants: list[dict[str, Any]] | None = None
) -> None:
    """Raises ConfigRefused where SageMaker refuses CreateEndpointConfig for these variants."""
    shadow = shadow_variants or []
    if shadow and (len(production_variants), len(shadow)) != (1, 1):
        # botocore, CreateEndpointConfig.ShadowProductionVariants: "If you use this field, you can
        # only specify one variant for ProductionVariants and one variant for
        # ShadowProductionVariants."
        raise ConfigRefused(
            "With ShadowProductionVariants, an endpoint configuration has exactly one production "
            f"variant and one shadow variant, not {len(production_variants)} and {len(shadow)}."
        )
    names = [str(variant.get("VariantName")) for variant in production_variants + shadow]
    for name in sorted({name for name in names if names.count(name) > 1}):
        # A variant is addressed by its name alone (InvokeEndpoint's TargetVariant,
        # UpdateEndpointWeightsAndCapacities, Application Auto Scaling's ResourceId
        # endpoint/<endpoint>/variant/<variant>), across production and shadow variants alike.
        raise ConfigRefused(
            f'The variant name "{name}" is used by more than one variant: variant names must be '
            "unique across ProductionVariants and ShadowProductionVariants."
        )
    for field_name, variants in (
        ("ProductionVariants", production_variants),
        ("ShadowProductionVariants", shadow),
    ):
        for index, variant in enumerate(variants, start=1):
            _check_variant(f"{field_name}.{index}", variant)
    if len(production_variants) > 1 and any(v.get("ServerlessConfig") for v in production_variants):
        # Serverless Inference, "Feature exclusions": multiple production variants are not
        # supported (docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html).
        raise ConfigRefused(
            "A serverless endpoint supports one production variant only, not "
            f"{len(production_variants)}: serverless endpoints do not support multiple "
            "production variants."
        )


def _check_variant(path: str, variant: dict[str, Any]) -> None:
    serverless = variant.get("ServerlessConfig")
    instance_settings = [k for k in ("InstanceType", "InitialInstanceCount") if k in variant]
    name = variant.get("VariantName")
    # botocore, ProductionVariant.ServerlessConfig: "Specifies a serverless endpoint configuration
    # instead of an instance-based endpoint configuration."
    if serverless is not None and instance_settings:
        raise ConfigRefused(
            f'{path} (variant "{name}") has ServerlessConfig and {" and ".join(instance_settings)}: '
            "a variant is either serverless (ServerlessConfig) or instance-based (InstanceType "
            "and InitialInstanceCount), not both."
        )
    if serverless is None and len(instance_settings) < 2:
        missing = " and ".join(
            k for k in ("InstanceType", "InitialInstanceCount") if k not in instance_settings
        )
        raise ConfigRefused(
            f'{path} (variant "{name}") has no {missing}: an instance-based variant needs '
            "InstanceType and InitialInstanceCount; a serverless one needs ServerlessConfig."
        )
    instance_type = variant.get("InstanceType")
    if instance_type is not None and instance_type not in sagemaker_instance_types():
        raise ConfigRefused(
            f"Value '{instance_type}' at '{path}.member.instanceType' failed to satisfy "
            "constraint: Member must satisfy enum value set: "
            f"[{', '.join(sorted(sagemaker_instance_types()))}]"
        )
    if serverless is not None:
        _check_serverless(f"{path}.serverlessConfig", serverless)


def _check_serverless(path: str, serverless: dict[str, Any]) -> None:
    for setting, (low, high) in _serverless_limits().items():
        value = serverless.get(setting)
        if value is not None and not low <= value <= high:
            raise ConfigRefused(
                f"Value '{value}' at '{path}.{setting[0].lower()}{setting[1:]}' failed to satisfy "
                f"constraint: Member must have value between {low} and {high}"
            )
    memory = serverless.get("MemorySizeInMB")
    # botocore, ProductionVariantServerlessConfig.MemorySizeInMB: "Valid values are in 1 GB
    # increments: 1024 MB, 2048 MB, 3072 MB, 4096 MB, 5120 MB, or 6144 MB."
    if memory is not None and memory % 1024:
        raise ConfigRefused(
            f"Value '{memory}' at '{path}.memorySizeInMB' failed to satisfy constraint: Member "
            "must be one of 1024, 2048, 3072, 4096, 5120 or 6144 (1 GB increments)"
        )
    provisioned = serverless.get("ProvisionedConcurrency")
    maximum = serverless.get("MaxConcurrency")
    # botocore, ProductionVariantServerlessConfig.ProvisionedConcurrency: "Should be less than or
    # equal to MaxConcurrency."
    if provisioned is not None and maximum is not None and provisioned > maximum:
        raise ConfigRefused(
            f"ProvisionedConcurrency ({provisioned}) at '{path}' is greater than MaxConcurrency "
            f"({maximum}): it must be less than or equal to MaxConcurrency."
        )


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


def _shim_application_autoscaling_provisioned_concurrency() -> None:
    # EMULATOR GAP: moto's list of scalable dimensions lacks
    # sagemaker:variant:DesiredProvisionedConcurrency, which AWS supports for serverless variants
    # ("You can scale SageMaker AI endpoint variants, provisioned concurrency for serverless
    # endpoints, and inference components", Application Auto Scaling User Guide,
    # services-that-can-integrate-sagemaker.html). Both modules read the enum at call time.
    from enum import Enum

    from moto.applicationautoscaling import models, responses

    dimensions = {member.name: member.value for member in models.ScalableDimensionValueSet}
    dimensions["SAGEMAKER_VARIANT_DESIRED_PROVISIONED_CONCURRENCY"] = (
        SAGEMAKER_VARIANT_PROVISIONED_CONCURRENCY
    )
    extended: Any = Enum("ScalableDimensionValueSet", dimensions)  # type: ignore[misc]
    models.ScalableDimensionValueSet = extended  # type: ignore[misc,assignment]
    responses.ScalableDimensionValueSet = extended  # type: ignore[attr-defined,assignment]


def _shim_acm_key_algorithm() -> None:
    # EMULATOR GAP: moto issues every certificate with an RSA 2048 key whatever KeyAlgorithm the
    # request gave; `key_algorithm` forces replacement, so the re-plan would replace it.
    import threading

    from moto.acm.responses import AWSCertificateManagerResponse as Response
    from moto.core.responses import ActionResult

    requested: dict[str, str] = {}
    lock = threading.Lock()
    request = Response.request_certificate
    describe = Response.describe_certificate

    def request_certificate(self: Any) -> Any:
        result = request(self)
        algorithm = self._get_param("KeyAlgorithm")
        if algorithm and isinstance(result, ActionResult) and isinstance(result.result, dict):
            with lock:
                requested[result.result["CertificateArn"]] = algorithm
        return result

    def describe_certificate(self: Any) -> Any:
        result = describe(self)
        if isinstance(result, ActionResult) and isinstance(result.result, dict):
            certificate = result.result["Certificate"]
            with lock:
                algorithm = requested.get(certificate["CertificateArn"])
            if algorithm:
                certificate["KeyAlgorithm"] = algorithm
        return result

    Response.request_certificate = request_certificate  # type: ignore[method-assign]
    Response.describe_certificate = describe_certificate  # type: ignore[method-assign]


def _shim_lambda_logging_config() -> None:
    # EMULATOR GAP: moto's functions have no LoggingConfig; AWS returns one for every function
    # (default: Text format, group /aws/lambda/<name>), and the provider reads it back.
    from moto.awslambda.models import LambdaFunction

    init = LambdaFunction.__init__
    get_configuration = LambdaFunction.get_configuration
    update_configuration = LambdaFunction.update_configuration

    def with_defaults(function: Any, given: dict[str, Any] | None) -> dict[str, Any]:
        defaults = {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{function.function_name}"}
        return {**defaults, **(given or {})}

    def new_init(self: Any, account_id: str, spec: dict[str, Any], *args: Any, **kw: Any) -> None:
        init(self, account_id, spec, *args, **kw)
        self.logging_config = with_defaults(self, spec.get("LoggingConfig"))

    def new_get_configuration(self: Any, *args: Any, **kw: Any) -> dict[str, Any]:
        config = get_configuration(self, *args, **kw)
        config["LoggingConfig"] = getattr(self, "logging_config", None) or with_defaults(self, None)
        return config

    def new_update_configuration(self: Any, updates: dict[str, Any]) -> dict[str, Any]:
        if "LoggingConfig" in updates:
            self.logging_config = with_defaults(self, updates["LoggingConfig"])
        return update_configuration(self, updates)

    LambdaFunction.__init__ = new_init  # type: ignore[method-assign]
    LambdaFunction.get_configuration = new_get_configuration  # type: ignore[method-assign]
    LambdaFunction.update_configuration = new_update_configuration  # type: ignore[method-assign,assignment]


def _shim_route53_alarm_health_checks() -> None:
    # EMULATOR GAP: moto's CreateHealthCheck/UpdateHealthCheck drop AlarmIdentifier and
    # InsufficientDataHealthStatus (HealthCheckConfig of a CLOUDWATCH_METRIC check, botocore's
    # route53 model); GetHealthCheck then reports neither and the provider plans to set them again.
    from moto.route53.models import HealthCheck
    from moto.route53.responses import Route53 as Response

    kept = ("AlarmIdentifier", "InsufficientDataHealthStatus")
    config_property = HealthCheck.health_check_config

    def health_check_config(self: Any) -> dict[str, Any]:
        config = dict(config_property.fget(self))  # type: ignore[attr-defined]
        config.update(getattr(self, "shim_kept", {}))
        if self.type_ == "CLOUDWATCH_METRIC":
            # An alarm check has no endpoint: no address, port or request interval (moto reports
            # its HTTP defaults, 80 and 30 s; it already leaves them out of CALCULATED checks).
            for key in ("IPAddress", "Port", "RequestInterval", "MeasureLatency"):
                config.pop(key, None)
        return config

    def keeping(action: Any, health_check_id: Any) -> Any:
        def wrapped(self: Any) -> Any:
            result = action(self)
            # CreateHealthCheck nests the settings in HealthCheckConfig; UpdateHealthCheck does not.
            given = self._get_param("HealthCheckConfig") or {
                key: self._get_param(key) for key in kept
            }
            health_check = self.backend.health_checks[health_check_id(self, result)]
            shim_kept = getattr(health_check, "shim_kept", {})
            shim_kept.update({key: given[key] for key in kept if given.get(key) is not None})
            health_check.shim_kept = shim_kept
            return result

        return wrapped

    HealthCheck.health_check_config = property(health_check_config)  # type: ignore[assignment,method-assign]
    Response.create_health_check = keeping(  # type: ignore[method-assign]
        Response.create_health_check, lambda _self, result: result.result["HealthCheck"].id
    )
    Response.update_health_check = keeping(  # type: ignore[method-assign]
        Response.update_health_check, lambda self, _result: self._get_param("HealthCheckId")
    )


def _shim_elbv2_deletion_protection() -> None:
    # EMULATOR GAP: moto deletes a load balancer whose `deletion_protection.enabled` is true; AWS
    # refuses. Refusing too keeps the teardown test honest: it must turn protection off first.
    from moto.elbv2.exceptions import ELBClientError
    from moto.elbv2.responses import ELBV2Response as Response

    delete = Response.delete_load_balancer

    def delete_load_balancer(self: Any) -> Any:
        arn = self._get_param("LoadBalancerArn")
        load_balancer = self.elbv2_backend.load_balancers.get(arn)
        if (
            load_balancer is not None
            and load_balancer.attrs.get("deletion_protection.enabled") == "true"
        ):
            raise ELBClientError(
                "OperationNotPermitted",
                f"Load balancer '{arn}' cannot be deleted because deletion protection is enabled",
            )
        return delete(self)

    Response.delete_load_balancer = delete_load_balancer  # type: ignore[method-assign]


def sagemaker_endpoint_quota_code(instance_type: str) -> str:
    """The shim's quota code for '<instance type> for endpoint usage' (stable, L- like AWS's)."""
    import hashlib

    return "L-" + hashlib.sha256(instance_type.encode()).hexdigest()[:8].upper()


def _shim_service_quotas_sagemaker(quotas_file: Path) -> None:
    # EMULATOR GAP: moto's Service Quotas knows only VPC quotas and has no
    # GetAWSDefaultServiceQuota. AWS lists SageMaker's per-region endpoint quotas as
    # "<instance type> for endpoint usage" (Service Quotas console, service code `sagemaker`).
    import json

    from moto.servicequotas.responses import ServiceQuotasResponse as Response

    def quotas(account: str, region: str) -> dict[str, dict[str, Any]]:
        values = json.loads(quotas_file.read_text()) if quotas_file.exists() else {}
        found = {}
        for instance_type in sorted(sagemaker_instance_types()):
            code = sagemaker_endpoint_quota_code(instance_type)
            given = values.get(instance_type, {})
            found[code] = {
                "ServiceCode": "sagemaker",
                "ServiceName": "Amazon SageMaker",
                "QuotaArn": f"arn:aws:servicequotas:{region}:{account}:sagemaker/{code}",
                "QuotaCode": code,
                "QuotaName": f"{instance_type} for endpoint usage",
                "Value": float(given.get("default", 0)),
                "Unit": "None",
                "Adjustable": True,
                "GlobalQuota": False,
                "_applied": given.get("applied"),
            }
        return found

    def public(quota: dict[str, Any], applied: bool) -> dict[str, Any]:
        shown = {k: v for k, v in quota.items() if not k.startswith("_")}
        if applied and quota["_applied"] is not None:
            shown["Value"] = float(quota["_applied"])
        return shown

    def one(self: Any, applied: bool) -> str | None:
        params = json.loads(self.body)
        if params.get("ServiceCode") != "sagemaker":
            return None
        quota = quotas(self.current_account, self.region).get(params.get("QuotaCode"))
        if quota is None:
            from moto.servicequotas.exceptions import NoSuchResource

            raise NoSuchResource
        return json.dumps({"Quota": public(quota, applied)})

    list_defaults = Response.list_aws_default_service_quotas
    get_quota = Response.get_service_quota

    def list_aws_default_service_quotas(self: Any) -> str:
        if json.loads(self.body).get("ServiceCode") != "sagemaker":
            return list_defaults(self)
        found = quotas(self.current_account, self.region).values()
        return json.dumps({"Quotas": [public(q, applied=False) for q in found]})

    def get_service_quota(self: Any) -> str:
        return one(self, applied=True) or get_quota(self)

    def get_aws_default_service_quota(self: Any) -> str:
        answer = one(self, applied=False)
        if answer is None:
            from moto.servicequotas.exceptions import NoSuchResource

            raise NoSuchResource
        return answer

    Response.list_aws_default_service_quotas = list_aws_default_service_quotas  # type: ignore[method-assign]
    Response.get_service_quota = get_service_quota  # type: ignore[method-assign]
    Response.get_aws_default_service_quota = get_aws_default_service_quota  # type: ignore[attr-defined]


@dataclass
class MotoServer:
    """A running server process: its URL, boto3 clients for it, its request log for failures."""

    endpoint_url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    update_endpoint_record: Path
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict)

    def client(self, service: str, region: str) -> Any:
        """A boto3 client of `service` in `region` that talks to this server only."""
        key = (service, region)
        if key not in self._clients:
            import boto3
            from botocore.config import Config

            self._clients[key] = boto3.session.Session().client(
                service,
                region_name=region,
                endpoint_url=self.endpoint_url,
                aws_access_key_id=ACCESS_KEY,
                aws_secret_access_key=SECRET_KEY,
                config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}),
            )
        return self._clients[key]

    def set_sagemaker_endpoint_quotas(self, quotas: dict[str, dict[str, float]]) -> None:
        """The account's '<type> for endpoint usage' quotas, `{type: {"default": N, "applied": M}}`
        (every region; a type not named has 0)."""
        import json

        path = self.update_endpoint_record.parent / SAGEMAKER_QUOTAS_FILE
        partial = path.with_suffix(".partial")
        partial.write_text(json.dumps(quotas))
        partial.replace(path)

    def log_tail(self, lines: int = 60) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def update_endpoint_requests(self) -> list[dict[str, Any]]:
        """Every UpdateEndpoint request the server has had, oldest first, with its outcome.

        Each: `time`, `account`, `region`, `request` (as sent), `outcome` ("accepted", "rolled
        back", "refused" or "error"); when rolled back `reason` (the FailureReason), when refused
        or an error `error` (`Code`, `Message`).
        """
        import json

        if not self.update_endpoint_record.exists():
            return []
        lines = self.update_endpoint_record.read_text().splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def server_errors(self) -> list[str]:
        """Request-log lines answered with HTTP 500/501: an API that moto lacks or breaks on."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return [
            line
            for line in text.splitlines()
            if '" 500 ' in line or '" 501 ' in line or "NotImplementedError" in line
        ]


@contextmanager
def running_moto_server(workdir: Path) -> Iterator[MotoServer]:
    """Start the patched server on a free port of 127.0.0.1; stop it on exit."""
    workdir.mkdir(parents=True, exist_ok=True)
    port_file = workdir / "moto.port"
    log_path = workdir / "moto.log"
    port_file.unlink(missing_ok=True)
    env = {**os.environ, **SERVER_ENVIRONMENT}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--port-file", str(port_file)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    server = MotoServer(
        endpoint_url="",
        process=process,
        log_path=log_path,
        update_endpoint_record=workdir / UPDATE_ENDPOINT_RECORD,
    )
    try:
        server.endpoint_url = f"http://{HOST}:{_wait_for_port(server, port_file)}"
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for_port(server: MotoServer, port_file: Path) -> int:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"moto server exited with {server.process.returncode}:\n{server.log_tail()}"
            )
        if port_file.exists():
            return int(port_file.read_text())
        time.sleep(0.1)
    raise RuntimeError(f"moto server did not start in {START_TIMEOUT_S} s:\n{server.log_tail()}")


def main(argv: list[str] | None = None) -> None:
    """Entry point of the server process: shims first, then the server, then serve until told."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port-file", type=Path, required=True)
    args = parser.parse_args(argv)
    os.environ.update(SERVER_ENVIRONMENT)
    # The record lives next to the port file, where MotoServer looks for it.
    update_endpoint_record = args.port_file.parent / UPDATE_ENDPOINT_RECORD
    update_endpoint_record.unlink(missing_ok=True)
    (args.port_file.parent / SAGEMAKER_QUOTAS_FILE).unlink(missing_ok=True)
    apply_shims(update_endpoint_record)

    from moto.moto_server.threaded_moto_server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address=HOST, port=0, verbose=False)
    server.start()
    _, port = server.get_host_and_port()
    # Written atomically: the test process reads the port as soon as the file exists.
    partial = args.port_file.with_suffix(".partial")
    partial.write_text(str(port))
    partial.replace(args.port_file)
    # Serve until stopped, or until the test process is gone (even killed with SIGKILL, when it
    # cannot stop us): an orphaned server would hold its port and memory forever.
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(1)


if __name__ == "__main__":
    main()
