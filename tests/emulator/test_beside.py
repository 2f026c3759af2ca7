"""The helper that applies a configuration beside the example (beside.py), against a stand-in
Terraform: it returns at once, applies in the background, and reports a failed phase to the
test that waits for it."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from config.loader import DEFAULT_CONFIG
from emulator.deployment import PhaseTimer
from emulator.terraform import Terraform
from tests.emulator.beside import start_beside

pytestmark = pytest.mark.slow  # two synths in subprocesses

FAKE_TERRAFORM = """#!/bin/sh
echo "$(pwd) $*" >> "$CALLS"
case "$1" in
  apply) sleep 1; [ -z "$FAIL_APPLY" ] || { echo "Error: no such API" >&2; exit 1; } ;;
  show) echo '{"values": {"root_module": {"resources": []}}}' ;;
esac
exit 0
"""


class FakeRoute53:
    def __init__(self) -> None:
        self.zones: list[str] = []

    def list_hosted_zones_by_name(self, DNSName: str) -> dict[str, Any]:
        return {"HostedZones": [{"Name": f"{z}."} for z in self.zones]}

    def create_hosted_zone(self, Name: str, CallerReference: str) -> None:
        self.zones.append(Name)


class FakeEmulator:
    endpoint_url = "http://127.0.0.1:1"

    def __init__(self) -> None:
        self.route53 = FakeRoute53()

    def client(self, service: str, region: str) -> Any:
        assert service == "route53"
        return self.route53

    def server_errors(self) -> list[str]:
        return []


def fake_terraform(tmp_path: Path, **env: str) -> Terraform:
    binary = tmp_path / "terraform"
    binary.write_text(FAKE_TERRAFORM)
    binary.chmod(0o755)
    return Terraform(str(binary), {**os.environ, "CALLS": str(tmp_path / "calls.log"), **env})


def test_applies_in_the_background_and_converges(tmp_path: Path) -> None:
    emulator = FakeEmulator()
    started = time.monotonic()
    beside = start_beside(
        "copy", DEFAULT_CONFIG, moto_server=emulator, terraform=fake_terraform(tmp_path),
        timer=PhaseTimer(), root=tmp_path / "beside",
    )  # fmt: skip
    assert time.monotonic() - started < 1, "start_beside waited for the apply"
    beside.wait()
    assert beside.stacks == ["serving-prod-us-east-1", "serving-prod-eu-west-1"]
    assert {s: r.result.returncode for s, r in beside.converged.items()} == dict.fromkeys(
        beside.stacks, 0
    )
    calls = (tmp_path / "calls.log").read_text().splitlines()
    for stack in beside.stacks:
        mine = [c.split(" ", 1)[1] for c in calls if c.split(" ")[0].endswith(f"/{stack}")]
        # No `show` after the apply: the snapshot reads the state file (emulator/state_file.py).
        assert [c.split()[0] for c in mine] == ["init", "plan", "apply", "plan"], mine
        assert (tmp_path / "beside" / stack / "zz_emulator_override.tf.json").is_file()
    assert emulator.route53.zones == ["example.com"]

    beside.start_teardown()
    beside.wait_teardown()
    assert set(beside.torn_down) == set(beside.stacks)


def test_a_failed_apply_fails_the_waiting_test(tmp_path: Path) -> None:
    beside = start_beside(
        "broken", DEFAULT_CONFIG, moto_server=FakeEmulator(),
        terraform=fake_terraform(tmp_path, FAIL_APPLY="1"), timer=PhaseTimer(),
        root=tmp_path / "beside",
    )  # fmt: skip
    with pytest.raises(pytest.fail.Exception, match="no such API"):
        beside.wait()
