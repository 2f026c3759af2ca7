"""The proxy handler's module-level constants, read without running its cold start."""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType

HANDLER_PATH = Path(__file__).resolve().parents[2] / "functions" / "inference_proxy" / "handler.py"


def handler_constants() -> ModuleType:
    """Everything the handler defines before its `Settings` (no environment, no clients)."""
    source = HANDLER_PATH.read_text().split("\n@dataclass(frozen=True)\nclass Settings:")[0]
    module = ModuleType("inference_proxy_handler_constants")
    # dataclasses look their class's module up in sys.modules while the class is built.
    sys.modules[module.__name__] = module
    try:
        exec(compile(source, str(HANDLER_PATH), "exec"), module.__dict__)
    finally:
        del sys.modules[module.__name__]
    return module
