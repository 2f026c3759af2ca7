"""SageMaker's rules for CreateEndpointConfig's variants, as botocore's model and SageMaker's
documentation state them. Pure functions over plain data, so the tests can call them directly;
emulator/sagemaker_shims.py refuses what they refuse with a ValidationException."""

from __future__ import annotations

from functools import cache
from typing import Any


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
