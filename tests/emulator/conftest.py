"""Fixtures of the emulator tests: the moto server, and the phase timings shown after the run
(printed by tests/conftest.py)."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from config.models import ServiceConfig
from emulator.deployment import TIMER, Deployment, PhaseTimer, emulator_only
from emulator.moto_server import MotoServer, running_moto_server
from emulator.terraform import offline_terraform, skip_or_fail
from tests.emulator.beside import BESIDE_EXAMPLE, BesideDeployment, start_beside
from tests.emulator.day2_synth import ScenarioSynths
from tests.emulator.example_deployment import deploy_example


@pytest.fixture(scope="session")
def phase_timer(
    request: pytest.FixtureRequest, record_testsuite_property: Callable[[str, Any], None]
) -> Iterator[PhaseTimer]:
    """Times each phase; the terminal summary and the JUnit report (`--junitxml`) show them."""
    timer = PhaseTimer()
    request.config.stash[TIMER] = timer
    yield timer
    for name, seconds, _ in timer.records:
        record_testsuite_property(f"emulator_{name.replace(' ', '_')}_s", round(seconds, 1))


@pytest.fixture(scope="session")
def moto_server(
    tmp_path_factory: pytest.TempPathFactory, phase_timer: PhaseTimer
) -> Iterator[MotoServer]:
    """A patched moto server on a free port of 127.0.0.1, for the whole session."""
    for module in ("moto", "flask", "werkzeug"):
        if importlib.util.find_spec(module) is None:
            skip_or_fail(f"{module} is not installed (the emulator tests need moto[server])")
    with ExitStack() as stack:
        with phase_timer.phase("start moto"):
            server = stack.enter_context(running_moto_server(tmp_path_factory.mktemp("moto")))
        yield server


@pytest.fixture(scope="session")
def scenario_synths(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ScenarioSynths | None]:
    """The day-2 configurations, synthesizing in the background when day-2 tests will run."""
    if not any(item.get_closest_marker("day2") for item in request.session.items):
        yield None
        return
    synths = ScenarioSynths.start(tmp_path_factory.mktemp("day2-synth"))
    yield synths
    synths.stop()


@pytest.fixture(scope="session")
def beside_example(
    request: pytest.FixtureRequest,
    moto_server: MotoServer,
    phase_timer: PhaseTimer,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, BesideDeployment]:
    """Every configuration of beside.BESIDE_EXAMPLE, applying in the background (started before
    the example's apply) when a selected test uses this fixture."""
    selected = request.session.items
    if not any("beside_example" in getattr(item, "fixturenames", ()) for item in selected):
        return {}
    terraform = emulator_only(offline_terraform(tmp_path_factory.getbasetemp() / "terraform"))
    return {
        name: start_beside(
            name,
            config_file,
            moto_server=moto_server,
            terraform=terraform,
            timer=phase_timer,
            root=tmp_path_factory.mktemp(f"beside-{name}"),
        )
        for name, config_file in BESIDE_EXAMPLE.items()
    }


@pytest.fixture(scope="session")
def deployment(
    synthesized_example: Path,
    example_config: ServiceConfig,
    moto_server: MotoServer,
    phase_timer: PhaseTimer,
    tmp_path_factory: pytest.TempPathFactory,
    scenario_synths: ScenarioSynths | None,
    beside_example: dict[str, BesideDeployment],
) -> Deployment:
    """The example, applied once for every emulator module (see example_deployment.py); the
    day-2 synths (if any) and the configurations beside it (beside.py) run meanwhile."""
    return deploy_example(
        synthesized_example, example_config, moto_server, phase_timer, tmp_path_factory
    )
