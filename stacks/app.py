"""Build every stack of one configuration into a cdktf App."""

from __future__ import annotations

from cdktf import App, TerraformStack

from config.models import ServiceConfig
from stacks.bootstrap_stack import BootstrapStack
from stacks.region_stack import RegionStack


def build_app(app: App, config: ServiceConfig) -> list[TerraformStack]:
    """The bootstrap stack, then one independent stack per region."""
    stacks: list[TerraformStack] = [BootstrapStack(app, config)]
    stacks += [RegionStack(app, config, region) for region in config.regions]
    return stacks
