"""Synthesize stacks in-process with cdktf.Testing and return their Terraform JSON as dicts."""

from __future__ import annotations

import json
from typing import Any

from cdktf import Testing

import constructs_lib  # noqa: F401  (must precede provider imports; see its docstring)
from config.models import ServiceConfig
from stacks import BootstrapStack, RegionStack

Testing.__test__ = False  # not a pytest test class


def synth_region(config: ServiceConfig, region: str | None = None) -> dict[str, Any]:
    app = Testing.app()
    stack = RegionStack(app, config, region or config.regions[0])
    synthesized: dict[str, Any] = json.loads(Testing.synth(stack))
    return synthesized


def synth_bootstrap(config: ServiceConfig) -> dict[str, Any]:
    app = Testing.app()
    stack = BootstrapStack(app, config)
    synthesized: dict[str, Any] = json.loads(Testing.synth(stack))
    return synthesized


def resources(synthesized: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    """All resources of one type, by their logical name."""
    found: dict[str, dict[str, Any]] = synthesized.get("resource", {}).get(resource_type, {})
    return found


def only(synthesized: dict[str, Any], resource_type: str) -> dict[str, Any]:
    """The single resource of a type; fails the test when there are none or several."""
    found = resources(synthesized, resource_type)
    assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
    return next(iter(found.values()))
