"""The example deployment torn down the documented way, after every other emulator module.

Given the regions still deployed (test_day2.py may have removed one, and added another), with an
object in each of their buckets (logs, captured data), when every region is moved to
`retired_regions` (docs/data-and-teardown.md, "Tearing everything down"), each stack applied in
that form and then destroyed, then its state is empty and none of its resources is left in the
emulator except what holds data: its buckets, with their objects and settings, and the key of
captured data. The bootstrap stack's state bucket and key are never torn down either.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from config.models import ServiceConfig
from emulator.deployment import Deployment, StackRun
from emulator.moto_server import MotoServer
from emulator.override import prepare_stack
from tests.emulator import checks
from tests.emulator.example_deployment import (
    ADDED_REGION,
    APPLY,
    DESTROY,
    NO_REFRESH,
    REGIONS,
    protected_resources,
)
from tests.support.app import synth_app

pytestmark = pytest.mark.emulator


@pytest.fixture(scope="module")
def torn_down(
    deployment: Deployment,
    moto_server: MotoServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, StackRun]:
    """Each region torn down as documented: apply with deletion protection off, then destroy."""
    if deployment.applied_at is None:
        return {}
    # The regions a day-2 scenario destroyed are gone already; one it added is torn down too.
    live = deployment.live_region_stacks()
    with deployment.timer.phase("teardown synth"):
        # Each stack from the configuration it was last applied from, every region retired.
        outdirs: dict[int, Path] = {}
        for stack in live:
            config = deployment.stack_configs[stack]
            if id(config) not in outdirs:
                outdirs[id(config)] = tmp_path_factory.mktemp("cdktf-teardown.out")
                synth_app(everything_retired(config), outdirs[id(config)])
            synthesized = outdirs[id(config)] / "stacks" / stack
            left = protected_resources(synthesized)
            assert not left, f"{stack} keeps prevent_destroy with deletion protection off: {left}"
            prepare_stack(synthesized, deployment.workdirs[stack], moto_server.endpoint_url)
    for stack in live:  # logs and captured data, which the teardown must keep
        config = deployment.stack_configs[stack]
        checks.put_kept_objects(deployment, config, _region_of(config, stack))
    runs = deployment.run("teardown apply", live, *APPLY, NO_REFRESH)
    if not deployment.record("teardown apply", runs):
        return {}
    destroyed = deployment.run("destroy", live, *DESTROY, NO_REFRESH)
    return {**deployment.destroyed, **destroyed}


def everything_retired(config: ServiceConfig) -> ServiceConfig:
    """The last configuration of an environment being torn down: every region retired."""
    return ServiceConfig.model_validate(
        {
            **config.model_dump(mode="json", exclude_unset=True),
            "regions": [],
            "retired_regions": config.stack_regions,
        }
    )


def _region_of(config: ServiceConfig, stack: str) -> str:
    (region,) = [r for r in config.stack_regions if config.stack_name(r) == stack]
    return region


@pytest.fixture
def teardown(deployment: Deployment, torn_down: dict[str, StackRun]) -> dict[str, StackRun]:
    """The teardown runs, for a test that needs every region torn down."""
    deployment.require("init", "apply", "teardown apply")
    return torn_down


TORN_DOWN_REGIONS = [*REGIONS, ADDED_REGION]


def _deployed(deployment: Deployment, example_config: ServiceConfig, region: str) -> str:
    stack = example_config.stack_name(region)
    if stack not in deployment.stack_configs:
        pytest.skip(f"{region} was not deployed in this run (test_day2.py adds it)")
    return stack


@pytest.mark.parametrize("region", TORN_DOWN_REGIONS)
def test_region_teardown_empties_the_state(
    teardown: dict[str, StackRun],
    deployment: Deployment,
    example_config: ServiceConfig,
    region: str,
) -> None:
    stack = _deployed(deployment, example_config, region)
    deployment.require_success({stack: teardown[stack]})
    assert deployment.state_list(stack) == []


@pytest.mark.parametrize("region", TORN_DOWN_REGIONS)
@pytest.mark.parametrize("check", checks.REGION_GONE_CHECKS, ids=lambda c: c.__name__)
def test_region_teardown_leaves_nothing_behind(
    teardown: dict[str, StackRun],
    deployment: Deployment,
    example_config: ServiceConfig,
    check: checks.Check,
    region: str,
) -> None:
    stack = _deployed(deployment, example_config, region)
    check(deployment, deployment.stack_configs[stack], region)


def test_bootstrap_stack_survives(
    teardown: dict[str, StackRun], deployment: Deployment, example_config: ServiceConfig
) -> None:
    # What this test leaves behind, on purpose: the state bucket and its key, intact.
    for check in checks.BOOTSTRAP_CHECKS:
        check(deployment, example_config, checks.state_settings(example_config).region)
