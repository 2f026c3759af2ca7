"""README "Changing a live service" lists exactly the day-2 scenarios the emulator applies.

The scenarios (tests/emulator/scenarios.py) are what tests/emulator/test_day2.py applies and
checks, plan by plan; this test keeps the README's table equal to them, so the table cannot
claim an effect that no scenario shows.
"""

from __future__ import annotations

from pathlib import Path

from tests.emulator.scenarios import (
    ENDPOINT_CHAIN,
    REFUSED,
    ROLLED_BACK,
    SURROUNDINGS_CHAIN,
    readme_table,
)

README = Path(__file__).resolve().parents[1] / "docs" / "operations.md"


def test_readme_table_is_the_scenarios() -> None:
    text = README.read_text()
    assert "## Changing a live service" in text
    assert readme_table() in text, (
        "README 'Changing a live service' table differs from tests/emulator/scenarios.py; "
        "paste this table:\n" + readme_table()
    )


def test_every_config_section_a_user_changes_daily_has_a_scenario() -> None:
    sections = {s.section for s in [*ENDPOINT_CHAIN, *SURROUNDINGS_CHAIN, *REFUSED]}
    for section in (
        "model.model_data_url",
        "model.image_uri",
        "endpoint.instance_type",
        "endpoint.min_instance_count",
        "autoscaling.scheduled_actions",
        "rollout.*",
        "rollout.auto_rollback",
        "alarms.*",
        "proxy.*",
        "waf.rate_limit_per_5_min",
    ):
        assert section in sections, section


def test_scenario_ids_are_unique() -> None:
    ids = [s.id for s in [*ENDPOINT_CHAIN, ROLLED_BACK, *SURROUNDINGS_CHAIN, *REFUSED]]
    assert len(ids) == len(set(ids)), ids
