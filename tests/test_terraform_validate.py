"""Every synthesized stack passes `terraform init -backend=false` + `terraform validate`, offline.

Every stack of this module is validated in one Terraform run (`validate_stacks`: each stack a
child module of one root), which the tests below read: one provider start and schema load
instead of one per stack.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from config.models import ServiceConfig
from emulator.terraform import offline_terraform, validate_stacks
from tests.support.configs import EXISTING_NETWORKS

STACKS = ["bootstrap-serving-prod", "serving-prod-us-east-1", "serving-prod-eu-west-1"]

pytestmark = pytest.mark.terraform


def test_example_synthesizes_at_least_two_region_stacks(synthesized_example: Path) -> None:
    found = sorted(p.name for p in (synthesized_example / "stacks").iterdir())
    assert found == sorted(STACKS)


@pytest.mark.parametrize("stack", STACKS)
def test_stack_validates(validated: dict[str, dict[str, Any]], stack: str) -> None:
    report = validated[f"example/{stack}"]
    assert report["valid"] is True, report["diagnostics"]
    assert [d for d in report["diagnostics"] if d["severity"] == "error"] == []


VARIANTS = {
    "internal-alb-capture-linear": {
        "load_balancer": {"internal": True},
        "network": {"existing": EXISTING_NETWORKS},
        "data_capture": {"enabled": True},
        "rollout": {"strategy": "linear"},
        "waf": {"allow_cidrs": ["10.0.0.0/8"]},
        # Mutual TLS: trust store, verify-mode listener, the ping-only health listener. Not in
        # the emulator's examples: moto has no trust stores and no managed prefix lists.
        "authentication": {
            "mutual_tls": {
                "ca_bundle_s3_bucket": "example-serving-trust-{region}",
                "ca_bundle_s3_key": "serving/ca-bundle.pem",
            }
        },
        "notifications": {
            "subscriptions": [{"protocol": "email", "endpoint": "oncall@example.com"}]
        },
    },
    "cloud-existing-network-gpu": {
        "state": {"backend": "cloud", "organization": "ml-platform"},
        "endpoint": {
            "instance_type": "ml.g5.xlarge",
            "min_instance_count": 2,
            "max_instance_count": 3,
        },
        "autoscaling.scheduled_actions": [],
        "network": {
            "existing": {
                "eu-west-1": {
                    "vpc_id": "vpc-0123456789abcdef0",
                    "public_subnet_ids": ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"],
                    "private_subnet_ids": ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"],
                }
            }
        },
    },
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_configuration_variants_validate(
    validated: dict[str, dict[str, Any]], variant: str
) -> None:
    report = validated[f"variant-{variant}/serving-prod-eu-west-1"]
    assert report["valid"] is True, report["diagnostics"]


EXAMPLES = Path(__file__).resolve().parents[1] / "config" / "examples"


SERVING_EXAMPLES = ["ab", "shadow", "serverless-dev", "gpu-ami"]


@pytest.mark.parametrize("example", SERVING_EXAMPLES)
def test_serving_examples_validate(validated: dict[str, dict[str, Any]], example: str) -> None:
    """A/B, shadow and serverless endpoint configurations, and a GPU variant with an inference
    AMI version: Terraform's AWS provider 5.100 accepts every value the check lets through."""
    (report,) = [r for key, r in validated.items() if key.startswith(f"example-{example}/")]
    assert report["valid"] is True, report["diagnostics"]


def _serving_example(example: str) -> ServiceConfig:
    from config.loader import load_config
    from tests.support.configs import config_with

    if example != "gpu-ami":
        return load_config(EXAMPLES / f"{example}.yaml")
    return config_with(
        endpoint={
            "instance_type": "ml.g5.xlarge",
            "max_instance_count": 3,
            "inference_ami_version": "al2-ami-sagemaker-inference-gpu-3-1",
            "routing_strategy": "random",
        },
        **{"autoscaling.scheduled_actions": []},
    )


@pytest.fixture(scope="module")
def validated(
    synthesized_example: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, Any]]:
    """`terraform validate` reports of the example's stacks, the variants' eu-west-1 stack and
    the serving examples' first region stack, by `<synth>/<stack>`, from one Terraform run."""
    from tests.support.app import synth_app
    from tests.support.configs import config_with

    stack_dirs = {f"example/{s}": synthesized_example / "stacks" / s for s in STACKS}
    for variant, overrides in VARIANTS.items():
        outdir = tmp_path_factory.mktemp(f"variant-{variant}")
        synth_app(config_with(**overrides), outdir)
        stack = "serving-prod-eu-west-1"
        stack_dirs[f"variant-{variant}/{stack}"] = outdir / "stacks" / stack
    for example in SERVING_EXAMPLES:
        outdir = tmp_path_factory.mktemp(f"example-{example}")
        stacks = synth_app(_serving_example(example), outdir)
        stack = next(s for s in stacks if not s.startswith("bootstrap"))
        stack_dirs[f"example-{example}/{stack}"] = outdir / "stacks" / stack
    terraform = offline_terraform(tmp_path_factory.getbasetemp() / "terraform")
    reports = validate_stacks(
        terraform, list(stack_dirs.values()), tmp_path_factory.mktemp("validate-all")
    )
    return {key: reports[stack_dir] for key, stack_dir in stack_dirs.items()}


def test_one_run_names_the_stack_a_finding_belongs_to(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Given two stacks validated together, one with an attribute Terraform refuses, then only
    that stack's report is invalid, with the finding."""
    good = tmp_path_factory.mktemp("batch-good")
    bad = tmp_path_factory.mktemp("batch-bad")
    resource = {"resource": {"terraform_data": {"x": {"input": "1"}}}}
    (good / "cdk.tf.json").write_text(json.dumps(resource))
    resource["resource"]["terraform_data"]["x"]["no_such_argument"] = "1"
    (bad / "cdk.tf.json").write_text(json.dumps(resource))
    terraform = offline_terraform(tmp_path_factory.getbasetemp() / "terraform")
    reports = validate_stacks(terraform, [good, bad], tmp_path_factory.mktemp("batch"))
    assert reports[good] == {"valid": True, "diagnostics": []}
    assert reports[bad]["valid"] is False
    (finding,) = reports[bad]["diagnostics"]
    assert finding["summary"] == "Extraneous JSON object property"
