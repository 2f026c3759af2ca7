"""Every stack of the example configuration, applied for real against a local moto server.

Given the example configuration (two regions), when the bootstrap stack and every region stack
are applied (all at once, one thread each) against moto on 127.0.0.1, then:
  - what the configuration asks for exists, checked with boto3 (tests/emulator/checks.py);
  - `terraform plan -detailed-exitcode` finds nothing to change: the stacks converge;
  - `terraform destroy` is refused wherever a resource has `prevent_destroy` (the bootstrap
    stack's state bucket and KMS key; a region's ALB access-log bucket while
    `load_balancer.deletion_protection` is on), and nothing is deleted;
  - a region torn down the documented way (apply with `deletion_protection: false`, then
    `terraform destroy`) leaves none of its resources behind. The bootstrap stack's state bucket
    and KMS key are never torn down: they are what this test leaves in the emulator, on purpose.

The stacks run unchanged: an override file in a copy of each stack sends the provider to moto
(tests/emulator/override.py). Deselect with `pytest -m 'not emulator'`; CI runs it. The phase
timings are printed at the end of the run.

Emulator gaps worked around in the harness (moto 5.2.5, hashicorp/aws 5.100.0), each labelled
`# EMULATOR GAP:` in tests/emulator/moto_server.py and listed in its `GAPS`:
  - Application Auto Scaling: ListTagsForResource / TagResource / UntagResource are missing and
    RegisterScalableTarget drops its tags; an in-memory tag store stands in.
  - SageMaker: DescribeModel / DescribeEndpointConfig return empty VpcConfig / DataCaptureConfig
    objects that AWS omits (the re-plan would replace model and configuration); they are omitted.
  - SageMaker: CreateModel ignores EnableNetworkIsolation (the re-plan would replace the model);
    the flag is kept.
  - SageMaker: CreateEndpoint ignores DeploymentConfig (the re-plan would replace the endpoint);
    it is kept and described as LastDeploymentConfig. moto has no UpdateEndpoint: a rollout to a
    new endpoint configuration cannot be applied in the emulator (not exercised here).
  - ACM: MOTO_ACM_VALIDATION_WAIT=0, so certificates are issued at once instead of after 60 s.
  - ACM: RequestCertificate ignores KeyAlgorithm (the re-plan would replace the EC certificate);
    the requested algorithm is reported.
  - Lambda: no LoggingConfig on functions (the re-plan would update logging_config); it is kept
    and returned with AWS's defaults.
  - ELBv2: moto deletes a load balancer whose deletion protection is on; it refuses, as AWS does.
Not gaps: moto reports a new SageMaker endpoint InService at once (no shim needed). The pace of
the apply is set by the provider's own waits, which happen against AWS too: an S3 lifecycle
configuration ~55 s, an ALB ~60 s, a KMS key ~12 s, a Route 53 change ~15 s.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from pathlib import Path

import pytest

from config.loader import load_config
from config.models import ServiceConfig
from stacks.addresses import stack_addresses
from tests.emulator import checks
from tests.emulator.deployment import Deployment, PhaseTimer, StackRun, emulator_only
from tests.emulator.moto_server import MotoServer
from tests.emulator.override import prepare_stack
from tests.support.app import synth_app
from tests.support.terraform import offline_terraform

pytestmark = pytest.mark.emulator

EXAMPLE = load_config()
REGIONS = list(EXAMPLE.regions)
BOOTSTRAP = EXAMPLE.bootstrap_stack_name
REGION_STACKS = [EXAMPLE.stack_name(region) for region in REGIONS]
ALL_STACKS = [BOOTSTRAP, *REGION_STACKS]
PLAN = ("plan", "-input=false", "-lock=false")
APPLY = ("apply", "-auto-approve", "-input=false")
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


def create_prerequisites(emulator: MotoServer, config: ServiceConfig) -> None:
    """What the stacks expect to exist already: the public hosted zone (looked up by name).

    The model artifact is not created: SageMaker reads it only when an instance starts, which
    never happens in the emulator.
    """
    emulator.client("route53", config.regions[0]).create_hosted_zone(
        Name=config.domain.hosted_zone_name, CallerReference=str(uuid.uuid4())
    )


@pytest.fixture(scope="module")
def deployment(
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
    create_prerequisites(moto_server, example_config)
    # The region stacks keep their state locally here (see override.py), so they need not wait
    # for the bootstrap stack's bucket: all stacks apply at once.
    # First the plan alone (issue: an offline plan of every stack), then the apply.
    if deployed.init(ALL_STACKS):
        deployed.planned = deployed.run("plan", ALL_STACKS, *PLAN)
    if (
        deployed.planned
        and deployed.record("plan", deployed.planned)
        and deployed.record("apply", deployed.run("apply", ALL_STACKS, *APPLY))
    ):
        for stack in ALL_STACKS:
            deployed.snapshot_state(stack)
        deployed.applied_at = time.monotonic()
    return deployed


@pytest.fixture
def applied(deployment: Deployment) -> Deployment:
    """The deployment, for a test that needs every stack applied."""
    deployment.require("init", "apply")
    return deployment


@pytest.fixture(scope="module")
def replanned(deployment: Deployment) -> dict[str, StackRun]:
    """`terraform plan -detailed-exitcode` on every stack, after the checks: 0 means no changes."""
    if deployment.applied_at is None:
        return {}
    # The boto3 checks are separate tests; their phase is the time from apply to re-plan.
    deployment.timer.record("check", time.monotonic() - deployment.applied_at)
    plan = ("plan", "-detailed-exitcode", "-input=false", "-lock=false")
    return deployment.run("re-plan", ALL_STACKS, *plan)


@pytest.fixture(scope="module")
def refused_destroys(
    deployment: Deployment, replanned: dict[str, StackRun], synthesized_example: Path
) -> dict[str, tuple[StackRun, list[str]]]:
    """`terraform destroy` of every stack holding a `prevent_destroy` resource, with its state
    list before the attempt."""
    if deployment.applied_at is None:
        return {}
    protected = [s for s in ALL_STACKS if protected_resources(synthesized_example / "stacks" / s)]
    if not protected:
        return {}
    before = {stack: deployment.state_list(stack) for stack in protected}
    runs = deployment.run("destroy (refused)", protected, *DESTROY, NO_REFRESH)
    return {stack: (run, before[stack]) for stack, run in runs.items()}


@pytest.fixture(scope="module")
def torn_down(
    deployment: Deployment,
    refused_destroys: dict[str, tuple[StackRun, list[str]]],
    example_config: ServiceConfig,
    moto_server: MotoServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, StackRun]:
    """Each region torn down as documented: apply with deletion protection off, then destroy."""
    if deployment.applied_at is None:
        return {}
    with deployment.timer.phase("teardown synth"):
        outdir = tmp_path_factory.mktemp("cdktf-throwaway.out")
        synth_app(throwaway(example_config), outdir)
    for stack in REGION_STACKS:
        left = protected_resources(outdir / "stacks" / stack)
        assert not left, f"{stack} keeps prevent_destroy with deletion protection off: {left}"
        prepare_stack(
            outdir / "stacks" / stack, deployment.workdirs[stack], moto_server.endpoint_url
        )
    runs = deployment.run("teardown apply", REGION_STACKS, *APPLY, NO_REFRESH)
    if not deployment.record("teardown apply", runs):
        return {}
    return deployment.run("destroy", REGION_STACKS, *DESTROY, NO_REFRESH)


@pytest.fixture
def teardown(deployment: Deployment, torn_down: dict[str, StackRun]) -> dict[str, StackRun]:
    """The teardown runs, for a test that needs every region torn down."""
    deployment.require("init", "apply", "teardown apply")
    return torn_down


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_offline_plan_creates_every_resource(
    deployment: Deployment, synthesized_example: Path, stack: str
) -> None:
    deployment.require("init", "plan")
    match = re.search(
        r"Plan: (\d+) to add, 0 to change, 0 to destroy", deployment.planned[stack].output
    )
    assert match, deployment.planned[stack].describe()
    declared = stack_addresses(synthesized_example / "stacks" / stack / "cdk.tf.json")
    # Every declared resource is planned; for_each adds instances (one validation record per name).
    assert int(match.group(1)) >= len(declared)


def test_example_has_at_least_two_regions() -> None:
    assert len(REGIONS) >= 2, REGIONS


@pytest.mark.parametrize("region", REGIONS)
@pytest.mark.parametrize("check", checks.REGION_CHECKS, ids=lambda c: c.__name__)
def test_region_stack_is_deployed(
    applied: Deployment, example_config: ServiceConfig, check: checks.Check, region: str
) -> None:
    check(applied, example_config, region)


@pytest.mark.parametrize("check", checks.BOOTSTRAP_CHECKS, ids=lambda c: c.__name__)
def test_bootstrap_stack_is_deployed(
    applied: Deployment, example_config: ServiceConfig, check: checks.Check
) -> None:
    check(applied, example_config, checks.state_settings(example_config).region)


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_stack_converges(replanned: dict[str, StackRun], applied: Deployment, stack: str) -> None:
    run = replanned[stack]
    assert run.result.returncode == 0, (
        "the plan right after apply is not empty (exit 2: changes, 1: error): a perpetual diff "
        "in the stack, or an emulator gap to shim in moto_server.py\n" + run.describe()
    )


def test_bootstrap_stack_is_protected(synthesized_example: Path) -> None:
    protected = protected_resources(synthesized_example / "stacks" / BOOTSTRAP)
    assert {address.split(".")[0] for address in protected} >= {"aws_s3_bucket", "aws_kms_key"}


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_destroy_is_refused_by_prevent_destroy(
    refused_destroys: dict[str, tuple[StackRun, list[str]]], applied: Deployment, stack: str
) -> None:
    # Terraform must refuse the whole destroy before deleting anything: the refusal proves the
    # lifecycle rule, and the unchanged state proves nothing went.
    if stack not in refused_destroys:
        pytest.skip(f"{stack} has no prevent_destroy resource in this configuration")
    run, before = refused_destroys[stack]
    assert run.result.returncode != 0, f"destroy of {stack} succeeded:\n" + run.describe()
    assert "prevent_destroy" in run.output, run.describe()
    assert applied.state_list(stack) == before


@pytest.mark.parametrize("region", REGIONS)
def test_region_teardown_empties_the_state(
    teardown: dict[str, StackRun],
    deployment: Deployment,
    example_config: ServiceConfig,
    region: str,
) -> None:
    stack = example_config.stack_name(region)
    deployment.require_success({stack: teardown[stack]})
    assert deployment.state_list(stack) == []


@pytest.mark.parametrize("region", REGIONS)
@pytest.mark.parametrize("check", checks.REGION_GONE_CHECKS, ids=lambda c: c.__name__)
def test_region_teardown_leaves_nothing_behind(
    teardown: dict[str, StackRun],
    deployment: Deployment,
    example_config: ServiceConfig,
    check: checks.Check,
    region: str,
) -> None:
    check(deployment, example_config, region)


def test_bootstrap_stack_survives(
    teardown: dict[str, StackRun], deployment: Deployment, example_config: ServiceConfig
) -> None:
    # What this test leaves behind, on purpose: the state bucket and its key, intact.
    for check in checks.BOOTSTRAP_CHECKS:
        check(deployment, example_config, checks.state_settings(example_config).region)
