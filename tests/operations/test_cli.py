"""`python -m operations`: help, and one clear line (exit 2) whenever nothing can be judged."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from operations.__main__ import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = str(ROOT / "config" / "example.yaml")


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    monkeypatch.delenv("AWS_WEB_IDENTITY_TOKEN_FILE", raising=False)


@pytest.mark.parametrize("args", [["--help"], ["status", "--help"], ["smoke", "--help"]])
def test_help_exits_0_and_names_the_commands(args: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "operations", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: python -m operations")


@pytest.mark.usefixtures("no_credentials")
def test_without_credentials_status_says_so_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["status", "--config", EXAMPLE])
    err = capsys.readouterr().err

    assert code == 2
    assert err.startswith("error: no AWS credentials")
    assert err.count("\n") == 1


def test_an_unreachable_aws_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # discard port: refused

    code = main(["status", "--config", EXAMPLE, "--region", "us-east-1"])
    err = capsys.readouterr().err

    assert code == 2
    assert err.startswith("error: AWS is unreachable while reading us-east-1")
    assert err.count("\n") == 1


def test_a_bad_config_file_is_named(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"

    code = main(["status", "--config", str(missing)])

    assert code == 2
    assert "nope.yaml" in capsys.readouterr().err


def test_a_stack_of_another_configuration_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["status", "--config", EXAMPLE, "--stack", "serving-prod-ap-south-1"])

    assert code == 2
    assert capsys.readouterr().err == (
        "error: --stack serving-prod-ap-south-1 is not a region stack of this configuration: "
        "serving-prod-eu-west-1, serving-prod-us-east-1\n"
    )
