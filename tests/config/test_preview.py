"""Given the synthesized apps of a deployed and a changed configuration, the change preview says
per stack what the change does to the live service, and refuses what must not happen by accident.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from config.changes import preview, preview_lines, preview_stack, unsafe_changes
from config.deployed import load_deployed_config
from config.loader import DEFAULT_CONFIG, ConfigError, load_config
from config.models import ServiceConfig
from tests.support.app import synth_app
from tests.support.configs import REMOVE, config_with, example_document, write_config

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "change-preview.md"
CHANGES = sorted((ROOT / "docs" / "change-preview").glob("*.yaml"))
STACK = "serving-prod-us-east-1"


def stack(**resources: dict[str, Any]) -> dict[str, Any]:
    """A synthesized stack from `type__name=body` keywords."""
    found: dict[str, Any] = {}
    for key, body in resources.items():
        resource_type, name = key.split("__")
        found.setdefault(resource_type, {})[name] = body
    return {"resource": found}


def summary(old: dict[str, Any], new: dict[str, Any], *allow: str) -> tuple[str, list[str]]:
    result = preview_stack(STACK, old, new, config_with(), allow)
    return result.summary, result.refused


# --- Provider knowledge: replace or in place


def test_a_reference_to_a_replaced_resource_replaces_a_force_new_argument() -> None:
    old = stack(
        aws_vpc__vpc={"cidr_block": "10.40.0.0/16"},
        aws_security_group__sg={"vpc_id": "${aws_vpc.vpc.id}", "name_prefix": "x"},
    )
    new = stack(
        aws_vpc__vpc={"cidr_block": "10.50.0.0/16"},
        aws_security_group__sg={"vpc_id": "${aws_vpc.vpc.id}", "name_prefix": "x"},
    )
    line, refused = summary(old, new)
    assert "replaced 1: aws_security_group.sg" in line
    assert refused[0].endswith(": aws_vpc.vpc replaced (cidr_block)")


def test_an_argument_the_provider_updates_is_in_place() -> None:
    old = stack(aws_wafv2_web_acl__acl={"name": "acl", "rule": [{"limit": 2000}]})
    new = stack(aws_wafv2_web_acl__acl={"name": "acl", "rule": [{"limit": 1000}]})
    assert summary(old, new) == (f"{STACK}: in place 1: aws_wafv2_web_acl.acl (rule)", [])


def test_replace_triggered_by_an_updated_resource_re_registers_autoscaling() -> None:
    target = {
        "resource_id": "endpoint/serving-prod/variant/primary",
        "lifecycle": {"replace_triggered_by": ["terraform_data.registration"]},
    }
    old = stack(
        terraform_data__registration={"input": {"max_instance_count": 6}},
        aws_appautoscaling_target__target=target,
    )
    new = stack(
        terraform_data__registration={"input": {"max_instance_count": 8}},
        aws_appautoscaling_target__target=target,
    )
    line, _ = summary(old, new)
    assert "autoscaling re-registered (1: aws_appautoscaling_target.target)" in line


def test_ignored_changes_and_tags_are_not_changes() -> None:
    body = {"lifecycle": {"ignore_changes": ["min_capacity"]}, "resource_id": "r"}
    old = stack(aws_appautoscaling_target__t={**body, "min_capacity": 2, "tags": {"a": "1"}})
    new = stack(aws_appautoscaling_target__t={**body, "min_capacity": 3, "tags": {"a": "2"}})
    assert summary(old, new) == (f"{STACK}: no changes", [])


def test_a_moved_block_keeps_the_address() -> None:
    old = stack(aws_lb__old_name={"name": "serving-prod"})
    new = {**stack(aws_lb__new_name={"name": "serving-prod"})}
    new["moved"] = [{"from": "aws_lb.old_name", "to": "aws_lb.new_name"}]
    assert summary(old, new) == (f"{STACK}: no changes", [])


def test_a_removed_block_releases_instead_of_deleting() -> None:
    old = stack(aws_route53_record__validation={"name": "_x.api.example.com"})
    new: dict[str, Any] = {
        "resource": {},
        "removed": [{"from": "aws_route53_record.validation", "lifecycle": {"destroy": False}}],
    }
    line, refused = summary(old, new)
    assert refused == []
    assert "releases from state (kept in AWS) 1: aws_route53_record.validation" in line


# --- Refusals


def test_deleting_a_bucket_is_refused_as_data_loss() -> None:
    line, refused = summary(stack(aws_s3_bucket__logs={"bucket_prefix": "logs-"}), stack())
    assert line.startswith(f"{STACK}: REFUSED")
    assert refused[0] == "deletes data or the keys to it, 1: aws_s3_bucket.logs deleted"
    assert "--allow ADDRESS" in refused[-1] and "allow-protected-changes" in refused[-1]


def test_allow_names_the_protected_resource_and_lifts_the_refusal() -> None:
    old = stack(aws_acm_certificate__cert={"domain_name": "api.example.com"})
    new = stack(aws_acm_certificate__cert={"domain_name": "api2.example.com"})
    line, refused = summary(old, new, "aws_acm_certificate.*")
    assert refused == []
    assert (
        "allowed 1: aws_acm_certificate.cert replaced (domain_name) by --allow "
        "aws_acm_certificate.*" in line
    )


def test_shortened_lists_keep_the_count() -> None:
    old = stack(**{f"aws_subnet__s{i}": {"cidr_block": f"10.40.{i}.0/24"} for i in range(6)})
    new = stack(**{f"aws_subnet__s{i}": {"cidr_block": f"10.50.{i}.0/24"} for i in range(6)})
    _, refused = summary(old, new)
    assert refused[0].startswith("replaces or deletes 6 protected resource(s)")
    assert refused[0].endswith("and 2 more")


# --- The deployed file: schema only; state compared by location


def test_deployed_file_is_checked_against_its_schema_not_todays_rules(tmp_path: Path) -> None:
    # A rollout longer than the provider waits: refused today, schema-valid.
    path = write_config(tmp_path, {"rollout.wait_s": 3600, "rollout.termination_wait_s": 3600})
    with pytest.raises(ConfigError):
        load_config(path)
    assert load_deployed_config(path).rollout.wait_s == 3600


def test_deployed_file_with_a_wrong_type_is_refused_with_its_field(tmp_path: Path) -> None:
    path = write_config(tmp_path, {"endpoint.max_instance_count": "six"})
    with pytest.raises(ConfigError) as error:
        load_deployed_config(path)
    assert "endpoint.max_instance_count: 'six' is not of type 'integer'" in str(error.value)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ({"state.key_prefix": REMOVE}, {"state.key_prefix": "serving/prod"}),
        ({}, {"state.dynamodb_table": "terraform-locks"}),
        ({}, {"state.kms_key_id": "alias/terraform-state"}),
    ],
    ids=["explicit-default-key-prefix", "lock-table", "kms-key"],
)
def test_state_settings_that_do_not_move_state_are_not_refused(
    old: dict[str, Any], new: dict[str, Any]
) -> None:
    assert unsafe_changes(config_with(**_kw(old)), config_with(**_kw(new))) == []


def test_a_new_key_prefix_is_still_refused() -> None:
    (problem,) = unsafe_changes(config_with(), config_with(state__key_prefix="serving/other"))
    assert problem.startswith("state: the backend, bucket or key prefix changed")


def _kw(dotted: dict[str, Any]) -> dict[str, Any]:
    return {k.replace(".", "__"): v for k, v in dotted.items()}


# --- The examples in docs/change-preview.md are what the code previews


def doc_block(change: str) -> list[str]:
    text = DOC.read_text()
    found = re.search(
        rf"<!-- preview:{change}:begin.*?\n(.*?)<!-- preview:{change}:end -->", text, re.DOTALL
    )
    assert found, f"docs/change-preview.md has no {change} block"
    lines = found.group(1).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("change since ")) + 1
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith("  "))
    return [line.removeprefix("  ") for line in lines[start:end]]


def leaves(document: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(document, dict):
        return {prefix: document}
    return {
        k: v for key, value in document.items() for k, v in leaves(value, f"{prefix}.{key}").items()
    }


def test_each_documented_change_is_one_setting_of_the_example() -> None:
    assert [p.stem for p in CHANGES] == ["model", "vpc", "waf"]
    example = leaves(example_document())
    for path in CHANGES:
        changed = leaves(yaml.safe_load(path.read_text()))
        differing = {k for k in example.keys() | changed.keys() if example.get(k) != changed.get(k)}
        assert len(differing) == 1, (path.name, differing)


@pytest.mark.parametrize("path", CHANGES, ids=[p.stem for p in CHANGES])
def test_documented_preview_is_what_the_code_previews(
    path: Path, synthesized_example: Path, tmp_path: Path
) -> None:
    config = load_config(path)
    synth_app(config, tmp_path)
    lines = preview_lines(preview(synthesized_example, tmp_path, config))
    assert doc_block(path.stem) == lines, "run: pipenv run python tools/update_change_preview.py"
    if path.stem == "model":
        # N = max_instance_count, the duration is the rollout arithmetic the check bounds.
        slowest = config.endpoint.fleet_start_s
        assert (
            f"to a new fleet of {config.endpoint.max_instance_count} instances" in lines[0]
            and f"up to {config.rollout.planned_duration_s(slowest)} s" in lines[0]
        )
    if path.stem == "vpc":
        assert lines[0].startswith(f"{STACK}: REFUSED")


def test_example_config_is_the_deployed_side() -> None:
    assert load_deployed_config(DEFAULT_CONFIG) == load_config(DEFAULT_CONFIG)
    assert isinstance(load_deployed_config(DEFAULT_CONFIG), ServiceConfig)
