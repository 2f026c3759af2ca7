"""Build every stack of one configuration into a cdktf App."""

from __future__ import annotations

from pathlib import Path

from cdktf import App, TerraformStack

from config.models import S3StateSettings, ServiceConfig
from stacks.bootstrap_stack import BootstrapStack
from stacks.region_stack import RegionStack


def build_app(app: App, config: ServiceConfig) -> list[TerraformStack]:
    """The bootstrap stack (S3 state only), then one independent stack per region."""
    stacks: list[TerraformStack] = []
    if isinstance(config.state, S3StateSettings):
        # Terraform Cloud keeps state itself: there is no bucket to bootstrap.
        stacks.append(BootstrapStack(app, config))
    # Retired regions keep a stack, in its teardown form, until it has been destroyed.
    stacks += [RegionStack(app, config, region) for region in config.stack_regions]
    return stacks


def synth_app(config: ServiceConfig, outdir: Path) -> list[str]:
    """Write every stack of `config` under `outdir/stacks/`, as `main.py` does; the stack names."""
    app = App(outdir=str(outdir))
    stacks = build_app(app, config)
    app.synth()
    return [stack.node.id for stack in stacks]
