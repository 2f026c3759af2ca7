"""The example deployment every emulator test module shares: applied once per session.

tests/emulator/conftest.py turns `deploy_example` into the session fixture `deployment`, so the
modules run in order against the same live stacks: test_apply.py (created, checked, converged,
destroy refused), test_day2.py (changed, scenario by scenario), test_teardown.py (torn down).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from pathlib import Path

import pytest

from config.loader import load_config
from config.models import ServiceConfig
from emulator.deployment import Deployment, PhaseTimer, emulator_only
from emulator.moto_server import MotoServer
from emulator.override import prepare_stack
from emulator.terraform import offline_terraform

EXAMPLE = load_config()
REGIONS = list(EXAMPLE.regions)
BOOTSTRAP = EXAMPLE.bootstrap_stack_name
REGION_STACKS = [EXAMPLE.stack_name(region) for region in REGIONS]
ALL_STACKS = [BOOTSTRAP, *REGION_STACKS]
# The region test_day2.py adds to the example (and test_teardown.py tears down with the rest).
ADDED_REGION = "ap-northeast-1"
PLAN = ("plan", "-input=false", "-lock=false")
APPLY = ("apply", "-auto-approve", "-input=false")
# The first apply applies the plan the offline-plan test reads, instead of planning again (about
# 15-20 s of CPU a stack, while three stacks share two cores).
FIRST_PLAN_FILE = "first.tfplan"
DESTROY = ("destroy", "-auto-approve", "-input=false")
# Nothing changes behind Terraform's back in the emulator, and the re-plan has just refreshed
# every resource, so the phases after it skip the refresh (about 10 s a stack, S3 lifecycle
# reads wait for a stable answer).
NO_REFRESH = "-refresh=false"


def protected_resources(stack_dir: Path) -> list[str]:
    """Addresses of the resources with `prevent_destroy` in a synthesized stack."""
    stack = json.loads((stack_dir / "cdk.tf.json").read_text())
    return sorted(
        f"{type_}.{name}"
        for type_, resources in stack.get("resource", {}).items()
        for name, resource in resources.items()
        if resource.get("lifecycle", {}).get("prevent_destroy") is True
    )


def throwaway(config: ServiceConfig) -> ServiceConfig:
    """The same environment configured for teardown: deletion protection off (ALB and bucket)."""
    load_balancer = config.load_balancer.model_copy(update={"deletion_protection": False})
    return config.model_copy(update={"load_balancer": load_balancer})


_ZONE_LOCK = threading.Lock()


def ensure_hosted_zone(emulator: MotoServer, config: ServiceConfig) -> None:
    """The public hosted zone the stacks look up by name, created once per emulator: with two
    zones of one name, the lookup fails (deployments beside the example share it, see beside.py)."""
    route53 = emulator.client("route53", config.regions[0])
    name = config.domain.hosted_zone_name
    with _ZONE_LOCK:
        zones = route53.list_hosted_zones_by_name(DNSName=name)["HostedZones"]
        if not any(zone["Name"] == f"{name}." for zone in zones):
            route53.create_hosted_zone(Name=name, CallerReference=str(uuid.uuid4()))


def create_prerequisites(emulator: MotoServer, config: ServiceConfig) -> None:
    """What the stacks expect to exist already: the public hosted zone (looked up by name).

    The model artifact is not created: SageMaker reads it only when an instance starts, which
    never happens in the emulator.
    """
    ensure_hosted_zone(emulator, config)


def deploy_example(
    synthesized_example: Path,
    example_config: ServiceConfig,
    moto_server: MotoServer,
    phase_timer: PhaseTimer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Deployment:
    """Every stack copied with the emulator override, initialised and applied in parallel.

    A failed phase does not raise here: tests call `require`, so the failure is printed in full
    once instead of once per test.
    """
    terraform = emulator_only(offline_terraform(tmp_path_factory.getbasetemp() / "terraform"))
    root = tmp_path_factory.mktemp("emulator-stacks")
    url = moto_server.endpoint_url
    workdirs = {
        stack: prepare_stack(synthesized_example / "stacks" / stack, root / stack, url)
        for stack in ALL_STACKS
    }
    deployed = Deployment(terraform, moto_server, workdirs, phase_timer)
    deployed.stack_configs = {stack: example_config for stack in REGION_STACKS}
    create_prerequisites(moto_server, example_config)
    # The region stacks keep their state locally here (see override.py), so they need not wait
    # for the bootstrap stack's bucket: all stacks apply at once.
    # First the plan alone (issue: an offline plan of every stack), then the apply of that plan.
    if deployed.init(ALL_STACKS):
        deployed.planned = deployed.run("plan", ALL_STACKS, *PLAN, f"-out={FIRST_PLAN_FILE}")
    saved_plan_apply = ("apply", "-input=false", FIRST_PLAN_FILE)
    if (
        deployed.planned
        and deployed.record("plan", deployed.planned)
        and deployed.record("apply", deployed.run("apply", ALL_STACKS, *saved_plan_apply))
    ):
        for stack in ALL_STACKS:
            deployed.snapshot_state(stack)
        deployed.applied_at = time.monotonic()
    return deployed
