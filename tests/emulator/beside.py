"""Another configuration's stacks, applied in the emulator beside the example's, in the background.

The emulator's time is mostly Terraform waiting on the provider's own polls (an ALB about 60 s,
an S3 lifecycle configuration about 55 s, a KMS key about 12 s), not CPU. An independent set of
stacks applied at the same time as the example's costs little wall time; applied after it, it
would add its whole apply to the run.

To apply another configuration (say `config/examples/ab-shadow.yaml`) in the emulator:

1. Add it to `BESIDE_EXAMPLE` below. tests/emulator/conftest.py starts every entry, when a
   selected test uses the fixture `beside_example`, just before the example's own apply: in a
   thread, a synth in a subprocess (`python main.py`, as `cdktf synth` runs it), then `init`,
   `plan -out`, `apply` of that plan and a re-plan that must be empty, against the session's
   moto server.
2. Test it in a module marked `emulator` (which also puts it in the emulator's xdist group and
   in `slow`), through `beside_example[name].wait()`: it blocks until the apply and re-plan are
   done and fails the test, once in full, if one failed. The applied `Deployment` and the runs
   are then at hand, e.g. `checks.endpoint_in_service(applied.deployment, applied.config, region)`
   and `applied.converged[stack].result.returncode == 0`.
3. Tear it down the same way: `start_teardown()` (the documented teardown: apply with deletion
   protection off, then destroy, in the background), later `wait_teardown()`, then the
   `checks.REGION_GONE_CHECKS`. Day-2 changes follow the same pattern (a thread per independent
   chain); test_day2.py runs its two chains and a region addition side by side.

What such a configuration must differ in: its service name (`name`, and not one that starts with
the example's: the checks find resources by name prefix), so that its resources, stacks and state
keys are its own. Only its region stacks are applied by default (the bootstrap stack is the same
code as the example's, and its state bucket name would clash); the hosted zone is shared.
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from config.loader import load_config
from config.models import ServiceConfig
from emulator.deployment import Deployment, PhaseTimer, StackRun
from emulator.moto_server import MotoServer
from emulator.override import prepare_stack
from emulator.terraform import Terraform
from tests.emulator.example_deployment import DESTROY, NO_REFRESH, PLAN, ensure_hosted_zone
from tests.support.configs import merged

ROOT = Path(__file__).resolve().parents[2]
BESIDE_EXAMPLE: dict[str, Path] = {}
"""Name → configuration file of every configuration applied beside the example (see above)."""
SYNTH_TIMEOUT_S = 600
WAIT_TIMEOUT_S = 1200
PLAN_FILE = "beside.tfplan"
CONVERGED = ("plan", "-detailed-exitcode", "-input=false", "-lock=false")


def synth(config_file: Path, outdir: Path) -> Path:
    """`python main.py` for `config_file` into `outdir`, in a subprocess: jsii's runtime in this
    process is not safe to use from two threads at once."""
    env = {**os.environ, "SERVING_CONFIG": str(config_file), "CDKTF_OUTDIR": str(outdir)}
    result = subprocess.run(
        [sys.executable, "main.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=SYNTH_TIMEOUT_S,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(f"synth of {config_file} failed:\n{result.stderr[-4000:]}")
    return outdir / "stacks"


@dataclass
class BesideDeployment:
    """One configuration's stacks, applied (and later torn down) in a background thread."""

    name: str
    config_file: Path
    config: ServiceConfig
    deployment: Deployment
    stacks: list[str]
    root: Path
    applied: dict[str, StackRun] = field(default_factory=dict)
    converged: dict[str, StackRun] = field(default_factory=dict)
    torn_down: dict[str, StackRun] = field(default_factory=dict)
    _pool: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=1, thread_name_prefix="beside")
    )
    _applying: Future[None] | None = None
    _tearing_down: Future[None] | None = None

    def start(self) -> BesideDeployment:
        self._applying = self._pool.submit(self._apply)
        return self

    def _apply(self) -> None:
        stacks_dir = synth(self.config_file, self.root / "synth")
        url = self.deployment.emulator.endpoint_url
        for stack in self.stacks:
            self.deployment.workdirs[stack] = prepare_stack(
                stacks_dir / stack, self.root / stack, url
            )
        ensure_hosted_zone(self.deployment.emulator, self.config)
        if not self.deployment.init(self.stacks):
            return
        planned = self.deployment.run(f"{self.name} plan", self.stacks, *PLAN, f"-out={PLAN_FILE}")
        if not self.deployment.record(f"{self.name} plan", planned):
            return
        self.applied = self.deployment.run(
            f"{self.name} apply", self.stacks, "apply", "-input=false", PLAN_FILE
        )
        if not self.deployment.record(f"{self.name} apply", self.applied):
            return
        for stack in self.stacks:
            self.deployment.snapshot_state(stack)
        self.converged = self.deployment.run(f"{self.name} re-plan", self.stacks, *CONVERGED)

    def wait(self, timeout_s: float = WAIT_TIMEOUT_S) -> BesideDeployment:
        """Block until applied and re-planned; fail the calling test if a phase failed."""
        assert self._applying is not None, "start() was not called"
        error = self._applying.exception(timeout=timeout_s)
        if error is not None:
            pytest.fail(f"{self.name}: {error}", pytrace=False)
        self.deployment.require("init", f"{self.name} plan", f"{self.name} apply")
        return self

    def start_teardown(self) -> None:
        """Apply with deletion protection off, then destroy (as test_teardown.py does), in the
        background, after the apply."""
        self._tearing_down = self._pool.submit(self._tear_down)

    def _tear_down(self) -> None:
        document = yaml.safe_load(self.config_file.read_text())
        throwaway = self.root / "throwaway.yaml"
        throwaway.write_text(
            yaml.safe_dump(merged(document, {"load_balancer.deletion_protection": False}))
        )
        stacks_dir = synth(throwaway, self.root / "throwaway-synth")
        url = self.deployment.emulator.endpoint_url
        for stack in self.stacks:
            prepare_stack(stacks_dir / stack, self.deployment.workdirs[stack], url)
        apply = ("apply", "-auto-approve", "-input=false", NO_REFRESH)
        runs = self.deployment.run(f"{self.name} teardown apply", self.stacks, *apply)
        if self.deployment.record(f"{self.name} teardown apply", runs):
            self.torn_down = self.deployment.run(
                f"{self.name} destroy", self.stacks, *DESTROY, NO_REFRESH
            )
            self.deployment.record(f"{self.name} destroy", self.torn_down)

    def wait_teardown(self, timeout_s: float = WAIT_TIMEOUT_S) -> BesideDeployment:
        assert self._tearing_down is not None, "start_teardown() was not called"
        error = self._tearing_down.exception(timeout=timeout_s)
        if error is not None:
            pytest.fail(f"{self.name} teardown: {error}", pytrace=False)
        self.deployment.require(f"{self.name} teardown apply", f"{self.name} destroy")
        return self


def start_beside(
    name: str,
    config_file: Path,
    *,
    moto_server: MotoServer | Any,
    terraform: Terraform,
    timer: PhaseTimer,
    root: Path,
    stacks: list[str] | None = None,
) -> BesideDeployment:
    """Start applying `config_file`'s region stacks (or `stacks`) in the background; returns at
    once."""
    config = load_config(config_file)
    root.mkdir(parents=True, exist_ok=True)
    chosen = stacks or [config.stack_name(region) for region in config.regions]
    deployment = Deployment(terraform, moto_server, {}, timer)
    deployment.stack_configs = {stack: config for stack in chosen}
    beside = BesideDeployment(name, config_file, config, deployment, chosen, root)
    return beside.start()
