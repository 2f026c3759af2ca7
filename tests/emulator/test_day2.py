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
from collections import Counter

import pytest

from config.models import ServiceConfig
from emulator.deployment import Deployment
from emulator.moto_server import MotoServer
from operations.status import RegionStatus
from plan_safety import verdict
from tests.emulator import checks
from tests.emulator.day2_chain import (
    ENDPOINT_REGION,
    SCALED_OUT_TO,
    Day2,
    Outcome,
    Refused,
    RegionChanges,
    RolledBack,
    ScenarioRun,
    changes,
    run_scenarios,
    step_id,
)
from tests.emulator.day2_synth import ScenarioSynths
from tests.emulator.example_deployment import ADDED_REGION, REGIONS
from tests.emulator.scenarios import (
    ENDPOINT_STEPS,
    RETIRED_REGION_FORGETS,
    ROLLED_BACK,
    SURROUNDINGS_STEPS,
    Step,
    step_expected,
)
from tests.support.app import synth_app
from tests.support.configs import example_document

pytestmark = [pytest.mark.emulator, pytest.mark.day2]


@pytest.fixture(scope="module")
def day2(
    deployment: Deployment, moto_server: MotoServer, scenario_synths: ScenarioSynths | None
) -> Day2:
    deployment.require("init", "apply")
    assert scenario_synths is not None, "conftest starts the day-2 synths when day2 is selected"
    return Day2(deployment, moto_server, scenario_synths)


@pytest.fixture(scope="module")
def scenario_run(day2: Day2, example_config: ServiceConfig) -> ScenarioRun:
    """Every step, in order; the refused plans; the region added and the one removed; the
    rollout SageMaker rolled back (day2_chain.run_scenarios)."""
    return run_scenarios(day2, example_config)


STEPS = [*ENDPOINT_STEPS, *SURROUNDINGS_STEPS]


@pytest.fixture
def applied(scenario_run: ScenarioRun) -> dict[str, Outcome]:
    return scenario_run.outcomes


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
def refused(scenario_run: ScenarioRun) -> Refused:
    return scenario_run.refused


@pytest.mark.parametrize("plan_id", ["variant-rename", "endpoint-replaced"])
def test_verdict_refuses(refused: Refused, plan_id: str) -> None:
    _, judged = refused[plan_id]
    assert judged.kind == "refused", judged.line
    assert judged.exit_code == 1
    assert any("aws_sagemaker_endpoint" in entry for entry in judged.refused), judged.line


def test_verdict_allows_what_it_is_told_to(
    refused: Refused,
) -> None:
    plan, judged = refused["endpoint-replaced"]
    (entry,) = judged.refused
    address = entry.split(" ")[0]
    allowed = verdict(plan, "serving-prod-us-east-1", allow=[address])
    assert allowed.exit_code == 0, allowed.line
    assert allowed.refused == [] and len(allowed.allowed) == 1, allowed.line


@pytest.fixture
def regions(scenario_run: ScenarioRun) -> RegionChanges:
    return scenario_run.regions


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
def rolled_back(scenario_run: ScenarioRun) -> RolledBack:
    return scenario_run.rolled_back


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
