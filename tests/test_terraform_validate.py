"""Every synthesized stack passes `terraform init -backend=false` + `terraform validate`, offline."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from emulator.terraform import offline_terraform
from tests.support.configs import EXISTING_NETWORKS

STACKS = ["bootstrap-serving-prod", "serving-prod-us-east-1", "serving-prod-eu-west-1"]

pytestmark = pytest.mark.terraform


def test_example_synthesizes_at_least_two_region_stacks(synthesized_example: Path) -> None:
    found = sorted(p.name for p in (synthesized_example / "stacks").iterdir())
    assert found == sorted(STACKS)


@pytest.mark.parametrize("stack", STACKS)
def test_stack_validates(
    synthesized_example: Path, tmp_path_factory: pytest.TempPathFactory, stack: str
) -> None:
    workdir = tmp_path_factory.mktemp(f"validate-{stack}")
    terraform = offline_terraform(tmp_path_factory.getbasetemp() / "terraform")
    shutil.copytree(synthesized_example / "stacks" / stack, workdir, dirs_exist_ok=True)
    terraform.run(workdir, "init", "-backend=false", "-input=false", "-no-color")
    result = terraform.run(workdir, "validate", "-json", "-no-color", check=False)
    report = json.loads(result.stdout)
    assert report["valid"] is True, report["diagnostics"]
    assert report["error_count"] == 0


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
    tmp_path_factory: pytest.TempPathFactory, variant: str
) -> None:
    from tests.support.app import synth_app
    from tests.support.configs import config_with

    outdir = tmp_path_factory.mktemp(f"variant-{variant}")
    stacks = synth_app(config_with(**VARIANTS[variant]), outdir)
    terraform = offline_terraform(tmp_path_factory.getbasetemp() / "terraform")
    stack_dir = outdir / "stacks" / next(s for s in stacks if s.endswith("eu-west-1"))
    terraform.run(stack_dir, "init", "-backend=false", "-input=false", "-no-color")
    report = json.loads(
        terraform.run(stack_dir, "validate", "-json", "-no-color", check=False).stdout
    )
    assert report["valid"] is True, report["diagnostics"]


EXAMPLES = Path(__file__).resolve().parents[1] / "config" / "examples"


@pytest.mark.parametrize("example", ["ab", "shadow", "serverless-dev", "gpu-ami"])
def test_serving_examples_validate(tmp_path_factory: pytest.TempPathFactory, example: str) -> None:
    """A/B, shadow and serverless endpoint configurations, and a GPU variant with an inference
    AMI version: Terraform's AWS provider 5.100 accepts every value the check lets through."""
    from config.loader import load_config
    from tests.support.app import synth_app
    from tests.support.configs import config_with

    config = (
        config_with(
            endpoint={
                "instance_type": "ml.g5.xlarge",
                "max_instance_count": 3,
                "inference_ami_version": "al2-ami-sagemaker-inference-gpu-3-1",
                "routing_strategy": "random",
            },
            **{"autoscaling.scheduled_actions": []},
        )
        if example == "gpu-ami"
        else load_config(EXAMPLES / f"{example}.yaml")
    )
    outdir = tmp_path_factory.mktemp(f"example-{example}")
    stacks = synth_app(config, outdir)
    terraform = offline_terraform(tmp_path_factory.getbasetemp() / "terraform")
    stack_dir = outdir / "stacks" / next(s for s in stacks if not s.startswith("bootstrap"))
    terraform.run(stack_dir, "init", "-backend=false", "-input=false", "-no-color")
    report = json.loads(
        terraform.run(stack_dir, "validate", "-json", "-no-color", check=False).stdout
    )
    assert report["valid"] is True, report["diagnostics"]
