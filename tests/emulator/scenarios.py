"""Day-2 scenarios: routine changes to a live service, and what each plan may do.

Pure data, shared by the emulator suite (test_day2.py applies every scenario and checks its plan
against `expected` and `verdict`) and by tests/test_readme_changes.py (README "Changing a live
service" must list exactly these rows). A scenario's `overrides` are merged into the
configuration its stack was last applied from, so each chain of scenarios is cumulative.

`expected` counts the plan's changes by (resource type, action): every change the plan makes,
and nothing else, so an unplanned replacement of any resource fails the scenario. Actions:
`update` (in place), `replace` (delete and create, either order), `create`, `delete`, `forget`
(released from state by a `removed` block, kept in AWS).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Expected = dict[tuple[str, str], int]

ENDPOINT_ROLLOUT: Expected = {
    ("aws_sagemaker_model", "replace"): 1,
    ("aws_sagemaker_endpoint_configuration", "replace"): 1,
    ("aws_sagemaker_endpoint", "update"): 1,
}
# The scalable target, its two target-tracking policies and the example's two scheduled actions,
# deregistered before the endpoint changes and registered again after it.
REREGISTRATION: Expected = {
    ("terraform_data", "update"): 1,
    ("aws_appautoscaling_target", "replace"): 1,
    ("aws_appautoscaling_policy", "replace"): 2,
    ("aws_appautoscaling_scheduled_action", "replace"): 2,
}

# A bucket with every setting on it (constructs_lib/secure_bucket.py): what a `removed` block
# releases from state when a bucket that holds logs or captured data leaves the stack.
RELEASED_BUCKET_TYPES = (
    "aws_s3_bucket",
    "aws_s3_bucket_public_access_block",
    "aws_s3_bucket_ownership_controls",
    "aws_s3_bucket_versioning",
    "aws_s3_bucket_server_side_encryption_configuration",
    "aws_s3_bucket_lifecycle_configuration",
    "aws_s3_bucket_policy",
)
# A retired region keeps its access-log bucket with every setting on it, and the key of its
# captured data (alias included): the plan forgets them, and deletes no bucket or key.
RETIRED_REGION_FORGETS = {
    **{(t, "forget"): 1 for t in RELEASED_BUCKET_TYPES},
    ("aws_kms_key", "forget"): 1,
    ("aws_kms_alias", "forget"): 1,
}


def business_day(starts_at: int) -> list[dict[str, Any]]:
    """The example's schedule after the range change (floor 3): 4 from `starts_at`, 3 at 19:00."""
    return [
        {"name": name, "schedule": f"cron(0 {hour} ? * MON-FRI *)", "min_instance_count": floor,
         "max_instance_count": 6, "timezone": "Europe/Berlin"}
        for name, hour, floor in (("business-hours", starts_at, 4), ("after-hours", 19, 3))
    ]  # fmt: skip


@dataclass(frozen=True)
class Scenario:
    id: str
    section: str
    """The configuration keys the scenario changes (README table, first column)."""
    change: str
    """What the scenario changes, for people (README table, second column)."""
    effect: str
    """What the plan does to the live service (README table, third column)."""
    verdict: str
    """The plan-safety verdict's kind: no changes, in place, model rollout, refused."""
    overrides: dict[str, Any] = field(default_factory=dict)
    expected: Expected = field(default_factory=dict)


# us-east-1: the endpoint's chain. Before the first rollout the test scales the endpoint out with
# UpdateEndpointWeightsAndCapacities, and checks that the rollout leaves at least that capacity.
_ENDPOINT_SCENARIOS = [
    Scenario(
        id="model-artifact",
        section="model.model_data_url",
        change="a new model artifact",
        effect=(
            "model rollout: new model and endpoint configuration, blue/green to a fleet of "
            "`max_instance_count`; the execution role's policy reads the new artifact"
        ),
        verdict="model rollout",
        overrides={
            "model.model_data_url": "s3://example-models-{region}/fraud-scoring/v8/model.tar.gz"
        },
        expected={**ENDPOINT_ROLLOUT, ("aws_iam_role_policy", "update"): 1},
    ),
    Scenario(
        id="instance-type",
        section="endpoint.instance_type",
        change="ml.m5.xlarge → ml.m5.2xlarge",
        effect=(
            "autoscaling deregistered, model rollout to the new type, autoscaling registered "
            "again; the CPU alarm is rescaled to the new vCPU count"
        ),
        verdict="model rollout",
        overrides={"endpoint.instance_type": "ml.m5.2xlarge"},
        expected={
            ("aws_sagemaker_endpoint_configuration", "replace"): 1,
            ("aws_sagemaker_endpoint", "update"): 1,
            ("aws_cloudwatch_metric_alarm", "update"): 1,
            **REREGISTRATION,
        },
    ),
    Scenario(
        id="rollout-settings",
        section="rollout.*",
        change="wait_s 300 → 240",
        effect=(
            "endpoint updated in place: SageMaker redeploys the same configuration blue/green "
            "with the new policy (UpdateEndpoint)"
        ),
        verdict="in place",
        overrides={"rollout.wait_s": 240},
        expected={("aws_sagemaker_endpoint", "update"): 1},
    ),
    Scenario(
        id="auto-rollback-off",
        section="rollout.auto_rollback",
        change="true → false",
        effect=(
            "in place: the two rollback alarms are disarmed (always 0), two `-notify` alarms "
            "page instead; the endpoint is untouched"
        ),
        verdict="in place",
        overrides={"rollout.auto_rollback": False},
        expected={
            ("aws_cloudwatch_metric_alarm", "update"): 2,
            ("aws_cloudwatch_metric_alarm", "create"): 2,
        },
    ),
    Scenario(
        id="auto-rollback-on",
        section="rollout.auto_rollback",
        change="false → true",
        effect="in place: the rollback alarms are armed again, the `-notify` alarms deleted",
        verdict="in place",
        overrides={"rollout.auto_rollback": True},
        expected={
            ("aws_cloudwatch_metric_alarm", "update"): 2,
            ("aws_cloudwatch_metric_alarm", "delete"): 2,
        },
    ),
]

# eu-west-1: autoscaling, a second kind of rollout, and everything around the endpoint.
_SURROUNDINGS_SCENARIOS = [
    Scenario(
        id="model-image",
        section="model.image_uri",
        change="a new image tag",
        effect="model rollout (blue/green to a fleet of `max_instance_count`)",
        verdict="model rollout",
        overrides={
            "model.image_uri": (
                "763104351884.dkr.ecr.{region}.amazonaws.com/"
                "pytorch-inference:2.4.0-cpu-py311-ubuntu22.04-sagemaker"
            )
        },
        expected=ENDPOINT_ROLLOUT,
    ),
    Scenario(
        id="autoscaling-range",
        section="endpoint.min_instance_count",
        change="2 → 3 (and the schedule's evening floor with it)",
        effect=(
            "autoscaling registered again with the new range (the endpoint is untouched); "
            "the dashboard's range annotation follows"
        ),
        verdict="in place",
        overrides={
            "endpoint.min_instance_count": 3,
            "autoscaling.scheduled_actions": business_day(starts_at=7),
        },
        expected={**REREGISTRATION, ("aws_cloudwatch_dashboard", "update"): 1},
    ),
    Scenario(
        id="jwt-audience",
        section="authentication.jwt.*",
        change="a second audience is accepted",
        effect=(
            "in place: the proxy and /ping functions' environment is updated (both read the "
            "authentication settings at cold start); the endpoint and its capacity are untouched"
        ),
        verdict="in place",
        overrides={"authentication.jwt.audiences": ["api://serving", "api://serving-v2"]},
        expected={("aws_lambda_function", "update"): 2},
    ),
    Scenario(
        id="waf-per-caller-rate",
        section="waf.rate_limit_per_caller_per_5_min",
        change="the per-caller rate limit is raised",
        effect="in place: the web ACL's per-caller rule is updated",
        verdict="in place",
        overrides={"waf.rate_limit_per_caller_per_5_min": 2000},
        expected={("aws_wafv2_web_acl", "update"): 1},
    ),
    Scenario(
        id="scheduled-action",
        section="autoscaling.scheduled_actions",
        change="business hours start at 06:00 instead of 07:00",
        effect="in place: the scheduled action is updated",
        verdict="in place",
        overrides={"autoscaling.scheduled_actions": business_day(starts_at=6)},
        expected={("aws_appautoscaling_scheduled_action", "update"): 1},
    ),
    Scenario(
        id="alarm-threshold",
        section="alarms.*",
        change="invocation_5xx_errors 5 → 10",
        effect="in place: the alarm is updated",
        verdict="in place",
        overrides={"alarms.invocation_5xx_errors": 10},
        expected={("aws_cloudwatch_metric_alarm", "update"): 1},
    ),
    Scenario(
        id="proxy-memory",
        section="proxy.*",
        change="memory_mb 512 → 1024",
        effect="in place: the proxy function's configuration is updated",
        verdict="in place",
        overrides={"proxy.memory_mb": 1024},
        expected={("aws_lambda_function", "update"): 1},
    ),
    Scenario(
        id="waf-rate",
        section="waf.rate_limit_per_5_min",
        change="the rate limit is raised",
        effect="in place: the web ACL's rate rule is updated",
        verdict="in place",
        overrides={"waf.rate_limit_per_5_min": 4000},
        expected={("aws_wafv2_web_acl", "update"): 1},
    ),
]

# us-east-1, once its chain is done: a rollout that SageMaker rolls back. test_day2.py forces one
# of the endpoint's rollback alarms into ALARM, applies the change (a model rollout, as
# `model-artifact`; the apply must fail), puts the alarm back to OK, then plans and applies again.
# `expected` is that second plan: the rollout retried, the configuration and model the endpoint
# ran (kept as deposed objects) deleted after it.
ROLLED_BACK = Scenario(
    id="rollout-rolled-back",
    section="model.model_data_url",
    change="a new model artifact while a rollback alarm is in ALARM",
    effect=(
        "the apply fails (the endpoint's postcondition) naming the region, the endpoint and "
        "where SageMaker's `FailureReason` is read: SageMaker rolled back, the endpoint runs the "
        "old configuration, which is kept with its model; autoscaling stays registered; the next "
        "apply retries the rollout"
    ),
    verdict="model rollout",
    overrides={
        "model.model_data_url": "s3://example-models-{region}/fraud-scoring/v9/model.tar.gz"
    },
    expected={
        ("aws_sagemaker_endpoint", "update"): 1,
        ("aws_sagemaker_endpoint_configuration", "delete"): 1,
        ("aws_sagemaker_model", "delete"): 1,
    },
)

Step = tuple[Scenario, ...]
_BY_ID = {s.id: s for s in [*_ENDPOINT_SCENARIOS, *_SURROUNDINGS_SCENARIOS]}


def _step(*ids: str) -> Step:
    return tuple(_BY_ID[i] for i in ids)


# One plan and one apply per step; the two chains' steps run side by side, one stack each. A
# step of several scenarios is one plan whose changes are the sum of theirs (to keep the suite
# within its time budget), and each scenario's verdict must be that plan's.
ENDPOINT_STEPS: list[Step] = [
    _step("model-artifact"),
    _step("instance-type"),
    _step("rollout-settings", "auto-rollback-off"),
    _step("auto-rollback-on"),
]
SURROUNDINGS_STEPS: list[Step] = [
    # Authentication and the per-caller limit ride on this step: no resource in common.
    _step("autoscaling-range", "jwt-audience", "waf-per-caller-rate"),
    _step("model-image"),
    _step("scheduled-action", "alarm-threshold", "proxy-memory", "waf-rate"),
]
ENDPOINT_CHAIN = [s for step in ENDPOINT_STEPS for s in step]
SURROUNDINGS_CHAIN = [s for step in SURROUNDINGS_STEPS for s in step]


def step_expected(step: Step) -> Expected:
    total: Expected = {}
    for scenario in step:
        for key, count in scenario.expected.items():
            total[key] = total.get(key, 0) + count
    return total


# Planned, never applied: the verdict must refuse them.
REFUSED = [
    Scenario(
        id="variant-rename",
        section="endpoint.variant_name",
        change="primary → blue",
        effect=(
            "refused by the configuration check against the base branch and by the plan-safety "
            "verdict: SageMaker's blue/green update needs the same variant name; keep it"
        ),
        verdict="refused",
        overrides={"endpoint.variant_name": "blue"},
    ),
]

ADDED_REGION_EFFECT = "a new stack, created; the other stacks' Terraform is unchanged"
RETIRED_REGION_EFFECT = (
    "two steps: apply the retired form (deletion protection off, shared validation record "
    "released), then `cdktf destroy` the stack (refused by the verdict unless allowed)"
)
REGION_ROWS = [
    ("regions", "a region added", ADDED_REGION_EFFECT, "in place"),
    (
        "retired_regions",
        "a region moved from `regions`",
        RETIRED_REGION_EFFECT,
        "in place (retire), then refused (destroy) until allowed",
    ),
]


# Applied by tests/emulator/test_serving_variants.py on the A/B and shadow examples.
WEIGHT_SHIFT = Scenario(
    id="ab-weights",
    section="endpoint.weight, variants[].weight",
    change="champion/challenger 9/1 → 1/1",
    effect=(
        "a new endpoint configuration (created before the old one is destroyed); the endpoint "
        "is updated in place to it"
    ),
    verdict="model rollout",
    expected={
        ("aws_sagemaker_endpoint_configuration", "replace"): 1,
        ("aws_sagemaker_endpoint", "update"): 1,
    },
)
SHADOW_ADDED = Scenario(
    id="shadow-added",
    section="shadow",
    change="a shadow variant (candidate) added",
    effect=(
        "the candidate's model, a new endpoint configuration, the endpoint updated in place; "
        "the candidate's scalable target, target tracking and alarms created; the execution "
        "role reads its artifact; the dashboard shows it"
    ),
    verdict="model rollout",
    expected={
        ("aws_sagemaker_model", "create"): 1,
        ("aws_sagemaker_endpoint_configuration", "replace"): 1,
        ("aws_sagemaker_endpoint", "update"): 1,
        ("aws_iam_role_policy", "update"): 1,
        ("terraform_data", "create"): 1,
        ("aws_appautoscaling_target", "create"): 1,
        ("aws_appautoscaling_policy", "create"): 1,
        ("aws_cloudwatch_metric_alarm", "create"): 5,
        ("aws_cloudwatch_dashboard", "update"): 1,
    },
)
SHADOW_PROMOTED = Scenario(
    id="shadow-promoted",
    section="model, shadow, data_capture.enabled",
    change=(
        "the shadow's model promoted: `shadow.model` copied to `model`, `shadow` removed, data "
        "capture turned off"
    ),
    effect=(
        "model rollout of the production variant to the candidate's model; the shadow's "
        "scalable target and policy deregistered before the endpoint update, its model, "
        "alarms and dashboard row removed; the capture bucket and its settings released from "
        "state, kept in S3 with the captured data"
    ),
    verdict="model rollout",
    expected={
        ("aws_sagemaker_model", "replace"): 1,
        ("aws_sagemaker_model", "delete"): 1,
        ("aws_sagemaker_endpoint_configuration", "replace"): 1,
        ("aws_sagemaker_endpoint", "update"): 1,
        ("aws_iam_role_policy", "update"): 1,
        ("terraform_data", "delete"): 1,
        ("aws_appautoscaling_target", "delete"): 1,
        ("aws_appautoscaling_policy", "delete"): 1,
        ("aws_cloudwatch_metric_alarm", "delete"): 5,
        ("aws_cloudwatch_dashboard", "update"): 1,
        **{(t, "forget"): 1 for t in RELEASED_BUCKET_TYPES},
    },
)
SERVING_CHAIN = [WEIGHT_SHIFT, SHADOW_ADDED, SHADOW_PROMOTED]


def readme_rows() -> list[tuple[str, str, str, str]]:
    """The README table's rows: section, change, effect, verdict."""
    scenarios = [*ENDPOINT_CHAIN, ROLLED_BACK, *SURROUNDINGS_CHAIN, *SERVING_CHAIN, *REFUSED]
    return [(s.section, s.change, s.effect, s.verdict) for s in scenarios] + REGION_ROWS


def readme_table() -> str:
    """The README "Changing a live service" table, exactly as it must appear there."""
    lines = [
        "| Configuration | Change (day-2 scenario) | What the plan does to the live service | Verdict |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| `{section}` | {change} | {effect} | {verdict} |"
        for section, change, effect, verdict in readme_rows()
    ]
    return "\n".join(lines)
