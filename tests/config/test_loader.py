"""Given a file that cannot be read as a configuration, the error names the file and the fix."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from config.loader import (
    CONFIG_ENV_VAR,
    DEFAULT_CONFIG,
    MAX_LINE,
    ConfigError,
    load_config,
    resolve_config_path,
)
from tests.support.configs import example_document, write_config


def error_for(path: Path) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return caught.value


def test_missing_file_says_how_to_choose_one(tmp_path: Path) -> None:
    error = error_for(tmp_path / "nope.yaml")
    assert error.problems == [
        f"file not found; point {CONFIG_ENV_VAR} at a configuration file, e.g. config/example.yaml"
    ]
    assert "nope.yaml" in error.path


def test_empty_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("# nothing here\n")
    assert error_for(path).problems == [
        "the file is empty; start from a copy of config/example.yaml"
    ]


def test_invalid_yaml_is_reported_with_position(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("service: serving\nregions: [us-east-1\n")
    (problem,) = error_for(path).problems
    assert problem.startswith("not valid YAML:")
    assert "line" in problem


def test_duplicate_yaml_key_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "twice.yaml"
    path.write_text("service: a\nservice: b\n")
    (problem,) = error_for(path).problems
    assert "key 'service' appears twice (first on line 1); keep one" in problem


def test_top_level_list_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- us-east-1\n")
    assert error_for(path).problems == ["the top level must be a mapping of settings, not a list"]


def test_toml_configuration_is_accepted(tmp_path: Path) -> None:
    import json

    document = example_document()
    path = tmp_path / "config.toml"
    # TOML from the example: JSON-compatible values written as inline tables.
    lines = [
        f"{key} = {json.dumps(value)}"
        for key, value in document.items()
        if not isinstance(value, dict)
    ]
    for key, value in document.items():
        if isinstance(value, dict):
            lines.append(f"\n[{key}]")
            for sub, sub_value in value.items():
                if isinstance(sub_value, dict):
                    inner = ", ".join(f"{k} = {json.dumps(v)}" for k, v in sub_value.items())
                    lines.append(f"{sub} = {{ {inner} }}")
                elif isinstance(sub_value, list) and sub_value and isinstance(sub_value[0], dict):
                    items = ", ".join(
                        "{ " + ", ".join(f"{k} = {json.dumps(v)}" for k, v in item.items()) + " }"
                        for item in sub_value
                    )
                    lines.append(f"{sub} = [{items}]")
                else:
                    lines.append(f"{json.dumps(sub)} = {json.dumps(sub_value)}")
    path.write_text("\n".join(lines) + "\n")
    assert load_config(path).name == "serving-prod"


def test_invalid_toml_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("service = \n")
    (problem,) = error_for(path).problems
    assert problem.startswith("not valid TOML:")


def test_unsupported_suffix_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text("{}")
    assert error_for(path).problems == ["unsupported file type '.json'; use .yaml or .toml"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files regardless of permissions")
def test_unreadable_file_is_reported(tmp_path: Path) -> None:
    path = write_config(tmp_path, {})
    path.chmod(0)
    assert error_for(path).problems == ["cannot read the file (Permission denied)"]


def test_directory_instead_of_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "dir.yaml"
    path.mkdir()
    (problem,) = error_for(path).problems
    assert problem.startswith("cannot read the file (")


def test_error_text_names_file_field_and_reference(tmp_path: Path) -> None:
    path = write_config(tmp_path, {"endpoint.min_instance_count": 1})
    text = str(error_for(path))
    lines = text.splitlines()
    assert lines[0] == f"error: {path}: 1 problem in the configuration"
    assert lines[1].startswith(f"  {path}: endpoint.min_instance_count: ")
    assert "docs/configuration.md" in lines[-1]


def test_environment_variable_chooses_the_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(CONFIG_ENV_VAR, str(tmp_path / "x.yaml"))
    assert resolve_config_path("ignored-context.yaml") == tmp_path / "x.yaml"


def test_context_chooses_the_file_when_no_environment_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(CONFIG_ENV_VAR, raising=False)
    assert resolve_config_path("config/staging.yaml") == Path.cwd() / "config/staging.yaml"


def test_example_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CONFIG_ENV_VAR, raising=False)
    assert resolve_config_path(None) == DEFAULT_CONFIG


def test_a_shortened_problem_keeps_its_numbers(tmp_path: Path) -> None:
    # Given a rollout far longer than the provider waits: the message is over the line cap.
    path = write_config(tmp_path, {"rollout.wait_s": 3600, "rollout.termination_wait_s": 3600})
    with pytest.raises(ConfigError) as error:
        load_config(path)
    (problem,) = error.value.problems
    assert len(problem) <= MAX_LINE
    for number in ("11700 s", "3600 s", "maximum_execution_timeout_s (3000 s", "60 minutes"):
        assert number in problem, problem
    assert problem.endswith("or lower the start-up timeouts")
