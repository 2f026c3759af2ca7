"""Given input that is not a plan it can judge, `python -m plan_safety` exits 2 with one line
(malformed), or refuses the change as unjudgeable (a well-formed change it does not know)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from plan_safety.cli import MAX_DEPTH, main
from plan_safety.verdict import verdict
from tests.plan_safety.plans import (
    ENDPOINT_CONFIGURATION,
    STACK,
    endpoint_configuration,
    plan,
    resource,
)

ROOT = Path(__file__).resolve().parents[2]


def run_on(tmp_path: Path, document: Any, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    path = tmp_path / f"{STACK}.plan.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    code = main([str(path)])
    out, err = capsys.readouterr()
    return code, out + err


def with_entry(**fields: Any) -> dict[str, Any]:
    entry = resource("aws_lb.load_balancer_5CB6B27E", ["update"], {}, {})
    entry.update(fields)
    return plan(entry)


@pytest.mark.parametrize(
    "document",
    [
        "[" * 100_000 + "]" * 100_000,
        json.dumps(plan()).replace('"complete"', '"x": ' + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + ', "complete"'),
        with_entry(type=["aws_lb"]),
        plan(resource(ENDPOINT_CONFIGURATION, ["create", "delete"], {}, {})
             | {"before": "x"}),
        plan({**resource(ENDPOINT_CONFIGURATION, ["create", "delete"], {}, {}),
              "change": {"actions": ["create", "delete"], "before": "a string", "after": {}}}),
        plan(resource(
            ENDPOINT_CONFIGURATION, ["create", "delete"],
            {"production_variants": [{"variant_name": "a"}, {"variant_name": 3}]},
            {"production_variants": [{"variant_name": None}, {"variant_name": "b"}]},
        )),
    ],
    ids=["deep-brackets", "deeper-than-limit", "list-as-type", "stray-top-level-key", "string-before",
         "mixed-variant-names"],
)  # fmt: skip
def test_malformed_plan_exits_2_or_is_judged_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], document: Any
) -> None:
    code, output = run_on(tmp_path, document, capsys)
    assert "Traceback" not in output
    assert code in (0, 1, 2)
    if code == 2:
        assert len(output.strip().splitlines()) == 1, output
        assert output.startswith("plan_safety: "), output


def test_deep_nesting_is_refused_as_not_a_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, output = run_on(tmp_path, "[" * 100_000 + "]" * 100_000, capsys)
    assert code == 2
    assert f"nested deeper than {MAX_DEPTH} levels" in output


def test_a_list_as_a_type_is_malformed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, output = run_on(tmp_path, with_entry(type=["aws_lb"]), capsys)
    assert code == 2
    assert "type is not a string" in output


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / f"{STACK}.plan.json"
    os.mkfifo(fifo)
    result = subprocess.run(
        [sys.executable, "-m", "plan_safety", str(fifo)],
        cwd=ROOT, capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip().endswith("not a regular file; save the plan JSON to a file first")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_a_device_is_refused_without_reading_it(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--stack", STACK, "/dev/zero"])
    assert code == 2
    assert "not a regular file" in capsys.readouterr().err


def test_a_change_without_a_type_is_refused_as_unjudgeable() -> None:
    entry = resource("aws_lb.load_balancer_5CB6B27E", ["update"], {}, {})
    del entry["type"]
    result = verdict(plan(entry), STACK)
    assert result.kind == "refused"
    assert result.refused == ["aws_lb.load_balancer_5CB6B27E (cannot judge: no resource type)"]


def test_an_unknown_action_is_refused_as_unjudgeable() -> None:
    entry = resource("aws_cloudwatch_dashboard.dashboard_9E73CAB7", ["import"], {}, {})
    result = verdict(plan(entry), STACK)
    assert result.exit_code == 1
    assert result.refused == [
        "aws_cloudwatch_dashboard.dashboard_9E73CAB7 (cannot judge: unknown action import)"
    ]


def test_variant_rename_by_moving_the_configuration_to_a_new_address_is_refused() -> None:
    moved_to = "aws_sagemaker_endpoint_configuration.inference_variant_blue_configuration_1234"
    result = verdict(
        plan(
            resource(
                ENDPOINT_CONFIGURATION, ["delete"],
                endpoint_configuration("primary", "ml.m5.large", "serving-prod-config-1"),
            ),
            resource(moved_to, ["create"], None,
                     endpoint_configuration("blue", "ml.m5.large", None)),
        ),
        STACK,
    )  # fmt: skip
    assert result.refused == [
        f"{ENDPOINT_CONFIGURATION} (production variant renamed primary → blue (configuration "
        "moved to a new address): blue/green needs the same variant name)"
    ]


def test_moving_the_configuration_with_the_same_variant_names_is_not_refused() -> None:
    moved_to = "aws_sagemaker_endpoint_configuration.inference_variant_blue_configuration_1234"
    result = verdict(
        plan(
            resource(
                ENDPOINT_CONFIGURATION, ["delete"],
                endpoint_configuration("primary", "ml.m5.large", "serving-prod-config-1"),
            ),
            resource(moved_to, ["create"], None,
                     endpoint_configuration("primary", "ml.m5.xlarge", None)),
        ),
        STACK,
    )  # fmt: skip
    assert result.refused == []
