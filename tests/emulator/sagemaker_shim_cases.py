"""What the SageMaker variant shim tests share: a patched moto server with three models to
deploy, and endpoint-configuration variants as SageMaker's API takes them.

test_sagemaker_variant_shims.py (endpoint configurations) and test_sagemaker_endpoint_shims.py
(endpoints: descriptions, capacity, autoscaling, rollouts) import the fixtures from here.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from emulator.moto_server import MotoServer, running_moto_server
from emulator.terraform import skip_or_fail

REGION = "eu-west-1"
ROLE = "arn:aws:iam::123456789012:role/test"


def module_server(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[MotoServer]:
    """A patched moto server for one test module's fixture (`yield from`): skipped without moto,
    except in CI, where it fails."""
    if importlib.util.find_spec("moto") is None:
        skip_or_fail("moto is not installed (pipenv sync --dev)")
    with running_moto_server(tmp_path_factory.mktemp(name)) as started:
        yield started


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    yield from module_server(tmp_path_factory, "moto-variants")


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
