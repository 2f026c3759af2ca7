"""Find resources in synthesized JSON by their properties, and references to them."""

from __future__ import annotations

from typing import Any

from tests.support.synth import resources


def find(
    stack: dict[str, Any], resource_type: str, **properties: Any
) -> tuple[str, dict[str, Any]]:
    """The one resource of `resource_type` whose properties include `properties`."""
    found = [
        (key, resource)
        for key, resource in resources(stack, resource_type).items()
        if all(resource.get(k) == v for k, v in properties.items())
    ]
    assert len(found) == 1, f"{resource_type} with {properties}: found {[k for k, _ in found]}"
    return found[0]


def ref(resource_type: str, key: str, attribute: str) -> str:
    return f"${{{resource_type}.{key}.{attribute}}}"


def by_key_prefix(
    stack: dict[str, Any], resource_type: str, prefix: str
) -> tuple[str, dict[str, Any]]:
    """The one resource of `resource_type` whose logical name starts with `prefix`."""
    found = [(k, r) for k, r in resources(stack, resource_type).items() if k.startswith(prefix)]
    assert len(found) == 1, f"{resource_type} named {prefix}*: found {[k for k, _ in found]}"
    return found[0]


def ping_health_check(stack: dict[str, Any]) -> dict[str, Any]:
    """The region's `/ping` health check (HTTPS, or its alarm stand-in), not the calculated one."""
    return by_key_prefix(stack, "aws_route53_health_check", "dns_health_check_")[1]
