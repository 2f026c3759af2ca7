"""The test harness's Terraform: Go's garbage collector settings (emulator.terraform.GO_RUNTIME)
reach Terraform and its provider, and a user's own settings win."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.terraform import GO_RUNTIME, offline_terraform


def test_terraform_runs_with_the_harness_gc_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in GO_RUNTIME:
        monkeypatch.delenv(name, raising=False)
    terraform = offline_terraform(tmp_path)
    assert {name: terraform.env[name] for name in GO_RUNTIME} == {
        "GOGC": "400",
        "GOMEMLIMIT": "2GiB",
    }
    # Go refuses a malformed GOMEMLIMIT at start-up ("invalid GOMEMLIMIT"): Terraform running at
    # all proves both values are read as meant.
    result = terraform.run(tmp_path, "version", "-json")
    assert '"terraform_version"' in result.stdout


def test_a_users_own_gc_settings_win(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOGC", "100")
    monkeypatch.delenv("GOMEMLIMIT", raising=False)
    terraform = offline_terraform(tmp_path)
    assert terraform.env["GOGC"] == "100"
    assert terraform.env["GOMEMLIMIT"] == "2GiB"
