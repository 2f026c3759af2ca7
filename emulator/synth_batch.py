"""Many configurations synthesized in one process: `python -m emulator.synth_batch ROOT LABEL...`.

Each `ROOT/LABEL.yaml` is checked by `load_config` and synthesized by `synth_app` into
`ROOT/LABEL/`, as `main.py` does, one after another. Python, jsii and the provider load once
instead of once per configuration (`tools/measure_batch_synth.py` measures the difference;
`main.py` itself is tested on its own). A configuration that fails is written to
`ROOT/LABEL.error` and the others go on.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ERROR_SUFFIX = ".error"
"""`ROOT/LABEL.error`: why configuration LABEL did not synthesize."""


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
        except Exception as error:  # reported by whoever needs this configuration
            (root / f"{label}{ERROR_SUFFIX}").write_text(f"{type(error).__name__}: {error}")
            failed += 1
    return 1 if failed else 0


def start(root: Path, labels: list[str], log: Path) -> subprocess.Popen[bytes]:
    """The batch for `labels`, started in the background; its output goes to `log`."""
    with log.open("wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "emulator.synth_batch", str(root), *labels],
            cwd=Path(__file__).resolve().parent.parent,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


if __name__ == "__main__":
    sys.exit(synth_all(Path(sys.argv[1]), sys.argv[2:]))
