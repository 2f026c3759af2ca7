"""No configuration change deletes stored data: buckets of logs and captured data (and the key of
captured data) are managed, or released from state with `removed { lifecycle { destroy = false } }`,
never left to be deleted. Given a configuration, when synthesized, then this is what the stack says.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from config.changes import data_notes
from config.models import ServiceConfig
from stacks.terraform_version import MINIMUM_VERSION, REQUIRED_VERSION
from tests.emulator.scenarios import RELEASED_BUCKET_TYPES
from tests.support.configs import config_with
from tests.support.synth import only, resources, synth_bootstrap, synth_region

CAPTURE_ON = {"enabled": True}
RETIRED = {"regions": ["us-east-1"], "retired_regions": ["eu-west-1"]}


def released(stack: dict[str, Any]) -> list[str]:
    blocks = stack.get("removed", [])
    assert all(b["lifecycle"] == {"destroy": False} for b in blocks), blocks
    return [b["from"] for b in blocks]


def addresses(stack: dict[str, Any], name_part: str) -> list[str]:
    """Addresses of the bucket resources whose logical name contains `name_part`."""
    return sorted(
        f"{type_}.{name}"
        for type_ in RELEASED_BUCKET_TYPES
        for name in resources(stack, type_)
        if name_part in name
    )


@pytest.fixture(scope="module")
def capturing() -> dict[str, Any]:
    return synth_region(config_with(data_capture=CAPTURE_ON))


@pytest.fixture(scope="module")
def not_capturing(example_config: ServiceConfig) -> dict[str, Any]:
    return synth_region(example_config)


@pytest.fixture(scope="module")
def retired() -> dict[str, Any]:
    return synth_region(config_with(data_capture=CAPTURE_ON, **RETIRED), "eu-west-1")


def test_capture_bucket_is_managed_while_capturing(capturing: dict[str, Any]) -> None:
    assert len(addresses(capturing, "inference_capture")) == len(RELEASED_BUCKET_TYPES)
    assert not [a for a in released(capturing) if "capture" in a]


def test_capture_off_releases_exactly_the_capture_bucket_a_capturing_stack_has(
    capturing: dict[str, Any], not_capturing: dict[str, Any]
) -> None:
    # The removed blocks name the addresses the bucket and its settings have in state.
    assert addresses(not_capturing, "inference_capture") == []
    assert sorted(a for a in released(not_capturing) if "capture" in a) == addresses(
        capturing, "inference_capture"
    )


def test_shadow_promotion_with_capture_off_releases_the_capture_bucket() -> None:
    from tests.emulator.serving_variants import load_example, promoted

    stack = synth_region(promoted(load_example("shadow")))
    assert addresses(stack, "inference_capture") == []
    assert len([a for a in released(stack) if "capture" in a]) == len(RELEASED_BUCKET_TYPES)


# `${aws_type.name...}` in an argument, or `aws_type.name` in `depends_on` (data sources aside).
REFERENCE = re.compile(r"(?<![.\w])(aws_[a-z0-9_]+)\.([\w-]+)")


def depends_on(stack: dict[str, Any], address: str) -> set[str]:
    """Every resource `address` depends on, directly or through others, as Terraform records it
    in state (references and `depends_on`): what a release from state is ordered after."""
    found: set[str] = set()
    pending = [address]
    while pending:
        type_, name = pending.pop().split(".", 1)
        body = {k: v for k, v in resources(stack, type_)[name].items() if k != "lifecycle"}
        for ref in {f"{t}.{n}" for t, n in REFERENCE.findall(json.dumps(body))} - found:
            if ref.split(".", 1)[1] in resources(stack, ref.split(".", 1)[0]):
                found.add(ref)
                pending.append(ref)
    return found


def replaced_first(stack: dict[str, Any]) -> list[str]:
    """Addresses of the create_before_destroy resources."""
    return [
        f"{type_}.{name}"
        for type_, items in stack["resource"].items()
        for name, body in items.items()
        if body.get("lifecycle", {}).get("create_before_destroy")
    ]


@pytest.mark.parametrize("capture", ["capturing", "shadow"])
def test_nothing_replaced_first_depends_on_the_capture_bucket(
    capture: str, capturing: dict[str, Any]
) -> None:
    # Given a stack that captures (capture on, or a shadow variant), when synthesized, then no
    # create_before_destroy resource depends on the capture bucket or its settings, even through
    # another resource: releasing the bucket in the apply that replaces the endpoint
    # configuration (a shadow promoted, capture turned off) would otherwise be a Terraform cycle.
    if capture == "shadow":
        from tests.emulator.serving_variants import load_example

        capturing = synth_region(load_example("shadow"))
    bucket = set(addresses(capturing, "inference_capture"))
    assert len(bucket) == len(RELEASED_BUCKET_TYPES)
    assert "aws_sagemaker_endpoint_configuration.inference_endpoint_configuration_E22D4048" in (
        replaced_first(capturing)
    )
    for address in replaced_first(capturing):
        assert not depends_on(capturing, address) & bucket, address


def test_endpoint_waits_for_the_capture_bucket_and_its_settings(
    capturing: dict[str, Any], not_capturing: dict[str, Any]
) -> None:
    # The configuration only names the bucket: the endpoint, which is updated in place, is what
    # waits for it, so captured data goes to an encrypted, TLS-only bucket from the first request.
    endpoint = only(capturing, "aws_sagemaker_endpoint")
    assert sorted(endpoint["depends_on"]) == addresses(capturing, "inference_capture")
    assert "depends_on" not in only(not_capturing, "aws_sagemaker_endpoint")


def test_capture_destination_is_the_managed_buckets_name(capturing: dict[str, Any]) -> None:
    # The same string the bucket's `bucket` attribute resolves to: an endpoint configuration
    # deployed while it referenced the bucket is not replaced by this version.
    (bucket,) = [b for n, b in resources(capturing, "aws_s3_bucket").items() if "capture" in n]
    capture = only(capturing, "aws_sagemaker_endpoint_configuration")["data_capture_config"]
    assert capture["destination_s3_uri"] == f"s3://{bucket['bucket']}/captured"
    assert "aws_s3_bucket" not in json.dumps(capture)


def test_retired_region_releases_logs_capture_and_the_key_of_captured_data(
    capturing: dict[str, Any], retired: dict[str, Any]
) -> None:
    served = synth_region(config_with(data_capture=CAPTURE_ON), "eu-west-1")
    expected = [
        *addresses(served, "inference_capture"),
        *addresses(served, "load_balancer_access_logs"),
        *(f"aws_kms_key.{n}" for n in resources(served, "aws_kms_key") if "storage" in n),
        *(f"aws_kms_alias.{n}" for n in resources(served, "aws_kms_alias") if "storage" in n),
    ]
    assert set(expected) <= set(released(retired)), sorted(set(expected) - set(released(retired)))
    assert resources(retired, "aws_s3_bucket") == {}
    assert not [n for n in resources(retired, "aws_kms_key") if "storage" in n]


def test_retired_region_changes_nothing_that_names_the_released_data(
    retired: dict[str, Any],
) -> None:
    # The endpoint keeps running unchanged until the destroy: same bucket name, same key (found
    # by its alias), so the retire apply is no rollout.
    configuration = only(retired, "aws_sagemaker_endpoint_configuration")
    (key,) = retired["data"]["aws_kms_key"].values()
    assert key["key_id"] == "alias/sagemaker/serving-prod"
    key_arn = configuration["kms_key_arn"]
    assert key_arn.startswith("${data.aws_kms_key.") and key_arn.endswith(".arn}")
    capture = configuration["data_capture_config"]
    assert capture["kms_key_id"] == key_arn
    assert capture["destination_s3_uri"] == (
        "s3://serving-prod-capture-${data.aws_caller_identity.account.account_id}-eu-west-1"
        "/captured"
    )
    alb = only(retired, "aws_lb")
    assert alb["access_logs"]["bucket"] == (
        "serving-prod-alb-logs-${data.aws_caller_identity.account.account_id}-eu-west-1"
    )


def test_every_removed_block_of_a_stack_is_kept(retired: dict[str, Any]) -> None:
    # Three constructs release from one stack; one `add_override` must not replace another's.
    froms = released(retired)
    assert len(froms) == len(set(froms))
    assert any("route53_record" in a for a in froms)
    assert any("access_logs" in a for a in froms) and any("capture" in a for a in froms)


def test_every_region_may_be_retired_only_to_tear_everything_down() -> None:
    config = config_with(regions=[], retired_regions=["us-east-1", "eu-west-1"])
    assert config.stack_regions == ["us-east-1", "eu-west-1"]


def test_every_stack_declares_the_lowest_terraform_with_every_feature(
    example_config: ServiceConfig, retired: dict[str, Any]
) -> None:
    stacks = [
        synth_region(example_config),
        retired,
        synth_bootstrap(example_config),
        synth_region(
            config_with(state={"backend": "cloud", "organization": "ml", "workspace_prefix": "s-"})
        ),
    ]
    assert MINIMUM_VERSION == "1.10.0"  # S3-native locking, the newest feature the stacks use
    for stack in stacks:
        assert stack["terraform"]["required_version"] == REQUIRED_VERSION
    assert REQUIRED_VERSION == ">= 1.10.0, < 2.0.0"


def test_config_check_says_what_happens_to_the_data() -> None:
    old = config_with(data_capture=CAPTURE_ON)
    off = data_notes(old, config_with())
    assert sorted(off) == ["serving-prod-eu-west-1", "serving-prod-us-east-1"], off
    (stops,) = off["serving-prod-us-east-1"]
    assert "serving-prod-capture-<account-id>-us-east-1" in stops
    assert "released from Terraform's state and kept in S3" in stops
    assert "docs/data-and-teardown.md#deleting-kept-data-deliberately" in stops
    retired = data_notes(old, config_with(data_capture=CAPTURE_ON, **RETIRED))
    (retire,) = retired["serving-prod-eu-west-1"]
    for kept in (
        "serving-prod-alb-logs-<account-id>-eu-west-1",
        "serving-prod-capture-<account-id>-eu-west-1",
        "alias/sagemaker/serving-prod",
    ):
        assert kept in retire, retire
    assert data_notes(old, old) == {}


def test_docs_name_the_version_the_stacks_declare() -> None:
    from pathlib import Path

    docs = Path(__file__).resolve().parents[2] / "docs"
    assert f'required_version = "{REQUIRED_VERSION}"' in (docs / "data-and-teardown.md").read_text()
    workflows = " ".join((docs / "workflows.md").read_text().split())
    assert f"**Terraform version** to {MINIMUM_VERSION} or later" in workflows
