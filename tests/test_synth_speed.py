"""Guard of the import trick in constructs_lib/__init__.py: a full synth loads few provider modules.

Timing is measured by tools/bench_synth.py (ratios in one run), not asserted here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROBE = """
import json, runpy, sys
try:
    runpy.run_path("main.py", run_name="__main__")
except SystemExit as exit_:
    assert exit_.code in (0, None), exit_.code
loaded = [m for m in sys.modules if m.startswith("cdktf_cdktf_provider_aws")]
print(json.dumps(loaded))
"""


@pytest.mark.slow  # a full synth in a fresh process
def test_full_synth_loads_fewer_than_a_hundred_provider_modules(tmp_path: Path) -> None:
    env = {**os.environ, "CDKTF_OUTDIR": str(tmp_path)}
    env.pop("SERVING_CONFIG", None)
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    loaded = json.loads(result.stdout.splitlines()[-1])
    assert "cdktf_cdktf_provider_aws.sagemaker_endpoint" in loaded  # the probe really synthesized
    # One generated submodule per resource type (each with a `._private` helper); the eager
    # __init__ would load all ~2,200 of them.
    submodules = {m for m in loaded if m.count(".") == 1 and not m.endswith("._jsii")}
    assert len(submodules) < 100, (
        f"{len(submodules)} provider submodules loaded: the eager __init__ ran"
    )
    # README's "Synth speed" quotes the count: it follows the code.
    readme = " ".join((ROOT / "docs" / "testing.md").read_text().split())
    assert f"only the submodules in use load ({len(submodules)} for the example)" in readme, (
        f"docs/testing.md's synth-speed section should say {len(submodules)} submodules"
    )
