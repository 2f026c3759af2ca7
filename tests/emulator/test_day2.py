"""Day 2: routine changes to the live example, applied one after another in the emulator.

Given the example applied by test_apply.py, when a scenario (tests/emulator/scenarios.py) changes
the configuration of one region's stack, it is re-synthesized, planned (`-out`), judged by the
plan-safety verdict, applied from that saved plan, and planned again; then:
  - the plan changes exactly what the scenario expects, by resource type and action, so no
    protected resource (endpoint, scalable target and policies, ALB, listeners, target group,
    latency records, health checks, certificate, KMS keys, buckets, web ACL) moves unplanned;
  - the verdict is the scenario's;
  - the plan after the apply is empty (`-detailed-exitcode` 0);
  - a rollout leaves at least the capacity that was serving before it (scaled out first with
    UpdateEndpointWeightsAndCapacities), and an instance-type change passes SageMaker's rule
    that an autoscaled variant cannot change type (the UpdateEndpoint shim refuses otherwise).

Two chains run side by side, one per region stack (stacks are independent): the endpoint's
changes in us-east-1, everything around it in eu-west-1. Meanwhile a third region is added, in
the background. When its chain is done, eu-west-1 is removed the documented way (retired, then
destroyed) while us-east-1's last steps run; then us-east-1 must keep its certificate validation
records and converge. test_teardown.py then
tears down what is left. Marker `day2` (and `emulator`): `pytest -m 'emulator and not day2'`
skips these scenarios.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError

from config.models import ServiceConfig
from constructs_lib import aws_terms
from emulator.deployment import Deployment, StackRun
from emulator.moto_server import MotoServer
from emulator.override import prepare_stack
from operations.aws import Aws
from operations.status import RegionStatus, judge, read_region
from plan_safety import Verdict, verdict
from tests.emulator import checks
from tests.emulator.day2_synth import ScenarioSynths
from tests.emulator.example_deployment import ADDED_REGION, APPLY, REGIONS
from tests.emulator.scenarios import (
    ENDPOINT_STEPS,
    REFUSED,
    RETIRED_REGION_FORGETS,
    ROLLED_BACK,
    SURROUNDINGS_STEPS,
    Step,
    step_expected,
)
from tests.support.app import synth_app
from tests.support.configs import example_document

pytestmark = [pytest.mark.emulator, pytest.mark.day2]

ENDPOINT_REGION, SURROUNDINGS_REGION = REGIONS[0], REGIONS[1]
SCALED_OUT_TO = 5
"""Instances the endpoint runs when its first rollout starts ("autoscaling scaled us out")."""
PLAN_FILE = "day2.tfplan"
CONVERGED_FILE = "converged.tfplan"
PLAN = ("plan", "-input=false", "-lock=false", f"-out={PLAN_FILE}")
AUTO = ("-auto-approve", "-input=false")
# The state holds what the last refresh read, and nothing changes behind Terraform's back here,
# so a scenario's plan skips the refresh (about 10-20 s a stack); the plan after it refreshes.
NO_REFRESH = "-refresh=false"
CONVERGED = (
    "plan", "-detailed-exitcode", "-input=false", "-lock=false", f"-out={CONVERGED_FILE}",
)  # fmt: skip


def action(actions: list[str]) -> str:
    if "forget" in actions:
        return "forget"
    if "create" in actions and "delete" in actions:
        return "replace"
    return actions[0]


def changes(plan: dict[str, Any]) -> Counter[tuple[str, str]]:
    """(resource type, action) counts of every managed resource the plan changes."""
    return Counter(
        (r["type"], action(r["change"]["actions"]))
        for r in plan.get("resource_changes", [])
        if r.get("mode") == "managed" and r["change"]["actions"] not in (["no-op"], ["read"])
    )


@dataclass
class Outcome:
    """What one step (one or more scenarios, one plan) did to its stack."""

    step: Step
    stack: str
    plan: dict[str, Any]
    verdict: Verdict
    apply: StackRun | None
    converged: StackRun | None
    capacity_before: int | None = None
    capacity_after: int | None = None
    update_requests: list[dict[str, Any]] | None = None


class Day2:
    """Runs scenario steps against live stacks, from configurations synthesized ahead."""

    def __init__(self, deployment: Deployment, moto: MotoServer, synths: ScenarioSynths) -> None:
        self.deployment = deployment
        self.moto = moto
        self.synths = synths

    def stage(self, stack: str, label: str) -> ServiceConfig:
        """Copy `stack` as synthesized from configuration `label` over its working copy."""
        prepare_stack(
            self.synths.stack_dir(label, stack),
            self.deployment.workdirs[stack],
            self.moto.endpoint_url,
        )
        return self.synths.config(label)

    def show(self, stack: str, plan_file: str = PLAN_FILE) -> dict[str, Any]:
        workdir = self.deployment.workdirs[stack]
        result = self.deployment.terraform.run(workdir, "show", "-json", plan_file, "-no-color")
        return dict(json.loads(result.stdout))

    def refresh(self, phase: str, stacks: list[str]) -> None:
        """Write what AWS reports into the state, so the next plan may skip its refresh: apply
        the empty plan test_apply.py's re-plan saved (it refreshed everything), else refresh."""
        saved = self.deployment.run(phase, stacks, "apply", *AUTO, CONVERGED_FILE)
        stale = [s for s in stacks if saved[s].result.returncode != 0]
        if stale:
            runs = self.deployment.run(f"{phase} again", stale, "apply", "-refresh-only", *AUTO)
            self.deployment.require_success(runs)

    def step(
        self, phase: str, steps: dict[str, tuple[str, Step]], *, last: bool = False
    ) -> dict[str, Outcome]:
        """One step per stack (label of its configuration, scenarios), all stacks at once:
        plan, verdict, apply the saved plan, then a refreshing plan that must be empty. `last`:
        no step follows on these stacks, so the refreshed state need not be kept."""
        configs = {stack: self.stage(stack, label) for stack, (label, _) in steps.items()}
        stacks = list(steps)
        planned = self.deployment.run(f"{phase} plan", stacks, *PLAN, NO_REFRESH)
        self.deployment.require_success(planned)
        outcomes = {}
        for stack, (_, step) in steps.items():
            plan = self.show(stack)
            outcomes[stack] = Outcome(step, stack, plan, verdict(plan, stack), None, None)
        before = {s: self.capacity(s) for s in stacks}
        applied = self.deployment.run(f"{phase} apply", stacks, "apply", "-input=false", PLAN_FILE)
        self.deployment.require_success(applied)
        converged = self.deployment.run(f"{phase} re-plan", stacks, *CONVERGED)
        # The re-plan refreshed everything; applying its empty plan keeps that in the state.
        empty = [s for s in stacks if converged[s].result.returncode == 0]
        if empty and not last:
            self.deployment.run(f"{phase} keep refresh", empty, "apply", *AUTO, CONVERGED_FILE)
        requests = self.moto.update_endpoint_requests()
        for stack in stacks:
            self.deployment.stack_configs[stack] = configs[stack]
            self.deployment.snapshot_state(stack)
            outcome = outcomes[stack]
            outcome.apply, outcome.converged = applied[stack], converged[stack]
            outcome.capacity_before, outcome.capacity_after = before[stack], self.capacity(stack)
            outcome.update_requests = requests
        return outcomes

    def capacity(self, stack: str) -> int:
        config = self.deployment.stack_configs[stack]
        region = stack.removeprefix(f"{config.name}-")
        endpoint = self.moto.client("sagemaker", region).describe_endpoint(EndpointName=config.name)
        return sum(v["CurrentInstanceCount"] for v in endpoint["ProductionVariants"])

    def scale_out(self, stack: str, count: int) -> None:
        """What autoscaling does at peak: UpdateEndpointWeightsAndCapacities."""
        config = self.deployment.stack_configs[stack]
        region = stack.removeprefix(f"{config.name}-")
        self.moto.client("sagemaker", region).update_endpoint_weights_and_capacities(
            EndpointName=config.name,
            DesiredWeightsAndCapacities=[
                {"VariantName": config.endpoint.variant_name, "DesiredInstanceCount": count}
            ],
        )

    def plan_only(
        self, stack: str, label: str, restore: str, *args: str
    ) -> tuple[dict[str, Any], Verdict]:
        """Plan configuration `label` without applying it; put configuration `restore` back."""
        self.stage(stack, label)
        runs = self.deployment.run(f"plan {label}", [stack], *PLAN, NO_REFRESH, *args)
        self.deployment.require_success(runs)
        plan = self.show(stack)
        self.stage(stack, restore)
        return plan, verdict(plan, stack)


@dataclass
class RegionChanges:
    added_stack: str
    added_apply: dict[str, StackRun]
    added_converged: dict[str, StackRun]
    retire_plan: dict[str, Any]
    retire_verdict: Verdict
    retire_apply: StackRun
    destroy_plan: dict[str, Any]
    destroy_verdict: Verdict
    destroy_allowed: Verdict
    destroy: StackRun
    survivor_converged: StackRun
    survivor_records_before: list[dict[str, Any]]


@dataclass
class RolledBack:
    """A rollout SageMaker rolled back (scenarios.ROLLED_BACK), and its retry."""

    running_before: str
    """The endpoint configuration the endpoint ran before the rollout."""
    alarm: str
    """The rollback alarm forced into ALARM during the rollout."""
    failed_apply: StackRun
    endpoint_after: dict[str, Any]
    """DescribeEndpoint after the failed apply."""
    running_config_after: dict[str, Any] | None
    """DescribeEndpointConfig of the configuration the endpoint runs, after the failed apply."""
    running_model_exists: bool
    """Whether that configuration's model still exists, after the failed apply."""
    targets_after: list[dict[str, Any]]
    """The endpoint's scalable targets (Application Auto Scaling) after the failed apply."""
    status_after: RegionStatus | str
    """What `python -m operations status` reports for the region after the failed apply."""
    retry_plan: dict[str, Any]
    retried: StackRun
    seconds: float


class _MotoAws(Aws):
    """`operations.status`'s AWS access, through the emulator's clients."""

    def __init__(self, moto: MotoServer) -> None:
        self._moto = moto

    def client(self, service: str, region: str) -> Any:
        return self._moto.client(service, region)


def _roll_back(day2: Day2, stack: str) -> RolledBack:
    """One of the endpoint's rollback alarms in ALARM, the rollout applied (it must fail), the
    alarm OK again, the rollout planned (saved) and applied again. Two applies and one plan."""
    start = time.monotonic()
    deployment = day2.deployment
    config = day2.stage(stack, ROLLED_BACK.id)
    region = stack.removeprefix(f"{config.name}-")
    sagemaker = day2.moto.client("sagemaker", region)
    cloudwatch = day2.moto.client("cloudwatch", region)
    before = sagemaker.describe_endpoint(EndpointName=config.name)
    alarm = before["LastDeploymentConfig"]["AutoRollbackConfiguration"]["Alarms"][0]["AlarmName"]
    cloudwatch.set_alarm_state(
        AlarmName=alarm, StateValue="ALARM", StateReason="day-2: the new fleet answers 5XX"
    )
    # Planned and applied in one run: the retry's plan below is the one that is checked.
    failed = deployment.run("rolled-back apply", [stack], "apply", *AUTO, NO_REFRESH)
    endpoint_after = sagemaker.describe_endpoint(EndpointName=config.name)
    running_config: dict[str, Any] | None = None
    running_model_exists = False
    try:
        running_config = sagemaker.describe_endpoint_config(
            EndpointConfigName=endpoint_after["EndpointConfigName"]
        )
        model = running_config["ProductionVariants"][0]["ModelName"]
        running_model_exists = bool(sagemaker.describe_model(ModelName=model))
    except ClientError:
        pass  # reported by the test
    targets = day2.moto.client("application-autoscaling", region).describe_scalable_targets(
        ServiceNamespace="sagemaker",
        ResourceIds=[aws_terms.variant_resource_id(config.name, config.endpoint.variant_name)],
    )["ScalableTargets"]
    status_after: RegionStatus | str
    try:
        facts = read_region(_MotoAws(day2.moto), config, region, quota_only=False)
        status_after = judge(config, region, facts, quota_only=False)
    except Exception as error:  # reported by the test that reads it
        status_after = repr(error)
    cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="OK", StateReason="day-2: fixed")
    deployment.require_success(deployment.run("retried plan", [stack], *PLAN, NO_REFRESH))
    retry_plan = day2.show(stack)
    retried = deployment.run("retried apply", [stack], "apply", "-input=false", PLAN_FILE)
    # Its refreshing re-plan is the survivor re-plan, after eu-west-1 is gone (scenario_run).
    deployment.stack_configs[stack] = config
    deployment.snapshot_state(stack)
    return RolledBack(
        running_before=before["EndpointConfigName"],
        alarm=alarm,
        failed_apply=failed[stack],
        endpoint_after=endpoint_after,
        running_config_after=running_config,
        running_model_exists=running_model_exists,
        targets_after=targets,
        status_after=status_after,
        retry_plan=retry_plan,
        retried=retried[stack],
        seconds=time.monotonic() - start,
    )


def _add_region(day2: Day2, stack: str, out: dict[str, Any]) -> None:
    """Init, apply and re-plan the added region's stack (runs in a thread beside the chains)."""
    try:
        deployment = day2.deployment
        if not deployment.init([stack]):
            out["error"] = deployment.failures.get("init", "init failed")
            return
        out["apply"] = deployment.run("add region apply", [stack], *APPLY)
        if deployment.failure(out["apply"]) is None:
            out["converged"] = deployment.run("add region re-plan", [stack], *CONVERGED)
            deployment.snapshot_state(stack)
    except Exception as error:  # reported by the test that needs it
        out["error"] = repr(error)


def _retire_region(day2: Day2, stack: str, out: dict[str, Any]) -> None:
    """Remove a region the documented way: apply its retired form, then destroy it (runs in a
    thread beside the other chain's last steps)."""
    try:
        deployment = day2.deployment
        retired_config = day2.stage(stack, "retired-region")
        # Logs in the access-log bucket, which the retired form releases and the destroy leaves.
        checks.put_kept_objects(deployment, deployment.stack_configs[stack], SURROUNDINGS_REGION)
        runs = deployment.run("retire plan", [stack], *PLAN, NO_REFRESH)
        deployment.require_success(runs)
        out["plan"] = day2.show(stack)
        out["apply"] = deployment.run("retire apply", [stack], "apply", "-input=false", PLAN_FILE)
        deployment.require_success(out["apply"])
        deployment.stack_configs[stack] = retired_config
        deployment.snapshot_state(stack, keep_released=True)
        runs = deployment.run(
            "destroy plan", [stack], "plan", "-destroy", "-input=false", "-lock=false",
            NO_REFRESH, "-out=destroy.tfplan",
        )  # fmt: skip
        deployment.require_success(runs)
        out["destroy plan"] = day2.show(stack, "destroy.tfplan")
        out["destroy"] = deployment.run(
            "retired destroy", [stack], "apply", "-input=false", "destroy.tfplan"
        )
        deployment.require_success(out["destroy"])
        deployment.destroyed[stack] = out["destroy"][stack]
    except Exception as error:  # reported by the test that needs it
        out["error"] = str(error) if isinstance(error, AssertionError) else repr(error)


@pytest.fixture(scope="module")
def day2(
    deployment: Deployment, moto_server: MotoServer, scenario_synths: ScenarioSynths | None
) -> Day2:
    deployment.require("init", "apply")
    assert scenario_synths is not None, "conftest starts the day-2 synths when day2 is selected"
    return Day2(deployment, moto_server, scenario_synths)


@pytest.fixture(scope="module")
def scenario_run(
    day2: Day2, example_config: ServiceConfig
) -> tuple[
    dict[str, Outcome], dict[str, tuple[dict[str, Any], Verdict]], RegionChanges, RolledBack
]:
    """Every step, in order; the refused plans; the region added and the one removed; the
    rollout SageMaker rolled back."""
    deployment = day2.deployment
    endpoint_stack = example_config.stack_name(ENDPOINT_REGION)
    surroundings_stack = example_config.stack_name(SURROUNDINGS_REGION)

    # A region added in the background: its own stack, created while the chains run.
    added_stack = example_config.stack_name(ADDED_REGION)
    deployment.workdirs[added_stack] = deployment.workdirs[endpoint_stack].parent / added_stack
    deployment.stack_configs[added_stack] = day2.stage(added_stack, "added-region")
    added: dict[str, Any] = {}
    adding = threading.Thread(target=_add_region, args=(day2, added_stack, added))
    adding.start()

    day2.refresh("day-2 refresh", [endpoint_stack, surroundings_stack])
    outcomes: dict[str, Outcome] = {}
    day2.scale_out(endpoint_stack, SCALED_OUT_TO)
    retired: dict[str, Any] = {}
    retiring = threading.Thread(target=_retire_region, args=(day2, surroundings_stack, retired))
    for index in range(max(len(ENDPOINT_STEPS), len(SURROUNDINGS_STEPS))):
        steps = {}
        if index < len(ENDPOINT_STEPS):
            steps[endpoint_stack] = (f"endpoint-{index + 1}", ENDPOINT_STEPS[index])
        if index < len(SURROUNDINGS_STEPS):
            steps[surroundings_stack] = (f"surroundings-{index + 1}", SURROUNDINGS_STEPS[index])
        for outcome in day2.step(f"day-2 step {index + 1}", steps).values():
            for scenario in outcome.step:
                outcomes[scenario.id] = outcome
        if index + 1 == len(SURROUNDINGS_STEPS):
            # eu-west-1's chain is done: it is retired and destroyed while us-east-1 goes on
            # (its validation records are read first, for the survivor check).
            records_before = checks.validation_records(day2.deployment, endpoint_stack)
            retiring.start()

    if retiring.ident is None:  # no step for eu-west-1: retire it now
        records_before = checks.validation_records(day2.deployment, endpoint_stack)
        retiring.start()

    current = f"endpoint-{len(ENDPOINT_STEPS)}"
    refused = {s.id: day2.plan_only(endpoint_stack, s.id, current) for s in REFUSED}
    # A plan that replaces the endpoint, as a renamed service or a provider quirk would.
    endpoint_address = next(
        r["address"]
        for r in deployment.applied_state[endpoint_stack]["values"]["root_module"]["resources"]
        if r["type"] == "aws_sagemaker_endpoint"
    )
    refused["endpoint-replaced"] = day2.plan_only(
        endpoint_stack, current, current, f"-replace={endpoint_address}"
    )
    # While eu-west-1 is being retired: us-east-1's rollout that SageMaker rolls back.
    rolled_back = _roll_back(day2, endpoint_stack)

    retiring.join(timeout=900)
    assert not retiring.is_alive(), f"retiring {SURROUNDINGS_REGION} did not finish in 15 minutes"
    if "error" in retired:
        pytest.fail(f"retiring {SURROUNDINGS_REGION} failed: {retired['error']}", pytrace=False)
    retire_plan, retire_apply = retired["plan"], retired["apply"]
    destroy_plan, destroy = retired["destroy plan"], retired["destroy"]
    survivor = deployment.run("survivor re-plan", [endpoint_stack], *CONVERGED)

    adding.join(timeout=900)
    assert not adding.is_alive(), "the added region's apply did not finish in 15 minutes"
    if "error" in added:
        pytest.fail(f"adding {ADDED_REGION} failed: {added['error']}", pytrace=False)
    deployment.require_success(added["apply"])
    regions = RegionChanges(
        added_stack=added_stack,
        added_apply=added["apply"],
        added_converged=added["converged"],
        retire_plan=retire_plan,
        retire_verdict=verdict(retire_plan, surroundings_stack),
        retire_apply=retire_apply[surroundings_stack],
        destroy_plan=destroy_plan,
        destroy_verdict=verdict(destroy_plan, surroundings_stack),
        destroy_allowed=verdict(destroy_plan, surroundings_stack, allow=["*"]),
        destroy=destroy[surroundings_stack],
        survivor_converged=survivor[endpoint_stack],
        survivor_records_before=records_before,
    )
    _print_apply_times(outcomes, regions)
    print(f"[day-2] {ROLLED_BACK.id:<20} {rolled_back.seconds:6.1f} s (all its Terraform runs)")
    return outcomes, refused, regions, rolled_back


def _print_apply_times(applied: dict[str, Outcome], regions: RegionChanges) -> None:
    for outcome in {id(o): o for o in applied.values()}.values():
        seconds = outcome.apply.seconds if outcome.apply else float("nan")
        print(f"[day-2] {step_id(outcome.step):<60} apply {seconds:6.1f} s ({outcome.stack})")
    print(
        f"[day-2] {'region added':<20} apply {regions.added_apply[regions.added_stack].seconds:6.1f} s"
    )
    print(f"[day-2] {'region retired':<20} apply {regions.retire_apply.seconds:6.1f} s")
    print(f"[day-2] {'region destroyed':<20} apply {regions.destroy.seconds:6.1f} s")


STEPS = [*ENDPOINT_STEPS, *SURROUNDINGS_STEPS]


def step_id(step: Step) -> str:
    return "+".join(s.id for s in step)


@pytest.fixture
def applied(
    scenario_run: tuple[dict[str, Outcome], dict[str, Any], RegionChanges, RolledBack],
) -> dict[str, Outcome]:
    return scenario_run[0]


@pytest.mark.parametrize("step", STEPS, ids=step_id)
def test_plan_changes_exactly_what_the_scenarios_expect(
    applied: dict[str, Outcome], step: Step
) -> None:
    outcome = applied[step[0].id]
    assert changes(outcome.plan) == Counter(step_expected(step)), (
        f"{step_id(step)} in {outcome.stack}: "
        + json.dumps(
            [
                (r["address"], r["change"]["actions"])
                for r in outcome.plan["resource_changes"]
                if r["change"]["actions"] not in (["no-op"], ["read"])
            ],
            indent=1,
        )
    )


@pytest.mark.parametrize("step", STEPS, ids=step_id)
def test_verdict_is_the_scenarios(applied: dict[str, Outcome], step: Step) -> None:
    outcome = applied[step[0].id]
    assert {s.verdict for s in step} == {outcome.verdict.kind}, outcome.verdict.line
    assert outcome.verdict.exit_code == 0, outcome.verdict.line
    assert outcome.verdict.refused == [], outcome.verdict.line


@pytest.mark.parametrize("step", STEPS, ids=step_id)
def test_stack_converges_after_the_change(applied: dict[str, Outcome], step: Step) -> None:
    run = applied[step[0].id].converged
    assert run is not None and run.result.returncode == 0, (
        f"the plan after {step_id(step)} is not empty\n" + (run.describe() if run else "")
    )


def test_rollout_keeps_the_capacity_autoscaling_had_reached(applied: dict[str, Outcome]) -> None:
    outcome = applied["model-artifact"]
    assert outcome.capacity_before == SCALED_OUT_TO
    assert outcome.capacity_after is not None
    assert outcome.capacity_after >= outcome.capacity_before, (
        f"capacity {outcome.capacity_before} before the rollout, {outcome.capacity_after} after"
    )
    # The provider's request, as SageMaker received it: no RetainAllVariantProperties.
    assert outcome.update_requests, "no UpdateEndpoint request was recorded"
    request = outcome.update_requests[-1]
    assert request["outcome"] == "accepted", request
    assert not request["request"].get("RetainAllVariantProperties"), request


def test_every_rollout_request_was_accepted(applied: dict[str, Outcome]) -> None:
    requests = applied["auto-rollback-on"].update_requests or []
    refused = [r for r in requests if r["outcome"] != "accepted"]
    assert not refused, refused
    # model artifact, image, instance type and the rollout settings: four updates, no others
    # (turning auto-rollback off and on again never calls UpdateEndpoint).
    assert len(requests) == 4, [r["request"].get("EndpointConfigName") for r in requests]


def test_instance_type_change_re_registers_autoscaling(
    applied: dict[str, Outcome], deployment: Deployment
) -> None:
    outcome = applied["instance-type"]
    config = deployment.stack_configs[outcome.stack]
    region = outcome.stack.removeprefix(f"{config.name}-")
    for check in (checks.scalable_target_range, checks.target_tracking_policies):
        check(deployment, config, region)
    sagemaker = deployment.emulator.client("sagemaker", region)
    endpoint = sagemaker.describe_endpoint(EndpointName=config.name)
    described = sagemaker.describe_endpoint_config(
        EndpointConfigName=endpoint["EndpointConfigName"]
    )
    assert described["ProductionVariants"][0]["InstanceType"] == "ml.m5.2xlarge"


def test_auto_rollback_toggles_keep_the_endpoints_rollback_alarms(
    applied: dict[str, Outcome],
) -> None:
    # Off rides with a rollout-settings change (one plan); on is alone and never touches it.
    for scenario_id in ("auto-rollback-off", "auto-rollback-on"):
        (endpoint,) = [
            r for r in applied[scenario_id].plan["resource_changes"]
            if r["type"] == "aws_sagemaker_endpoint"
        ]  # fmt: skip
        before = endpoint["change"]["before"]["deployment_config"][0]
        after = endpoint["change"]["after"]["deployment_config"][0]
        assert before["auto_rollback_configuration"] == after["auto_rollback_configuration"]
    on = applied["auto-rollback-on"].plan["resource_changes"]
    assert [r["change"]["actions"] for r in on if r["type"] == "aws_sagemaker_endpoint"] == [
        ["no-op"]
    ]


@pytest.fixture
def refused(
    scenario_run: tuple[dict[str, Outcome], dict[str, tuple[dict[str, Any], Verdict]], Any, Any],
) -> dict[str, tuple[dict[str, Any], Verdict]]:
    return scenario_run[1]


@pytest.mark.parametrize("plan_id", ["variant-rename", "endpoint-replaced"])
def test_verdict_refuses(refused: dict[str, tuple[dict[str, Any], Verdict]], plan_id: str) -> None:
    _, judged = refused[plan_id]
    assert judged.kind == "refused", judged.line
    assert judged.exit_code == 1
    assert any("aws_sagemaker_endpoint" in entry for entry in judged.refused), judged.line


def test_verdict_allows_what_it_is_told_to(
    refused: dict[str, tuple[dict[str, Any], Verdict]],
) -> None:
    plan, judged = refused["endpoint-replaced"]
    (entry,) = judged.refused
    address = entry.split(" ")[0]
    allowed = verdict(plan, "serving-prod-us-east-1", allow=[address])
    assert allowed.exit_code == 0, allowed.line
    assert allowed.refused == [] and len(allowed.allowed) == 1, allowed.line


@pytest.fixture
def regions(scenario_run: tuple[dict[str, Outcome], Any, RegionChanges, Any]) -> RegionChanges:
    return scenario_run[2]


def test_added_region_is_created_and_converges(
    regions: RegionChanges, deployment: Deployment
) -> None:
    stack = regions.added_stack
    assert regions.added_converged[stack].result.returncode == 0, regions.added_converged[
        stack
    ].describe()
    config = deployment.stack_configs[stack]
    for check in (checks.endpoint_in_service, checks.certificate_issued):
        check(deployment, config, ADDED_REGION)


def test_adding_a_region_changes_no_other_stack(
    example_config: ServiceConfig, tmp_path_factory: pytest.TempPathFactory
) -> None:
    document = example_document()
    document["regions"] = [*document["regions"], ADDED_REGION]
    before = tmp_path_factory.mktemp("regions-before")
    after = tmp_path_factory.mktemp("regions-after")
    synth_app(example_config, before)
    synth_app(ServiceConfig.model_validate(document), after)
    for region in REGIONS:
        stack = example_config.stack_name(region)
        old = json.loads((before / "stacks" / stack / "cdk.tf.json").read_text())
        new = json.loads((after / "stacks" / stack / "cdk.tf.json").read_text())
        assert old == new, f"adding {ADDED_REGION} changes {stack}"


def test_retiring_a_region_releases_the_shared_record_and_deletes_nothing(
    regions: RegionChanges,
) -> None:
    counts = changes(regions.retire_plan)
    assert counts[("aws_route53_record", "forget")] == 1, counts
    kept = {k: n for k, n in counts.items() if k[0].startswith(("aws_s3", "aws_kms"))}
    assert kept == RETIRED_REGION_FORGETS, counts
    assert not [key for key in counts if key[1] in ("delete", "replace")], counts
    assert regions.retire_verdict.exit_code == 0, regions.retire_verdict.line
    assert "releases" in regions.retire_verdict.line, regions.retire_verdict.line


def test_destroying_a_retired_region_needs_an_explicit_allow(regions: RegionChanges) -> None:
    assert regions.destroy_verdict.kind == "refused"
    assert regions.destroy_verdict.exit_code == 1
    assert regions.destroy_allowed.exit_code == 0, regions.destroy_allowed.line
    assert regions.destroy.result.returncode == 0, regions.destroy.describe()


def test_other_regions_keep_their_validation_records_and_converge(
    regions: RegionChanges, day2: Day2, example_config: ServiceConfig
) -> None:
    stack = example_config.stack_name(ENDPOINT_REGION)
    assert regions.survivor_records_before, "us-east-1 manages no validation record"
    after = checks.validation_records(day2.deployment, stack)
    assert sorted(r["Name"] for r in after) == sorted(
        r["Name"] for r in regions.survivor_records_before
    )
    assert regions.survivor_converged.result.returncode == 0, regions.survivor_converged.describe()
    config = day2.deployment.stack_configs[stack]
    checks.certificate_issued(day2.deployment, config, ENDPOINT_REGION)


@pytest.fixture
def rolled_back(scenario_run: tuple[Any, Any, Any, RolledBack]) -> RolledBack:
    return scenario_run[3]


def _one_line(text: str) -> str:
    return " ".join(text.split())  # Terraform wraps long error messages


def test_rolled_back_rollout_fails_the_apply_naming_where_the_reason_is(
    rolled_back: RolledBack, example_config: ServiceConfig
) -> None:
    failed = rolled_back.failed_apply
    assert failed.result.returncode == 1, failed.describe()
    error = _one_line(failed.result.stderr)
    assert "Resource postcondition failed" in error, failed.describe()
    name, region = example_config.name, ENDPOINT_REGION
    assert f"The rollout of SageMaker endpoint {name} in {region} did not complete" in error
    assert (
        f"aws sagemaker describe-endpoint --region {region} --endpoint-name {name} "
        "--query FailureReason"
    ) in error
    assert f"runs endpoint configuration {rolled_back.running_before}, not" in error


def test_rolled_back_endpoint_runs_its_old_configuration_which_still_exists(
    rolled_back: RolledBack,
) -> None:
    endpoint = rolled_back.endpoint_after
    assert endpoint["EndpointStatus"] == "InService"
    assert endpoint["EndpointConfigName"] == rolled_back.running_before
    assert rolled_back.running_config_after is not None, "the running configuration was deleted"
    assert rolled_back.running_model_exists, "the running configuration's model was deleted"
    assert rolled_back.alarm in endpoint["FailureReason"]


def test_rolled_back_rollout_keeps_autoscaling_registered(
    rolled_back: RolledBack, example_config: ServiceConfig
) -> None:
    (target,) = rolled_back.targets_after
    assert (target["MinCapacity"], target["MaxCapacity"]) == (
        example_config.endpoint.min_instance_count,
        example_config.endpoint.max_instance_count,
    )


def test_status_reports_the_rolled_back_rollout_and_its_reason(rolled_back: RolledBack) -> None:
    status = rolled_back.status_after
    assert isinstance(status, RegionStatus), f"status could not read the region: {status}"
    assert status.last_deployment == "rolled back"
    assert not status.as_planned
    assert any(
        p.startswith("last deployment rolled back: ") and rolled_back.alarm in p
        for p in status.problems
    ), status.problems


def test_next_plan_retries_the_rollout_and_then_removes_what_was_kept(
    rolled_back: RolledBack,
) -> None:
    plan = rolled_back.retry_plan
    (endpoint,) = [r for r in plan["resource_changes"] if r["type"] == "aws_sagemaker_endpoint"]
    assert endpoint["change"]["actions"] == ["update"]
    assert endpoint["change"]["before"]["endpoint_config_name"] == rolled_back.running_before
    deposed = sorted(
        (r["type"], r["change"]["actions"][0]) for r in plan["resource_changes"] if r.get("deposed")
    )
    # The configuration and model the endpoint ran, deleted only after the rollout this time.
    assert deposed == [
        ("aws_sagemaker_endpoint_configuration", "delete"),
        ("aws_sagemaker_model", "delete"),
    ]
    assert changes(plan) == Counter(ROLLED_BACK.expected)
    assert verdict(plan, "serving-prod-us-east-1").kind == ROLLED_BACK.verdict


def test_retried_rollout_applies_and_converges(
    rolled_back: RolledBack, regions: RegionChanges
) -> None:
    assert rolled_back.retried.result.returncode == 0, rolled_back.retried.describe()
    # us-east-1's refreshing plan after everything, the retried rollout last.
    assert regions.survivor_converged.result.returncode == 0, regions.survivor_converged.describe()
