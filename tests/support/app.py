"""Synthesize the whole app, as `main.py` does, into a temporary folder."""

from __future__ import annotations

import constructs_lib  # noqa: F401  (must precede provider imports; see its docstring)
from stacks.app import synth_app

__all__ = ["synth_app"]
