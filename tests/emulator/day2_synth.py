"""Every configuration the day-2 scenarios apply, synthesized ahead of time in subprocesses.

The scenario chains are cumulative and known in advance, so their configurations are written and
synthesized (`python main.py`, as `cdktf synth` runs it) two at a time while the example's first
apply is still waiting on AWS; the scenarios then only copy stacks out of the results.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from config.models import ServiceConfig
from tests.emulator.example_deployment import ADDED_REGION, REGIONS
from tests.emulator.scenarios import (
    ENDPOINT_STEPS,
    REFUSED,
    ROLLED_BACK,
    SURROUNDINGS_STEPS,
    Step,
)
from tests.support.configs import example_document, merged

ROOT = Path(__file__).resolve().parents[2]
SYNTH_TIMEOUT_S = 600
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
    """Synths under way or done, by label."""

    root: Path
    documents: dict[str, dict[str, Any]]
    futures: dict[str, Future[subprocess.CompletedProcess[str]]] = field(default_factory=dict)

    @classmethod
    def start(cls, root: Path) -> ScenarioSynths:
        synths = cls(root, scenario_documents())
        pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="day2-synth")
        for label, document in synths.documents.items():
            path = root / f"{label}.yaml"
            path.write_text(yaml.safe_dump(document, sort_keys=False))
            env = {
                **os.environ,
                "SERVING_CONFIG": str(path),
                "CDKTF_OUTDIR": str(root / label),
            }
            synths.futures[label] = pool.submit(
                subprocess.run,
                [sys.executable, "main.py"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=SYNTH_TIMEOUT_S,
                check=False,
            )
        pool.shutdown(wait=False)
        return synths

    def stack_dir(self, label: str, stack: str) -> Path:
        """The synthesized folder of `stack` in configuration `label` (waits for its synth)."""
        result = self.futures[label].result()
        assert result.returncode == 0, (
            f"synth of day-2 configuration {label} failed:\n{result.stderr}"
        )
        return self.root / label / "stacks" / stack

    def config(self, label: str) -> ServiceConfig:
        return ServiceConfig.model_validate(self.documents[label])
