"""Every stack of the example configuration, applied for real against a local moto server.

Given the example configuration (two regions), when the bootstrap stack and every region stack
are applied (all at once, one thread each) against moto on 127.0.0.1, then:
  - what the configuration asks for exists, checked with boto3 (tests/emulator/checks.py);
  - `terraform plan -detailed-exitcode` finds nothing to change: the stacks converge;
  - `terraform destroy` is refused wherever a resource has `prevent_destroy` (the bootstrap
    stack's state bucket and KMS key; a region's ALB access-log bucket while
    `load_balancer.deletion_protection` is on), and nothing is deleted;
  - (test_day2.py then changes the live stacks; test_teardown.py tears down what is left: a
    region torn down the documented way leaves none of its resources behind.)

The stacks run unchanged: an override file in a copy of each stack sends the provider to moto
(emulator/override.py). Deselect with `pytest -m 'not emulator'`; CI runs it. The phase
timings are printed at the end of the run.

Emulator gaps worked around in the harness (moto 5.2.5, hashicorp/aws 5.100.0), each labelled
`# EMULATOR GAP:` in emulator/sagemaker_shims.py or service_shims.py and listed in
that module's `GAPS` (all of them in emulator/moto_server.py's `GAPS`):
  - Application Auto Scaling: ListTagsForResource / TagResource / UntagResource are missing and
    RegisterScalableTarget drops its tags; an in-memory tag store stands in.
  - SageMaker: DescribeModel / DescribeEndpointConfig return empty VpcConfig / DataCaptureConfig
    objects that AWS omits (the re-plan would replace model and configuration); they are omitted.
  - SageMaker: CreateModel ignores EnableNetworkIsolation (the re-plan would replace the model);
    the flag is kept.
  - SageMaker: CreateEndpoint ignores DeploymentConfig (the re-plan would replace the endpoint);
    it is kept and described as LastDeploymentConfig.
  - SageMaker: moto has no UpdateEndpoint; a shim applies SageMaker's documented rules, refusals
    included (unknown endpoint/configuration, endpoint not InService, variant names changed under
    a DeploymentConfig, instance type changed or variant removed while an Application Auto Scaling
    target), resets counts to the new configuration's unless RetainAllVariantProperties, and
    completes the rollout at once. Requests are recorded (MotoServer.update_endpoint_requests()).
    test_day2.py exercises it.
  - SageMaker: UpdateEndpointWeightsAndCapacities clears the weight/count a request leaves out;
    what is left out is kept.
  - ACM: MOTO_ACM_VALIDATION_WAIT=0, so certificates are issued at once instead of after 60 s.
  - ACM: RequestCertificate ignores KeyAlgorithm (the re-plan would replace the EC certificate);
    the requested algorithm is reported.
  - Lambda: no LoggingConfig on functions (the re-plan would update logging_config); it is kept
    and returned with AWS's defaults.
  - ELBv2: moto deletes a load balancer whose deletion protection is on; it refuses, as AWS does.
  - Route 53: moto drops a CLOUDWATCH_METRIC check's alarm and insufficient-data status and gives
    it an HTTP check's port and interval; the alarm settings are kept, the endpoint's left out.
    moto never evaluates CALCULATED or CLOUDWATCH_METRIC checks: their wiring is asserted.
Not gaps: moto reports a new SageMaker endpoint InService at once (no shim needed). The pace of
the apply is set by the provider's own waits, which happen against AWS too: an S3 lifecycle
configuration ~55 s, an ALB ~60 s, a KMS key ~12 s, a Route 53 change ~15 s.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from config.models import ServiceConfig
from emulator.deployment import Deployment, StackRun
from emulator.override import STATE_FILE
from emulator.state_file import shown_state
from stacks.addresses import stack_addresses
from tests.emulator import checks

pytestmark = pytest.mark.emulator

from tests.emulator.example_deployment import (  # noqa: E402
    ALL_STACKS,
    BOOTSTRAP,
    DESTROY,
    NO_REFRESH,
    REGIONS,
    protected_resources,
)


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
        "in the stack, or an emulator gap to shim (emulator/*_shims.py)\n" + run.describe()
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


def test_the_state_snapshot_is_what_terraform_show_prints(applied: Deployment) -> None:
    # The checks read the state file (emulator/state_file.py) instead of paying `terraform show
    # -json` after every apply; on the applied example the two agree on every field they read.
    stack = next(iter(applied.stack_configs))  # the first region stack
    shown = json.loads(applied.terraform.run(applied.workdirs[stack], "show", "-json").stdout)
    read = shown_state(applied.workdirs[stack] / STATE_FILE)
    printed = shown["values"]["root_module"]["resources"]
    for resource in printed:
        resource.pop("sensitive_values")
    assert len(printed) > 50
    assert read["values"]["root_module"]["resources"] == printed
