"""Numbers in the docs that come from the code are generated from it, or checked against it."""

from __future__ import annotations

import re
from pathlib import Path

from config.models import (
    PROXY_MIN_TIMEOUT_S,
    SAGEMAKER_INVOCATION_TIMEOUT_S,
    LoadBalancerSettings,
    ProxySettings,
)
from tests.support.handler_constants import handler_constants
from tools.update_readme_facts import README as ARCHITECTURE
from tools.update_readme_facts import readme_block, stack_facts


def test_the_stack_table_equals_a_fresh_synth_of_the_example(synthesized_example: Path) -> None:
    assert readme_block(ARCHITECTURE.read_text()) == stack_facts(synthesized_example), (
        "docs/ARCHITECTURE.md's stack table is stale: run `pipenv run python tools/update_readme_facts.py`"
    )


def test_timeouts_and_ping_cache_in_the_readme_are_the_codes() -> None:
    text = " ".join(ARCHITECTURE.read_text().split())
    handler = handler_constants()
    proxy_timeout = ProxySettings.model_fields["timeout_s"].default
    idle_timeout = LoadBalancerSettings.model_fields["idle_timeout_s"].default
    assert proxy_timeout == PROXY_MIN_TIMEOUT_S
    assert handler.DEFAULT_READ_TIMEOUT_S == SAGEMAKER_INVOCATION_TIMEOUT_S
    for claim in (
        f"timeout {proxy_timeout} s (one InvokeEndpoint of up to SageMaker's "
        f"{SAGEMAKER_INVOCATION_TIMEOUT_S} s",
        f"below the ALB's {idle_timeout} s idle timeout",
        f"the function timeout (default {proxy_timeout} s) and the ALB idle timeout "
        f"(default {idle_timeout} s)",
        f"The warm function keeps the status for {handler.DEFAULT_PING_CACHE_S:g} s",
        f"for at most {handler.MAX_PING_STALE_S:g} s, then 503",
        f"DescribeEndpoint (cached {handler.DEFAULT_PING_CACHE_S:g} s)",
    ):
        assert claim in text, claim


def test_the_synth_speed_table_is_a_run_of_the_benchmark() -> None:
    from tools.bench_synth import BEGIN, END, README, synth_speed_table

    text = README.read_text()
    table = text[text.index(BEGIN) + len(BEGIN) + 1 : text.index(END)]
    rounds, lazy, eager = re.search(
        r"(\d+) rounds:.*?\| ([\d.]+) s \|.*?\| ([\d.]+) s \|", table, re.DOTALL
    ).groups()  # type: ignore[union-attr]
    # Written by the tool: its own format, and a ratio that is the two medians' ratio.
    assert table == synth_speed_table(int(rounds), float(lazy), float(eager))


def test_the_test_times_are_a_run_of_the_tool_within_the_budgets() -> None:
    from tools.measure_tests import (
        BEGIN,
        END,
        FULL_BUDGET_MIN,
        README,
        UNIT_BUDGET_S,
        parse_table,
        times_table,
    )

    text = README.read_text()
    table = text[text.index(BEGIN) + len(BEGIN) + 1 : text.index(END)]
    cores, unit_walls, full_wall_s, parts = parse_table(table)
    # Written by the tool: its own format, so the numbers are a measurement, not an edit.
    assert table == times_table(cores, unit_walls, full_wall_s, parts)
    assert sorted(unit_walls)[len(unit_walls) // 2] <= UNIT_BUDGET_S, unit_walls
    assert full_wall_s / 60 <= FULL_BUDGET_MIN, full_wall_s
    prose = " ".join(text.split())
    assert f"at most {UNIT_BUDGET_S} s" in prose and f"at most {FULL_BUDGET_MIN} min" in prose
