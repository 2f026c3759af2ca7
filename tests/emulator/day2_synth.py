"""Every configuration the day-2 scenarios apply, synthesized ahead of time in a subprocess.

The scenario chains are cumulative and known in advance, so their configurations are written and
synthesized while the example's first apply is still waiting on AWS; the scenarios then only copy
stacks out of the results. One process synthesizes them all, one after another (`python -m
tests.emulator.day2_synth ROOT LABEL...`): each configuration is checked by `load_config` and
synthesized by `synth_app`, as `main.py` does, and the process loads Python, jsii and the
provider once instead of once per configuration (`main.py` itself is tested elsewhere).
"""

from __future__ import annotations

import copy
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
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
SYNTH_TIMEOUT_S = 900
ERROR_SUFFIX = ".error"
"""`ROOT/LABEL.error`: why configuration LABEL did not synthesize (the others go on)."""
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
    batch: Future[subprocess.CompletedProcess[str]] | None = None

    @classmethod
    def start(cls, root: Path) -> ScenarioSynths:
        synths = cls(root, scenario_documents())
        for label, document in synths.documents.items():
            (root / f"{label}.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="day2-synth")
        synths.batch = pool.submit(
            subprocess.run,
            [sys.executable, "-m", "tests.emulator.day2_synth", str(root), *synths.documents],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=SYNTH_TIMEOUT_S,
            check=False,
        )
        pool.shutdown(wait=False)
        return synths

    def stack_dir(self, label: str, stack: str) -> Path:
        """The synthesized folder of `stack` in configuration `label` (waits for the synths)."""
        assert self.batch is not None, "the synths were not started"
        result = self.batch.result()
        error = self.root / f"{label}{ERROR_SUFFIX}"
        stacks = self.root / label / "stacks"
        assert not error.exists() and stacks.is_dir(), (
            f"synth of day-2 configuration {label} failed (exit {result.returncode}):\n"
            + (error.read_text() if error.exists() else result.stderr[-4000:])
        )
        return stacks / stack

    def config(self, label: str) -> ServiceConfig:
        return ServiceConfig.model_validate(self.documents[label])


def synth_all(root: Path, labels: list[str]) -> int:
    """Synthesize `ROOT/LABEL.yaml` into `ROOT/LABEL/` for each label, in order; a failure is
    written to `ROOT/LABEL.error` and the rest go on. Exit 1 if any failed."""
    import constructs_lib  # noqa: F401  (must precede provider imports; see its docstring)
    from config.loader import load_config
    from stacks.app import synth_app

    failed = 0
    for label in labels:
        try:
            synth_app(load_config(root / f"{label}.yaml"), root / label)
        except Exception as error:  # reported by the test that needs this configuration
            (root / f"{label}{ERROR_SUFFIX}").write_text(f"{type(error).__name__}: {error}")
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(synth_all(Path(sys.argv[1]), sys.argv[2:]))
