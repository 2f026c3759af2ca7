"""Stacks wire constructs together from configuration; they hold no AWS logic of their own."""

# constructs_lib must be imported before any provider module: see its docstring.
import constructs_lib  # noqa: F401  (imported for its side effect)
from stacks.app import build_app
from stacks.bootstrap_stack import BootstrapStack
from stacks.region_stack import RegionStack

__all__ = ["BootstrapStack", "RegionStack", "build_app"]
