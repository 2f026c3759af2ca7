"""The split over pytest-xdist workers (tests/support/parallel.py): the emulator chain stays on
one worker, in order, and starts first; every other module is one unit of work."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.support import parallel

pytest.importorskip("xdist")

CHAIN = [
    "tests/emulator/test_apply.py::test_stack_converges[a]",
    "tests/emulator/test_day2.py::test_verdict_is_the_scenarios[b]",
    "tests/emulator/test_teardown.py::test_bootstrap_stack_survives",
]
OTHERS = [
    "tests/config/test_loader.py::test_one",
    "tests/config/test_loader.py::test_two",
    "tests/emulator/test_moto_server.py::test_alone",
    "tests/test_main.py::test_three",
]


class FakeWorker:
    def __init__(self, name: str) -> None:
        self.gateway = SimpleNamespace(id=name)
        self.sent: list[int] = []
        self.shutting_down = False

    def send_runtest_some(self, indices: list[int]) -> None:
        self.sent += indices

    def shutdown(self) -> None:
        self.shutting_down = True


def scheduled(
    tmp_path: Path, collection: list[str], groups: dict[str, str] | None = None
) -> list[list[str]]:
    groups = groups if groups is not None else dict.fromkeys(CHAIN, "emulator")
    (tmp_path / "gw0.json").write_text(json.dumps(groups))
    option = SimpleNamespace(loadscopereorder=True)
    values = {"tx": ["popen", "popen"], "numprocesses": 2, "dist": "loadgroup"}
    config: Any = SimpleNamespace(
        option=option, getvalue=values.get, _xdist_groups_dir=str(tmp_path)
    )
    scheduler = parallel.make_scheduler(config, None)
    workers = [FakeWorker("gw0"), FakeWorker("gw1")]
    for worker in workers:
        scheduler.add_node(worker)
        scheduler.add_node_collection(worker, collection)
    scheduler.schedule()
    return [[collection[i] for i in worker.sent] for worker in workers]


def test_the_emulator_chain_goes_to_one_worker_first_and_in_order(tmp_path: Path) -> None:
    first, second = scheduled(tmp_path, [*CHAIN, *OTHERS])
    assert first[: len(CHAIN)] == CHAIN
    assert not set(CHAIN) & set(second)
    assert second[0] == OTHERS[0], "the other worker starts on the rest at once"


def test_a_module_outside_a_group_is_one_unit(tmp_path: Path) -> None:
    first, second = scheduled(tmp_path, [*CHAIN, *OTHERS])
    loader = OTHERS[:2]
    assert set(loader) <= set(first) or set(loader) <= set(second)


def test_deployment_tests_are_grouped_and_slow(request: pytest.FixtureRequest) -> None:
    # This module's own items: none needs the deployment, none is slow.
    items = [i for i in request.session.items if i.nodeid.startswith("tests/test_parallel.py")]
    assert items and not any(parallel.group_of(i) for i in items)
    assert not any(i.get_closest_marker("slow") for i in items)
    assert all((parallel.SECTION_PROPERTY, "unit") in i.user_properties for i in items)


def fake_item(*marks: pytest.MarkDecorator, fixtures: tuple[str, ...] = ()) -> Any:
    by_name = {m.mark.name: m.mark for m in marks}
    return SimpleNamespace(get_closest_marker=by_name.get, fixturenames=fixtures)


def test_a_module_with_its_own_emulator_runs_beside_the_deployment_chain() -> None:
    # test_serving_variants.py starts its own moto server: its own group, so the scheduler may
    # put it on the other worker while the example's chain runs.
    own = fake_item(pytest.mark.emulator, pytest.mark.xdist_group("serving-variants"))
    assert not parallel.needs_the_deployment(own)
    assert parallel.needs_the_deployment(fake_item(pytest.mark.emulator))
    assert parallel.needs_the_deployment(fake_item(fixtures=("deployment",)))


def test_a_second_group_goes_to_the_other_worker(tmp_path: Path) -> None:
    serving = [
        "tests/emulator/test_serving_variants.py::test_example_converges[ab]",
        "tests/emulator/test_serving_variants.py::test_day2_plan[ab]",
    ]
    groups = {**dict.fromkeys(CHAIN, "emulator"), **dict.fromkeys(serving, "serving-variants")}
    first, second = scheduled(tmp_path, [*CHAIN, *serving, *OTHERS], groups)
    assert first[: len(CHAIN)] == CHAIN
    assert second[: len(serving)] == serving
