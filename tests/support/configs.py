"""Example configuration variants for tests: the shipped example, with overrides merged in."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from config.loader import DEFAULT_CONFIG
from config.models import ServiceConfig

REMOVE = object()
"""Use as an override value to delete a key."""


def example_document() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(DEFAULT_CONFIG.read_text())
    return document


def merged(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge `overrides` (dotted keys allowed: {"endpoint.min_instance_count": 1})."""
    result = copy.deepcopy(base)
    for dotted, value in overrides.items():
        *parents, last = dotted.split(".")
        node = result
        for part in parents:
            node = node.setdefault(part, {})
        if value is REMOVE:
            node.pop(last, None)
        else:
            node[last] = value
    return result


def config_with(**overrides: Any) -> ServiceConfig:
    """The example configuration with `overrides`, keys written with `__` for dots."""
    dotted = {k.replace("__", "."): v for k, v in overrides.items()}
    return ServiceConfig.model_validate(merged(example_document(), dotted))


def without_web_acl(config: ServiceConfig) -> ServiceConfig:
    """`config` with `waf.enabled: false`, nothing else changed: for Terraform runs that test
    something else.

    The web ACL is the same construct in every configuration, and the example's stacks apply it
    and change it (tests/emulator/test_apply.py, the day-2 `waf-*` scenarios). Elsewhere it
    would only cost: each of its 4 rules adds 1.5 s of CPU to a plan
    (tools/measure_terraform_commands.py), and with the web ACL in state about half of a region
    stack's plan is the provider's handling of it (30.6 s with it, 13.7 s without,
    `plan -refresh=false`)."""
    return config.model_copy(update={"waf": config.waf.model_copy(update={"enabled": False})})


def write_config(tmp_path: Path, overrides: dict[str, Any], name: str = "config.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(merged(example_document(), overrides), sort_keys=False))
    return path


def existing_network(index: int = 0) -> dict[str, Any]:
    """An existing VPC with two public and two private subnets (IDs only; nothing is looked up)."""
    return {
        "vpc_id": f"vpc-0123456789abcdef{index}",
        "public_subnet_ids": [f"subnet-0aaaaaaaaaaaaaa{index}1", f"subnet-0aaaaaaaaaaaaaa{index}2"],
        "private_subnet_ids": [
            f"subnet-0bbbbbbbbbbbbbb{index}1",
            f"subnet-0bbbbbbbbbbbbbb{index}2",
        ],
    }


# The example's regions, each on an existing network: what an internal load balancer needs.
EXISTING_NETWORKS = {"us-east-1": existing_network(0), "eu-west-1": existing_network(1)}
INTERNAL_ON_EXISTING_NETWORKS = {
    "load_balancer__internal": True,
    "network__existing": EXISTING_NETWORKS,
}
