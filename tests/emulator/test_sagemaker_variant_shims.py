"""The SageMaker variant shims: A/B, shadow and serverless variants, as SageMaker documents them.

Given a patched moto server (boto3 on 127.0.0.1), when an endpoint configuration or endpoint has
several production variants, a shadow variant or a serverless variant, then SageMaker's answers
round-trip what was sent (so Terraform's re-plan is empty), and what SageMaker refuses is refused
with a ValidationException. The rules themselves (`check_endpoint_config`) are also checked
without a server.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from emulator.moto_server import (
    ConfigRefused,
    MotoServer,
    check_endpoint_config,
    running_moto_server,
    sagemaker_instance_types,
)
from emulator.terraform import skip_or_fail

REGION = "eu-west-1"
ROLE = "arn:aws:iam::123456789012:role/test"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    if importlib.util.find_spec("moto") is None:
        skip_or_fail("moto is not installed (pipenv sync --dev)")
    with running_moto_server(tmp_path_factory.mktemp("moto-variants")) as started:
        yield started


@pytest.fixture(scope="module")
def sagemaker(server: MotoServer) -> Any:
    """A SageMaker client of the server, with three models to deploy: model-a, -b and -c."""
    client = server.client("sagemaker", REGION)
    for model in ("model-a", "model-b", "model-c"):
        client.create_model(
            ModelName=model, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": f"{model}:1"}
        )
    return client


def instance_variant(
    name: str,
    model: str = "model-a",
    instance_type: str = "ml.m5.xlarge",
    count: int = 2,
    weight: float = 1.0,
    **settings: Any,
) -> dict[str, Any]:
    """An instance-based variant of an endpoint configuration."""
    return {
        "VariantName": name,
        "ModelName": model,
        "InstanceType": instance_type,
        "InitialInstanceCount": count,
        "InitialVariantWeight": weight,
        **settings,
    }


def serverless_variant(
    name: str,
    model: str = "model-a",
    memory_mb: int = 2048,
    max_concurrency: int = 10,
    provisioned: int | None = 2,
) -> dict[str, Any]:
    """A serverless variant of an endpoint configuration."""
    serverless = {"MemorySizeInMB": memory_mb, "MaxConcurrency": max_concurrency}
    if provisioned is not None:
        serverless["ProvisionedConcurrency"] = provisioned
    return {
        "VariantName": name,
        "ModelName": model,
        "ServerlessConfig": serverless,
        "InitialVariantWeight": 1.0,
    }


AB_VARIANTS = [
    instance_variant(
        "a",
        instance_type="ml.g5.xlarge",
        weight=0.0,
        ContainerStartupHealthCheckTimeoutInSeconds=600,
        ModelDataDownloadTimeoutInSeconds=900,
        VolumeSizeInGB=100,
        InferenceAmiVersion="al2-ami-sagemaker-inference-gpu-2",
        RoutingConfig={"RoutingStrategy": "LEAST_OUTSTANDING_REQUESTS"},
    ),
    instance_variant("b", model="model-b", count=1, RoutingConfig={"RoutingStrategy": "RANDOM"}),
]


def refusal(error: pytest.ExceptionInfo[ClientError]) -> str:
    assert error.value.response["Error"]["Code"] == "ValidationException"
    return str(error.value.response["Error"]["Message"])


# DescribeEndpointConfig: what was sent comes back.


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


# DescribeEndpoint: every variant as botocore's ProductionVariantSummary has it.


def deployed(sagemaker: Any, name: str, variants: list[dict[str, Any]], **config: Any) -> Any:
    """An endpoint `name` of a first configuration, `<name>-v1`; its description."""
    sagemaker.create_endpoint_config(
        EndpointConfigName=f"{name}-v1", ProductionVariants=variants, **config
    )
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-v1")
    return sagemaker.describe_endpoint(EndpointName=name)


def test_ab_variants_are_reported_with_their_weights_even_zero(sagemaker: Any) -> None:
    endpoint = deployed(sagemaker, "ab-endpoint", AB_VARIANTS)

    assert endpoint["ProductionVariants"] == [
        {
            "VariantName": "a",
            "CurrentInstanceCount": 2,
            "DesiredInstanceCount": 2,
            "CurrentWeight": 0.0,
            "DesiredWeight": 0.0,
            "RoutingConfig": {"RoutingStrategy": "LEAST_OUTSTANDING_REQUESTS"},
        },
        {
            "VariantName": "b",
            "CurrentInstanceCount": 1,
            "DesiredInstanceCount": 1,
            "CurrentWeight": 1.0,
            "DesiredWeight": 1.0,
            "RoutingConfig": {"RoutingStrategy": "RANDOM"},
        },
    ]
    assert "ShadowProductionVariants" not in endpoint


def test_a_variant_without_a_weight_is_reported_with_the_default_weight(sagemaker: Any) -> None:
    unweighted = {
        k: v for k, v in instance_variant("primary").items() if k != "InitialVariantWeight"
    }

    endpoint = deployed(sagemaker, "default-weight", [unweighted])

    [variant] = endpoint["ProductionVariants"]
    assert (variant["CurrentWeight"], variant["DesiredWeight"]) == (1.0, 1.0)


def test_a_shadow_variant_is_reported_by_describe_endpoint(sagemaker: Any) -> None:
    endpoint = deployed(
        sagemaker,
        "shadow-endpoint",
        [instance_variant("primary", count=2)],
        ShadowProductionVariants=[instance_variant("shadow", model="model-b", count=1, weight=0.5)],
    )

    assert endpoint["ShadowProductionVariants"] == [
        {
            "VariantName": "shadow",
            "CurrentInstanceCount": 1,
            "DesiredInstanceCount": 1,
            "CurrentWeight": 0.5,
            "DesiredWeight": 0.5,
        }
    ]
    assert [v["VariantName"] for v in endpoint["ProductionVariants"]] == ["primary"]


def test_a_serverless_variant_is_reported_with_its_serverless_config(sagemaker: Any) -> None:
    endpoint = deployed(sagemaker, "serverless-endpoint", [serverless_variant("primary")])

    serverless = {"MemorySizeInMB": 2048, "MaxConcurrency": 10, "ProvisionedConcurrency": 2}
    assert endpoint["ProductionVariants"] == [
        {
            "VariantName": "primary",
            "CurrentWeight": 1.0,
            "DesiredWeight": 1.0,
            "CurrentServerlessConfig": serverless,
            "DesiredServerlessConfig": serverless,
        }
    ]


# UpdateEndpointWeightsAndCapacities and Application Auto Scaling on several variants.


def variants_of(sagemaker: Any, endpoint: str, kind: str = "ProductionVariants") -> dict[str, Any]:
    described = sagemaker.describe_endpoint(EndpointName=endpoint).get(kind, [])
    return {v["VariantName"]: {k: x for k, x in v.items() if k != "VariantName"} for v in described}


def counts_and_weights(variant: dict[str, Any]) -> tuple[Any, ...]:
    keys = ("CurrentInstanceCount", "DesiredInstanceCount", "CurrentWeight", "DesiredWeight")
    return tuple(variant.get(key) for key in keys)


def test_weights_and_capacities_of_several_variants_change_only_what_is_given(
    sagemaker: Any,
) -> None:
    deployed(
        sagemaker,
        "ab-shift",
        [instance_variant("a", count=2, weight=0.9), instance_variant("b", count=1, weight=0.1)],
    )

    sagemaker.update_endpoint_weights_and_capacities(
        EndpointName="ab-shift",
        DesiredWeightsAndCapacities=[
            {"VariantName": "a", "DesiredWeight": 0.5},
            {"VariantName": "b", "DesiredWeight": 0.5, "DesiredInstanceCount": 2},
        ],
    )

    variants = variants_of(sagemaker, "ab-shift")
    assert counts_and_weights(variants["a"]) == (2, 2, 0.5, 0.5)
    assert counts_and_weights(variants["b"]) == (2, 2, 0.5, 0.5)


def test_a_shadow_variants_capacity_can_be_changed(sagemaker: Any) -> None:
    deployed(
        sagemaker,
        "shadow-scaled",
        [instance_variant("primary")],
        ShadowProductionVariants=[instance_variant("shadow", model="model-b", count=1)],
    )

    sagemaker.update_endpoint_weights_and_capacities(
        EndpointName="shadow-scaled",
        DesiredWeightsAndCapacities=[{"VariantName": "shadow", "DesiredInstanceCount": 3}],
    )

    shadow = variants_of(sagemaker, "shadow-scaled", "ShadowProductionVariants")["shadow"]
    assert counts_and_weights(shadow) == (3, 3, 1.0, 1.0)
    assert counts_and_weights(variants_of(sagemaker, "shadow-scaled")["primary"]) == (2, 2, 1, 1)


def test_an_unknown_variant_is_still_refused_by_weights_and_capacities(sagemaker: Any) -> None:
    deployed(sagemaker, "unknown-variant", [instance_variant("primary")])

    with pytest.raises(ClientError, match='"missing" is/are not present'):
        sagemaker.update_endpoint_weights_and_capacities(
            EndpointName="unknown-variant",
            DesiredWeightsAndCapacities=[{"VariantName": "missing", "DesiredInstanceCount": 3}],
        )


def register(server: MotoServer, endpoint: str, variant: str, dimension: str) -> str:
    return str(
        server.client("application-autoscaling", REGION).register_scalable_target(
            ServiceNamespace="sagemaker",
            ResourceId=f"endpoint/{endpoint}/variant/{variant}",
            ScalableDimension=dimension,
            MinCapacity=1,
            MaxCapacity=4,
        )["ScalableTargetARN"]
    )


def test_each_variant_and_the_shadow_variant_register_as_scalable_targets(
    server: MotoServer, sagemaker: Any
) -> None:
    deployed(
        sagemaker,
        "targets",
        [instance_variant("primary")],
        ShadowProductionVariants=[instance_variant("shadow", model="model-b")],
    )
    capacity = "sagemaker:variant:DesiredInstanceCount"

    arns = {register(server, "targets", name, capacity) for name in ("primary", "shadow")}

    described = server.client("application-autoscaling", REGION).describe_scalable_targets(
        ServiceNamespace="sagemaker"
    )["ScalableTargets"]
    assert len(arns) == 2
    assert {"endpoint/targets/variant/primary", "endpoint/targets/variant/shadow"} <= {
        target["ResourceId"] for target in described
    }


def test_a_serverless_variants_provisioned_concurrency_registers_as_a_scalable_target(
    server: MotoServer, sagemaker: Any
) -> None:
    deployed(sagemaker, "provisioned", [serverless_variant("primary")])
    dimension = "sagemaker:variant:DesiredProvisionedConcurrency"

    register(server, "provisioned", "primary", dimension)

    [target] = server.client("application-autoscaling", REGION).describe_scalable_targets(
        ServiceNamespace="sagemaker", ResourceIds=["endpoint/provisioned/variant/primary"]
    )["ScalableTargets"]
    assert target["ScalableDimension"] == dimension


# UpdateEndpoint with shadow and serverless variants.


def test_an_instance_based_endpoint_cannot_become_serverless(sagemaker: Any) -> None:
    deployed(sagemaker, "to-serverless", [instance_variant("primary")])
    sagemaker.create_endpoint_config(
        EndpointConfigName="to-serverless-v2", ProductionVariants=[serverless_variant("primary")]
    )

    with pytest.raises(ClientError) as refused:
        sagemaker.update_endpoint(
            EndpointName="to-serverless", EndpointConfigName="to-serverless-v2"
        )

    assert "cannot be updated to a serverless endpoint configuration" in refusal(refused)
    endpoint = sagemaker.describe_endpoint(EndpointName="to-serverless")
    assert endpoint["EndpointConfigName"] == "to-serverless-v1"


def test_a_serverless_endpoint_can_become_instance_based(sagemaker: Any) -> None:
    deployed(sagemaker, "from-serverless", [serverless_variant("primary")])
    sagemaker.create_endpoint_config(
        EndpointConfigName="from-serverless-v2", ProductionVariants=[instance_variant("primary")]
    )

    sagemaker.update_endpoint(
        EndpointName="from-serverless", EndpointConfigName="from-serverless-v2"
    )

    variant = variants_of(sagemaker, "from-serverless")["primary"]
    assert counts_and_weights(variant) == (2, 2, 1.0, 1.0)
    assert "CurrentServerlessConfig" not in variant


def test_a_rollout_deploys_the_new_shadow_variant(sagemaker: Any) -> None:
    deployed(
        sagemaker,
        "shadow-rollout",
        [instance_variant("primary")],
        ShadowProductionVariants=[instance_variant("shadow", model="model-b", count=1)],
    )
    sagemaker.create_endpoint_config(
        EndpointConfigName="shadow-rollout-v2",
        ProductionVariants=[instance_variant("primary", model="model-b")],
        ShadowProductionVariants=[instance_variant("shadow", model="model-c", count=2, weight=0.2)],
    )

    sagemaker.update_endpoint(EndpointName="shadow-rollout", EndpointConfigName="shadow-rollout-v2")

    shadow = variants_of(sagemaker, "shadow-rollout", "ShadowProductionVariants")["shadow"]
    assert counts_and_weights(shadow) == (2, 2, 0.2, 0.2)


BLUE_GREEN = {
    "BlueGreenUpdatePolicy": {
        "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 60}
    }
}


# Deployment guardrails, "Exclusions" (deployment-guardrails-exclusions.html): the new endpoint
# configuration must have the same variant name; that is the production variants. A shadow variant
# may be deployed onto an endpoint already serving (shadow-tests-create.html).


def test_a_shadow_variant_can_be_added_under_a_blue_green_deployment(sagemaker: Any) -> None:
    deployed(sagemaker, "shadow-add", [instance_variant("primary")])
    sagemaker.create_endpoint_config(
        EndpointConfigName="shadow-add-v2",
        ProductionVariants=[instance_variant("primary")],
        ShadowProductionVariants=[instance_variant("candidate", model="model-b", count=1)],
    )

    sagemaker.update_endpoint(
        EndpointName="shadow-add", EndpointConfigName="shadow-add-v2", DeploymentConfig=BLUE_GREEN
    )

    shadow = variants_of(sagemaker, "shadow-add", "ShadowProductionVariants")
    assert list(shadow) == ["candidate"]
    assert list(variants_of(sagemaker, "shadow-add")) == ["primary"]


def test_a_renamed_shadow_variant_is_accepted_under_a_blue_green_deployment(
    sagemaker: Any,
) -> None:
    deployed(
        sagemaker,
        "shadow-rename",
        [instance_variant("primary")],
        ShadowProductionVariants=[instance_variant("shadow", model="model-b")],
    )
    sagemaker.create_endpoint_config(
        EndpointConfigName="shadow-rename-v2",
        ProductionVariants=[instance_variant("primary")],
        ShadowProductionVariants=[instance_variant("candidate", model="model-c")],
    )

    sagemaker.update_endpoint(
        EndpointName="shadow-rename",
        EndpointConfigName="shadow-rename-v2",
        DeploymentConfig=BLUE_GREEN,
    )

    assert list(variants_of(sagemaker, "shadow-rename", "ShadowProductionVariants")) == [
        "candidate"
    ]


def test_a_renamed_production_variant_beside_a_shadow_is_refused_under_a_blue_green_deployment(
    sagemaker: Any,
) -> None:
    deployed(
        sagemaker,
        "production-rename",
        [instance_variant("primary")],
        ShadowProductionVariants=[instance_variant("shadow", model="model-b")],
    )
    sagemaker.create_endpoint_config(
        EndpointConfigName="production-rename-v2",
        ProductionVariants=[instance_variant("blue")],
        ShadowProductionVariants=[instance_variant("shadow", model="model-b")],
    )

    with pytest.raises(ClientError) as refused:
        sagemaker.update_endpoint(
            EndpointName="production-rename",
            EndpointConfigName="production-rename-v2",
            DeploymentConfig=BLUE_GREEN,
        )

    message = refusal(refused)
    assert "production variants ['blue']" in message and "['primary']" in message
    assert "same variant names" in message


def test_removing_an_autoscaled_shadow_variant_is_refused(
    server: MotoServer, sagemaker: Any
) -> None:
    deployed(
        sagemaker,
        "shadow-drop",
        [instance_variant("primary")],
        ShadowProductionVariants=[instance_variant("shadow", model="model-b")],
    )
    register(server, "shadow-drop", "shadow", "sagemaker:variant:DesiredInstanceCount")
    sagemaker.create_endpoint_config(
        EndpointConfigName="shadow-drop-v2", ProductionVariants=[instance_variant("primary")]
    )

    with pytest.raises(ClientError) as refused:
        sagemaker.update_endpoint(EndpointName="shadow-drop", EndpointConfigName="shadow-drop-v2")

    message = refusal(refused)
    assert 'Variant "shadow"' in message and "would remove it" in message
    assert "ShadowProductionVariants" in sagemaker.describe_endpoint(EndpointName="shadow-drop")


def test_changing_an_autoscaled_shadow_variants_instance_type_is_refused(
    server: MotoServer, sagemaker: Any
) -> None:
    deployed(
        sagemaker,
        "shadow-resize",
        [instance_variant("primary")],
        ShadowProductionVariants=[instance_variant("shadow", model="model-b")],
    )
    register(server, "shadow-resize", "shadow", "sagemaker:variant:DesiredInstanceCount")
    sagemaker.create_endpoint_config(
        EndpointConfigName="shadow-resize-v2",
        ProductionVariants=[instance_variant("primary")],
        ShadowProductionVariants=[
            instance_variant("shadow", model="model-b", instance_type="ml.g5.xlarge")
        ],
    )

    with pytest.raises(ClientError) as refused:
        sagemaker.update_endpoint(
            EndpointName="shadow-resize", EndpointConfigName="shadow-resize-v2"
        )

    assert "from ml.m5.xlarge to ml.g5.xlarge" in refusal(refused)


def test_retain_all_variant_properties_keeps_the_shadow_variants_count(sagemaker: Any) -> None:
    deployed(
        sagemaker,
        "shadow-retain",
        [instance_variant("primary")],
        ShadowProductionVariants=[instance_variant("shadow", model="model-b", count=1)],
    )
    sagemaker.update_endpoint_weights_and_capacities(
        EndpointName="shadow-retain",
        DesiredWeightsAndCapacities=[{"VariantName": "shadow", "DesiredInstanceCount": 4}],
    )
    sagemaker.create_endpoint_config(
        EndpointConfigName="shadow-retain-v2",
        ProductionVariants=[instance_variant("primary")],
        ShadowProductionVariants=[instance_variant("shadow", model="model-c", count=1)],
    )

    sagemaker.update_endpoint(
        EndpointName="shadow-retain",
        EndpointConfigName="shadow-retain-v2",
        RetainAllVariantProperties=True,
    )

    shadow = variants_of(sagemaker, "shadow-retain", "ShadowProductionVariants")["shadow"]
    assert counts_and_weights(shadow) == (4, 4, 1.0, 1.0)
