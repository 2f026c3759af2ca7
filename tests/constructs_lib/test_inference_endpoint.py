"""Given the example configuration, when a region stack is synthesized, the endpoint is HA and safe."""

from __future__ import annotations

import json
from typing import Any

import pytest

from config.models import ServiceConfig
from tests.support.configs import config_with
from tests.support.synth import only, resources, synth_region


@pytest.fixture(scope="module")
def stack(example_config: ServiceConfig) -> dict[str, Any]:
    return synth_region(example_config, "eu-west-1")


def variant(stack: dict[str, Any]) -> dict[str, Any]:
    (production_variant,) = only(stack, "aws_sagemaker_endpoint_configuration")[
        "production_variants"
    ]
    found: dict[str, Any] = production_variant
    return found


def test_every_new_fleet_starts_at_the_autoscaling_maximum(stack: dict[str, Any]) -> None:
    # A rollout's new fleet takes this count whatever autoscaling had reached (provider 5.100
    # sends no RetainAllVariantProperties), so it is the most autoscaling may reach: 6.
    assert variant(stack)["initial_instance_count"] == 6
    assert variant(stack)["instance_type"] == "ml.m5.xlarge"
    assert variant(stack)["variant_name"] == "primary"


def test_model_runs_network_isolated_by_default(stack: dict[str, Any]) -> None:
    assert only(stack, "aws_sagemaker_model")["enable_network_isolation"] is True


def test_network_isolation_can_be_turned_off() -> None:
    stack = synth_region(config_with(model__network_isolation=False))
    assert only(stack, "aws_sagemaker_model")["enable_network_isolation"] is False


def test_image_and_artifact_are_taken_from_the_stack_region(stack: dict[str, Any]) -> None:
    container = only(stack, "aws_sagemaker_model")["primary_container"]
    assert container["image"].startswith("763104351884.dkr.ecr.eu-west-1.amazonaws.com/")
    assert (
        container["model_data_url"] == "s3://example-models-eu-west-1/fraud-scoring/v7/model.tar.gz"
    )
    assert container["environment"]["SAGEMAKER_PROGRAM"] == "inference.py"


def test_endpoint_storage_is_encrypted_with_rotating_key(stack: dict[str, Any]) -> None:
    config = only(stack, "aws_sagemaker_endpoint_configuration")
    key_id = config["kms_key_arn"].split(".")[1]
    assert config["kms_key_arn"] == f"${{aws_kms_key.{key_id}.arn}}"
    assert resources(stack, "aws_kms_key")[key_id]["enable_key_rotation"] is True


def test_endpoint_configuration_is_replaced_before_it_is_destroyed(stack: dict[str, Any]) -> None:
    config = only(stack, "aws_sagemaker_endpoint_configuration")
    assert config["name_prefix"] == "serving-prod-"
    assert "name" not in config
    assert config["lifecycle"] == {"create_before_destroy": True}


def test_model_is_replaced_before_it_is_destroyed(stack: dict[str, Any]) -> None:
    assert only(stack, "aws_sagemaker_model")["lifecycle"] == {"create_before_destroy": True}


def test_model_name_changes_with_the_image() -> None:
    before = only(synth_region(config_with()), "aws_sagemaker_model")["name"]
    image = "763104351884.dkr.ecr.{region}.amazonaws.com/pytorch-inference:2.4.0-cpu"
    after = only(synth_region(config_with(model__image_uri=image)), "aws_sagemaker_model")["name"]
    assert before.startswith("serving-prod-") and after.startswith("serving-prod-")
    assert before != after


def test_endpoint_uses_the_configuration_and_a_stable_name(stack: dict[str, Any]) -> None:
    endpoint = only(stack, "aws_sagemaker_endpoint")
    config_id = next(iter(resources(stack, "aws_sagemaker_endpoint_configuration")))
    assert endpoint["name"] == "serving-prod"
    assert (
        endpoint["endpoint_config_name"]
        == f"${{aws_sagemaker_endpoint_configuration.{config_id}.name}}"
    )


def by_name(stack: dict[str, Any], resource_type: str, name: str) -> tuple[str, dict[str, Any]]:
    found = [(k, r) for k, r in resources(stack, resource_type).items() if r.get("name") == name]
    assert len(found) == 1, f"{resource_type} named {name}: {found}"
    return found[0]


def test_execution_role_is_least_privilege(stack: dict[str, Any]) -> None:
    role_id, role = by_name(stack, "aws_iam_role", "serving-prod-eu-west-1-sagemaker")
    assert role["name"] == "serving-prod-eu-west-1-sagemaker"
    trust = json.loads(role["assume_role_policy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "sagemaker.amazonaws.com"}
    (policy_resource,) = [
        p
        for p in resources(stack, "aws_iam_role_policy").values()
        if p["role"] == f"${{aws_iam_role.{role_id}.id}}"
    ]
    policy = json.loads(policy_resource["policy"])
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert by_sid["PullImage"]["Resource"] == (
        "arn:aws:ecr:eu-west-1:763104351884:repository/pytorch-inference"
    )
    assert by_sid["ReadModelArtifact"] == {
        "Sid": "ReadModelArtifact",
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::example-models-eu-west-1/fraud-scoring/v7/model.tar.gz",
    }
    assert by_sid["WriteEndpointLogs"]["Resource"].endswith(
        ":log-group:/aws/sagemaker/Endpoints/serving-prod:*"
    )
    wildcard = [s["Sid"] for s in policy["Statement"] if s["Resource"] == "*"]
    assert sorted(wildcard) == ["EcrLogin", "PublishEndpointMetrics"]  # no resource-level support


def test_existing_execution_role_is_used_instead_of_creating_one() -> None:
    arn = "arn:aws:iam::123456789012:role/existing"
    stack = synth_region(config_with(model__execution_role_arn=arn))
    assert not [
        r for r in resources(stack, "aws_iam_role").values() if r["name"].endswith("-sagemaker")
    ]
    assert only(stack, "aws_sagemaker_model")["execution_role_arn"] == arn
