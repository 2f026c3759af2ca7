"""The day-2 synth batch: a configuration that fails is reported by name, with its reason, to
the test that needs it; the others are not held up."""

from __future__ import annotations

import subprocess
from concurrent.futures import Future
from pathlib import Path

import pytest
import yaml

from tests.emulator.day2_synth import ERROR_SUFFIX, ScenarioSynths, synth_all
from tests.support.configs import example_document, merged


def test_a_refused_configuration_is_reported_by_its_label(tmp_path: Path) -> None:
    bad = merged(example_document(), {"endpoint": {"variant_name": "no spaces allowed"}})
    (tmp_path / "broken.yaml").write_text(yaml.safe_dump(bad, sort_keys=False))
    assert synth_all(tmp_path, ["broken"]) == 1
    reason = (tmp_path / f"broken{ERROR_SUFFIX}").read_text()
    assert reason.startswith("ConfigError: ") and "endpoint.variant_name" in reason, reason

    finished: Future[subprocess.CompletedProcess[str]] = Future()
    finished.set_result(subprocess.CompletedProcess([], 1, "", ""))
    synths = ScenarioSynths(tmp_path, {"broken": bad}, finished)
    with pytest.raises(AssertionError, match=r"synth of day-2 configuration broken failed"):
        synths.stack_dir("broken", "serving-prod-us-east-1")


def test_a_label_the_batch_never_wrote_is_a_failure_not_a_missing_folder(tmp_path: Path) -> None:
    finished: Future[subprocess.CompletedProcess[str]] = Future()
    finished.set_result(subprocess.CompletedProcess([], -9, "", "Killed"))
    synths = ScenarioSynths(tmp_path, {"endpoint-1": example_document()}, finished)
    with pytest.raises(AssertionError, match=r"(?s)endpoint-1 failed \(exit -9\).*Killed"):
        synths.stack_dir("endpoint-1", "serving-prod-us-east-1")
