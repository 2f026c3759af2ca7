"""Synthesize the whole app once per test session, as `main.py` does, into a temporary folder."""

from __future__ import annotations

from pathlib import Path

import constructs_lib  # noqa: F401  (must precede provider imports; see its docstring)
from config.models import ServiceConfig


def synth_app(config: ServiceConfig, outdir: Path) -> list[str]:
    """Write every stack of `config` under `outdir/stacks/`; return the stack names."""
    from cdktf import App

    from stacks import build_app

    app = App(outdir=str(outdir))
    stacks = build_app(app, config)
    app.synth()
    return [stack.node.id for stack in stacks]
