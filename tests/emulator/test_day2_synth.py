"""The day-2 synth batch: a configuration that fails is reported by name, with its reason, to
the test that needs it; the others are not held up; a batch that hangs is killed."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from emulator.synth_batch import ERROR_SUFFIX, synth_all
from tests.emulator.day2_synth import LOG, ScenarioSynths
from tests.support.configs import example_document, merged

STACK = "serving-prod-us-east-1"


def _python(code: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", code])


def _ended(root: Path, code: int, output: str) -> subprocess.Popen[bytes]:
    """A batch that has ended with exit `code`, having written `output` to its log."""
    (root / LOG).write_text(output)
    process = _python(f"raise SystemExit({code})")
    process.wait()
    return process


def test_a_refused_configuration_is_reported_by_its_label(tmp_path: Path) -> None:
    bad = merged(example_document(), {"endpoint": {"variant_name": "no spaces allowed"}})
    (tmp_path / "broken.yaml").write_text(yaml.safe_dump(bad, sort_keys=False))
    assert synth_all(tmp_path, ["broken"]) == 1
    reason = (tmp_path / f"broken{ERROR_SUFFIX}").read_text()
    assert reason.startswith("ConfigError: ") and "endpoint.variant_name" in reason, reason

    synths = ScenarioSynths(tmp_path, {"broken": bad}, _ended(tmp_path, 1, ""))
    with pytest.raises(AssertionError, match=r"(?s)configuration broken failed.*variant_name"):
        synths.stack_dir("broken", STACK)


def test_a_label_the_batch_never_wrote_is_a_failure_not_a_missing_folder(tmp_path: Path) -> None:
    process = _ended(tmp_path, 3, "Killed")
    synths = ScenarioSynths(tmp_path, {"endpoint-1": example_document()}, process)
    with pytest.raises(AssertionError, match=r"(?s)endpoint-1 failed \(exit 3\).*Killed"):
        synths.stack_dir("endpoint-1", STACK)


def test_a_written_label_is_found_while_another_failed(tmp_path: Path) -> None:
    (tmp_path / "good" / "stacks" / STACK).mkdir(parents=True)
    (tmp_path / f"bad{ERROR_SUFFIX}").write_text("ConfigError: bad")
    synths = ScenarioSynths(tmp_path, {}, _ended(tmp_path, 1, ""))
    assert synths.stack_dir("good", STACK) == tmp_path / "good" / "stacks" / STACK


def test_a_batch_past_its_deadline_is_killed_and_fails(tmp_path: Path) -> None:
    (tmp_path / LOG).write_text("still synthesizing endpoint-3")
    hanging = _python("import time; time.sleep(120)")
    synths = ScenarioSynths(tmp_path, {}, hanging, deadline=time.monotonic() + 0.5)
    started = time.monotonic()
    with pytest.raises(AssertionError, match=r"(?s)were killed.*still synthesizing endpoint-3"):
        synths.stack_dir("endpoint-3", STACK)
    assert time.monotonic() - started < 30
    assert hanging.poll() is not None, "the hanging batch is not left running"


def test_stop_kills_a_batch_that_still_runs(tmp_path: Path) -> None:
    hanging = _python("import time; time.sleep(120)")
    ScenarioSynths(tmp_path, {}, hanging, deadline=time.monotonic() + 600).stop()
    assert hanging.poll() is not None
