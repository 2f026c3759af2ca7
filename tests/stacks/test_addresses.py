"""Resource addresses are what Terraform state is keyed by: a changed address destroys and recreates.

The checked-in lists make every address change visible in review. If a change is intended, run
`pipenv run python tools/update_addresses.py` and commit the new lists (with `moved` blocks where
a live resource must keep its identity).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from stacks.addresses import stack_addresses

EXPECTED = Path(__file__).resolve().parent / "addresses"
STACKS = sorted(p.stem for p in EXPECTED.glob("*.txt"))


def test_every_example_stack_has_a_checked_in_list(synthesized_example: Path) -> None:
    synthesized = sorted(p.name for p in (synthesized_example / "stacks").iterdir())
    assert synthesized == STACKS


@pytest.mark.parametrize("stack", STACKS)
def test_resource_addresses_are_unchanged(synthesized_example: Path, stack: str) -> None:
    expected = (EXPECTED / f"{stack}.txt").read_text().split()
    actual = stack_addresses(synthesized_example / "stacks" / stack / "cdk.tf.json")
    added = sorted(set(actual) - set(expected))
    removed = sorted(set(expected) - set(actual))
    assert not removed and not added, (
        f"{stack}: Terraform would destroy {removed} and create {added}. If intended, run "
        "tools/update_addresses.py and review."
    )


@pytest.mark.parametrize(
    "stack, must_contain",
    [
        ("serving-prod-us-east-1", "aws_sagemaker_endpoint.inference_endpoint_11F0EFEF"),
        ("serving-prod-us-east-1", "aws_route53_record.dns_latency_record_F1AC4CEE"),
        ("bootstrap-serving-prod", "aws_s3_bucket.state_bucket_state_bucket_"),
    ],
)
def test_live_resources_keep_their_addresses(
    synthesized_example: Path, stack: str, must_contain: str
) -> None:
    # The addresses of the endpoint, the DNS record and the state bucket are pinned here by hand
    # too, so regenerating the lists cannot silently move them: checked on what is synthesized.
    actual = stack_addresses(synthesized_example / "stacks" / stack / "cdk.tf.json")
    assert any(a.startswith(must_contain) for a in actual), f"{stack} lost {must_contain}…"
