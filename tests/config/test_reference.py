"""The checked-in JSON Schema and the README's configuration reference match the models."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from config.reference import REFERENCE_BEGIN, REFERENCE_END, json_schema, markdown_reference

ROOT = Path(__file__).resolve().parents[2]


def test_checked_in_schema_is_current() -> None:
    checked_in = (ROOT / "config" / "serving.schema.json").read_text()
    assert checked_in == json_schema(), "run: pipenv run python tools/update_reference.py"


def test_schema_forbids_unknown_keys() -> None:
    schema = json.loads(json_schema())
    assert schema["additionalProperties"] is False
    assert all(d.get("additionalProperties") is False for d in schema["$defs"].values())


def test_readme_reference_is_current() -> None:
    readme = (ROOT / "docs" / "configuration.md").read_text()
    start, end = readme.index(REFERENCE_BEGIN), readme.index(REFERENCE_END) + len(REFERENCE_END)
    assert readme[start:end] + "\n" == markdown_reference(), (
        "docs/configuration.md's reference is stale: run `pipenv run python tools/update_reference.py`"
    )


def test_reference_lists_every_field_with_a_description() -> None:
    rows = [line for line in markdown_reference().splitlines() if line.startswith("| `")]
    assert any(row.startswith("| `endpoint.min_instance_count` | integer | `2` |") for row in rows)
    assert all(not row.rstrip().endswith("|  |") for row in rows), "a field lacks a description"


def test_check_command_validates_a_file_without_synthesizing() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "config", "check", "config/example.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "valid (serving-prod, regions us-east-1, eu-west-1)" in result.stdout
