"""The few lines `main.py` prints after a synth: what was built and where it went."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cdktf import TerraformStack

from config.models import ServiceConfig


def summary(
    config: ServiceConfig, path: Path, stacks: Sequence[TerraformStack], outdir: str
) -> str:
    names = [getattr(s, "stack_name", s.node.id) for s in stacks]
    lines = [
        f"Synthesized {config.name} from {path}",
        f"  stacks:      {', '.join(names)}",
        f"  regions:     {', '.join(config.regions)}"
        + (f" (retiring: {', '.join(config.retired_regions)})" if config.retired_regions else ""),
        *_variant_lines(config),
        _authentication_line(config),
        f"  terraform:   {Path(outdir).resolve()}/stacks/<stack>/cdk.tf.json",
    ]
    return "\n".join(lines)


def _variant_lines(config: ServiceConfig) -> list[str]:
    serverless = config.endpoint.serverless
    if serverless is not None:
        return [
            f"  serverless:  {serverless.memory_mb} MB, up to {serverless.max_concurrency} "
            "concurrent invocations per region"
        ]
    lines = []
    for variant in config.serving_variants:
        fleet, scaling = variant.fleet, variant.autoscaling
        assert fleet is not None and scaling is not None  # instances: validated
        label = "instances:" if variant.primary else f"{variant.name}:"
        kind = "shadow, " if variant.shadow else ""
        lines.append(
            f"  {label:<12} {fleet.initial_instances} × {fleet.instance_type} per region "
            f"({kind}autoscaling {fleet.min_instance_count}-{fleet.max_instance_count}, "
            f"target {scaling.invocations_target:g} invocations/instance/min)"
        )
    return lines


def _authentication_line(config: ServiceConfig) -> str:
    auth = config.authentication
    if auth.allow_unauthenticated:
        return (
            "  auth:        WARNING: none - the public load balancer serves anyone "
            "(authentication.allow_unauthenticated: true)"
        )
    parts = []
    if auth.jwt is not None:
        parts.append(f"JWT from {auth.jwt.issuer}")
    if auth.mutual_tls is not None:
        parts.append("mutual TLS (client certificates checked by the load balancer)")
    if not parts:
        return "  auth:        none in the proxy (internal load balancer: reachable from its VPC)"
    return f"  auth:        {' and '.join(parts)}"
