"""The SageMaker variant shims, endpoint configurations: A/B, shadow and serverless variants, as
SageMaker documents them.

Given a patched moto server (boto3 on 127.0.0.1), when an endpoint configuration has several
production variants, a shadow variant or a serverless variant, then SageMaker's answers round-trip
what was sent (so Terraform's re-plan is empty), and what SageMaker refuses is refused with a
ValidationException. The rules themselves (`check_endpoint_config`) are also checked without a
server. Endpoints built from them: test_sagemaker_endpoint_shims.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from emulator.moto_server import ConfigRefused, check_endpoint_config, sagemaker_instance_types
from tests.emulator.sagemaker_shim_cases import (
    AB_VARIANTS,
    REGION,
    instance_variant,
    refusal,
    sagemaker,
    server,
    serverless_variant,
)

__all__ = ["sagemaker", "server"]  # fixtures, used by name


def test_ab_variants_round_trip_through_describe_endpoint_config(sagemaker: Any) -> None:
    sagemaker.create_endpoint_config(EndpointConfigName="ab", ProductionVariants=AB_VARIANTS)

    described = sagemaker.describe_endpoint_config(EndpointConfigName="ab")

    assert described["ProductionVariants"] == AB_VARIANTS
    assert "ShadowProductionVariants" not in described


def test_shadow_variants_round_trip_through_describe_endpoint_config(sagemaker: Any) -> None:
    production = [instance_variant("primary")]
    shadow = [instance_variant("shadow", model="model-b", count=1, weight=0.5)]

    sagemaker.create_endpoint_config(
        EndpointConfigName="shadow", ProductionVariants=production, ShadowProductionVariants=shadow
    )

    described = sagemaker.describe_endpoint_config(EndpointConfigName="shadow")
    assert described["ProductionVariants"] == production
    assert described["ShadowProductionVariants"] == shadow


def test_serverless_variant_round_trips_through_describe_endpoint_config(sagemaker: Any) -> None:
    variants = [serverless_variant("primary", memory_mb=3072, max_concurrency=20, provisioned=5)]

    sagemaker.create_endpoint_config(EndpointConfigName="serverless", ProductionVariants=variants)

    described = sagemaker.describe_endpoint_config(EndpointConfigName="serverless")
    assert described["ProductionVariants"] == variants


def test_a_shadow_variant_of_an_unknown_model_is_refused(sagemaker: Any) -> None:
    with pytest.raises(ClientError) as refused:
        sagemaker.create_endpoint_config(
            EndpointConfigName="shadow-unknown-model",
            ProductionVariants=[instance_variant("primary")],
            ShadowProductionVariants=[instance_variant("shadow", model="missing")],
        )

    assert refusal(refused) == (
        f"Could not find model 'arn:aws:sagemaker:{REGION}:123456789012:model/missing'."
    )


@pytest.mark.parametrize("instance_type", ["ml.g5.xlarge", "ml.inf2.xlarge", "ml.c6i.large"])
def test_instance_types_sagemaker_accepts_are_accepted(sagemaker: Any, instance_type: str) -> None:
    name = f"type-{instance_type.replace('.', '-')}"

    sagemaker.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[instance_variant("primary", instance_type=instance_type)],
    )

    variant = sagemaker.describe_endpoint_config(EndpointConfigName=name)["ProductionVariants"][0]
    assert variant["InstanceType"] == instance_type


def test_instance_types_come_from_botocore() -> None:
    assert {"ml.m5.xlarge", "ml.g5.xlarge", "ml.inf2.xlarge"} <= sagemaker_instance_types()
    assert "ml.m5.huge" not in sagemaker_instance_types()


# CreateEndpointConfig: SageMaker's documented refusals, through the server.


def test_two_production_variants_beside_a_shadow_variant_are_refused(sagemaker: Any) -> None:
    with pytest.raises(ClientError) as refused:
        sagemaker.create_endpoint_config(
            EndpointConfigName="shadow-two-production",
            ProductionVariants=[instance_variant("a"), instance_variant("b", model="model-b")],
            ShadowProductionVariants=[instance_variant("shadow", model="model-c")],
        )

    message = refusal(refused)
    assert "exactly one production variant and one shadow variant, not 2 and 1" in message
    with pytest.raises(ClientError):
        sagemaker.describe_endpoint_config(EndpointConfigName="shadow-two-production")


def test_a_serverless_endpoint_with_two_production_variants_is_refused(sagemaker: Any) -> None:
    with pytest.raises(ClientError) as refused:
        sagemaker.create_endpoint_config(
            EndpointConfigName="serverless-ab",
            ProductionVariants=[
                serverless_variant("a"),
                serverless_variant("b", model="model-b"),
            ],
        )

    assert "do not support multiple production variants" in refusal(refused)


def test_a_variant_with_serverless_config_and_an_instance_type_is_refused(sagemaker: Any) -> None:
    both = {**instance_variant("primary"), **serverless_variant("primary")}

    with pytest.raises(ClientError) as refused:
        sagemaker.create_endpoint_config(EndpointConfigName="both", ProductionVariants=[both])

    message = refusal(refused)
    assert message.startswith('ProductionVariants.1 (variant "primary") has ServerlessConfig and')
    assert "not both" in message


# CreateEndpointConfig: the rules, without a server.


def test_a_production_and_a_shadow_variant_are_accepted() -> None:
    check_endpoint_config([instance_variant("primary")], [instance_variant("shadow")])


def test_two_shadow_variants_are_refused() -> None:
    with pytest.raises(ConfigRefused, match="not 1 and 2"):
        check_endpoint_config(
            [instance_variant("primary")], [instance_variant("s1"), instance_variant("s2")]
        )


def test_a_variant_name_shared_by_a_production_and_a_shadow_variant_is_refused() -> None:
    with pytest.raises(
        ConfigRefused, match=r'^The variant name "primary" is used by more than one'
    ):
        check_endpoint_config([instance_variant("primary")], [instance_variant("primary")])


def test_a_variant_name_used_twice_in_production_variants_is_refused() -> None:
    with pytest.raises(ConfigRefused, match='"a" is used by more than one variant'):
        check_endpoint_config([instance_variant("a"), instance_variant("a")])


@pytest.mark.parametrize(
    ("left_out", "missing"),
    [
        (("InstanceType", "InitialInstanceCount"), "InstanceType and InitialInstanceCount"),
        (("InitialInstanceCount",), "InitialInstanceCount"),
        (("InstanceType",), "InstanceType"),
    ],
)
def test_an_instance_based_variant_without_type_and_count_is_refused(
    left_out: tuple[str, ...], missing: str
) -> None:
    variant = {k: v for k, v in instance_variant("primary").items() if k not in left_out}

    with pytest.raises(ConfigRefused, match=f"has no {missing}: an instance-based variant needs"):
        check_endpoint_config([variant])


def test_a_serverless_variant_with_an_initial_instance_count_is_refused() -> None:
    variant = {**serverless_variant("primary"), "InitialInstanceCount": 1}

    with pytest.raises(ConfigRefused, match="ServerlessConfig and InitialInstanceCount"):
        check_endpoint_config([variant])


def test_a_shadow_variant_is_checked_like_a_production_variant() -> None:
    shadow = {**serverless_variant("shadow"), "InstanceType": "ml.m5.xlarge"}

    with pytest.raises(ConfigRefused, match=r'^ShadowProductionVariants\.1 \(variant "shadow"\)'):
        check_endpoint_config([instance_variant("primary")], [shadow])


def test_an_unknown_instance_type_is_refused() -> None:
    with pytest.raises(ConfigRefused, match=r"'ml\.m5\.huge' at 'ProductionVariants\.1\.member"):
        check_endpoint_config([instance_variant("primary", instance_type="ml.m5.huge")])


def test_provisioned_concurrency_above_max_concurrency_is_refused() -> None:
    variant = serverless_variant("primary", max_concurrency=4, provisioned=5)

    with pytest.raises(
        ConfigRefused, match=r"ProvisionedConcurrency \(5\) .* MaxConcurrency \(4\)"
    ):
        check_endpoint_config([variant])


def test_provisioned_concurrency_equal_to_max_concurrency_is_accepted() -> None:
    check_endpoint_config([serverless_variant("primary", max_concurrency=4, provisioned=4)])


@pytest.mark.parametrize("memory_mb", [1024, 2048, 3072, 4096, 5120, 6144])
def test_memory_in_1024_mb_steps_is_accepted(memory_mb: int) -> None:
    check_endpoint_config([serverless_variant("primary", memory_mb=memory_mb)])


@pytest.mark.parametrize(
    ("memory_mb", "message"),
    [
        (1536, "1 GB increments"),
        (512, "between 1024 and 6144"),
        (7168, "between 1024 and 6144"),
    ],
)
def test_memory_off_the_1024_mb_steps_is_refused(memory_mb: int, message: str) -> None:
    with pytest.raises(ConfigRefused, match=f"Value '{memory_mb}' at .*memorySizeInMB.*{message}"):
        check_endpoint_config([serverless_variant("primary", memory_mb=memory_mb)])


def test_max_concurrency_above_botocores_limit_is_refused() -> None:
    with pytest.raises(ConfigRefused, match=r"maxConcurrency' .* between 1 and 200"):
        check_endpoint_config(
            [serverless_variant("primary", max_concurrency=201, provisioned=None)]
        )
