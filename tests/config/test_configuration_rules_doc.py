"""The numbers docs/configuration-rules.md states come from the code."""

from __future__ import annotations

from pathlib import Path

from config import aws_limits, provider_enums, schedules
from config.acceptance_rules import ALB_SMALLEST_SUBNET_PREFIX, LINEAR_STEP_PERCENT
from config.edge import SUBNET_SLOTS_BITS

DOC = (Path(__file__).resolve().parents[2] / "docs" / "configuration-rules.md").read_text()


def test_provider_table_numbers_are_the_generated_table() -> None:
    botocore = len(aws_limits.sagemaker_instance_types())
    accepted = len(provider_enums.accepted("instance_type"))
    assert f"| `*.instance_type` | {botocore} | {accepted} | {botocore - accepted}:" in DOC
    amis = provider_enums.accepted("inference_ami_version")
    assert (
        f"| {len(amis) + len(provider_enums.refused('inference_ami_version'))} | {len(amis)} |"
        in DOC
    )


def test_time_zone_count_is_the_checked_in_list() -> None:
    assert f"one of the {len(schedules.time_zones())} IANA ids" in DOC


def test_limits_are_the_rules() -> None:
    low, high = LINEAR_STEP_PERCENT
    assert f"outside {low}-{high}" in DOC
    assert f"cut into {2**SUBNET_SLOTS_BITS} subnets" in DOC
    assert f"smaller than /{ALB_SMALLEST_SUBNET_PREFIX - SUBNET_SLOTS_BITS}" in DOC
