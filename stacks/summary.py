"""The few lines `main.py` prints after a synth: what was built and where it went."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cdktf import TerraformStack

from config.models import ServiceConfig


def summary(
    config: ServiceConfig, path: Path, stacks: Sequence[TerraformStack], outdir: str
) -> str:
    endpoint = config.endpoint
    scaling = config.autoscaling
    names = [getattr(s, "stack_name", s.node.id) for s in stacks]
    lines = [
        f"Synthesized {config.name} from {path}",
        f"  stacks:      {', '.join(names)}",
        f"  regions:     {', '.join(config.regions)}"
        + (f" (retiring: {', '.join(config.retired_regions)})" if config.retired_regions else ""),
        f"  instances:   {endpoint.initial_instances} × {endpoint.instance_type} per region "
        f"(autoscaling {endpoint.min_instance_count}-{endpoint.max_instance_count}, "
        f"target {scaling.invocations_target:g} invocations/instance/min)",
        f"  terraform:   {Path(outdir).resolve()}/stacks/<stack>/cdk.tf.json",
    ]
    return "\n".join(lines)
