"""Every configuration the day-2 scenarios apply, synthesized ahead of time in a subprocess.

The scenario chains are cumulative and known in advance, so their configurations are written and
synthesized while the example's first apply is still waiting on AWS; the scenarios then only copy
stacks out of the results. One process synthesizes them all (`emulator.synth_batch`).
"""

from __future__ import annotations

import copy
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from config.models import ServiceConfig
from emulator import synth_batch
from tests.emulator.example_deployment import ADDED_REGION, REGIONS
from tests.emulator.scenarios import (
    ENDPOINT_STEPS,
    REFUSED,
    ROLLED_BACK,
    SURROUNDINGS_STEPS,
    Step,
)
from tests.support.configs import example_document, merged

SYNTH_TIMEOUT_S = 900
"""From the start of the batch to its end: 11 configurations took 27 s of CPU alone."""
LOG = "batch.log"
ENDPOINT_REGION, SURROUNDINGS_REGION = REGIONS[0], REGIONS[1]


def _chain(base: dict[str, Any], steps: list[Step], prefix: str) -> dict[str, dict[str, Any]]:
    documents = {}
    current = base
    for index, step in enumerate(steps, start=1):
        for scenario in step:
            current = merged(current, scenario.overrides)
        documents[f"{prefix}-{index}"] = current
    return documents


def scenario_documents() -> dict[str, dict[str, Any]]:
    """Label → configuration document: each chain's steps, the added region, the retired one,
    the refused changes and the rolled-back rollout (on top of the endpoint chain's last step)."""
    base = example_document()
    documents = {
        **_chain(base, ENDPOINT_STEPS, "endpoint"),
        **_chain(base, SURROUNDINGS_STEPS, "surroundings"),
    }
    added = copy.deepcopy(base)
    added["regions"] = [*added["regions"], ADDED_REGION]
    documents["added-region"] = added
    retired = copy.deepcopy(documents[f"surroundings-{len(SURROUNDINGS_STEPS)}"])
    retired["regions"] = [r for r in retired["regions"] if r != SURROUNDINGS_REGION]
    retired["retired_regions"] = [SURROUNDINGS_REGION]
    documents["retired-region"] = retired
    last = documents[f"endpoint-{len(ENDPOINT_STEPS)}"]
    for scenario in [*REFUSED, ROLLED_BACK]:
        documents[scenario.id] = merged(last, scenario.overrides)
    return documents


@dataclass
class ScenarioSynths:
    """The synths of every scenario configuration, under way or done, in `root`."""

    root: Path
    documents: dict[str, dict[str, Any]]
    process: subprocess.Popen[bytes] | None = None
    deadline: float = 0.0
    """`time.monotonic()` past which the batch is killed."""

    @classmethod
    def start(cls, root: Path) -> ScenarioSynths:
        synths = cls(root, scenario_documents())
        for label, document in synths.documents.items():
            (root / f"{label}.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
        synths.process = synth_batch.start(root, list(synths.documents), root / LOG)
        synths.deadline = time.monotonic() + SYNTH_TIMEOUT_S
        return synths

    def wait(self) -> int:
        """The batch's exit code, once it has ended; past the deadline it is killed."""
        assert self.process is not None, "the synths were not started"
        try:
            return self.process.wait(timeout=max(0.0, self.deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.stop()
            raise AssertionError(
                f"the day-2 synths ran over {SYNTH_TIMEOUT_S} s and were killed:\n{self._log()}"
            ) from None

    def stop(self) -> None:
        """Kill the batch if it still runs (the session is over or it ran too long)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stack_dir(self, label: str, stack: str) -> Path:
        """The synthesized folder of `stack` in configuration `label` (waits for the synths)."""
        code = self.wait()
        error = self.root / f"{label}{synth_batch.ERROR_SUFFIX}"
        stacks = self.root / label / "stacks"
        assert not error.exists() and stacks.is_dir(), (
            f"synth of day-2 configuration {label} failed (exit {code}):\n"
            + (error.read_text() if error.exists() else self._log())
        )
        return stacks / stack

    def config(self, label: str) -> ServiceConfig:
        return ServiceConfig.model_validate(self.documents[label])

    def _log(self) -> str:
        log = self.root / LOG
        return log.read_text(errors="replace")[-4000:] if log.exists() else "(no output)"
