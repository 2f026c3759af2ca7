"""Shared fixtures. Importing constructs_lib first keeps provider imports cheap (see its docstring)."""

from __future__ import annotations

import os

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")

from pathlib import Path
from typing import Any

import pytest

import constructs_lib  # noqa: F401
from config.loader import load_config
from config.models import ServiceConfig
from emulator.deployment import TIMER, PhaseTimer
from tests.support import parallel
from tests.support.app import synth_app

PHASE_TIMINGS = "emulator_phase_timings"


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


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Before `-m` selects: `slow` on terraform and emulator tests, the emulator's xdist group
    (see tests/support/parallel.py), which a worker puts first."""
    parallel.mark_items(items)
    if hasattr(config, "workerinput"):
        parallel.groups_first(items)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    parallel.yield_to_the_emulator(item)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    parallel.configure_node(node.config, node)


def junitxml_key() -> Any:
    from _pytest.junitxml import xml_key

    return xml_key


def pytest_unconfigure(config: pytest.Config) -> None:
    parallel.remove_groups_dir(config)


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getvalue("dist") != "loadgroup":
        return None  # another --dist: xdist's own
    return parallel.make_scheduler(config, log)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """On an xdist worker: hand the emulator's phase timings to the controller."""
    timer = session.config.stash.get(TIMER, None)
    output = getattr(session.config, "workeroutput", None)
    if timer is not None and output is not None:
        output[PHASE_TIMINGS] = [[name, s, details] for name, s, details in timer.records]


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """On the xdist controller: the phase timings a worker handed over, for the summary and the
    JUnit report (a worker has no JUnit report of its own)."""
    records = getattr(node, "workeroutput", {}).get(PHASE_TIMINGS)
    if not records:
        return
    config: pytest.Config = node.config
    timer = config.stash.setdefault(TIMER, PhaseTimer())
    xml = config.stash.get(junitxml_key(), None)
    for name, seconds, details in records:
        timer.records.append((name, seconds, details))
        if xml is not None:
            xml.add_global_property(f"emulator_{name.replace(' ', '_')}_s", round(seconds, 1))


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):
        config.pluginmanager.register(parallel.SectionTimes(), parallel.SectionTimes.name)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    sections = config.pluginmanager.get_plugin(parallel.SectionTimes.name)
    if sections is not None:
        terminalreporter.write_sep("-", "test time per part (setup + call + teardown)")
        for line in sections.lines():
            terminalreporter.write_line(line)
    timer = config.stash.get(TIMER, None)
    if timer is not None and timer.records:
        terminalreporter.write_sep("-", "emulator phase timings")
        for line in timer.report():
            terminalreporter.write_line(line)
