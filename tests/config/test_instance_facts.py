"""Given the one table of instance facts, every instance type the check accepts has vCPUs, GPUs,
an accelerator kind and local NVMe, and the alarms use them whatever sections the file has."""

from __future__ import annotations

from typing import Any

import pytest

from config import instance_types, provider_enums
from tests.support.configs import config_with
from tests.support.lookup import find
from tests.support.synth import synth_region


def test_every_accepted_instance_type_has_facts() -> None:
    missing = sorted(
        t for t in provider_enums.accepted("instance_type") if instance_types.facts(t) is None
    )
    assert missing == []


@pytest.mark.parametrize(
    "instance_type, vcpus, accelerator, devices, nvme",
    [
        ("ml.m4.10xlarge", 40, "none", 0, False),
        ("ml.c4.8xlarge", 36, "none", 0, False),
        ("ml.t2.medium", 2, "none", 0, False),
        ("ml.c6gd.large", 2, "none", 0, True),
        ("ml.g4dn.12xlarge", 48, "nvidia", 4, True),
        ("ml.g6e.48xlarge", 192, "nvidia", 8, True),
        ("ml.p2.16xlarge", 64, "nvidia", 16, False),
        ("ml.p5.48xlarge", 192, "nvidia", 8, True),
        ("ml.inf1.6xlarge", 24, "neuron", 4, False),
        ("ml.inf2.48xlarge", 192, "neuron", 12, False),
        ("ml.trn1.32xlarge", 128, "neuron", 16, True),
        ("ml.dl1.24xlarge", 96, "gaudi", 8, True),
    ],
)
def test_instance_facts(
    instance_type: str, vcpus: int, accelerator: str, devices: int, nvme: bool
) -> None:
    facts = instance_types.facts(instance_type)
    assert facts is not None
    assert (facts.vcpus, facts.accelerator, facts.accelerators, facts.local_nvme) == (
        vcpus,
        accelerator,
        devices,
        nvme,
    )


def test_every_nvidia_family_counts_its_gpus() -> None:
    nvidia = [
        t
        for t in provider_enums.accepted("instance_type")
        if t.split(".")[1] in instance_types.NVIDIA_FAMILIES
    ]
    assert {t.split(".")[1] for t in nvidia} == instance_types.NVIDIA_FAMILIES
    assert all(instance_types.gpus(t) for t in nvidia)
    assert not any(
        instance_types.has_gpu(t)
        for t in provider_enums.accepted("instance_type")
        if t.split(".")[1] not in instance_types.NVIDIA_FAMILIES
    )


IMAGE = "763104351884.dkr.ecr.{region}.amazonaws.com/pytorch-inference:2.3.0-gpu-py311"


@pytest.fixture(scope="module")
def east() -> dict[str, Any]:
    """No `alarms:` section: an m4.10xlarge endpoint (40 vCPUs, not a power of two) beside a p2
    variant (a GPU family the old GPU list left out)."""
    variant = {"name": "gpu", "model": {"image_uri": IMAGE}, "instance_type": "ml.p2.8xlarge"}
    config = config_with(
        endpoint__instance_type="ml.m4.10xlarge",
        variants=[{**variant, "max_instance_count": 3}],
        **{"autoscaling.scheduled_actions": []},
    )
    assert "alarms" not in config.model_fields_set
    return synth_region(config, "us-east-1")


def alarm(stack: dict[str, Any], suffix: str) -> dict[str, Any]:
    name = f"serving-prod-us-east-1-{suffix}"
    return find(stack, "aws_cloudwatch_metric_alarm", alarm_name=name)[1]


def test_a_40_vcpu_type_gets_a_cpu_alarm_for_40_vcpus(east: dict[str, Any]) -> None:
    assert alarm(east, "endpoint-cpu")["threshold"] == 90 * 40


def test_a_p2_variant_gets_a_gpu_alarm_for_its_8_gpus(east: dict[str, Any]) -> None:
    assert alarm(east, "gpu-gpu")["threshold"] == 95 * 8
