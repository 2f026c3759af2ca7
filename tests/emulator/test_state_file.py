"""emulator/state_file.py: a local state file read as `terraform show -json` shows it.

Given a state file of format 4, when read, then each resource instance is listed once with the
address, index and values `show -json` gives it (test_apply.py compares the two on the applied
example); a state it cannot read as `show` would is refused, never guessed at.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from emulator.state_file import UnreadableState, shown_state

AWS = 'provider["registry.terraform.io/hashicorp/aws"]'
BUILTIN = 'provider["terraform.io/builtin/terraform"]'


def _state(tmp_path: Path, resources: list[dict[str, Any]], version: int = 4) -> Path:
    path = tmp_path / "terraform.tfstate"
    state = {"version": version, "terraform_version": "1.11.4", "resources": resources}
    path.write_text(json.dumps(state))
    return path


def _resources(path: Path) -> dict[str, dict[str, Any]]:
    shown = shown_state(path)
    return {r["address"]: r for r in shown["values"]["root_module"]["resources"]}


def test_for_each_instances_are_addressed_by_their_key(tmp_path: Path) -> None:
    records = {
        "mode": "managed",
        "type": "aws_route53_record",
        "name": "validation",
        "provider": AWS,
        "instances": [
            {"index_key": "a.example.com", "schema_version": 2, "attributes": {"name": "a"}},
            {"index_key": "b.example.com", "schema_version": 2, "attributes": {"name": "b"}},
        ],
    }
    shown = _resources(_state(tmp_path, [records]))
    assert list(shown) == [
        'aws_route53_record.validation["a.example.com"]',
        'aws_route53_record.validation["b.example.com"]',
    ]
    first = shown['aws_route53_record.validation["a.example.com"]']
    assert first["index"] == "a.example.com"
    assert first["values"] == {"name": "a"}
    assert first["schema_version"] == 2
    assert first["provider_name"] == "registry.terraform.io/hashicorp/aws"


def test_data_sources_aliased_providers_and_dependencies_are_kept(tmp_path: Path) -> None:
    zone = {
        "mode": "data",
        "type": "aws_route53_zone",
        "name": "zone",
        "provider": f"{AWS}.us_east_1",
        "instances": [{"attributes": {"name": "example.com"}}],
    }
    key = {
        "mode": "managed",
        "type": "aws_kms_key",
        "name": "key",
        "provider": AWS,
        "instances": [
            {
                "status": "tainted",
                "attributes": {"key_id": "k"},
                "dependencies": ["data.aws_route53_zone.zone"],
            }
        ],
    }
    shown = _resources(_state(tmp_path, [zone, key]))
    assert shown["data.aws_route53_zone.zone"]["mode"] == "data"
    assert shown["data.aws_route53_zone.zone"]["provider_name"] == (
        "registry.terraform.io/hashicorp/aws"
    )
    assert "depends_on" not in shown["data.aws_route53_zone.zone"]
    assert shown["aws_kms_key.key"]["depends_on"] == ["data.aws_route53_zone.zone"]
    assert shown["aws_kms_key.key"]["tainted"] is True


def test_terraform_data_values_are_unwrapped_as_show_does(tmp_path: Path) -> None:
    wrapped = {"value": {"min": 2}, "type": ["object", {"min": "number"}]}
    registration = {
        "mode": "managed",
        "type": "terraform_data",
        "name": "registration",
        "provider": BUILTIN,
        "instances": [{"attributes": {"id": "x", "input": wrapped, "output": wrapped}}],
    }
    values = _resources(_state(tmp_path, [registration]))["terraform_data.registration"]["values"]
    assert values == {"id": "x", "input": {"min": 2}, "output": {"min": 2}}


def test_an_aws_attribute_shaped_like_a_dynamic_value_is_left_as_stored(tmp_path: Path) -> None:
    odd = {"value": "v", "type": "string"}
    tagged = {
        "mode": "managed",
        "type": "aws_sns_topic",
        "name": "topic",
        "provider": AWS,
        "instances": [{"attributes": {"input": odd}}],
    }
    assert _resources(_state(tmp_path, [tagged]))["aws_sns_topic.topic"]["values"] == {"input": odd}


def test_a_missing_or_empty_state_is_an_empty_snapshot(tmp_path: Path) -> None:
    assert shown_state(tmp_path / "absent.tfstate") == {}
    assert shown_state(_state(tmp_path, [])) == {}


@pytest.mark.parametrize(
    ("resources", "version", "refusal"),
    [
        ([], 3, "state format 3"),
        (
            [
                {
                    "module": "module.m",
                    "mode": "managed",
                    "type": "aws_sns_topic",
                    "name": "t",
                    "provider": AWS,
                    "instances": [{"attributes": {}}],
                }
            ],
            4,
            "in a module",
        ),
    ],
    ids=["old-format", "module"],
)
def test_a_state_it_cannot_show_is_refused(
    tmp_path: Path, resources: list[dict[str, Any]], version: int, refusal: str
) -> None:
    with pytest.raises(UnreadableState, match=refusal):
        shown_state(_state(tmp_path, resources, version))
