"""Shared fixtures. Importing constructs_lib first keeps provider imports cheap (see its docstring)."""

from __future__ import annotations

import os

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")

import constructs_lib  # noqa: E402, F401
import pytest  # noqa: E402

from config.loader import load_config  # noqa: E402
from config.models import ServiceConfig  # noqa: E402


@pytest.fixture(scope="session")
def example_config() -> ServiceConfig:
    return load_config()
