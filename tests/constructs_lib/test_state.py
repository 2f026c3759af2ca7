"""State: each region stack has its own encrypted, locked key; the bootstrap bucket is protected."""

from __future__ import annotations

import json
from typing import Any

import pytest

from config.models import ServiceConfig
from tests.support.configs import config_with
from tests.support.synth import only, resources, synth_bootstrap, synth_region


@pytest.fixture(scope="module")
def bootstrap(example_config: ServiceConfig) -> dict[str, Any]:
    return synth_bootstrap(example_config)


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1"])
def test_region_state_is_encrypted_locked_and_keyed_per_stack(
    example_config: ServiceConfig, region: str
) -> None:
    backend = synth_region(example_config, region)["terraform"]["backend"]["s3"]
    assert backend == {
        "bucket": "example-serving-tfstate",
        "key": f"serving/prod/serving-prod-{region}.tfstate",
        "region": "us-east-1",
        "encrypt": True,
        "use_lockfile": True,
    }


def test_key_prefix_defaults_to_service_and_environment() -> None:
    backend = synth_region(config_with(state__key_prefix=""))["terraform"]["backend"]["s3"]
    assert backend["key"] == "serving/prod/serving-prod-us-east-1.tfstate"


def test_dynamodb_lock_table_is_optional() -> None:
    backend = synth_region(config_with(state__dynamodb_table="tf-locks"))["terraform"]["backend"][
        "s3"
    ]
    assert backend["dynamodb_table"] == "tf-locks"
    assert backend["use_lockfile"] is True


def test_provider_is_regional_with_default_tags(example_config: ServiceConfig) -> None:
    providers = synth_region(example_config, "eu-west-1")["provider"]["aws"]
    (provider,) = [p for p in providers if "alias" not in p]
    assert provider["region"] == "eu-west-1"
    assert provider["default_tags"] == [
        {
            "tags": {
                "service": "serving",
                "environment": "prod",
                "managed-by": "cdktf",
                "team": "ml-platform",
                "cost-center": "ml-1234",
            }
        }
    ]


def test_bootstrap_state_is_local(bootstrap: dict[str, Any]) -> None:
    assert bootstrap["terraform"]["backend"] == {
        "local": {"path": "terraform.bootstrap-serving-prod.tfstate"}
    }


def test_state_bucket_cannot_be_destroyed(bootstrap: dict[str, Any]) -> None:
    bucket = only(bootstrap, "aws_s3_bucket")
    assert bucket["bucket"] == "example-serving-tfstate"
    assert bucket["lifecycle"] == {"prevent_destroy": True}
    assert only(bootstrap, "aws_kms_key")["lifecycle"] == {"prevent_destroy": True}


def test_state_bucket_is_versioned_encrypted_and_private(bootstrap: dict[str, Any]) -> None:
    versioning = only(bootstrap, "aws_s3_bucket_versioning")
    assert versioning["versioning_configuration"] == {"status": "Enabled"}
    key_id = next(iter(resources(bootstrap, "aws_kms_key")))
    (rule,) = only(bootstrap, "aws_s3_bucket_server_side_encryption_configuration")["rule"]
    assert rule["apply_server_side_encryption_by_default"] == {
        "sse_algorithm": "aws:kms",
        "kms_master_key_id": f"${{aws_kms_key.{key_id}.arn}}",
    }
    block = only(bootstrap, "aws_s3_bucket_public_access_block")
    assert all(
        block[k] is True
        for k in (
            "block_public_acls",
            "block_public_policy",
            "ignore_public_acls",
            "restrict_public_buckets",
        )
    )
    assert only(bootstrap, "aws_kms_key")["enable_key_rotation"] is True


def test_state_bucket_denies_plain_http(bootstrap: dict[str, Any]) -> None:
    policy = json.loads(only(bootstrap, "aws_s3_bucket_policy")["policy"])
    (deny,) = [s for s in policy["Statement"] if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Action"] == "s3:*"
    assert deny["Principal"] == "*"


def test_bootstrap_creates_lock_table_only_when_configured(bootstrap: dict[str, Any]) -> None:
    assert resources(bootstrap, "aws_dynamodb_table") == {}
    table = only(
        synth_bootstrap(config_with(state__dynamodb_table="tf-locks")), "aws_dynamodb_table"
    )
    assert table["hash_key"] == "LockID"
    assert table["lifecycle"] == {"prevent_destroy": True}


CLOUD = {
    "backend": "cloud",
    "organization": "ml-platform",
    "workspace_prefix": "sagemaker-",
    "project": "serving",
}


def test_cloud_backend_uses_one_workspace_per_region_stack() -> None:
    for region in ("us-east-1", "eu-west-1"):
        terraform = synth_region(config_with(state=CLOUD), region)["terraform"]
        assert terraform["cloud"] == {
            "organization": "ml-platform",
            "hostname": "app.terraform.io",
            "workspaces": {"name": f"sagemaker-serving-prod-{region}", "project": "serving"},
        }
        assert "backend" not in terraform


def test_cloud_backend_has_no_bootstrap_stack() -> None:
    from cdktf import Testing

    from stacks import build_app

    stacks = build_app(Testing.app(), config_with(state=CLOUD))
    assert [s.node.id for s in stacks] == ["serving-prod-us-east-1", "serving-prod-eu-west-1"]


def test_state_key_alias_drops_the_dots_of_a_bucket_name() -> None:
    bootstrap = synth_bootstrap(config_with(state__bucket="tfstate.ml.example.com"))
    assert only(bootstrap, "aws_kms_alias")["name"] == "alias/tfstate-ml-example-com"
    assert only(bootstrap, "aws_s3_bucket")["bucket"] == "tfstate.ml.example.com"
