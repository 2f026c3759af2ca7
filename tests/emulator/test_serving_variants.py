"""The serving-feature examples (A/B, shadow, serverless) applied in the emulator, then changed.

Given config/examples/ab.yaml, shadow.yaml and serverless-dev.yaml, when each one's region stack is
applied against a moto server of this module's own (all at once, one thread each, as
example_deployment.py applies the example), then:
  - SageMaker holds what the configuration asks for: every production variant with its weight,
    instance type, count, routing strategy and start-up timeouts, the shadow variant, the
    serverless settings (DescribeEndpointConfig, DescribeEndpoint), each variant's model;
  - Application Auto Scaling has one scalable target (with its target tracking) per variant with
    instances, champion, challenger and the shadow candidate alike, and none for serverless;
  - every variant has its alarms (errors, latency, 4XX rate, memory, and CPU or concurrency);
  - `terraform plan -detailed-exitcode` finds nothing to change: the stack converges.

Day 2 (marker `day2`), as test_day2.py runs its scenarios (refreshing plan, plan-safety
verdict, apply of that saved plan, refreshing re-plan that must be empty), with the exact
(type, action) counts of each plan:
  - shift the A/B weights (9/1 → 1/1): a new endpoint configuration, created before the old one
    is destroyed, and the endpoint updated in place to it;
  - add a shadow variant: the shadow service applied without its `shadow` block, then as
    shadow.yaml has it. It runs in a second region of that service (us-west-2), so the stack
    created directly from shadow.yaml in us-east-1 is applied beside it: both ways a shadow
    variant comes to exist (CreateEndpoint with one, UpdateEndpoint adding one) are covered.

The examples are applied with `waf.enabled: false` (`without_web_acl`, tests/support/configs.py):
the web ACL is the example's construct, applied and changed there, and here it would be half of
every plan's CPU. These stacks are planned and applied 17 times.

Deselect with `-m 'not emulator'`; `-m 'emulator and not day2'` applies the three examples only.
"""

from __future__ import annotations

import importlib.util
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from config.models import ROUTING_STRATEGIES, ServiceConfig, ServingVariant
from constructs_lib import aws_terms
from emulator.deployment import Deployment, PhaseTimer, StackRun, emulator_only
from emulator.moto_server import MotoServer, running_moto_server
from emulator.override import prepare_stack
from emulator.terraform import offline_terraform, skip_or_fail
from tests.emulator import checks
from tests.emulator.day2_chain import CONVERGED, Day2, Outcome, changes
from tests.emulator.example_deployment import APPLY, create_prerequisites
from tests.emulator.scenarios import (
    RELEASED_BUCKET_TYPES,
    SHADOW_ADDED,
    SHADOW_PROMOTED,
    WEIGHT_SHIFT,
    Expected,
)
from tests.emulator.serving_variants import (
    Observed,
    SynthesizedConfigs,
    alarm_dimensions,
    alarm_metrics,
    load_example,
    observe,
    promoted,
    with_region,
    with_weights,
    without_shadow,
)
from tests.support.configs import without_web_acl

# Its own moto server and stacks: an xdist group of its own, so it runs on the other worker
# while the example's emulator chain runs (tests/support/parallel.py).
pytestmark = [pytest.mark.emulator, pytest.mark.xdist_group("serving-variants")]

EXAMPLES = ["ab", "shadow", "serverless"]
# The shadow service's second region, where the day-2 scenario adds the shadow variant.
ADDED_SHADOW_REGION = "us-west-2"
ADDED_SHADOW = "shadow-added"
PROMOTED = "shadow-promoted"

# Stack key → (label of the configuration it is changed to, scenario).
DAY2_STEPS = {"ab": ("ab-even-weights", WEIGHT_SHIFT), ADDED_SHADOW: (ADDED_SHADOW, SHADOW_ADDED)}


@dataclass
class Applied:
    """The examples' region stacks as applied, what the emulator held then, and the re-plans."""

    deployment: Deployment
    synths: SynthesizedConfigs
    stacks: dict[str, str]
    """Key (`ab`, `shadow`, `serverless`, and `shadow-added` for day 2) → stack name."""
    regions: dict[str, str]
    observed: dict[str, Observed] = field(default_factory=dict)
    converged: dict[str, StackRun] = field(default_factory=dict)

    def require(self) -> None:
        self.deployment.require("init", "apply")

    def config(self, key: str) -> ServiceConfig:
        config: ServiceConfig = self.deployment.stack_configs[self.stacks[key]]
        return config


@pytest.fixture(scope="module")
def variants_moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    """This module's own moto server: the examples share the hosted zone example.com, which the
    session's server may hold already (the stacks look it up by name: it must be unique)."""
    for module in ("moto", "flask", "werkzeug"):
        if importlib.util.find_spec(module) is None:
            skip_or_fail(f"{module} is not installed (the emulator tests need moto[server])")
    with running_moto_server(tmp_path_factory.mktemp("moto-variants")) as server:
        yield server


def _day2_selected(request: pytest.FixtureRequest) -> bool:
    here = Path(__file__).resolve()
    return any(
        item.get_closest_marker("day2") and Path(str(item.path)).resolve() == here
        for item in request.session.items
    )


@pytest.fixture(scope="module")
def applied(
    request: pytest.FixtureRequest,
    variants_moto: MotoServer,
    phase_timer: PhaseTimer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Applied:
    """Each example's region stack (and, for day 2, the shadow service's second region without
    its shadow) applied at once, observed, then re-planned at once."""
    # The session's Terraform folder: its plugin cache is warm if the example ran first (the inits
    # here run one after another, after that example's).
    terraform = emulator_only(offline_terraform(tmp_path_factory.getbasetemp() / "terraform"))
    root = tmp_path_factory.mktemp("variant-stacks")
    synths = SynthesizedConfigs(root / "synth")
    configs = {key: without_web_acl(load_example(key)) for key in EXAMPLES}
    stacks, regions, labels = {}, {}, {}
    with phase_timer.phase("variants synth"):
        for key, config in configs.items():
            synths.add(key, config)
            (regions[key],) = config.regions
            stacks[key], labels[key] = config.stack_name(regions[key]), key
        if _day2_selected(request):
            # Every configuration now: jsii must not synthesize while threads run Terraform.
            weights = {"champion": 1.0, "challenger": 1.0}
            synths.add("ab-even-weights", with_weights(configs["ab"], weights))
            two_regions = with_region(configs["shadow"], ADDED_SHADOW_REGION)
            synths.add("shadow-base", without_shadow(two_regions))
            synths.add(ADDED_SHADOW, two_regions)
            synths.add(PROMOTED, promoted(two_regions))
            stacks[ADDED_SHADOW] = two_regions.stack_name(ADDED_SHADOW_REGION)
            regions[ADDED_SHADOW], labels[ADDED_SHADOW] = ADDED_SHADOW_REGION, "shadow-base"
    workdirs = {
        stacks[key]: prepare_stack(
            synths.stack_dir(label, stacks[key]), root / stacks[key], variants_moto.endpoint_url
        )
        for key, label in labels.items()
    }
    deployment = Deployment(terraform, variants_moto, workdirs, phase_timer)
    deployment.stack_configs = {stacks[key]: synths.config(label) for key, label in labels.items()}
    result = Applied(deployment, synths, stacks, regions)
    # The examples share the hosted zone, which the stacks look up by name.
    create_prerequisites(variants_moto, configs["ab"])
    all_stacks = list(workdirs)
    if not deployment.init(all_stacks):
        return result
    if not deployment.record("apply", deployment.run("variants apply", all_stacks, *APPLY)):
        return result
    for key in stacks:
        result.observed[key] = observe(variants_moto, result.config(key), regions[key])
    runs = deployment.run("variants re-plan", all_stacks, *CONVERGED)
    result.converged = {key: runs[stack] for key, stack in stacks.items()}
    return result


# --- the examples, applied -----------------------------------------------------------------------


def _variants(config: ServiceConfig, *, shadow: bool) -> list[ServingVariant]:
    return [v for v in config.serving_variants if v.shadow is shadow]


def expected_variant(config: ServiceConfig, variant: ServingVariant) -> dict[str, Any]:
    """The variant as DescribeEndpointConfig must report it (its model name aside)."""
    expected: dict[str, Any] = {
        "VariantName": variant.name,
        "InitialVariantWeight": variant.weight,
    }
    fleet = variant.fleet
    serverless = config.endpoint.serverless
    if fleet is None:
        assert serverless is not None
        settings = {
            "MemorySizeInMB": serverless.memory_mb,
            "MaxConcurrency": serverless.max_concurrency,
        }
        if serverless.provisioned_concurrency is not None:
            settings["ProvisionedConcurrency"] = serverless.provisioned_concurrency
        return {**expected, "ServerlessConfig": settings}
    expected.update(
        InstanceType=fleet.instance_type,
        InitialInstanceCount=fleet.initial_instances,
        RoutingConfig={"RoutingStrategy": ROUTING_STRATEGIES[fleet.routing_strategy]},
        ContainerStartupHealthCheckTimeoutInSeconds=fleet.startup_timeout_s,
        ModelDataDownloadTimeoutInSeconds=fleet.download_timeout_s,
    )
    if fleet.volume_size_gb is not None:
        expected["VolumeSizeInGB"] = fleet.volume_size_gb
    if fleet.inference_ami_version is not None:
        expected["InferenceAmiVersion"] = fleet.inference_ami_version
    return expected


# Not the configuration's: the generated model name, and SSM access, which the provider always
# sends (false) and SageMaker reports back.
NOT_CONFIGURED = ("ModelName", "EnableSSMAccess")


def _described(variants: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in variant.items() if k not in NOT_CONFIGURED} for variant in variants]


def check_endpoint_configuration(observed: Observed, config: ServiceConfig) -> None:
    described = observed.endpoint_config
    for kind, shadow in (("ProductionVariants", False), ("ShadowProductionVariants", True)):
        expected = [expected_variant(config, v) for v in _variants(config, shadow=shadow)]
        assert _described(described.get(kind, [])) == expected, (kind, described)
    assert bool(described.get("DataCaptureConfig")) is config.data_capture_enabled, described
    # Serverless endpoints take no KMS key for a storage volume they do not have.
    assert bool(described.get("KmsKeyId")) is (config.endpoint.serverless is None), described


def check_endpoint(observed: Observed, config: ServiceConfig) -> None:
    endpoint = observed.endpoint
    assert endpoint["EndpointStatus"] == "InService", endpoint
    for kind, shadow in (("ProductionVariants", False), ("ShadowProductionVariants", True)):
        found = {v["VariantName"]: v for v in endpoint.get(kind, [])}
        variants = _variants(config, shadow=shadow)
        assert list(found) == [v.name for v in variants], (kind, endpoint)
        for variant in variants:
            summary = found[variant.name]
            assert summary["CurrentWeight"] == variant.weight, summary
            if variant.fleet is not None:
                assert summary["CurrentInstanceCount"] == variant.fleet.initial_instances, summary
            else:
                assert "CurrentInstanceCount" not in summary, summary
                assert (
                    summary["CurrentServerlessConfig"]
                    == (observed.endpoint_config["ProductionVariants"][0]["ServerlessConfig"])
                ), summary


def check_models(observed: Observed, config: ServiceConfig, region: str) -> None:
    for variant in config.serving_variants:
        model = observed.models[variant.name]
        container = model["PrimaryContainer"]
        assert container["Image"] == variant.model.image_uri.replace("{region}", region), model
        url = variant.model.model_data_url
        assert container.get("ModelDataUrl") == (url.replace("{region}", region) if url else None)
        assert model["EnableNetworkIsolation"] is variant.model.network_isolation, model


def check_autoscaling(observed: Observed, config: ServiceConfig) -> None:
    """One scalable target per variant with instances; serverless variants have none."""
    expected = {
        aws_terms.variant_resource_id(config.name, v.name): (
            v.fleet.min_instance_count,
            v.fleet.max_instance_count,
        )
        for v in config.serving_variants
        if v.fleet is not None and v.autoscaling is not None
    }
    found = {
        resource_id: (t["MinCapacity"], t["MaxCapacity"])
        for resource_id, t in observed.scalable_targets.items()
    }
    assert found == expected
    for target in observed.scalable_targets.values():
        assert target["ScalableDimension"] == aws_terms.VARIANT_INSTANCE_COUNT, target
    for variant in config.serving_variants:
        if variant.fleet is None or variant.autoscaling is None:
            continue
        resource_id = aws_terms.variant_resource_id(config.name, variant.name)
        tracked = {
            p["TargetTrackingScalingPolicyConfiguration"]["PredefinedMetricSpecification"][
                "PredefinedMetricType"
            ]: p["TargetTrackingScalingPolicyConfiguration"]["TargetValue"]
            for p in observed.scaling_policies.get(resource_id, [])
        }
        assert tracked.get(aws_terms.INVOCATIONS_PER_INSTANCE) == (
            variant.autoscaling.invocations_target
        ), (variant.name, tracked)


def check_variant_alarms(observed: Observed, config: ServiceConfig) -> None:
    """Every variant's errors, latency, 4XX rate and memory are alarmed on, and its CPU (with
    instances) or concurrency (serverless)."""
    for variant in config.serving_variants:
        watching = [
            alarm
            for alarm in observed.alarms
            if {"Name": "VariantName", "Value": variant.name} in alarm_dimensions(alarm)
            and {"Name": "EndpointName", "Value": config.name} in alarm_dimensions(alarm)
        ]
        metrics = set().union(*(alarm_metrics(a) for a in watching)) if watching else set()
        expected = {
            aws_terms.INVOCATION_5XX,
            aws_terms.MODEL_LATENCY,
            aws_terms.INVOCATION_4XX,
            aws_terms.MEMORY_UTILIZATION,
            aws_terms.CPU_UTILIZATION
            if variant.fleet is not None
            else aws_terms.SERVERLESS_CONCURRENCY_UTILIZATION,
        }
        assert expected <= metrics, (
            variant.name,
            sorted(metrics),
            [a["AlarmName"] for a in watching],
        )
        assert all(alarm["AlarmActions"] for alarm in watching), variant.name


CHECKS = [
    check_endpoint_configuration,
    check_endpoint,
    check_autoscaling,
    check_variant_alarms,
]


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__.removeprefix("check_"))
@pytest.mark.parametrize("key", EXAMPLES)
def test_example_is_deployed(applied: Applied, key: str, check: Any) -> None:
    applied.require()
    check(applied.observed[key], applied.config(key))


@pytest.mark.parametrize("key", EXAMPLES)
def test_every_variant_runs_its_own_model(applied: Applied, key: str) -> None:
    applied.require()
    check_models(applied.observed[key], applied.config(key), applied.regions[key])


@pytest.mark.parametrize("key", EXAMPLES)
def test_the_applied_examples_differ_from_the_shipped_files_only_by_the_web_acl(key: str) -> None:
    shipped = load_example(key).model_dump()
    applied = without_web_acl(load_example(key)).model_dump()
    assert shipped["waf"]["enabled"] is True
    assert applied["waf"] == {**shipped["waf"], "enabled": False}
    assert {k: v for k, v in applied.items() if k != "waf"} == {
        k: v for k, v in shipped.items() if k != "waf"
    }


def test_the_examples_cover_ab_shadow_and_serverless(applied: Applied) -> None:
    """The three examples exercise what they are for (so the checks above are not vacuous)."""
    applied.require()
    ab = applied.observed["ab"]
    assert [v["VariantName"] for v in ab.endpoint_config["ProductionVariants"]] == [
        "champion",
        "challenger",
    ]
    assert [v["InitialVariantWeight"] for v in ab.endpoint_config["ProductionVariants"]] == [9, 1]
    assert len(ab.scalable_targets) == 2
    shadow = applied.observed["shadow"]
    assert [v["VariantName"] for v in shadow.endpoint_config["ShadowProductionVariants"]] == [
        "candidate"
    ]
    assert len(shadow.scalable_targets) == 2
    serverless = applied.observed["serverless"]
    assert "ServerlessConfig" in serverless.endpoint_config["ProductionVariants"][0]
    assert serverless.scalable_targets == {}


@pytest.mark.parametrize("key", EXAMPLES)
def test_example_converges(applied: Applied, key: str) -> None:
    applied.require()
    run = applied.converged[key]
    assert run.result.returncode == 0, (
        "the plan right after apply is not empty (exit 2: changes, 1: error): a perpetual diff "
        "in the stack, or an emulator gap to shim (emulator/*_shims.py)\n" + run.describe()
    )


# --- day 2 ---------------------------------------------------------------------------------------


@dataclass
class Changed:
    """Each day-2 step's outcome, and the emulator's view before and after, by stack key."""

    outcomes: dict[str, Outcome]
    before: dict[str, Observed]
    after: dict[str, Observed]


@pytest.fixture(scope="module")
def changed(applied: Applied) -> Changed:
    """Both day-2 steps at once, one stack each (test_day2.py's `Day2`)."""
    applied.require()
    for key in DAY2_STEPS:
        run = applied.converged[key]
        assert run.result.returncode == 0, f"{key} did not converge first:\n{run.describe()}"
    deployment = applied.deployment
    day2 = Day2(deployment, deployment.emulator, applied.synths)  # type: ignore[arg-type]
    stacks = {key: applied.stacks[key] for key in DAY2_STEPS}
    before = {key: applied.observed[key] for key in DAY2_STEPS}
    start = time.monotonic()
    outcomes = day2.step(
        "variants day-2",
        {stacks[key]: (label, (scenario,)) for key, (label, scenario) in DAY2_STEPS.items()},
    )
    deployment.timer.record("variants day-2 total", time.monotonic() - start)
    after = {
        key: observe(deployment.emulator, applied.config(key), applied.regions[key])
        for key in DAY2_STEPS
    }
    return Changed({key: outcomes[stack] for key, stack in stacks.items()}, before, after)


def _listing(plan: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [
        (r["address"], r["change"]["actions"])
        for r in plan.get("resource_changes", [])
        if r["change"]["actions"] not in (["no-op"], ["read"])
    ]


@pytest.mark.day2
@pytest.mark.parametrize("key", list(DAY2_STEPS))
def test_day2_plan_changes_exactly_what_the_scenario_expects(changed: Changed, key: str) -> None:
    outcome = changed.outcomes[key]
    expected: Expected = DAY2_STEPS[key][1].expected
    assert changes(outcome.plan) == Counter(expected), _listing(outcome.plan)


@pytest.mark.day2
@pytest.mark.parametrize("key", list(DAY2_STEPS))
def test_day2_replaces_the_endpoint_configuration_before_destroying_the_old_one(
    changed: Changed, key: str
) -> None:
    (configuration,) = [
        r
        for r in changed.outcomes[key].plan["resource_changes"]
        if r["type"] == "aws_sagemaker_endpoint_configuration"
    ]
    assert configuration["change"]["actions"] == ["create", "delete"], configuration["change"]


@pytest.mark.day2
@pytest.mark.parametrize("key", list(DAY2_STEPS))
def test_day2_verdict_is_a_rollout_of_the_live_endpoint(changed: Changed, key: str) -> None:
    judged = changed.outcomes[key].verdict
    assert judged.kind == DAY2_STEPS[key][1].verdict, judged.line
    assert judged.exit_code == 0 and judged.refused == [], judged.line


@pytest.mark.day2
@pytest.mark.parametrize("key", list(DAY2_STEPS))
def test_day2_keeps_the_endpoint_and_converges(
    changed: Changed, applied: Applied, key: str
) -> None:
    outcome = changed.outcomes[key]
    run = outcome.converged
    assert run is not None and run.result.returncode == 0, (
        f"the plan after {key} is not empty\n" + (run.describe() if run else "")
    )
    before, after = changed.before[key].endpoint, changed.after[key].endpoint
    assert (after["EndpointArn"], after["CreationTime"]) == (
        before["EndpointArn"],
        before["CreationTime"],
    ), "the endpoint was replaced"
    assert after["EndpointConfigName"] != before["EndpointConfigName"]
    name = after["EndpointName"]
    region = applied.regions[key]
    requests = [
        r
        for r in outcome.update_requests or []
        if (r["region"], r["request"]["EndpointName"]) == (region, name)
    ]
    assert [r["outcome"] for r in requests] == ["accepted"], requests
    assert requests[0]["request"].get("DeploymentConfig"), "no blue/green policy was sent"


@pytest.mark.day2
def test_shifted_weights_are_deployed(changed: Changed, applied: Applied) -> None:
    config = applied.config("ab")
    after = changed.after["ab"]
    for check in (check_endpoint_configuration, check_endpoint, check_autoscaling):
        check(after, config)
    assert [v["CurrentWeight"] for v in after.endpoint["ProductionVariants"]] == [1, 1]


@pytest.mark.day2
def test_added_shadow_variant_is_deployed_scaled_and_alarmed(
    changed: Changed, applied: Applied
) -> None:
    config = applied.config(ADDED_SHADOW)
    assert config.shadow is not None
    before, after = changed.before[ADDED_SHADOW], changed.after[ADDED_SHADOW]
    assert "ShadowProductionVariants" not in before.endpoint
    for check in CHECKS:
        check(after, config)
    check_models(after, config, ADDED_SHADOW_REGION)
    shadow_target = aws_terms.variant_resource_id(config.name, config.shadow.name)
    assert set(after.scalable_targets) - set(before.scalable_targets) == {shadow_target}
    new_alarms = {a["AlarmName"] for a in after.alarms} - {a["AlarmName"] for a in before.alarms}
    assert len(new_alarms) == SHADOW_ADDED.expected[("aws_cloudwatch_metric_alarm", "create")]


CAPTURED_KEY = "captured/candidate/before-promotion.jsonl"
"""Put into the capture bucket before the promotion: captured data that must outlive it."""


@dataclass(frozen=True)
class KeptCapture:
    """The capture bucket after the promotion turned capture off."""

    bucket: str
    objects: list[str]
    """Its object keys, as S3 lists them after the apply."""
    public_access_blocked: bool
    policy_kept: bool
    """The bucket policy (TLS only) is the one the stack wrote before the promotion."""
    state: list[str]
    """`terraform state list` of the stack after the apply."""


@pytest.fixture(scope="module")
def promoted_shadow(
    changed: Changed, applied: Applied
) -> tuple[Outcome, Observed, Observed, KeptCapture]:
    """After the shadow was added, with data captured: its model promoted to production, the
    shadow removed and capture turned off."""
    outcome = changed.outcomes[ADDED_SHADOW]
    assert outcome.converged is not None and outcome.converged.result.returncode == 0
    deployment = applied.deployment
    day2 = Day2(deployment, deployment.emulator, applied.synths)  # type: ignore[arg-type]
    stack = applied.stacks[ADDED_SHADOW]
    s3 = deployment.emulator.client("s3", ADDED_SHADOW_REGION)
    config = applied.config(ADDED_SHADOW)
    (bucket,) = [
        b["Name"]
        for b in s3.list_buckets()["Buckets"]
        if b["Name"].startswith(f"{config.name}-capture-")
        and b["Name"].endswith(ADDED_SHADOW_REGION)
    ]
    policy = checks.put_past_tls_only_policy(s3, bucket, CAPTURED_KEY, b'{"captureData": {}}\n')
    start = time.monotonic()
    outcomes = day2.step("variants promotion", {stack: (PROMOTED, (SHADOW_PROMOTED,))})
    deployment.timer.record("variants promotion", time.monotonic() - start)
    after = observe(deployment.emulator, applied.synths.config(PROMOTED), ADDED_SHADOW_REGION)
    listed = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    kept = KeptCapture(
        bucket=bucket,
        objects=[o["Key"] for o in listed],
        public_access_blocked=all(block.values()),
        policy_kept=s3.get_bucket_policy(Bucket=bucket)["Policy"] == policy,
        state=deployment.state_list(stack),
    )
    return outcomes[stack], changed.after[ADDED_SHADOW], after, kept


@pytest.mark.day2
def test_promoting_the_shadow_is_a_rollout_that_keeps_the_endpoint(
    promoted_shadow: tuple[Outcome, Observed, Observed, KeptCapture],
) -> None:
    outcome, before, after, _ = promoted_shadow
    assert changes(outcome.plan) == Counter(SHADOW_PROMOTED.expected), _listing(outcome.plan)
    assert outcome.verdict.kind == SHADOW_PROMOTED.verdict, outcome.verdict.line
    assert outcome.converged is not None and outcome.converged.result.returncode == 0, (
        outcome.converged.describe() if outcome.converged else "no re-plan"
    )
    assert after.endpoint["EndpointArn"] == before.endpoint["EndpointArn"]
    assert "ShadowProductionVariants" not in after.endpoint
    # SageMaker refuses to drop a variant registered with Application Auto Scaling: the update
    # being accepted shows Terraform deregistered the shadow first.
    requests = [
        r
        for r in outcome.update_requests or []
        if (r["region"], r["request"]["EndpointName"])
        == (ADDED_SHADOW_REGION, after.endpoint["EndpointName"])
        and r["request"]["EndpointConfigName"] == after.endpoint["EndpointConfigName"]
    ]
    assert [r["outcome"] for r in requests] == ["accepted"], outcome.update_requests
    assert list(after.scalable_targets) == [
        t for t in before.scalable_targets if not t.endswith("/variant/candidate")
    ]
    (variant,) = after.endpoint_config["ProductionVariants"]
    model = after.models[variant["VariantName"]]
    assert model["PrimaryContainer"]["ModelDataUrl"].endswith("/fraud-scoring/v8/model.tar.gz")


@pytest.mark.day2
def test_promotion_with_capture_off_keeps_the_capture_bucket_and_its_data(
    promoted_shadow: tuple[Outcome, Observed, Observed, KeptCapture],
) -> None:
    # Given data captured during the shadow test, when the promotion turns capture off, then
    # the bucket is released from state (the plan forgets it), not deleted: it and its data
    # are still in S3, still private, and no longer in the stack's state.
    outcome, _, after, kept = promoted_shadow
    forgotten = [
        r["type"]
        for r in outcome.plan["resource_changes"]
        if r["change"]["actions"] == ["forget"] and r["type"].startswith("aws_s3")
    ]
    assert sorted(forgotten) == sorted(RELEASED_BUCKET_TYPES), _listing(outcome.plan)
    # ... in the apply that replaces the endpoint configuration (create_before_destroy), which
    # would be a cycle had the configuration depended on the bucket.
    (replaced,) = [
        r["change"]["actions"]
        for r in outcome.plan["resource_changes"]
        if r["type"] == "aws_sagemaker_endpoint_configuration"
    ]
    assert replaced == ["create", "delete"], _listing(outcome.plan)
    assert "DataCaptureConfig" not in after.endpoint_config, after.endpoint_config
    assert CAPTURED_KEY in kept.objects, kept
    assert kept.public_access_blocked, kept
    assert kept.policy_kept, kept
    # The access-log bucket stays managed; nothing of the capture bucket is left in the state.
    assert not [a for a in kept.state if a.startswith("aws_s3") and "capture" in a], kept.state
    assert [a for a in kept.state if a.startswith("aws_s3_bucket.load_balancer_access_logs")]
