"""Combinations the field rules cannot see, each refused before synthesis with the field and the fix.

Every rule is a small function `(config) -> list[Problem]` in `RULES`; `ServiceConfig` runs them
once its fields are valid (through `aws_rules.problems`). Sources are in each rule and in
docs/configuration-rules.md.
"""

from __future__ import annotations

import ipaddress
import struct
from collections.abc import Callable, Iterator

from config import instance_types
from config.names import PRIMARY_ALARM_BASE, SERVICE_ALARMS, VARIANT_ALARM_SUFFIXES
from config.service import ServiceSettings
from config.serving import InstanceFleet, ModelSettings

Problem = tuple[str, str]

# ELB User Guide, "Application Load Balancers — Subnets for your load balancer": each subnet needs
# at least a /27 and 8 free addresses.
ALB_SMALLEST_SUBNET_PREFIX = 27
# SageMaker Developer Guide, deployment guardrails, "Linear traffic shifting": 10-50 % per step.
LINEAR_STEP_PERCENT = (10, 50)
# SageMaker Developer Guide, "Shadow tests — Exclusions": "Endpoints that use Inf1
# (Inferentia-based) instances" cannot have a shadow.
SHADOW_EXCLUDED_FAMILIES = ("inf1",)
# Inference AMI versions by the accelerator they carry drivers for.
AMI_ACCELERATOR = {"gpu": "nvidia", "neuron": "neuron"}


def fleets(config: ServiceSettings) -> Iterator[tuple[str, InstanceFleet]]:
    """(path, fleet) of every variant that runs on instances."""
    if config.endpoint.serverless is None:
        yield "endpoint", config.endpoint
    for index, variant in enumerate(config.variants):
        yield f"variants[{index}]", variant
    if config.shadow is not None:
        yield "shadow", config.shadow


def models(config: ServiceSettings) -> Iterator[tuple[str, ModelSettings]]:
    yield "model", config.model
    for index, variant in enumerate(config.variants):
        yield f"variants[{index}].model", variant.model
    if config.shadow is not None:
        yield "shadow.model", config.shadow.model


def _known_types(
    config: ServiceSettings,
) -> Iterator[tuple[str, InstanceFleet, instance_types.InstanceFacts]]:
    for path, fleet in fleets(config):
        found = instance_types.facts(fleet.instance_type) if fleet.instance_type else None
        if found is not None:
            yield path, fleet, found


def instance_facts_problems(config: ServiceSettings) -> list[Problem]:
    """Alarms scale CPU and GPU thresholds by the type's vCPUs and GPUs, whatever the file says."""
    from config import provider_enums

    found = []
    for path, fleet in fleets(config):
        kind = fleet.instance_type
        if (
            kind
            and kind in provider_enums.accepted("instance_type")
            and not instance_types.facts(kind)
        ):
            found.append(
                (
                    f"{path}.instance_type",
                    f"the project has no facts (vCPUs, GPUs, local NVMe) for {kind}, so its "
                    "alarms would be wrong; add it to config/instance_types.py, or choose "
                    "another type",
                )
            )
    return found


def accelerator_ami_problems(config: ServiceSettings) -> list[Problem]:
    """A GPU AMI carries NVIDIA drivers, a Neuron AMI Neuron drivers: each fits its own devices."""
    found = []
    for path, fleet, facts in _known_types(config):
        ami = fleet.inference_ami_version
        if ami is None:
            continue
        needs = next((kind for word, kind in AMI_ACCELERATOR.items() if f"-{word}-" in ami), None)
        if needs != facts.accelerator:
            have = {"none": "no accelerator", "gaudi": "Gaudi accelerators"}.get(
                facts.accelerator, f"{facts.accelerator} devices"
            )
            found.append(
                (
                    f"{path}.inference_ami_version",
                    f"{ami} is an AMI for {needs or 'other'} instances, and {fleet.instance_type} "
                    f"has {have}; remove inference_ami_version (SageMaker picks the AMI) or "
                    "choose one for this type",
                )
            )
    return found


def linear_step_problems(config: ServiceSettings) -> list[Problem]:
    low, high = LINEAR_STEP_PERCENT
    step = config.rollout.linear_step_percent
    if config.rollout.strategy != "linear" or low <= step <= high:
        return []
    return [
        (
            "rollout.linear_step_percent",
            f"{step} % is outside the {low}-{high} % SageMaker takes for a linear step "
            f"(deployment guardrails, linear traffic shifting); set {low} to {high}",
        )
    ]


def shadow_exclusion_problems(config: ServiceSettings) -> list[Problem]:
    if config.shadow is None:
        return []
    found = []
    for path, fleet in fleets(config):
        family = (fleet.instance_type or "..").split(".")[1]
        if family in SHADOW_EXCLUDED_FAMILIES:
            found.append(
                (
                    f"{path}.instance_type",
                    f"SageMaker refuses a shadow variant on an endpoint with {family} instances "
                    "(Shadow tests, Exclusions); use ml.inf2, or remove shadow",
                )
            )
    return found


def shadow_capture_problems(config: ServiceSettings) -> list[Problem]:
    """A shadow turns data capture on (its answers' only record): capture must record something."""
    capture = config.data_capture
    if config.shadow is None or capture.capture_input or capture.capture_output:
        return []
    return [
        (
            "data_capture.capture_output",
            "a shadow variant's answers are only kept by data capture, and capture_input and "
            "capture_output are both off (SageMaker needs at least one capture option: botocore "
            "sagemaker CaptureOptionList, and terraform validate refuses none); set "
            "capture_output: true",
        )
    ]


def _float32(value: float) -> float:
    try:
        return float(struct.unpack("f", struct.pack("f", value))[0])
    except OverflowError:
        return float("inf")


def weight_problems(config: ServiceSettings) -> list[Problem]:
    """The provider sends weights as 32-bit floats (the SDK's VariantWeight is float32)."""
    weights = [("endpoint.weight", config.endpoint.weight)]
    weights += [(f"variants[{i}].weight", v.weight) for i, v in enumerate(config.variants)]
    found = []
    for path, weight in weights:
        narrow = _float32(weight)
        if weight > 0 and (narrow == 0 or narrow == float("inf") or narrow < 2.0**-126):
            found.append(
                (
                    path,
                    f"{weight:g} does not survive the 32-bit float the AWS provider sends "
                    f"(it becomes {narrow:g}); weights are ratios: write e.g. 1 and 3",
                )
            )
    shadow = config.shadow
    if (
        shadow is not None
        and config.endpoint.weight > 0
        and not any(p == "endpoint.weight" for p, _ in found)
    ):
        copied = round(config.endpoint.weight * shadow.traffic_copy_percent / 100, 6)
        if copied == 0:
            found.append(
                (
                    "endpoint.weight",
                    f"{config.endpoint.weight:g} × shadow.traffic_copy_percent rounds the "
                    "shadow's weight to 0, so it would get no copies; use weight 1",
                )
            )
    return found


def variant_name_problems(config: ServiceSettings) -> list[Problem]:
    """Two alarms with one name: the second would overwrite the first (PutMetricAlarm)."""
    owners: dict[str, str] = {name: "the service's alarms" for name in SERVICE_ALARMS}
    bases = [("endpoint.variant_name", PRIMARY_ALARM_BASE, "the endpoint's alarms")]
    bases += [
        (f"variants[{i}].name", v.name, f"variant {v.name}") for i, v in enumerate(config.variants)
    ]
    if config.shadow is not None:
        bases.append(("shadow.name", config.shadow.name, f"shadow {config.shadow.name}"))
    found = []
    for path, base, owner in bases:
        clash = next(
            (owners[f"{base}-{s}"] for s in VARIANT_ALARM_SUFFIXES if f"{base}-{s}" in owners),
            None,
        )
        if clash is not None:
            found.append(
                (
                    path,
                    f"'{base}' gives alarm names ({base}-5xx, …) that {clash} already use; "
                    f"rename the variant (e.g. {base}-v2)",
                )
            )
            continue
        owners.update({f"{base}-{s}": owner for s in VARIANT_ALARM_SUFFIXES})
    return found


def vpc_size_problems(config: ServiceSettings) -> list[Problem]:
    from config.edge import SUBNET_SLOTS_BITS

    created = [r for r in config.stack_regions if r not in config.network.existing]
    try:
        network = ipaddress.IPv4Network(config.network.vpc_cidr, strict=False)
    except ValueError:
        return []  # the field rule on network.vpc_cidr reports it
    subnet = network.prefixlen + SUBNET_SLOTS_BITS
    if not created or subnet <= ALB_SMALLEST_SUBNET_PREFIX:
        return []
    largest = ALB_SMALLEST_SUBNET_PREFIX - SUBNET_SLOTS_BITS
    return [
        (
            "network.vpc_cidr",
            f"a /{network.prefixlen} VPC is cut into {2**SUBNET_SLOTS_BITS} subnets of "
            f"/{subnet}, and the load balancer needs subnets of /{ALB_SMALLEST_SUBNET_PREFIX} or "
            f"larger (ELB: subnets for your load balancer); use /{largest} or larger, e.g. "
            "10.40.0.0/16",
        )
    ]


def volume_on_nvme_problems(config: ServiceSettings) -> list[Problem]:
    found = []
    for path, fleet, facts in _known_types(config):
        if fleet.volume_size_gb is not None and facts.local_nvme:
            found.append(
                (
                    f"{path}.volume_size_gb",
                    f"{fleet.instance_type} has local NVMe storage, which SageMaker uses instead "
                    "of an EBS volume, so it refuses VolumeSizeInGB; remove volume_size_gb",
                )
            )
    return found


def model_bucket_region_problems(config: ServiceSettings) -> list[Problem]:
    regions = config.stack_regions
    found = []
    for path, model in models(config):
        url = model.model_data_url
        if url is not None and len(regions) > 1 and "{region}" not in url:
            found.append(
                (
                    f"{path}.model_data_url",
                    f"one bucket for {len(regions)} regions, but SageMaker reads the artifact "
                    "from the endpoint's own region; write {region} in the bucket name "
                    "(e.g. s3://models-{region}/m.tar.gz) and replicate the bucket",
                )
            )
    return found


def internal_load_balancer_problems(config: ServiceSettings) -> list[Problem]:
    """An internal ALB in a VPC this project creates is reachable by nobody: the VPC is isolated
    (no peering, no transit gateway) and has the same CIDR in every region."""
    if not config.load_balancer.internal:
        return []
    missing = [r for r in config.stack_regions if r not in config.network.existing]
    if not missing:
        return []
    return [
        (
            "load_balancer.internal",
            f"an internal load balancer needs a network its clients reach, and {', '.join(missing)} "
            "would get a new isolated VPC; give network.existing (vpc_id, private_subnet_ids) "
            "for every region, or set internal: false",
        )
    ]


RULES: tuple[Callable[[ServiceSettings], list[Problem]], ...] = (
    instance_facts_problems,
    accelerator_ami_problems,
    linear_step_problems,
    shadow_exclusion_problems,
    shadow_capture_problems,
    weight_problems,
    variant_name_problems,
    vpc_size_problems,
    volume_on_nvme_problems,
    model_bucket_region_problems,
    internal_load_balancer_problems,
)


def problems(config: ServiceSettings) -> list[Problem]:
    found: list[Problem] = []
    for rule in RULES:
        found += rule(config)
    return found
