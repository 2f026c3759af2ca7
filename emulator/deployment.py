"""Run Terraform on several stack copies at once, and time each phase of the emulator test."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from emulator.moto_server import MotoServer
from emulator.override import STATE_FILE
from emulator.state_file import shown_state
from emulator.terraform import Terraform

OUTPUT_TAIL_CHARS = 6000
_INIT_LOCK = threading.Lock()


@dataclass
class PhaseTimer:
    """Wall-clock seconds of each phase, with per-stack seconds for phases run in parallel."""

    records: list[tuple[str, float, dict[str, float]]] = field(default_factory=list)

    @contextmanager
    def phase(self, name: str) -> Iterator[dict[str, float]]:
        details: dict[str, float] = {}
        start = time.monotonic()
        try:
            yield details
        finally:
            seconds = time.monotonic() - start
            self.records.append((name, seconds, details))
            per_stack = ", ".join(f"{stack} {s:.1f} s" for stack, s in details.items())
            print(f"[emulator] {name}: {seconds:.1f} s" + (f" ({per_stack})" if per_stack else ""))

    def record(self, name: str, seconds: float) -> None:
        """A phase timed elsewhere (e.g. spread over several tests)."""
        self.records.append((name, seconds, {}))
        print(f"[emulator] {name}: {seconds:.1f} s")

    def report(self) -> list[str]:
        lines = []
        for name, seconds, details in self.records:
            lines.append(f"{name:<28} {seconds:6.1f} s")
            lines += [f"  {stack:<26} {s:6.1f} s" for stack, s in details.items()]
        return lines


TIMER = pytest.StashKey[PhaseTimer]()
"""The session's phase timer, for the terminal summary (tests/conftest.py); under pytest-xdist
the controller's is filled from the worker that ran the emulator tests."""


@dataclass(frozen=True)
class StackRun:
    stack: str
    args: tuple[str, ...]
    result: subprocess.CompletedProcess[str]
    seconds: float

    @property
    def output(self) -> str:
        return f"{self.result.stdout}\n{self.result.stderr}"

    def describe(self) -> str:
        """Errors first (stderr), then the end of the output (the plan or the apply log)."""
        return (
            f"--- terraform {' '.join(self.args)} in {self.stack}: exit {self.result.returncode} "
            f"after {self.seconds:.1f} s\n{self.result.stderr[-OUTPUT_TAIL_CHARS:]}\n"
            f"--- end of its output:\n{self.result.stdout[-OUTPUT_TAIL_CHARS:]}"
        )


def _slug(phase: str) -> str:
    return "-".join(phase.replace("(", "").replace(")", "").split())


def emulator_only(terraform: Terraform) -> Terraform:
    """The same Terraform with the caller's AWS settings removed, so only the override counts."""
    env = {k: v for k, v in terraform.env.items() if not k.startswith("AWS_")}
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    return replace(terraform, env=env)


@dataclass
class Deployment:
    """The synthesized stacks, copied with the emulator override, and Terraform to run on them."""

    terraform: Terraform
    emulator: MotoServer
    workdirs: dict[str, Path]
    timer: PhaseTimer
    applied_state: dict[str, dict[str, Any]] = field(default_factory=dict)
    planned: dict[str, StackRun] = field(default_factory=dict)
    """The first plan of every stack (before anything exists)."""
    applied_at: float | None = None
    """When the apply phase ended (monotonic clock)."""
    failures: dict[str, str] = field(default_factory=dict)
    """Phases that failed, with Terraform's account of what went wrong."""
    reported: set[str] = field(default_factory=set)
    stack_configs: dict[str, Any] = field(default_factory=dict)
    """The configuration each live region stack was last applied from (day-2 scenarios change
    them stack by stack; teardown re-synthesizes each from its own)."""
    destroyed: dict[str, StackRun] = field(default_factory=dict)
    """Region stacks already destroyed (a day-2 scenario removes a region)."""

    def live_region_stacks(self) -> list[str]:
        return [stack for stack in self.stack_configs if stack not in self.destroyed]

    def run(
        self, phase: str, stacks: list[str], *args: str, timeout: int = 600
    ) -> dict[str, StackRun]:
        """`terraform <args>` in each stack, all at once (one thread each); every result."""
        slug = _slug(phase)

        def one(stack: str) -> StackRun:
            start = time.monotonic()
            workdir = self.workdirs[stack]
            result = self.terraform.run(workdir, *args, "-no-color", timeout=timeout, check=False)
            run = StackRun(stack, args, result, time.monotonic() - start)
            # The whole output, for a look after the run (CI can keep the folder as an artifact).
            (workdir / f"terraform-{slug}.log").write_text(f"{run.output}\n")
            return run

        with self.timer.phase(phase) as details, ThreadPoolExecutor(len(stacks)) as pool:
            runs = {run.stack: run for run in pool.map(one, stacks)}
            details.update({stack: run.seconds for stack, run in runs.items()})
        return runs

    def failure(self, runs: dict[str, StackRun]) -> str | None:
        """What went wrong in the runs that failed, or None when every run succeeded."""
        failed = [run for run in runs.values() if run.result.returncode != 0]
        if not failed:
            return None
        errors = self.emulator.server_errors()
        hint = "\n--- requests the emulator failed (a missing API? see moto_server.GAPS):\n"
        return "\n".join(run.describe() for run in failed) + (
            hint + "\n".join(errors[-20:]) if errors else ""
        )

    def require_success(self, runs: dict[str, StackRun]) -> None:
        message = self.failure(runs)
        if message:
            raise AssertionError(message)

    def record(self, phase: str, runs: dict[str, StackRun]) -> bool:
        """Keep a failed phase's account for `require`; True when the phase succeeded."""
        message = self.failure(runs)
        if message:
            self.failures[phase] = message
        return message is None

    def require(self, *phases: str) -> None:
        """Fail the calling test if one of `phases` failed: in full the first time, then briefly,
        so one failed apply does not print its whole output once for every check."""
        for phase in phases:
            if phase not in self.failures:
                continue
            if phase in self.reported:
                pytest.fail(
                    f"terraform {phase} failed (reported in full by the first test that needed "
                    f"it; whole output in <stack copy>/terraform-{_slug(phase)}.log)",
                    pytrace=False,
                )
            self.reported.add(phase)
            pytest.fail(self.failures[phase], pytrace=False)

    def init(self, stacks: list[str]) -> bool:
        """`terraform init` of each stack; True when all succeeded (else see `require`)."""
        # One after another: Terraform's plugin cache is not safe for concurrent installs, and
        # with the cache warm an init takes about a second. The lock holds off an init in
        # another thread (a deployment beside this one, beside.py).
        runs = {}
        with _INIT_LOCK, self.timer.phase("init") as details:
            for stack in stacks:
                start = time.monotonic()
                result = self.terraform.run(
                    self.workdirs[stack], "init", "-input=false", "-no-color", check=False
                )
                details[stack] = time.monotonic() - start
                runs[stack] = StackRun(stack, ("init",), result, details[stack])
        return self.record("init", runs)

    def snapshot_state(self, stack: str, keep_released: bool = False) -> dict[str, Any]:
        """The stack's state as `terraform show -json` shows it (read from the state file, see
        state_file.py), kept so later checks know what was created.

        `keep_released`: resources of the previous snapshot that are no longer in the state
        (released by `removed` blocks, still in AWS) stay in it, for the checks that they were
        kept."""
        previous = self.applied_state.get(stack, {}).get("values", {}).get("root_module", {})
        snapshot = shown_state(self.workdirs[stack] / STATE_FILE)
        if keep_released and previous:
            module = snapshot.setdefault("values", {}).setdefault("root_module", {})
            now = {r["address"] for r in module.get("resources", [])}
            released = [r for r in previous.get("resources", []) if r["address"] not in now]
            module["resources"] = [*module.get("resources", []), *released]
        self.applied_state[stack] = snapshot
        return snapshot

    def applied(self, stack: str, resource_type: str) -> list[dict[str, Any]]:
        """Attribute values of every resource of a type in the state snapshot taken after apply."""
        module = self.applied_state[stack].get("values", {}).get("root_module", {})
        return [r["values"] for r in module.get("resources", []) if r["type"] == resource_type]

    def state_list(self, stack: str) -> list[str]:
        result = self.terraform.run(self.workdirs[stack], "state", "list", "-no-color")
        return result.stdout.split()
