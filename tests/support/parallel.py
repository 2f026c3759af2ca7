"""How the suite splits over pytest-xdist workers (`-n auto --dist loadgroup` in pyproject.toml).

- Every test that needs the emulator's live deployment is in one xdist group, `emulator`: the
  example's stacks are applied once per session, and test_apply.py, test_day2.py and
  test_teardown.py change them in order, so they must run on one worker, in collection order.
- That group is scheduled first. It is the longest chain (Terraform waiting on the provider's
  own polls, mostly idle), so the other worker runs everything else meanwhile.
- A test without a group is scheduled with the rest of its module, so a module's fixtures
  (a synth, a checkov run, a Terraform init) run once, not once per worker.

pytest-xdist 3.8 marks a group by appending `@group` to `item._nodeid`, which pytest 9.2 no
longer reads (`nodeid` comes from `item._id`): its `loadgroup` splits groups. So each worker
writes the groups it collected (`xdist_group` marks) to a file, and the scheduler here reads it.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

EMULATOR_GROUP = "emulator"
SLOW_MARKERS = ("terraform", "emulator")
"""Markers whose tests are also `slow`: they run the terraform binary or the emulator."""
GROUPS_DIR = "xdist_groups_dir"
SECTION_PROPERTY = "suite_part"


def needs_the_deployment(item: pytest.Item) -> bool:
    """An emulator test on the session's deployment. A module with an xdist group of its own
    (tests/emulator/test_serving_variants.py: its own moto server and stacks) runs beside it, on
    the other worker."""
    own = group_of(item)
    if own is not None and own != EMULATOR_GROUP:
        return False
    return item.get_closest_marker("emulator") is not None or "deployment" in getattr(
        item, "fixturenames", ()
    )


def mark_items(items: list[pytest.Item]) -> None:
    """`slow` on every terraform and emulator test; the emulator group on every test that needs
    the session's deployment."""
    for item in items:
        if any(item.get_closest_marker(name) for name in SLOW_MARKERS):
            item.add_marker(pytest.mark.slow)
        if needs_the_deployment(item):
            item.add_marker(pytest.mark.xdist_group(EMULATOR_GROUP))
        # In the report (and the JUnit file): which part of the suite the test belongs to.
        item.user_properties.append((SECTION_PROPERTY, section_of(item)))


def group_of(item: pytest.Item) -> str | None:
    mark = item.get_closest_marker("xdist_group")
    if mark is None:
        return None
    return str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))


def groups_first(items: list[pytest.Item]) -> None:
    """On a worker: the emulator group first, then other groups, then the rest (order kept
    within each), and the groups written down for the controller's scheduler."""
    rank = {EMULATOR_GROUP: 0}
    items[:] = sorted(
        items, key=lambda item: rank.get(group_of(item) or "", 1 if group_of(item) else 2)
    )
    config = items[0].config if items else None
    if config is None or GROUPS_DIR not in getattr(config, "workerinput", {}):
        return
    groups = {item.nodeid: group for item in items if (group := group_of(item))}
    workerinput: dict[str, Any] = config.workerinput  # type: ignore[attr-defined]  # xdist sets it
    worker = workerinput["workerid"]
    Path(workerinput[GROUPS_DIR], f"{worker}.json").write_text(json.dumps(groups))


NICE_BESIDE_THE_EMULATOR = 10
"""How much a worker lowers its CPU priority (and its subprocesses') once it runs tests outside
the emulator group while that group runs: the emulator chain is the longest path of the run, and
on two cores its plans otherwise wait for the other worker's Terraform validates and synths."""


def yield_to_the_emulator(item: pytest.Item) -> None:
    """On a worker, before a test outside the emulator group, in a session that runs the group:
    lower this worker's priority, once (the emulator's worker keeps its own)."""
    config = item.config
    if not hasattr(config, "workerinput") or needs_the_deployment(item):
        return
    if not hasattr(config, "_yields_cpu"):
        runs_the_group = any(map(needs_the_deployment, item.session.items))
        config._yields_cpu = runs_the_group  # type: ignore[attr-defined]
        if runs_the_group:
            os.nice(NICE_BESIDE_THE_EMULATOR)


def configure_node(config: pytest.Config, node: Any) -> None:
    """On the controller: where the workers write their groups."""
    directory = getattr(config, "_xdist_groups_dir", None)
    if directory is None:
        directory = tempfile.mkdtemp(prefix="pytest-xdist-groups-")
        config._xdist_groups_dir = directory  # type: ignore[attr-defined]
    node.workerinput[GROUPS_DIR] = directory


def remove_groups_dir(config: pytest.Config) -> None:
    directory = getattr(config, "_xdist_groups_dir", None)
    if directory is not None:
        shutil.rmtree(directory, ignore_errors=True)


def make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Load scheduling by group (the groups the workers wrote), else by module, in collection
    order (which puts the emulator group first)."""
    from xdist.scheduler import LoadScopeScheduling

    class GroupOrModuleScheduling(LoadScopeScheduling):  # type: ignore[misc]  # xdist is untyped
        def __init__(self, config: pytest.Config, log: Any) -> None:
            super().__init__(config, log)
            self.groups: dict[str, str] = {}

        def schedule(self) -> None:
            if self.collection is None:
                directory = getattr(config, "_xdist_groups_dir", None)
                files = sorted(Path(directory).glob("*.json")) if directory else []
                self.groups = json.loads(files[0].read_text()) if files else {}
            super().schedule()

        def _split_scope(self, nodeid: str) -> str:
            bare = nodeid.rsplit("@", 1)[0] if nodeid.rfind("@") > nodeid.rfind("]") else nodeid
            group = self.groups.get(bare)
            return f"group:{group}" if group else nodeid.split("::", 1)[0]

    config.option.loadscopereorder = False
    return GroupOrModuleScheduling(config, log)


SECTIONS = ("unit", "slow", "emulator", "day-2")
"""The parts of the suite, by marker: unit (not slow), slow (slow, not emulator), emulator (not
day2), day-2."""


def section_of(item: pytest.Item) -> str:
    for marker, section in (("day2", "day-2"), ("emulator", "emulator"), ("slow", "slow")):
        if item.get_closest_marker(marker) is not None:
            return section
    return "unit"


class SectionTimes:
    """Test time (setup, call, teardown) per part of the suite, summed where the reports arrive
    (with xdist: on the controller). Printed at the end and put in the JUnit report
    (`test_time_<part>_s`), where tools/measure_tests.py reads it."""

    name = "section-times"

    def __init__(self) -> None:
        self.times = dict.fromkeys(SECTIONS, 0.0)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        section = dict(report.user_properties).get(SECTION_PROPERTY, "unit")
        self.times[str(section)] += report.duration

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        from _pytest.junitxml import xml_key

        xml = session.config.stash.get(xml_key, None)
        if xml is not None:
            for section, seconds in self.times.items():
                xml.add_global_property(f"test_time_{section}_s", round(seconds, 1))

    def lines(self) -> list[str]:
        return [f"{section:<10} {seconds:7.1f} s" for section, seconds in self.times.items()]
