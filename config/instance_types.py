"""What the stacks and the check need to know about SageMaker instance types: one table of facts.

For every hosting instance type Terraform's AWS provider 5.100 accepts (config/provider_enums.json),
`facts()` gives vCPUs, NVIDIA GPUs, the accelerator kind and count (nvidia, neuron for
Inferentia/Trainium, gaudi for Habana Gaudi, none) and whether it has local NVMe instance storage.
`tests/config/test_instance_facts.py` fails if an accepted type has no facts.

Sources, by family (Amazon EC2 instance type specifications, https://docs.aws.amazon.com/ec2/
latest/instancetypes/ — accelerated computing, and instance store volumes; the `ml.` types are
the EC2 types of the same name):
- vCPUs follow the size: large 2, xlarge 4, and 4 per "x" above (2xlarge 8 … 48xlarge 192), with
  the exceptions EC2 lists: c4.8xlarge 36, t2.medium 2 (m4.10xlarge is 40, a Graviton medium 1).
- NVIDIA GPUs: g4dn (T4), g5 (A10G), g6 (L4), g6e (L40S): 1 per instance up to 16xlarge, 4 at
  12xlarge and 24xlarge, 8 at 48xlarge (g4dn.12xlarge 4); p2 (K80) 1/8/16; p3 (V100) 1/4/8;
  p4d, p4de (A100), p5, p5e, p5en (H100/H200) 8.
- Neuron devices: inf1 1/1/4/16, inf2 1/1/6/12, trn1.2xlarge 1, trn1/trn1n.32xlarge 16,
  trn2.48xlarge 16. Gaudi: dl1.24xlarge 8.
- Local NVMe: the `d` families (c5d, c6gd, m5d, m6gd, r5d, r6gd) and g4dn, g5, g6, g6e, p4d,
  p4de, p5, p5e, p5en, dl1, trn1, trn1n, trn2; SageMaker uses that storage instead of an EBS
  volume ("When using an ML instance with NVMe SSD volumes, SageMaker doesn't provision Amazon EBS
  General Purpose SSD (gp2) storage", SageMaker Developer Guide, storage paths).

SageMaker reports `CPUUtilization` and `GPUUtilization` as the sum over cores / GPUs (0 to
100 × count), so the alarms scale a percentage threshold by these counts; Neuron and Gaudi
devices publish no `GPUUtilization`, so only NVIDIA types get the GPU alarm.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

Accelerator = Literal["nvidia", "neuron", "gaudi", "none"]

VCPUS_BY_SIZE = {
    "medium": 1,
    "large": 2,
    "xlarge": 4,
    **{f"{n}xlarge": 4 * n for n in (2, 3, 4, 6, 8, 9, 10, 12, 16, 18, 24, 32, 36, 48)},
}
VCPUS_EXCEPTIONS = {"c4.8xlarge": 36, "t2.medium": 2}

CPU_FAMILIES = frozenset(
    [
        "c4",
        "c5",
        "c5d",
        "c6g",
        "c6gd",
        "c6gn",
        "c6i",
        "c6in",
        "c7g",
        "c7i",
        "c8g",
        "m4",
        "m5",
        "m5d",
        "m6g",
        "m6gd",
        "m6i",
        "m7i",
        "m8g",
        "r5",
        "r5d",
        "r6g",
        "r6gd",
        "r6i",
        "r7gd",
        "r7i",
        "r8g",
        "t2",
    ]
)
NVIDIA_FAMILIES = frozenset(
    ["g4dn", "g5", "g6", "g6e", "p2", "p3", "p4d", "p4de", "p5", "p5e", "p5en"]
)
NEURON_FAMILIES = frozenset(["inf1", "inf2", "trn1", "trn1n", "trn2"])
GAUDI_FAMILIES = frozenset({"dl1"})
LOCAL_NVME_FAMILIES = frozenset(
    [
        "c5d",
        "c6gd",
        "m5d",
        "m6gd",
        "r5d",
        "r6gd",
        "r7gd",
        "g4dn",
        "g5",
        "g6",
        "g6e",
        "p4d",
        "p4de",
        "p5",
        "p5e",
        "p5en",
        "dl1",
        "trn1",
        "trn1n",
        "trn2",
    ]
)
_G_SERIES = {
    **{s: 1 for s in ("xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge")},
    "12xlarge": 4,
    "24xlarge": 4,
    "48xlarge": 8,
}
ACCELERATORS = {
    **{f"g4dn.{s}": 1 for s in ("xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge")},
    "g4dn.12xlarge": 4,
    **{f"{f}.{s}": n for f in ("g5", "g6", "g6e") for s, n in _G_SERIES.items()},
    "p2.xlarge": 1,
    "p2.8xlarge": 8,
    "p2.16xlarge": 16,
    "p3.2xlarge": 1,
    "p3.8xlarge": 4,
    "p3.16xlarge": 8,
    **{f"{f}.24xlarge": 8 for f in ("p4d", "p4de")},
    **{f"{f}.48xlarge": 8 for f in ("p5", "p5e", "p5en")},
    "inf1.xlarge": 1,
    "inf1.2xlarge": 1,
    "inf1.6xlarge": 4,
    "inf1.24xlarge": 16,
    "inf2.xlarge": 1,
    "inf2.8xlarge": 1,
    "inf2.24xlarge": 6,
    "inf2.48xlarge": 12,
    "trn1.2xlarge": 1,
    "trn1.32xlarge": 16,
    "trn1n.32xlarge": 16,
    "trn2.48xlarge": 16,
    "dl1.24xlarge": 8,
}


@dataclass(frozen=True)
class InstanceFacts:
    """One instance type, as alarms, start-up defaults and the check see it."""

    vcpus: int
    accelerator: Accelerator
    accelerators: int
    """Devices of that kind: NVIDIA GPUs, Neuron devices or Gaudi cards; 0 for none."""
    local_nvme: bool

    @property
    def gpus(self) -> int:
        """NVIDIA GPUs (what `GPUUtilization` sums over)."""
        return self.accelerators if self.accelerator == "nvidia" else 0


def _family_size(instance_type: str) -> tuple[str, str]:
    _, family, size = instance_type.split(".", 2)
    return family, size


def _kind(family: str) -> Accelerator | None:
    if family in NVIDIA_FAMILIES:
        return "nvidia"
    if family in NEURON_FAMILIES:
        return "neuron"
    if family in GAUDI_FAMILIES:
        return "gaudi"
    return "none" if family in CPU_FAMILIES else None


@functools.cache
def facts(instance_type: str) -> InstanceFacts | None:
    """The facts of `ml.<family>.<size>`, or None for a type this table does not know."""
    if instance_type.count(".") != 2:
        return None
    family, size = _family_size(instance_type)
    kind = _kind(family)
    short = f"{family}.{size}"
    vcpus = VCPUS_EXCEPTIONS.get(short, VCPUS_BY_SIZE.get(size))
    count = ACCELERATORS.get(short, 0)
    if kind is None or vcpus is None or (kind != "none") != (count > 0):
        return None
    return InstanceFacts(vcpus, kind, count, family in LOCAL_NVME_FAMILIES)


def vcpus(instance_type: str) -> int | None:
    found = facts(instance_type)
    return found.vcpus if found else None


def has_gpu(instance_type: str) -> bool:
    found = facts(instance_type)
    return found is not None and found.gpus > 0


def gpus(instance_type: str) -> int | None:
    found = facts(instance_type)
    return found.gpus if found and found.gpus else None


def accelerator(instance_type: str) -> Accelerator | None:
    found = facts(instance_type)
    return found.accelerator if found else None


def has_local_nvme(instance_type: str) -> bool:
    found = facts(instance_type)
    return found is not None and found.local_nvme


# GPU and accelerator families: weights are loaded onto the device, so a new instance takes
# longer to download and start (the start-up timeouts' defaults, config/models.py).
ACCELERATED_FAMILY_PREFIXES = ("g", "p", "inf", "trn", "dl")


def is_accelerated(instance_type: str) -> bool:
    found = facts(instance_type)
    if found is not None:
        return found.accelerator != "none"
    family, _ = _family_size(instance_type)
    return family.startswith(ACCELERATED_FAMILY_PREFIXES)
