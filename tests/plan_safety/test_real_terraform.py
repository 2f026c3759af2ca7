"""The verdict on real `terraform show -json` plans of the synthesized example region stack.

Offline, no AWS: see tests/plan_safety/offline_plan.py for what the planned copy changes (the
lookups become constants, the "deployed" state is written from the stack's own plan). The example
is synthesized with `waf.enabled: false` (tests/support/configs.py): these plans are about the
endpoint and the certificate, and the web ACL would be about half of each plan's CPU.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from config.models import ServiceConfig
from emulator.terraform import Terraform, offline_terraform
from plan_safety import Verdict, verdict
from tests.plan_safety.offline_plan import deploy_offline, edit_config, offline_copy, plan_json
from tests.support.app import synth_app
from tests.support.configs import without_web_acl

pytestmark = pytest.mark.terraform

STACK = "serving-prod-us-east-1"
MODEL = "aws_sagemaker_model"
ENDPOINT_CONFIGURATION = "aws_sagemaker_endpoint_configuration"
ENDPOINT = "aws_sagemaker_endpoint"
CERTIFICATE = "aws_acm_certificate"


def only(resources: dict[str, Any], resource_type: str) -> tuple[str, dict[str, Any]]:
    ((name, body),) = resources[resource_type].items()
    return f"{resource_type}.{name}", body


@pytest.fixture(scope="module")
def deployed(
    example_config: ServiceConfig, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Terraform, Path, dict[str, Any]]:
    """A copy of the stack with a state as if deployed, and its (in-place only) re-plan."""
    terraform = offline_terraform(tmp_path_factory.getbasetemp() / "terraform")
    synthesized = tmp_path_factory.mktemp("plan-safety-synth")
    synth_app(without_web_acl(example_config), synthesized)
    workdir = tmp_path_factory.mktemp("plan-safety") / STACK
    offline_copy(synthesized / "stacks" / STACK, workdir)
    return terraform, workdir, deploy_offline(terraform, workdir)


def changed_plan(
    deployed: tuple[Terraform, Path, dict[str, Any]],
    tmp_path: Path,
    change: Callable[[dict[str, Any]], None],
) -> dict[str, Any]:
    terraform, workdir, _ = deployed
    copy = tmp_path / STACK
    shutil.copytree(workdir, copy, symlinks=True)
    edit_config(copy, change)
    return plan_json(terraform, copy)


def actions(plan: dict[str, Any], resource_type: str) -> list[list[str]]:
    return [
        change["change"]["actions"]
        for change in plan.get("resource_changes", [])
        if change["type"] == resource_type
    ]


def test_deployed_stack_replanned_is_in_place(
    deployed: tuple[Terraform, Path, dict[str, Any]],
) -> None:
    # Updates only: computed values the offline state cannot know are planned again.
    result = verdict(deployed[2], STACK, [])
    assert result.kind == "in place", result.line
    assert result.line.startswith(f"{STACK}: in place (")
    assert result.line.endswith(" to change, 0 to add, 0 to delete)")
    assert result.exit_code == 0


def test_new_model_image_is_a_model_rollout(
    deployed: tuple[Terraform, Path, dict[str, Any]], tmp_path: Path
) -> None:
    def new_image(resources: dict[str, Any]) -> None:
        model = only(resources, MODEL)[1]
        model["primary_container"]["image"] += "-v8"
        model["name"] += "-v8"  # the content-derived name changes with the image

    plan = changed_plan(deployed, tmp_path, new_image)
    # What real Terraform plans for create_before_destroy, and the endpoint updated in place.
    assert actions(plan, MODEL) == [["create", "delete"]]
    assert actions(plan, ENDPOINT_CONFIGURATION) == [["create", "delete"]]
    assert actions(plan, ENDPOINT) == [["update"]]
    result = verdict(plan, STACK, [])
    endpoint = next(c["address"] for c in plan["resource_changes"] if c["type"] == ENDPOINT)
    assert result.kind == "model rollout", result.line
    assert result.line.startswith(
        f"{STACK}: model rollout ({endpoint} to a new endpoint configuration; "
    )
    assert result.exit_code == 0


def test_renamed_variant_is_refused(
    deployed: tuple[Terraform, Path, dict[str, Any]], tmp_path: Path
) -> None:
    def rename_variant(resources: dict[str, Any]) -> None:
        only(resources, ENDPOINT_CONFIGURATION)[1]["production_variants"][0]["variant_name"] = (
            "blue"
        )

    plan = changed_plan(deployed, tmp_path, rename_variant)
    assert actions(plan, ENDPOINT) == [["update"]]
    result: Verdict = verdict(plan, STACK, [])
    assert result.kind == "refused"
    (refused,) = result.refused
    assert refused.startswith(f"{ENDPOINT_CONFIGURATION}.")
    assert (
        "(production variant renamed primary → blue: blue/green needs the same variant name)"
        in (refused)
    )
    assert result.exit_code == 1


def test_replaced_endpoint_and_certificate_are_refused_until_allowed(
    deployed: tuple[Terraform, Path, dict[str, Any]], tmp_path: Path
) -> None:
    addresses: dict[str, str] = {}

    def replace_both(resources: dict[str, Any]) -> None:
        addresses[ENDPOINT], endpoint = only(resources, ENDPOINT)
        endpoint["name"] = "serving-prod-2"  # a new name forces a new endpoint
        addresses[CERTIFICATE], certificate = only(resources, CERTIFICATE)
        certificate["key_algorithm"] = "RSA_2048"

    plan = changed_plan(deployed, tmp_path, replace_both)
    assert actions(plan, ENDPOINT) == [["delete", "create"]]
    assert actions(plan, CERTIFICATE) == [["create", "delete"]]  # create before destroy
    result = verdict(plan, STACK, [])
    assert result.line.splitlines()[0] == (
        f"{STACK}: REFUSED — replaces/deletes protected resources:"
    )
    assert f"{addresses[ENDPOINT]} (replace)" in result.refused
    assert f"{addresses[CERTIFICATE]} (replace, create before destroy)" in result.refused
    # A new certificate has new validation records: for_each instances, shown by full address.
    records = [entry for entry in result.refused if entry.startswith("aws_route53_record.")]
    assert len(result.refused) == 2 + len(records)
    assert records
    for entry in records:
        assert re.fullmatch(
            r'aws_route53_record\.certificate_validation_records_\w+\["[a-z0-9.-]+"\] \(replace\)',
            entry,
        )
    assert result.exit_code == 1
    patterns = [*addresses.values(), "aws_route53_record.certificate_validation_records_*"]
    allowed = verdict(plan, STACK, patterns)
    assert (allowed.exit_code, allowed.refused) == (0, [])
    assert len(allowed.allowed) == len(result.refused)
    assert allowed.matched_patterns == set(patterns)
