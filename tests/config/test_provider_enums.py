"""Given Terraform's AWS provider 5.100 as a gate beside botocore, when a value botocore knows but
the provider refuses is configured, then the check refuses it naming the provider as the limit;
and the generated table stays equal to what the provider accepts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from config import aws_limits, provider_enums
from config.models import INFERENCE_AMI_VERSIONS, ROUTING_STRATEGIES
from tests.config.test_serving_settings import problems

ROOT = Path(__file__).resolve().parents[2]


def test_provider_refuses_53_instance_types_botocore_knows() -> None:
    accepted = provider_enums.accepted("instance_type")
    refused = provider_enums.refused("instance_type")
    assert (len(accepted), len(refused)) == (224, 53)
    assert accepted | refused == aws_limits.sagemaker_instance_types()
    assert {"ml.g7e.2xlarge", "ml.m8g.xlarge", "ml.p5.4xlarge", "ml.c6in.large"} <= refused


@pytest.mark.parametrize("instance_type", ["ml.g7e.2xlarge", "ml.p5.4xlarge", "ml.r7gd.large"])
def test_instance_type_the_provider_refuses_is_refused_naming_the_provider(
    tmp_path: Path, instance_type: str
) -> None:
    (message,) = problems(tmp_path, {"endpoint.instance_type": instance_type})
    assert message.startswith(f"endpoint.instance_type: '{instance_type}' is known to AWS")
    assert "Terraform's AWS provider 5.100.0 refuses it" in message
    assert "the provider is the limit" in message


def test_offered_ami_versions_are_exactly_those_the_provider_accepts() -> None:
    assert set(INFERENCE_AMI_VERSIONS) == provider_enums.accepted("inference_ami_version")
    assert "al2023-ami-sagemaker-inference-gpu-4-1" in provider_enums.refused(
        "inference_ami_version"
    )


def test_ami_version_the_provider_refuses_is_refused_naming_the_provider(tmp_path: Path) -> None:
    (message,) = problems(
        tmp_path,
        {
            "endpoint.instance_type": "ml.g5.xlarge",
            "endpoint.inference_ami_version": "al2023-ami-sagemaker-inference-gpu-4-1",
        },
    )
    assert message.startswith("endpoint.inference_ami_version: 'al2023-ami-sagemaker-inference")
    assert "the provider is the limit" in message


def test_offered_routing_strategies_are_exactly_those_the_provider_accepts() -> None:
    assert set(ROUTING_STRATEGIES.values()) == provider_enums.accepted("routing_strategy")


@pytest.mark.slow
@pytest.mark.terraform
def test_generated_table_equals_what_the_provider_accepts() -> None:
    from emulator.terraform import find_mirror, skip_or_fail

    if find_mirror() is None:
        skip_or_fail("no local mirror of hashicorp/aws")
    result = subprocess.run(
        [sys.executable, "tools/update_provider_enums.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
