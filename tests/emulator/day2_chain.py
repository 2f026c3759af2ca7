"""Day 2's machinery: run scenario steps against the live example, side by side, with a region
added and one retired around them (test_day2.py asserts on what `run_scenarios` returns;
test_serving_variants.py runs its own steps with `Day2`)."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
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
    ROLLED_BACK,
    SURROUNDINGS_STEPS,
    Step,
)

ENDPOINT_REGION, SURROUNDINGS_REGION = REGIONS[0], REGIONS[1]
SCALED_OUT_TO = 5
"""Instances the endpoint runs when its first rollout starts ("autoscaling scaled us out")."""
PLAN_FILE = "day2.tfplan"
PLAN = ("plan", "-input=false", "-lock=false", f"-out={PLAN_FILE}")
AUTO = ("-auto-approve", "-input=false")
# A scenario's plan refreshes: it reads what the previous step (or autoscaling) left, which costs
# about 4 s of CPU a stack, against about 20 s for applying the re-plan's empty plan to keep its
# refresh (measured: a plan of a region stack is about 30 s of CPU either way, half of it the
# provider's handling of the web ACL's schema). Runs right after an apply of the same stack skip it.
NO_REFRESH = "-refresh=false"
CONVERGED = (
    "plan", "-detailed-exitcode", "-input=false", "-lock=false",
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

    def step(self, phase: str, steps: dict[str, tuple[str, Step]]) -> dict[str, Outcome]:
        """One step per stack (label of its configuration, scenarios), all stacks at once:
        plan (refreshing: it reads what the previous step left), verdict, apply the saved plan,
        then a refreshing plan that must be empty."""
        configs = {stack: self.stage(stack, label) for stack, (label, _) in steps.items()}
        stacks = list(steps)
        planned = self.deployment.run(f"{phase} plan", stacks, *PLAN)
        self.deployment.require_success(planned)
        outcomes = {}
        for stack, (_, step) in steps.items():
            plan = self.show(stack)
            outcomes[stack] = Outcome(step, stack, plan, verdict(plan, stack), None, None)
        before = {s: self.capacity(s) for s in stacks}
        applied = self.deployment.run(f"{phase} apply", stacks, "apply", "-input=false", PLAN_FILE)
        self.deployment.require_success(applied)
        converged = self.deployment.run(f"{phase} re-plan", stacks, *CONVERGED)
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
        runs = self.deployment.run(f"plan {label}", [stack], *PLAN, *args)
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


def roll_back(day2: Day2, stack: str) -> RolledBack:
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


def add_region(day2: Day2, stack: str, out: dict[str, Any]) -> None:
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


def retire_region(day2: Day2, stack: str, out: dict[str, Any]) -> None:
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


Refused = dict[str, tuple[dict[str, Any], Verdict]]
"""Plans that are judged and never applied, by id: the plan and its verdict."""


@dataclass
class ScenarioRun:
    """Every step's outcome (by scenario id), the refused plans, the region added and the one
    removed, and the rollout SageMaker rolled back."""

    outcomes: dict[str, Outcome]
    refused: Refused
    regions: RegionChanges
    rolled_back: RolledBack


@dataclass
class _Background:
    """A stack changed in a thread beside the chains: the thread and what it reports."""

    stack: str
    thread: threading.Thread
    out: dict[str, Any] = field(default_factory=dict)

    def join(self, what: str) -> dict[str, Any]:
        self.thread.join(timeout=900)
        assert not self.thread.is_alive(), f"{what} did not finish in 15 minutes"
        if "error" in self.out:
            pytest.fail(f"{what} failed: {self.out['error']}", pytrace=False)
        return self.out


def _in_background(target: Any, day2: Day2, stack: str) -> _Background:
    out: dict[str, Any] = {}
    return _Background(stack, threading.Thread(target=target, args=(day2, stack, out)), out)


def run_scenarios(day2: Day2, example_config: ServiceConfig) -> ScenarioRun:
    """Both chains, step by step, with a region added beside them and eu-west-1 retired once its
    chain is done; then the refused plans and the rolled-back rollout on us-east-1."""
    deployment = day2.deployment
    endpoint_stack = example_config.stack_name(ENDPOINT_REGION)
    surroundings_stack = example_config.stack_name(SURROUNDINGS_REGION)

    # A region added in the background: its own stack, created while the chains run.
    added_stack = example_config.stack_name(ADDED_REGION)
    deployment.workdirs[added_stack] = deployment.workdirs[endpoint_stack].parent / added_stack
    deployment.stack_configs[added_stack] = day2.stage(added_stack, "added-region")
    adding = _in_background(add_region, day2, added_stack)
    adding.thread.start()

    retiring = _in_background(retire_region, day2, surroundings_stack)
    outcomes, records_before = _run_chains(day2, endpoint_stack, retiring)
    refused = _refused_plans(day2, endpoint_stack)
    # While eu-west-1 is being retired: us-east-1's rollout that SageMaker rolls back.
    rolled_back = roll_back(day2, endpoint_stack)
    regions = _region_changes(day2, endpoint_stack, adding, retiring, records_before)
    print_apply_times(outcomes, regions)
    print(f"[day-2] {ROLLED_BACK.id:<20} {rolled_back.seconds:6.1f} s (all its Terraform runs)")
    return ScenarioRun(outcomes, refused, regions, rolled_back)


def _run_chains(
    day2: Day2, endpoint_stack: str, retiring: _Background
) -> tuple[dict[str, Outcome], list[dict[str, Any]]]:
    """Step i of each chain at once, until both are done; eu-west-1's retirement starts (in the
    background) as soon as its chain is. Its validation records are read first, for the
    survivor check."""
    day2.scale_out(endpoint_stack, SCALED_OUT_TO)
    outcomes: dict[str, Outcome] = {}
    records_before: list[dict[str, Any]] = []
    for index in range(max(len(ENDPOINT_STEPS), len(SURROUNDINGS_STEPS))):
        steps = {}
        if index < len(ENDPOINT_STEPS):
            steps[endpoint_stack] = (f"endpoint-{index + 1}", ENDPOINT_STEPS[index])
        if index < len(SURROUNDINGS_STEPS):
            steps[retiring.stack] = (f"surroundings-{index + 1}", SURROUNDINGS_STEPS[index])
        for outcome in day2.step(f"day-2 step {index + 1}", steps).values():
            for scenario in outcome.step:
                outcomes[scenario.id] = outcome
        if index + 1 == len(SURROUNDINGS_STEPS):
            records_before = checks.validation_records(day2.deployment, endpoint_stack)
            retiring.thread.start()
    if retiring.thread.ident is None:  # no step for eu-west-1: retire it now
        records_before = checks.validation_records(day2.deployment, endpoint_stack)
        retiring.thread.start()
    return outcomes, records_before


def _refused_plans(day2: Day2, stack: str) -> Refused:
    """The refused scenarios' plans, and a plan that replaces the endpoint, as a renamed service
    or a provider quirk would."""
    current = f"endpoint-{len(ENDPOINT_STEPS)}"
    refused = {s.id: day2.plan_only(stack, s.id, current) for s in REFUSED}
    endpoint_address = next(
        r["address"]
        for r in day2.deployment.applied_state[stack]["values"]["root_module"]["resources"]
        if r["type"] == "aws_sagemaker_endpoint"
    )
    refused["endpoint-replaced"] = day2.plan_only(
        stack, current, current, f"-replace={endpoint_address}"
    )
    return refused


def _region_changes(
    day2: Day2,
    endpoint_stack: str,
    adding: _Background,
    retiring: _Background,
    records_before: list[dict[str, Any]],
) -> RegionChanges:
    """Wait for the retired region's destroy, re-plan the survivor, wait for the added region."""
    deployment = day2.deployment
    retired = retiring.join(f"retiring {SURROUNDINGS_REGION}")
    survivor = deployment.run("survivor re-plan", [endpoint_stack], *CONVERGED)
    added = adding.join(f"adding {ADDED_REGION}")
    deployment.require_success(added["apply"])
    surroundings_stack = retiring.stack
    destroy_plan = retired["destroy plan"]
    return RegionChanges(
        added_stack=adding.stack,
        added_apply=added["apply"],
        added_converged=added["converged"],
        retire_plan=retired["plan"],
        retire_verdict=verdict(retired["plan"], surroundings_stack),
        retire_apply=retired["apply"][surroundings_stack],
        destroy_plan=destroy_plan,
        destroy_verdict=verdict(destroy_plan, surroundings_stack),
        destroy_allowed=verdict(destroy_plan, surroundings_stack, allow=["*"]),
        destroy=retired["destroy"][surroundings_stack],
        survivor_converged=survivor[endpoint_stack],
        survivor_records_before=records_before,
    )


def print_apply_times(applied: dict[str, Outcome], regions: RegionChanges) -> None:
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
