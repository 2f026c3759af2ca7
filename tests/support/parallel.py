"""How the suite splits over pytest-xdist workers (`-n auto --dist loadgroup` in pyproject.toml).

- Every test that needs the emulator's live deployment is in one xdist group, `emulator`: the
  example's stacks are applied once per session, and test_apply.py, test_day2.py and
  test_teardown.py change them in order, so they must run on one worker, in collection order.
- That group is scheduled first. It is the longest chain (Terraform waiting on the provider's
  own polls, mostly idle), so the other worker runs everything else meanwhile.
- A test without a group is scheduled with the rest of its module, so a module's fixtures
  (a synth, a checkov run, a Terraform init) run once, not once per worker.
"""

from __future__ import annotations

from typing import Any

import pytest

EMULATOR_GROUP = "emulator"
SLOW_MARKERS = ("terraform", "emulator")
"""Markers whose tests are also `slow`: they run the terraform binary or the emulator."""


def needs_the_deployment(item: pytest.Item) -> bool:
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


def emulator_group_first(items: list[pytest.Item]) -> None:
    """Move the emulator group to the front, keeping the order within it and within the rest."""
    items[:] = sorted(items, key=lambda item: not needs_the_deployment(item))


def make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`--dist loadgroup`, with a module as the unit of every test outside a group, in
    collection order (which puts the emulator group first)."""
    from xdist.scheduler import LoadGroupScheduling

    class GroupOrModuleScheduling(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            group = super()._split_scope(nodeid)
            return group if group != nodeid else nodeid.split("::", 1)[0]

    config.option.loadscopereorder = False
    return GroupOrModuleScheduling(config, log)
