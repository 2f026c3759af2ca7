"""Changes between two configurations that a live service cannot take: refused before synth.

`python -m config check NEW --since OLD` (the pull-request workflow passes the base branch's
file as OLD). A single configuration cannot show these; the plan-safety verdict is the second
line of defence, on the plan.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from config.models import S3StateSettings, ServiceConfig
from config.names import resource_names
from plan_safety.verdict import (
    AUTOSCALING_TYPES,
    ENDPOINT,
    ENDPOINT_CONFIGURATION,
    PROTECTED_TYPES,
    pattern_matches,
)

MODEL = "aws_sagemaker_model"
MAIN = Path(__file__).resolve().parent.parent / "main.py"


def state_location(config: ServiceConfig) -> tuple[str, ...]:
    """Where each stack's state is read from. A lock table or a KMS key for new writes does not
    move it, and an explicit key prefix equal to the default is the same place."""
    state = config.state
    if isinstance(state, S3StateSettings):
        return ("s3", state.bucket, state.region, config.state_key_prefix)
    return ("cloud", state.hostname, state.organization, state.workspace_prefix)


DATA_DOC = "docs/data-and-teardown.md"


def unsafe_changes(old: ServiceConfig, new: ServiceConfig) -> list[str]:
    """One line per change from `old` to `new` that would break or orphan the live service."""
    problems = []
    if (old.service, old.environment) != (new.service, new.environment):
        problems.append(
            f"service/environment: {old.name} → {new.name} renames every stack, state key and "
            f"endpoint: Terraform would build a second service and leave {old.name} running "
            "unmanaged; create the new environment in a file of its own, move traffic, then "
            'retire the old one (docs/operations.md "Removing a region")'
        )
    if old.endpoint.variant_name != new.endpoint.variant_name:
        problems.append(
            f"endpoint.variant_name: {old.endpoint.variant_name} → {new.endpoint.variant_name}: "
            "SageMaker's blue/green update needs the same variant name, so the rollout would "
            f"fail; keep {old.endpoint.variant_name!r} (clients never see it)"
        )
    old_variants = sorted(v.name for v in old.variants)
    new_variants = sorted(v.name for v in new.variants)
    if old.endpoint.variant_name == new.endpoint.variant_name and old_variants != new_variants:
        problems.append(
            f"variants: production variant names {old_variants} → {new_variants}: SageMaker's "
            "blue/green update needs the same names (Deployment guardrails, Exclusions), so "
            "the rollout would fail; keep every variant and give weight 0 to one you want out "
            'of traffic; adding or removing one needs a new environment (docs/configuration.md "Serving options")'
        )
    if old.endpoint.serverless is None and new.endpoint.serverless is not None:
        problems.append(
            "endpoint.serverless: an instance-based endpoint cannot become serverless (AWS: "
            "Update a serverless endpoint — SageMaker refuses the update); create a new "
            "environment for serverless, or keep the instances"
        )
    dropped = sorted(set(old.stack_regions) - set(new.stack_regions))
    skipped = sorted(set(old.regions) & set(dropped))
    if skipped:
        problems.append(
            f"regions: {skipped} removed without being retired: the stack would no longer be "
            "synthesized and its resources would keep running unmanaged; move the region to "
            "retired_regions first, deploy, destroy its stack, then remove it "
            '(docs/operations.md "Removing a region")'
        )
    problems += _retired_with_other_changes(old, new)
    if state_location(old) != state_location(new):
        problems.append(
            "state: the backend, bucket or key prefix changed: Terraform would start from an "
            "empty state and try to create what already exists; migrate each stack's state "
            "first (`terraform init -migrate-state`), then change the configuration"
        )
    return problems


def _retired_with_other_changes(old: ServiceConfig, new: ServiceConfig) -> list[str]:
    """A region retired in the same change as anything else: refused.

    The retire deploy releases the region's buckets and storage key from state (`removed`).
    Terraform orders a release like a deletion, after everything that depends on it, deposed
    objects included: where the same apply replaces a create_before_destroy resource that
    depends on one of them (the endpoint configuration uses the key; the health checks use the
    load balancer, which waits for its access-log bucket), the plan fails with a cycle.
    """
    retiring = [r for r in new.retired_regions if r in old.regions]
    lists = {"regions", "retired_regions"}
    changed = [
        f for f in type(new).model_fields if f not in lists and getattr(old, f) != getattr(new, f)
    ]
    if not retiring or not changed:
        return []
    return [
        f"retired_regions: {retiring} retired in the same change as {', '.join(changed)}: the "
        "retire deploy releases the region's buckets and storage key from Terraform's state, "
        "which Terraform cannot do in an apply that also replaces the endpoint configuration or "
        'a health check depending on them (the plan fails: "Error: Cycle"); retire the region '
        "in a change of its own, deploy it, then make the other change "
        f"({DATA_DOC}#removing-a-region)"
    ]


# --- Change preview: what the change does to the live service, from the two synthesized apps.

# Provider 5.100 attributes whose change replaces the resource (its `ForceNew` schema flags), for
# the resource types the stacks synthesize. "*": every argument (tags aside) forces a new object.
FORCE_NEW: dict[str, frozenset[str]] = {
    resource_type: frozenset(names.split())
    for resource_type, names in {
        "aws_sagemaker_model": "*",
        "aws_sagemaker_endpoint_configuration": "*",
        "aws_sagemaker_endpoint": "name",
        "aws_lb": "name name_prefix internal load_balancer_type",
        "aws_lb_listener": "load_balancer_arn",
        "aws_lb_target_group": "name name_prefix port protocol protocol_version target_type vpc_id",
        "aws_lb_target_group_attachment": "*",
        "aws_lambda_function": "function_name",
        "aws_lambda_permission": "*",
        "aws_vpc": "cidr_block ipv4_ipam_pool_id",
        "aws_subnet": "vpc_id cidr_block availability_zone availability_zone_id",
        "aws_route_table": "vpc_id",
        "aws_route": "route_table_id destination_cidr_block",
        "aws_route_table_association": "subnet_id gateway_id",
        "aws_internet_gateway": "",
        "aws_nat_gateway": "subnet_id allocation_id connectivity_type",
        "aws_eip": "domain",
        "aws_flow_log": "*",
        "aws_security_group": "name name_prefix vpc_id description",
        "aws_default_security_group": "vpc_id",
        "aws_vpc_security_group_ingress_rule": "security_group_id",
        "aws_vpc_security_group_egress_rule": "security_group_id",
        "aws_acm_certificate": (
            "domain_name subject_alternative_names key_algorithm validation_method "
            "certificate_authority_arn"
        ),
        "aws_acm_certificate_validation": "*",
        "aws_route53_record": "name zone_id",
        "aws_route53_health_check": "type reference_name request_interval measure_latency",
        "aws_kms_key": "customer_master_key_spec key_usage multi_region",
        "aws_kms_alias": "name name_prefix",
        "aws_s3_bucket": "bucket bucket_prefix object_lock_enabled",
        "aws_wafv2_web_acl": "name name_prefix scope",
        "aws_wafv2_web_acl_association": "*",
        "aws_wafv2_web_acl_logging_configuration": "resource_arn",
        "aws_cloudwatch_log_group": "name name_prefix",
        "aws_cloudwatch_log_metric_filter": "name log_group_name",
        "aws_cloudwatch_metric_alarm": "alarm_name",
        "aws_cloudwatch_dashboard": "dashboard_name",
        "aws_sns_topic": "name name_prefix fifo_topic",
        "aws_iam_role": "name name_prefix",
        "aws_iam_role_policy": "name name_prefix role",
        "aws_appautoscaling_target": "resource_id scalable_dimension service_namespace",
        "aws_appautoscaling_policy": "name resource_id scalable_dimension service_namespace",
        "aws_appautoscaling_scheduled_action": (
            "name resource_id scalable_dimension service_namespace"
        ),
        "terraform_data": "triggers_replace",
    }.items()
}
# Replaced or deleted, these lose data or the keys to it.
DATA_TYPES = frozenset({"aws_s3_bucket", "aws_kms_key"})
# Not arguments of the resource: Terraform meta-arguments and cdktf metadata.
_META = frozenset({"//", "lifecycle", "depends_on", "provider", "count", "for_each"})
_TAGS = frozenset({"tags", "tags_all"})
ALLOW_LABEL = "allow-protected-changes"
# At most this many addresses are named per kind of change; the count is always given.
MAX_NAMED = 4


@dataclass(frozen=True)
class StackPreview:
    """What one stack's change does: a one-line summary, and the refused changes."""

    stack: str
    summary: str
    refused: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    """What the change leaves in AWS with its data (data_notes), one line each."""


@dataclass
class _Diff:
    created: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    released: list[str] = field(default_factory=list)
    replaced: dict[str, list[str]] = field(default_factory=dict)  # address -> why
    updated: dict[str, list[str]] = field(default_factory=dict)  # address -> changed arguments


def _resources(stack: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{resource_type}.{name}": body
        for resource_type, by_name in stack.get("resource", {}).items()
        for name, body in by_name.items()
    }


def _type(address: str) -> str:
    return address.split(".", 1)[0]


def _references(value: Any, addresses: set[str]) -> bool:
    text = json.dumps(value)
    return any(re.search(rf"(?<![\w.]){re.escape(address)}\.", text) for address in addresses)


def diff_stack(old: Mapping[str, Any], new: Mapping[str, Any]) -> _Diff:
    """Resources by address: created, deleted, replaced (a force-new argument changed, one that
    references a replaced resource, or a `replace_triggered_by` fired) or updated in place."""
    moved = {m["from"]: m["to"] for m in new.get("moved", []) if isinstance(m, Mapping)}
    released = {
        r["from"]
        for r in new.get("removed", [])
        if isinstance(r, Mapping) and (r.get("lifecycle") or {}).get("destroy") is False
    }
    before = {moved.get(a, a): body for a, body in _resources(old).items()}
    after = _resources(new)
    result = _Diff(
        created=sorted(set(after) - set(before)),
        deleted=sorted(set(before) - set(after) - released),
        released=sorted(set(before) & released),
    )
    common = sorted(set(before) & set(after))
    changed: dict[str, set[str]] = {}
    for address in common:
        ignored = set((after[address].get("lifecycle") or {}).get("ignore_changes") or [])
        keys = (set(before[address]) | set(after[address])) - _META - _TAGS - ignored
        changed[address] = {k for k in keys if before[address].get(k) != after[address].get(k)}
    while True:
        replaced = set(result.replaced)
        for address in common:
            if address in replaced:
                continue
            body = after[address]
            ignored = set((body.get("lifecycle") or {}).get("ignore_changes") or [])
            for key, value in body.items():
                if key not in _META and key not in ignored and _references(value, replaced):
                    changed[address].add(key)
            force_new = FORCE_NEW.get(_type(address), frozenset())
            why = sorted(changed[address] if "*" in force_new else changed[address] & force_new)
            triggers = (body.get("lifecycle") or {}).get("replace_triggered_by") or []
            fired = [t for t in triggers if t in replaced or changed.get(t)]
            if why or fired:
                result.replaced[address] = why + [f"replace_triggered_by {t}" for t in fired]
        if set(result.replaced) == replaced:
            break
    result.updated = {
        a: sorted(keys) for a, keys in changed.items() if keys and a not in result.replaced
    }
    return result


# Named first when several protected resources go: the one users reach or that holds the rest.
_FIRST = (
    "aws_vpc",
    "aws_lb",
    "aws_acm_certificate",
    "aws_route53_record",
    "aws_sagemaker_endpoint",
)


def _rank(address: str) -> int:
    return _FIRST.index(_type(address)) if _type(address) in _FIRST else len(_FIRST)


def _named(addresses: Sequence[str]) -> str:
    shown = ", ".join(addresses[:MAX_NAMED])
    more = len(addresses) - MAX_NAMED
    return shown + (f" and {more} more" if more > 0 else "")


def _fleet(endpoint_configuration: Mapping[str, Any]) -> tuple[int, str]:
    """Instances of the new fleet and how they are made up (`primary 6 × ml.m5.xlarge`)."""
    parts, total = [], 0
    for key in ("production_variants", "shadow_production_variants"):
        for variant in endpoint_configuration.get(key) or []:
            count = variant.get("initial_instance_count")
            if isinstance(count, int):
                total += count
                parts.append(
                    f"{variant.get('variant_name')} {count} × {variant.get('instance_type')}"
                )
            elif variant.get("serverless_config"):
                parts.append(f"{variant.get('variant_name')} serverless")
    return total, ", ".join(parts)


def _rollout(config: ServiceConfig) -> str:
    fleets = [v.fleet for v in config.serving_variants if v.fleet is not None]
    slowest = max(f.fleet_start_s for f in fleets) if fleets else 0
    rollout = config.rollout
    return (
        f"{rollout.strategy}, up to {rollout.planned_duration_s(slowest)} s "
        f"({slowest} s to start the fleet + {rollout.traffic_shifts} × wait_s {rollout.wait_s} s "
        f"+ termination_wait_s {rollout.termination_wait_s} s)"
    )


def preview_stack(
    stack: str,
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any] | None,
    config: ServiceConfig,
    allow: Sequence[str] = (),
) -> StackPreview:
    """One stack's change from its old to its new synthesized Terraform JSON."""
    if new is None:
        count = len(_resources(old or {}))
        return StackPreview(
            stack, f"{stack}: no longer synthesized ({count} resources left to their state)"
        )
    if old is None:
        after = _resources(new)
        configurations = [b for a, b in after.items() if _type(a) == ENDPOINT_CONFIGURATION]
        instances = sum(_fleet(b)[0] for b in configurations)
        fleet = f", a fleet of {instances} instances" if instances else ""
        return StackPreview(stack, f"{stack}: new stack: creates {len(after)} resources{fleet}")
    diff = diff_stack(old, new)
    what = _rollout_effect(diff, _resources(new), config) + _routine_effects(diff)
    allowed, refused = _protected_effects(diff, allow)
    if allowed:
        what.append(f"allowed {len(allowed)}: {_named(allowed)}")
    if refused:
        what.insert(0, "REFUSED")
        refused.append(
            "if intended: --allow ADDRESS for each (a glob such as 'aws_subnet.*' works); in a "
            f"pull request, the `{ALLOW_LABEL}` label"
        )
    summary = f"{stack}: " + ("; ".join(what) if what else "no changes")
    return StackPreview(stack, summary, refused)


def _rollout_effect(diff: _Diff, resources: Mapping[str, Any], config: ServiceConfig) -> list[str]:
    """A blue/green rollout, when the endpoint moves to a new configuration; the rolled-out
    configuration and models are taken out of `diff` (they are the rollout)."""
    configuration = next((a for a in resources if _type(a) == ENDPOINT_CONFIGURATION), None)
    endpoint = next((a for a in resources if _type(a) == ENDPOINT), None)
    if not (
        configuration
        and endpoint
        and endpoint not in diff.replaced
        and endpoint not in diff.created
        and (configuration in diff.replaced or configuration in diff.created)
    ):
        return []
    instances, parts = _fleet(resources[configuration])
    fleet = f"a new fleet of {instances} instances ({parts})" if instances else parts
    models = [a for a in [*diff.replaced, *diff.created] if _type(a) == MODEL]
    with_models = f" with {len(models)} new model(s)" if models else ""
    rolled = {configuration, *models}
    diff.replaced = {a: w for a, w in diff.replaced.items() if a not in rolled}
    diff.created = [a for a in diff.created if a not in rolled]
    if diff.updated.get(endpoint) == ["endpoint_config_name"]:
        del diff.updated[endpoint]
    return [f"blue/green rollout{with_models} to {fleet}, {_rollout(config)}"]


def _routine_effects(diff: _Diff) -> list[str]:
    """What happens to unprotected resources: re-registered, replaced, in place, created,
    deleted, released."""
    what: list[str] = []
    autoscaling = [a for a in diff.replaced if _type(a) in AUTOSCALING_TYPES]
    if autoscaling:
        what.append(f"autoscaling re-registered ({len(autoscaling)}: {_named(autoscaling)})")
    routine = [a for a in diff.replaced if a not in autoscaling and _type(a) not in PROTECTED_TYPES]
    if routine:
        what.append(f"replaced {len(routine)}: {_named(routine)}")
    if diff.updated:
        changed = [f"{a} ({', '.join(keys)})" for a, keys in diff.updated.items()]
        what.append(f"in place {len(changed)}: {_named(changed)}")
    if diff.created:
        what.append(f"creates {len(diff.created)}: {_named(diff.created)}")
    gone = [a for a in diff.deleted if _type(a) not in PROTECTED_TYPES]
    if gone:
        what.append(f"deletes {len(gone)}: {_named(gone)}")
    if diff.released:
        what.append(
            f"releases from state (kept in AWS) {len(diff.released)}: {_named(diff.released)}"
        )
    return what


def _protected_effects(diff: _Diff, allow: Sequence[str]) -> tuple[list[str], list[str]]:
    """(allowed entries, refusal lines) for protected resources replaced or deleted."""
    protected: list[str] = []
    data: list[str] = []
    allowed: list[str] = []
    risky = [(a, "replaced", diff.replaced[a]) for a in diff.replaced] + [
        (a, "deleted", []) for a in diff.deleted
    ]
    risky.sort(key=lambda item: (_rank(item[0]), item[0]))
    for address, action, why in risky:
        if _type(address) not in PROTECTED_TYPES:
            continue
        entry = f"{address} {action}" + (f" ({', '.join(why)})" if why else "")
        patterns = [p for p in allow if pattern_matches(p, address)]
        if patterns:
            allowed.append(f"{entry} by --allow {', '.join(patterns)}")
        elif _type(address) in DATA_TYPES:
            data.append(entry)
        else:
            protected.append(entry)
    refused = []
    if protected:
        refused.append(
            f"replaces or deletes {len(protected)} protected resource(s) that clients, DNS or "
            f"TLS depend on: {_named(protected)}"
        )
    if data:
        refused.append(f"deletes data or the keys to it, {len(data)}: {_named(data)}")
    return allowed, refused


def preview(
    old_out: Path, new_out: Path, config: ServiceConfig, allow: Sequence[str] = ()
) -> list[StackPreview]:
    """Every stack of two synthesized apps (`<out>/stacks/<stack>/cdk.tf.json`), in order: the
    region stacks as the new configuration lists them, then any other."""
    old, new = _stacks(old_out), _stacks(new_out)
    order = [config.stack_name(r) for r in config.stack_regions]
    names = [n for n in order if n in old or n in new]
    names += sorted((set(old) | set(new)) - set(names))
    return [preview_stack(n, old.get(n), new.get(n), config, allow) for n in names]


def preview_lines(stacks: Sequence[StackPreview]) -> list[str]:
    """What `config check --since` prints: a line per stack, its refusals and the data it keeps
    indented below."""
    return [
        line
        for s in stacks
        for line in [
            s.summary,
            *(f"  {r}" for r in s.refused),
            *(f"  data kept: {k}" for k in s.kept),
        ]
    ]


def _stacks(outdir: Path) -> dict[str, dict[str, Any]]:
    return {
        path.parent.name: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted((outdir / "stacks").glob("*/cdk.tf.json"))
    }


# --- Data a change leaves in AWS: buckets and keys released from state, never deleted.

DELETE_DELIBERATELY = f"{DATA_DOC}#deleting-kept-data-deliberately"
# Names that embed the account ID: unknown before a plan.
ACCOUNT_ID = "<account-id>"


def data_notes(old: ServiceConfig, new: ServiceConfig) -> dict[str, list[str]]:
    """By stack, where the change releases data from Terraform's state: what is kept in AWS,
    under which name, and where deleting it on purpose is described. Nothing is deleted."""
    notes: dict[str, list[str]] = {}
    for region in [r for r in new.retired_regions if r in old.regions]:
        names = resource_names(new, region)
        kept = [f"access-log bucket {names.access_log_bucket(ACCOUNT_ID)}"]
        if old.data_capture_enabled:
            kept.append(f"capture bucket {names.data_capture_bucket(ACCOUNT_ID)}")
        kept.append(f"KMS key alias/{names.endpoint_key_alias} (it decrypts captured data)")
        notes.setdefault(names.stack, []).append(
            "retired: the next deploy of its stack releases from Terraform's state, and "
            f"`cdktf destroy` then leaves in AWS with their data: {', '.join(kept)}; delete "
            f"them deliberately as {DELETE_DELIBERATELY} says"
        )
    if old.data_capture_enabled != new.data_capture_enabled:
        for region in [r for r in new.regions if r in old.regions]:
            names = resource_names(new, region)
            notes.setdefault(names.stack, []).append(
                _capture_note(old, new, names.data_capture_bucket(ACCOUNT_ID))
            )
    return notes


def _capture_note(old: ServiceConfig, new: ServiceConfig, bucket: str) -> str:
    if new.data_capture_enabled:
        return (
            f"capture starts: if the capture bucket {bucket} released earlier still exists, "
            "import it into the stack before the deploy "
            f"({DELETE_DELIBERATELY.split('#')[0]}#turning-capture-on-again), or the deploy "
            "fails creating it"
        )
    why = (
        "the shadow removed"
        if old.shadow is not None and not old.data_capture.enabled
        else "data_capture.enabled off"
    )
    return (
        f"capture stops ({why}): the capture bucket {bucket} and its policy, encryption, "
        "versioning and lifecycle are released from Terraform's state and kept in S3 with the "
        "captured data (objects still expire after retention_days); delete it deliberately as "
        f"{DELETE_DELIBERATELY} says"
    )


class SynthError(Exception):
    """One side of the preview could not be synthesized; the message is one line."""


def synthesize(pairs: Sequence[tuple[Path, Path, bool]]) -> None:
    """Runs `main.py` once per (config file, output folder, schema only), concurrently."""
    running = []
    for path, outdir, schema_only in pairs:
        env = {
            **os.environ,
            "SERVING_CONFIG": str(path.absolute()),
            "CDKTF_OUTDIR": str(outdir.absolute()),
        }
        env.pop("CDKTF_CONTEXT_JSON", None)
        command = [sys.executable, str(MAIN), *(["--schema-only"] if schema_only else [])]
        running.append(
            (path, subprocess.Popen(
                command, env=env, cwd=MAIN.parent, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE, text=True,
            ))
        )  # fmt: skip
    failed = []
    for path, process in running:
        _, stderr = process.communicate()
        if process.returncode != 0:
            lines = [line for line in stderr.splitlines() if line.strip() and "!!" not in line]
            failed.append(f"{path}: synth failed: {lines[-1] if lines else process.returncode}")
    if failed:
        raise SynthError("; ".join(failed))
