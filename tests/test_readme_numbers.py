"""Numbers in the docs that come from the code are generated from it, or checked against it."""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest

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


def test_the_synth_speed_table_is_rendered_from_a_recorded_run_of_the_benchmark() -> None:
    from tools import measurement_record
    from tools.bench_synth import BEGIN, END, README, RECORD, synth_speed_table

    record = measurement_record.load(RECORD)
    assert measurement_record.block(README, BEGIN, END) == synth_speed_table(record)
    assert len(record["lazy_s"]) == len(record["eager_s"]) >= 5
    assert measurement_record.in_history(record["commit"]) in (True, None), record["commit"]


def test_the_test_times_are_rendered_from_recorded_runs_within_the_budgets() -> None:
    from tools import measurement_record
    from tools.measure_tests import (
        BEGIN,
        END,
        FULL_BUDGET_MIN,
        README,
        RECORD,
        UNIT_BUDGET_S,
        times_table,
    )

    record = measurement_record.load(RECORD)
    # The table is the record's rendering: editing its numbers alone fails here.
    assert measurement_record.block(README, BEGIN, END) == times_table(record)
    runs = [*record["unit_runs"], *record["full_runs"]]
    assert len(record["unit_runs"]) >= 2 and record["full_runs"], "a median of runs, not one"
    for run in runs:
        assert measurement_record.in_history(run["commit"]) in (True, None), run["commit"]
    unit = statistics.median(run["wall_s"] for run in record["unit_runs"])
    full = statistics.median(run["test_wall_s"] for run in record["full_runs"])
    assert unit <= UNIT_BUDGET_S, record["unit_runs"]
    assert full / 60 <= FULL_BUDGET_MIN, record["full_runs"]
    prose = " ".join(README.read_text().split())
    assert f"at most {UNIT_BUDGET_S} s" in prose and f"at most {FULL_BUDGET_MIN} min" in prose


def test_a_recorded_ci_run_is_read_from_what_ci_printed() -> None:
    from tools.measure_tests import run_of_ci_log

    printed = (
        "== tests (README: pipenv run test) (123 s since start)\n"
        "----- test time per part (setup + call + teardown) -----\n"
        "unit         190.0 s\nslow         674.2 s\nemulator    1351.9 s\nday-2       1170.8 s\n"
        "----- emulator phase timings -----\nvariants synth                 98.3 s\n"
        "================= 1356 passed, 1 skipped in 1726.05s (0:28:46) =================\n"
        "== done (1857 s since start)\n"
    )
    run = run_of_ci_log(printed, "c969aba")
    assert run == {
        "commit": "c969aba",
        "test_wall_s": 1726.05,
        "ci_wall_s": 1857.0,
        "parts_s": {"unit": 190.0, "slow": 674.2, "emulator": 1351.9, "day-2": 1170.8},
    }
    failed = printed.replace("1356 passed", "1 failed, 1355 passed")
    with pytest.raises(SystemExit, match="a failed run measures nothing"):
        run_of_ci_log(failed, "c969aba")


def test_a_run_of_a_commit_this_repository_lacks_is_refused() -> None:
    from tools import measurement_record

    assert measurement_record.resolve("HEAD") == measurement_record.resolve("HEAD^{commit}")
    with pytest.raises(SystemExit, match="not a commit of this repository"):
        measurement_record.resolve("e743b84ecf0b1")
