"""Shared fixtures. Importing constructs_lib first keeps provider imports cheap (see its docstring)."""

from __future__ import annotations

import os

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")

from pathlib import Path

import pytest

import constructs_lib  # noqa: F401
from config.loader import load_config
from config.models import ServiceConfig
from tests.support.app import synth_app


@pytest.fixture(scope="session")
def example_config() -> ServiceConfig:
    return load_config()


@pytest.fixture(scope="session")
def synthesized_example(
    tmp_path_factory: pytest.TempPathFactory, example_config: ServiceConfig
) -> Path:
    """The example app synthesized once: `<outdir>/stacks/<stack>/cdk.tf.json`."""
    outdir = tmp_path_factory.mktemp("cdktf.out")
    synth_app(example_config, outdir)
    return outdir
