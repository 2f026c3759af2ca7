"""The SageMaker variant shims, endpoints: A/B, shadow and serverless variants, as SageMaker
documents them.

Given a patched moto server (boto3 on 127.0.0.1), when an endpoint runs several production
variants, a shadow variant or a serverless variant, then DescribeEndpoint reports each as
botocore's ProductionVariantSummary has it, weights and capacities change only what is given, each
variant registers as a scalable target, and an UpdateEndpoint SageMaker refuses is refused with a
ValidationException. Endpoint configurations: test_sagemaker_variant_shims.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from emulator.moto_server import MotoServer
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
