"""What alarms need to know about SageMaker instance types: vCPUs and GPUs per instance.

SageMaker reports `CPUUtilization` and `GPUUtilization` as the sum over cores / GPUs (0 to
100 × count), so a percentage threshold is scaled by these counts.
"""

from __future__ import annotations

VCPUS_BY_SIZE = {
    "medium": 1,
    "large": 2,
    "xlarge": 4,
    "2xlarge": 8,
    "3xlarge": 12,
    "4xlarge": 16,
    "6xlarge": 24,
    "8xlarge": 32,
    "9xlarge": 36,
    "12xlarge": 48,
    "16xlarge": 64,
    "18xlarge": 72,
    "24xlarge": 96,
    "32xlarge": 128,
    "48xlarge": 192,
}
# Burstable types break the size rule.
VCPUS_EXCEPTIONS = {"t2.medium": 2, "t3.medium": 2}

GPU_FAMILIES = frozenset({"g4dn", "g5", "g6", "g6e", "p3", "p3dn", "p4d", "p4de", "p5", "p5e"})
GPUS = {
    **{f"g4dn.{s}": 1 for s in ("xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge")},
    "g4dn.12xlarge": 4,
    **{
        f"{f}.{s}": 1
        for f in ("g5", "g6", "g6e")
        for s in ("xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge")
    },
    **{f"{f}.{s}": 4 for f in ("g5", "g6", "g6e") for s in ("12xlarge", "24xlarge")},
    **{f"{f}.48xlarge": 8 for f in ("g5", "g6", "g6e")},
    "p3.2xlarge": 1,
    "p3.8xlarge": 4,
    "p3.16xlarge": 8,
    "p3dn.24xlarge": 8,
    "p4d.24xlarge": 8,
    "p4de.24xlarge": 8,
    "p5.48xlarge": 8,
    "p5e.48xlarge": 8,
}


def _family_size(instance_type: str) -> tuple[str, str]:
    _, family, size = instance_type.split(".", 2)
    return family, size


def vcpus(instance_type: str) -> int | None:
    family, size = _family_size(instance_type)
    return VCPUS_EXCEPTIONS.get(f"{family}.{size}", VCPUS_BY_SIZE.get(size))


def has_gpu(instance_type: str) -> bool:
    return _family_size(instance_type)[0] in GPU_FAMILIES


def gpus(instance_type: str) -> int | None:
    family, size = _family_size(instance_type)
    return GPUS.get(f"{family}.{size}")


# GPU and accelerator families: weights are loaded onto the device, so a new instance takes
# longer to download and start (the start-up timeouts' defaults, config/models.py).
ACCELERATED_FAMILY_PREFIXES = ("g", "p", "inf", "trn", "dl")


def is_accelerated(instance_type: str) -> bool:
    family, _ = _family_size(instance_type)
    return family.startswith(ACCELERATED_FAMILY_PREFIXES)
