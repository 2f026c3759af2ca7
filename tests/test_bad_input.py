"""Broken configurations, run through `main.py` as a user would: each exits non-zero with one clear
message naming the file and the field, prints no traceback, and writes no Terraform at all."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.configs import REMOVE, example_document, merged

ROOT = Path(__file__).resolve().parent.parent
MainRun = Callable[[Path, Path], subprocess.CompletedProcess[str]]

# (id, overrides of the example, field path the message must name)
BROKEN: list[tuple[str, dict[str, Any], str]] = [
    ("missing-service", {"service": REMOVE}, "service"),
    ("missing-model-section", {"model": REMOVE}, "model"),
    ("missing-image", {"model.image_uri": REMOVE}, "model.image_uri"),
    ("wrong-type-regions", {"regions": "us-east-1"}, "regions"),
    ("wrong-type-count", {"endpoint.min_instance_count": "two"}, "endpoint.min_instance_count"),
    ("wrong-type-bool", {"model.network_isolation": "yes"}, "model.network_isolation"),
    ("typo-top-level", {"regoins": ["us-east-1"]}, "regoins"),
    ("typo-nested", {"autoscaling.scale_in_cooldown": 300}, "autoscaling.scale_in_cooldown"),
    ("unknown-region", {"regions": ["us-east-1", "eu-west-7"]}, "regions[1]"),
    ("duplicate-regions", {"regions": ["eu-west-1", "eu-west-1"]}, "regions"),
    (
        "single-instance",
        {"endpoint.min_instance_count": 1},
        "endpoint.min_instance_count",
    ),
    (
        "min-above-max",
        {"endpoint.min_instance_count": 8},
        "endpoint.max_instance_count",
    ),
    ("negative-max", {"endpoint.max_instance_count": -1}, "endpoint.max_instance_count"),
    (
        "bad-role-arn",
        {"model.execution_role_arn": "arn:aws:iam::12345:role/x"},
        "model.execution_role_arn",
    ),
    ("bad-s3-url", {"model.model_data_url": "s3:/bucket-only"}, "model.model_data_url"),
    ("bad-image", {"model.image_uri": "nginx:latest"}, "model.image_uri"),
    ("bad-instance-type", {"endpoint.instance_type": "t3.micro"}, "endpoint.instance_type"),
    ("two-targets", {"autoscaling.target_invocations_per_instance": 100}, "autoscaling"),
    ("zero-safety", {"autoscaling.safety_factor": 0}, "autoscaling.safety_factor"),
    ("record-outside-zone", {"domain.record_name": "api.other.org"}, "domain.record_name"),
    ("bad-state-region", {"state.region": "us-east"}, "state.region"),
    ("bad-cidr", {"load_balancer.ingress_cidrs": ["0.0.0.0/99"]}, "load_balancer.ingress_cidrs"),
    ("proxy-timeout", {"proxy.timeout_s": 120}, "proxy"),
    ("bad-retention", {"proxy.log_retention_days": 10}, "proxy.log_retention_days"),
]

# (id, file name, raw content, text the single problem must contain)
UNREADABLE: list[tuple[str, str, str, str]] = [
    ("empty-file", "empty.yaml", "", "the file is empty"),
    ("comments-only", "comments.yaml", "# todo\n", "the file is empty"),
    ("invalid-yaml", "broken.yaml", "service: serving\nregions: [us-east-1\n", "not valid YAML"),
    (
        "tab-indented-yaml",
        "tabs.yaml",
        "service: serving\nmodel:\n\timage_uri: x\n",
        "not valid YAML",
    ),
    ("duplicate-key", "twice.yaml", "service: a\nservice: b\n", "appears twice"),
    ("invalid-toml", "broken.toml", 'service = "serving\nregions = [\n', "not valid TOML"),
    ("scalar-document", "scalar.yaml", "just a string\n", "must be a mapping"),
    ("wrong-suffix", "config.json", "{}", "unsupported file type"),
]


def run_main(tmp_path: Path, config: Path) -> subprocess.CompletedProcess[str]:
    """`python main.py` as a user runs it, in a process of its own."""
    env = {**os.environ, "CDKTF_OUTDIR": str(tmp_path / "cdktf.out"), "SERVING_CONFIG": str(config)}
    return subprocess.run(
        [sys.executable, "main.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def main_in_process(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> MainRun:
    """main.py's `main()` in this process, with the environment a user would set: the same code
    path as `python main.py` (a configuration is refused before cdktf loads), without paying
    Python's and the checks' start-up (about 1.4 s of CPU) for each of the cases below. An
    exception escaping `main()` fails the test as a traceback would. One case
    (test_missing_file_is_one_clear_message) still runs `python main.py` in a process."""
    import main as entry

    def run(tmp_path: Path, config: Path) -> subprocess.CompletedProcess[str]:
        monkeypatch.setenv("CDKTF_OUTDIR", str(tmp_path / "cdktf.out"))
        monkeypatch.setenv("SERVING_CONFIG", str(config))
        monkeypatch.delenv("CDKTF_CONTEXT_JSON", raising=False)
        capsys.readouterr()
        code = entry.main([])
        captured = capsys.readouterr()
        return subprocess.CompletedProcess(["main.py"], code, captured.out, captured.err)

    return run


def assert_clean_failure(
    tmp_path: Path, config: Path, result: subprocess.CompletedProcess[str]
) -> list[str]:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert not (tmp_path / "cdktf.out").exists(), "wrote partial Terraform output"
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"error: {config}: ")
    return [line.strip() for line in lines[1:-1]]


@pytest.mark.parametrize(
    "overrides, field", [(o, f) for _, o, f in BROKEN], ids=[i for i, _, _ in BROKEN]
)
def test_broken_configuration_names_file_and_field(
    tmp_path: Path, main_in_process: MainRun, overrides: dict[str, Any], field: str
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(merged(example_document(), overrides), sort_keys=False))
    problems = assert_clean_failure(tmp_path, config, main_in_process(tmp_path, config))
    assert any(p.startswith(f"{config}: {field}: ") for p in problems), problems


@pytest.mark.parametrize(
    "name, content, expected",
    [(n, c, e) for _, n, c, e in UNREADABLE],
    ids=[i for i, _, _, _ in UNREADABLE],
)
def test_unreadable_file_is_one_clear_message(
    tmp_path: Path, main_in_process: MainRun, name: str, content: str, expected: str
) -> None:
    config = tmp_path / name
    config.write_text(content)
    (problem,) = assert_clean_failure(tmp_path, config, main_in_process(tmp_path, config))
    assert expected in problem


def test_missing_file_is_one_clear_message(tmp_path: Path) -> None:
    config = tmp_path / "does-not-exist.yaml"
    (problem,) = assert_clean_failure(tmp_path, config, run_main(tmp_path, config))
    assert "file not found" in problem


def test_suite_has_at_least_twenty_broken_configurations() -> None:
    assert len(BROKEN) + len(UNREADABLE) + 1 >= 20
