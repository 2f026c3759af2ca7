"""Is every region as planned? What each region's endpoint runs, next to what this code deploys.

Facts are read from AWS (`read_region`), then judged against the configuration (`judge`), a pure
function, so every rule is tested on plain data as well as against the emulator.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from config.models import ServiceConfig, ServingVariant
from config.names import resource_names
from operations.aws import GLOBAL_REGION, Aws, OperationsError, error_code, one_line

# Application Auto Scaling's names for a SageMaker variant's instance count (kept equal to
# constructs_lib.aws_terms by tests/operations/test_status_rules.py).
VARIANT_INSTANCE_COUNT = "sagemaker:variant:DesiredInstanceCount"


def variant_resource_id(endpoint_name: str, variant_name: str) -> str:
    return f"endpoint/{endpoint_name}/variant/{variant_name}"


def endpoint_usage_quota_name(instance_type: str) -> str:
    """Service Quotas' name of the account's per-region instance quota for endpoints."""
    return f"{instance_type} for endpoint usage"


SAGEMAKER_QUOTAS = "sagemaker"
SERVING_STATUSES = frozenset({"InService", "Updating", "SystemUpdating"})
"""Statuses in which SageMaker answers InvokeEndpoint (as the proxy's /ping reads them)."""
COMPARED = (
    "configuration names carry Terraform's generated suffix (name_prefix), so the running "
    "configuration is compared by its prefix, variants, models, instance types and initial counts"
)


@dataclass(frozen=True)
class PlannedVariant:
    """What this code deploys for one variant (from the configuration, as the constructs do)."""

    name: str
    model_name: str
    instance_type: str | None
    """None for serverless."""
    initial_instance_count: int | None
    min_instance_count: int | None
    max_instance_count: int | None
    autoscaled: bool
    scheduled_ranges: bool
    """Scheduled actions change the range: a registered range other than the planned one is then
    expected."""
    shadow: bool


def planned_variants(config: ServiceConfig) -> list[PlannedVariant]:
    return [_planned(config, v) for v in config.serving_variants]


def _planned(config: ServiceConfig, variant: ServingVariant) -> PlannedVariant:
    fleet = variant.fleet
    autoscaling = variant.autoscaling
    return PlannedVariant(
        name=variant.name,
        # Model names do not depend on the region: any stack's names give it.
        model_name=resource_names(config, config.stack_regions[0]).model(
            variant.model_fingerprint()
        ),
        instance_type=fleet.instance_type if fleet else None,
        initial_instance_count=fleet.initial_instances if fleet else None,
        min_instance_count=fleet.min_instance_count if fleet else None,
        max_instance_count=fleet.max_instance_count if fleet else None,
        autoscaled=fleet is not None and autoscaling is not None,
        scheduled_ranges=bool(autoscaling and autoscaling.scheduled_actions),
        shadow=variant.shadow,
    )


def rollout_needs(config: ServiceConfig) -> dict[str, int]:
    """Instances a rollout starts beside the live fleets, per instance type: every variant's new
    fleet at its initial count (= max_instance_count)."""
    needs: Counter[str] = Counter()
    for variant in planned_variants(config):
        if variant.instance_type and variant.initial_instance_count:
            needs[variant.instance_type] += variant.initial_instance_count
    return dict(needs)


# ----- facts read from AWS -----------------------------------------------------------------


@dataclass
class Quota:
    instance_type: str
    quota: float | None
    """None when Service Quotas has no such quota for the region."""
    in_use: int
    needed: int

    @property
    def headroom(self) -> float | None:
        return None if self.quota is None else self.quota - self.in_use


@dataclass
class Facts:
    """What one region's AWS says (None: not read, or not there)."""

    endpoint: dict[str, Any] | None = None
    endpoint_config: dict[str, Any] | None = None
    endpoint_config_missing: bool = False
    scalable_targets: dict[str, dict[str, Any]] = field(default_factory=dict)
    alarms_in_alarm: list[str] = field(default_factory=list)
    health_check_id: str | None = None
    health_check_reports: list[str] | None = None
    quotas: list[Quota] = field(default_factory=list)


def read_region(aws: Aws, config: ServiceConfig, region: str, *, quota_only: bool) -> Facts:
    facts = Facts()
    sagemaker = aws.client("sagemaker", region)
    doing = f"reading {region}"
    try:
        facts.quotas = _read_quotas(aws, config, region)
        if quota_only:
            return facts
        facts.endpoint = _describe_endpoint(sagemaker, config.name)
        if facts.endpoint is not None:
            running = facts.endpoint.get("EndpointConfigName", "")
            facts.endpoint_config = _describe_endpoint_config(sagemaker, running)
            facts.endpoint_config_missing = facts.endpoint_config is None
        facts.scalable_targets = _read_scalable_targets(aws, config, region)
        facts.alarms_in_alarm = _alarms_in_alarm(aws, config.stack_name(region), region)
        facts.health_check_id = _health_check_id(aws, config, region)
        if facts.health_check_id is not None:
            observations = aws.client("route53", GLOBAL_REGION).get_health_check_status(
                HealthCheckId=facts.health_check_id
            )["HealthCheckObservations"]
            facts.health_check_reports = [
                str(o.get("StatusReport", {}).get("Status", "")) for o in observations
            ]
    except (ClientError, BotoCoreError) as exc:
        raise one_line(exc, doing) from None
    return facts


def _describe_endpoint(sagemaker: Any, name: str) -> dict[str, Any] | None:
    try:
        return dict(sagemaker.describe_endpoint(EndpointName=name))
    except ClientError as exc:
        # SageMaker answers a missing endpoint with a ValidationException "Could not find …".
        if error_code(exc) in {"ValidationException", "ValidationError"}:
            return None
        raise


def _describe_endpoint_config(sagemaker: Any, name: str) -> dict[str, Any] | None:
    try:
        return dict(sagemaker.describe_endpoint_config(EndpointConfigName=name))
    except ClientError as exc:
        # An endpoint keeps running after its configuration is deleted.
        if error_code(exc) in {"ValidationException", "ValidationError"}:
            return None
        raise


def _read_scalable_targets(
    aws: Aws, config: ServiceConfig, region: str
) -> dict[str, dict[str, Any]]:
    ids = {variant_resource_id(config.name, v.name): v.name for v in config.serving_variants}
    found = aws.client("application-autoscaling", region).describe_scalable_targets(
        ServiceNamespace="sagemaker",
        ResourceIds=sorted(ids),
        ScalableDimension=VARIANT_INSTANCE_COUNT,
    )["ScalableTargets"]
    return {ids[t["ResourceId"]]: t for t in found if t["ResourceId"] in ids}


def _alarms_in_alarm(aws: Aws, prefix: str, region: str) -> list[str]:
    paginator = aws.client("cloudwatch", region).get_paginator("describe_alarms")
    names: list[str] = []
    for page in paginator.paginate(AlarmNamePrefix=f"{prefix}-", StateValue="ALARM"):
        alarms = [*page.get("MetricAlarms", []), *page.get("CompositeAlarms", [])]
        # Filtered here too: the state filter is the point, and emulators drop it.
        names += [a["AlarmName"] for a in alarms if a.get("StateValue") == "ALARM"]
    return sorted(names)


def _health_check_id(aws: Aws, config: ServiceConfig, region: str) -> str | None:
    """The health check on the region's latency record (its set identifier is the region)."""
    route53 = aws.client("route53", GLOBAL_REGION)
    zone_name = config.domain.hosted_zone_name.rstrip(".") + "."
    zones = route53.list_hosted_zones_by_name(DNSName=zone_name)["HostedZones"]
    public = [z for z in zones if z["Name"] == zone_name and not z["Config"].get("PrivateZone")]
    if not public:
        return None
    record = config.domain.record_name.rstrip(".") + "."
    paginator = route53.get_paginator("list_resource_record_sets")
    pages = paginator.paginate(
        HostedZoneId=public[0]["Id"], StartRecordName=record, StartRecordType="A"
    )
    for page in pages:
        for record_set in page["ResourceRecordSets"]:
            if record_set["Name"].lower() != record.lower():
                return None
            if record_set.get("SetIdentifier") == region:
                health_check: str | None = record_set.get("HealthCheckId")
                return health_check
    return None


def _read_quotas(aws: Aws, config: ServiceConfig, region: str) -> list[Quota]:
    needs = rollout_needs(config)
    if not needs:
        return []
    in_use = _instances_in_use(aws.client("sagemaker", region), set(needs))
    codes = _quota_codes(aws.client("service-quotas", region), set(needs))
    quotas = []
    for instance_type, needed in sorted(needs.items()):
        code = codes.get(instance_type)
        value = _quota_value(aws.client("service-quotas", region), code) if code else None
        quotas.append(Quota(instance_type, value, in_use.get(instance_type, 0), needed))
    return quotas


def _instances_in_use(sagemaker: Any, types: set[str]) -> Counter[str]:
    """Instances of these types that the region's endpoints (all of them, not only ours) run:
    the quota is per account and region."""
    used: Counter[str] = Counter()
    type_of: dict[tuple[str, str], str | None] = {}
    for page in sagemaker.get_paginator("list_endpoints").paginate():
        for summary in page["Endpoints"]:
            try:
                endpoint = sagemaker.describe_endpoint(EndpointName=summary["EndpointName"])
            except ClientError as exc:
                if error_code(exc) in {"ValidationException", "ValidationError"}:
                    continue  # deleted since it was listed
                raise
            config_name = endpoint.get("EndpointConfigName", "")
            variants = [
                *endpoint.get("ProductionVariants", []),
                *endpoint.get("ShadowProductionVariants", []),
            ]
            for variant in variants:
                key = (config_name, variant["VariantName"])
                if key not in type_of:
                    type_of.update(_variant_types(sagemaker, config_name))
                instance_type = type_of.get(key)
                if instance_type in types:
                    used[instance_type] += int(variant.get("CurrentInstanceCount") or 0)
    return used


def _variant_types(sagemaker: Any, config_name: str) -> dict[tuple[str, str], str | None]:
    description = _describe_endpoint_config(sagemaker, config_name) or {}
    variants = [
        *description.get("ProductionVariants", []),
        *description.get("ShadowProductionVariants", []),
    ]
    types: dict[tuple[str, str], str | None] = {
        (config_name, v["VariantName"]): v.get("InstanceType") for v in variants
    }
    return types


def _quota_codes(quotas: Any, types: set[str]) -> dict[str, str]:
    wanted = {endpoint_usage_quota_name(t): t for t in types}
    codes: dict[str, str] = {}
    paginator = quotas.get_paginator("list_aws_default_service_quotas")
    for page in paginator.paginate(ServiceCode=SAGEMAKER_QUOTAS):
        for quota in page["Quotas"]:
            if quota.get("QuotaName") in wanted:
                codes[wanted[quota["QuotaName"]]] = quota["QuotaCode"]
    return codes


def _quota_value(quotas: Any, code: str) -> float | None:
    try:
        return float(
            quotas.get_service_quota(ServiceCode=SAGEMAKER_QUOTAS, QuotaCode=code)["Quota"]["Value"]
        )
    except ClientError as exc:
        if error_code(exc) != "NoSuchResourceException":
            raise
    # No applied value: the account has AWS's default.
    default = quotas.get_aws_default_service_quota(ServiceCode=SAGEMAKER_QUOTAS, QuotaCode=code)
    return float(default["Quota"]["Value"])


# ----- judgement -----------------------------------------------------------------------------


@dataclass
class VariantStatus:
    name: str
    instance_type: str | None
    current_instances: int | None
    desired_instances: int | None
    autoscaling_range: tuple[int, int] | None
    """(min, max) registered with Application Auto Scaling; None when not registered."""
    planned_range: tuple[int, int] | None


@dataclass
class RegionStatus:
    region: str
    endpoint_name: str
    endpoint_status: str | None = None
    running_configuration: str | None = None
    configuration: str = "not read"
    """`as planned`, `differs`, `deleted` or `not read`."""
    configuration_differences: list[str] = field(default_factory=list)
    last_deployment: str = "not read"
    failure_reason: str | None = None
    variants: list[VariantStatus] = field(default_factory=list)
    alarms_in_alarm: list[str] = field(default_factory=list)
    health_check: str = "not read"
    quotas: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def as_planned(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "as_planned": self.as_planned}


def judge(config: ServiceConfig, region: str, facts: Facts, *, quota_only: bool) -> RegionStatus:
    status = RegionStatus(region=region, endpoint_name=config.name)
    _judge_quotas(status, facts)
    if quota_only:
        return status
    endpoint = facts.endpoint
    if endpoint is None:
        status.problems.append(f"endpoint {config.name} does not exist in {region}")
        return status
    status.endpoint_status = str(endpoint.get("EndpointStatus"))
    status.running_configuration = str(endpoint.get("EndpointConfigName"))
    status.failure_reason = endpoint.get("FailureReason") or None
    planned = planned_variants(config)
    _judge_configuration(status, config, planned, facts)
    _judge_deployment(status)
    _judge_variants(status, planned, facts)
    status.alarms_in_alarm = list(facts.alarms_in_alarm)
    if facts.alarms_in_alarm:
        status.problems.append(f"alarms in ALARM: {', '.join(facts.alarms_in_alarm)}")
    _judge_health_check(status, facts)
    return status


def _judge_quotas(status: RegionStatus, facts: Facts) -> None:
    for quota in facts.quotas:
        status.quotas.append({**asdict(quota), "headroom": quota.headroom})
        name = endpoint_usage_quota_name(quota.instance_type)
        if quota.quota is None:
            status.problems.append(f"Service Quotas has no quota '{name}' in {status.region}")
        elif quota.headroom is not None and quota.headroom < quota.needed:
            status.problems.append(
                f"quota '{name}' is {quota.quota:g} with {quota.in_use} in use: the next rollout "
                f"starts {quota.needed} beside the live fleet; request at least "
                f"{quota.in_use + quota.needed:g} in Service Quotas"
            )


def _judge_configuration(
    status: RegionStatus, config: ServiceConfig, planned: list[PlannedVariant], facts: Facts
) -> None:
    running = status.running_configuration or ""
    if facts.endpoint_config_missing or facts.endpoint_config is None:
        status.configuration = "deleted"
        status.problems.append(
            f"the endpoint runs configuration {running}, which no longer exists (deleted after a "
            "rolled-back rollout?); re-apply the region's stack"
        )
        return
    differences = configuration_differences(config.name, planned, facts.endpoint_config)
    status.configuration_differences = differences
    status.configuration = "differs" if differences else "as planned"
    if differences:
        status.problems.append(
            f"the endpoint runs configuration {running}, not the planned one: "
            + "; ".join(differences)
        )


def configuration_differences(
    endpoint_name: str, planned: list[PlannedVariant], running: dict[str, Any]
) -> list[str]:
    """What differs between a running endpoint configuration and the planned variants."""
    differences = []
    name = str(running.get("EndpointConfigName", ""))
    if not name.startswith(f"{endpoint_name}-"):
        differences.append(f"name {name} lacks the prefix {endpoint_name}-")
    actual = {
        **{v["VariantName"]: (v, False) for v in running.get("ProductionVariants", [])},
        **{v["VariantName"]: (v, True) for v in running.get("ShadowProductionVariants", [])},
    }
    wanted = {v.name: v for v in planned}
    for missing in sorted(set(wanted) - set(actual)):
        differences.append(f"variant {missing} is missing")
    for extra in sorted(set(actual) - set(wanted)):
        differences.append(f"variant {extra} is not planned")
    for variant_name in sorted(set(wanted) & set(actual)):
        want, (have, shadow) = wanted[variant_name], actual[variant_name]
        pairs = [
            ("model", want.model_name, have.get("ModelName")),
            ("instance type", want.instance_type, have.get("InstanceType")),
            ("initial instances", want.initial_instance_count, have.get("InitialInstanceCount")),
            ("shadow", want.shadow, shadow),
        ]
        for what, expected, found in pairs:
            if expected != found:
                differences.append(f"{variant_name}: {what} {found}, planned {expected}")
    return differences


def _judge_deployment(status: RegionStatus) -> None:
    endpoint_status = status.endpoint_status or ""
    reason = status.failure_reason
    if endpoint_status in {"Creating", "Updating", "SystemUpdating"}:
        status.last_deployment = "in progress"
    elif endpoint_status == "RollingBack":
        status.last_deployment = "rolling back"
    elif endpoint_status == "UpdateRollbackFailed":
        status.last_deployment = "rollback failed"
    elif endpoint_status == "Failed":
        status.last_deployment = "failed"
    elif reason and status.configuration != "as planned":
        status.last_deployment = "rolled back"
    elif reason:
        status.last_deployment = "succeeded (SageMaker still reports an earlier failure)"
    else:
        status.last_deployment = "succeeded"
    if endpoint_status != "InService":
        serving = "serving" if endpoint_status in SERVING_STATUSES else "not serving"
        status.problems.append(f"endpoint is {endpoint_status} ({serving})")
    if status.last_deployment in {"rolled back", "rollback failed", "failed"}:
        status.problems.append(
            f"last deployment {status.last_deployment}: "
            f"{reason or 'SageMaker gives no FailureReason'}"
        )


def _judge_variants(status: RegionStatus, planned: list[PlannedVariant], facts: Facts) -> None:
    endpoint = facts.endpoint or {}
    summaries = {
        v["VariantName"]: v
        for v in [
            *endpoint.get("ProductionVariants", []),
            *endpoint.get("ShadowProductionVariants", []),
        ]
    }
    for variant in planned:
        summary = summaries.get(variant.name, {})
        target = facts.scalable_targets.get(variant.name)
        registered = (int(target["MinCapacity"]), int(target["MaxCapacity"])) if target else None
        wanted = (
            (variant.min_instance_count, variant.max_instance_count)
            if variant.min_instance_count is not None and variant.max_instance_count is not None
            else None
        )
        current = summary.get("CurrentInstanceCount")
        status.variants.append(
            VariantStatus(
                name=variant.name,
                instance_type=variant.instance_type,
                current_instances=current,
                desired_instances=summary.get("DesiredInstanceCount"),
                autoscaling_range=registered,
                planned_range=wanted,
            )
        )
        if variant.autoscaled and registered is None:
            status.problems.append(
                f"variant {variant.name} is not registered with Application Auto Scaling "
                "(re-apply the region's stack to register it)"
            )
        if registered and wanted and registered != wanted and not variant.scheduled_ranges:
            status.problems.append(
                f"variant {variant.name}: autoscaling range {registered[0]}-{registered[1]}, "
                f"planned {wanted[0]}-{wanted[1]}"
            )
        if registered and current is not None and not registered[0] <= current <= registered[1]:
            status.problems.append(
                f"variant {variant.name}: {current} instances, outside its autoscaling range "
                f"{registered[0]}-{registered[1]}"
            )


def _judge_health_check(status: RegionStatus, facts: Facts) -> None:
    if facts.health_check_id is None:
        status.health_check = "none"
        status.problems.append(
            f"no health check on the latency record of {status.region} "
            f"(set identifier {status.region})"
        )
        return
    reports = facts.health_check_reports or []
    healthy = sum(1 for r in reports if r.startswith("Success"))
    # Route 53 counts a check healthy when more than 18 % of its checkers report success.
    is_healthy = bool(reports) and healthy / len(reports) > 0.18
    status.health_check = (
        f"{'healthy' if is_healthy else 'unhealthy'} ({healthy}/{len(reports)} checkers)"
    )
    if not is_healthy:
        status.problems.append(f"Route 53 health check {facts.health_check_id} is unhealthy")


# ----- the command ---------------------------------------------------------------------------


def region_statuses(
    aws: Aws, config: ServiceConfig, regions: list[str], *, quota_only: bool
) -> list[RegionStatus]:
    return [
        judge(config, r, read_region(aws, config, r, quota_only=quota_only), quota_only=quota_only)
        for r in regions
    ]


def wait_until_planned(
    read: Callable[[], list[RegionStatus]], wait_s: float, interval_s: float
) -> list[RegionStatus]:
    """Read until every region is as planned or `wait_s` has passed."""
    deadline = time.monotonic() + wait_s
    statuses = read()
    while any(not s.as_planned for s in statuses) and time.monotonic() + interval_s <= deadline:
        time.sleep(interval_s)
        statuses = read()
    return statuses


def render_table(statuses: list[RegionStatus], *, quota_only: bool) -> str:
    """The readable view: one row per region, then what is not as planned and why."""
    header = (
        ["REGION", "QUOTA HEADROOM", "VERDICT"]
        if quota_only
        else [
            "REGION",
            "ENDPOINT",
            "CONFIGURATION",
            "LAST DEPLOYMENT",
            "INSTANCES (RANGE)",
            "ALARMS",
            "HEALTH CHECK",
            "QUOTA HEADROOM",
            "VERDICT",
        ]
    )
    rows = [header]
    for s in statuses:
        verdict = "as planned" if s.as_planned else "NOT AS PLANNED"
        quota = ", ".join(_quota_cell(q) for q in s.quotas) or "-"
        if quota_only:
            rows.append([s.region, quota, verdict])
            continue
        instances = ", ".join(_variant_cell(v) for v in s.variants) or "-"
        rows.append(
            [
                s.region,
                f"{s.endpoint_name} {s.endpoint_status or 'missing'}",
                s.configuration,
                s.last_deployment,
                instances,
                str(len(s.alarms_in_alarm)) if s.alarms_in_alarm else "none",
                s.health_check,
                quota,
                verdict,
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    for s in statuses:
        if s.running_configuration and not quota_only:
            lines.append(f"{s.region}: runs {s.running_configuration}")
        if s.failure_reason:
            lines.append(f"{s.region}: SageMaker FailureReason: {s.failure_reason}")
        lines += [f"{s.region}: not as planned: {p}" for p in s.problems]
    if not quota_only:
        lines.append(f"note: {COMPARED}.")
    return "\n".join(lines) + "\n"


def _quota_cell(quota: dict[str, Any]) -> str:
    if quota["quota"] is None:
        return f"{quota['instance_type']}: no quota"
    return (
        f"{quota['instance_type']}: {quota['headroom']:g} free of {quota['quota']:g}, "
        f"needs {quota['needed']}"
    )


def _variant_cell(variant: VariantStatus) -> str:
    if variant.instance_type is None:
        return f"{variant.name}: serverless"
    registered = variant.autoscaling_range
    scaling = f"{registered[0]}-{registered[1]}" if registered else "not registered"
    return f"{variant.name}: {variant.current_instances} ({scaling})"


def resolve_regions(config: ServiceConfig, regions: list[str], stacks: list[str]) -> list[str]:
    """The regions asked for by name or by stack name; every served region by default."""
    by_stack = {config.stack_name(r): r for r in config.regions}
    chosen = list(regions)
    for stack in stacks:
        if stack not in by_stack:
            raise OperationsError(
                f"--stack {stack} is not a region stack of this configuration: "
                f"{', '.join(sorted(by_stack))}"
            )
        chosen.append(by_stack[stack])
    for region in chosen:
        if region not in config.regions:
            raise OperationsError(
                f"--region {region} is not served by this configuration: "
                f"{', '.join(config.regions)}"
            )
    return list(dict.fromkeys(chosen)) or list(config.regions)
