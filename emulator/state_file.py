"""A stack's local state file read as `terraform show -json` shows it, without running Terraform.

`terraform show -json` of a state costs about 5.5 s of CPU on a region stack (Terraform loads the
AWS provider's whole schema to print what the state file already holds), and the emulator tests
took a snapshot after every apply. The state file (format version 4) holds the same values:
`values.root_module.resources` here equals `show -json`'s for every field the tests read
(address, mode, type, name, index, provider_name, schema_version, values,
depends_on, tainted). test_apply.py checks
it against `terraform show -json` on the applied example.

What `show -json` adds and this leaves out: `sensitive_values` (the tests read none), and
outputs. Values of a dynamic type (only `terraform_data`'s `input`, `output` and
`triggers_replace` among the types our stacks use) are stored as `{"value": ..., "type": ...}`;
they are unwrapped as `show` does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

STATE_FORMAT_VERSION = 4
BUILTIN_PROVIDER = 'provider["terraform.io/builtin/terraform"]'
DYNAMIC_ATTRIBUTES = {"terraform_data": ("input", "output", "triggers_replace")}
"""Attributes of a dynamic type, by resource type (of Terraform's builtin provider)."""


class UnreadableState(Exception):
    """A state file this reader does not know how to read (use `terraform show -json`)."""


def _address(resource: dict[str, Any], instance: dict[str, Any]) -> str:
    prefix = "" if resource["mode"] == "managed" else "data."
    address = f"{prefix}{resource['type']}.{resource['name']}"
    if "module" in resource:
        raise UnreadableState(f"{address} is in a module; the stacks here have none")
    if "index_key" in instance:
        address += f"[{json.dumps(instance['index_key'])}]"
    return address


def _values(resource: dict[str, Any], instance: dict[str, Any]) -> dict[str, Any]:
    values = dict(instance["attributes"])
    if resource["provider"] == BUILTIN_PROVIDER:
        for name in DYNAMIC_ATTRIBUTES.get(resource["type"], ()):
            wrapped = values.get(name)
            if isinstance(wrapped, dict) and set(wrapped) == {"value", "type"}:
                values[name] = wrapped["value"]
    return values


def _provider_name(provider: str) -> str:
    # 'provider["registry.terraform.io/hashicorp/aws"].us_east_1' -> the quoted source address.
    start, end = provider.index('["') + 2, provider.index('"]')
    return provider[start:end]


def shown_state(state_path: Path) -> dict[str, Any]:
    """The state at `state_path` shaped as `terraform show -json` prints it (`values` only);
    an empty snapshot when the file does not exist or holds no resources."""
    if not state_path.is_file():
        return {}
    state = json.loads(state_path.read_text())
    if state.get("version") != STATE_FORMAT_VERSION:
        raise UnreadableState(f"{state_path}: state format {state.get('version')}, not 4")
    resources = []
    for resource in state.get("resources", []):
        for instance in resource.get("instances", []):
            if "deposed" in instance:
                continue  # show -json lists deposed objects apart; none outlive an apply here
            shown = {
                "address": _address(resource, instance),
                "mode": resource["mode"],
                "type": resource["type"],
                "name": resource["name"],
                "provider_name": _provider_name(resource["provider"]),
                "schema_version": instance.get("schema_version", 0),
                "values": _values(resource, instance),
            }
            if "index_key" in instance:
                shown["index"] = instance["index_key"]
            if instance.get("dependencies"):
                shown["depends_on"] = instance["dependencies"]
            if instance.get("status") == "tainted":
                shown["tainted"] = True
            resources.append(shown)
    if not resources:
        return {}
    return {
        "format_version": "1.0",
        "terraform_version": state.get("terraform_version"),
        "values": {"root_module": {"resources": resources}},
    }
