"""One verdict per stack from `terraform show -json` of its saved plan.

A plan that replaces or deletes a protected resource (something users reach, or something that
holds data or keys) is refused unless an `allow` pattern names it. A model rollout (the endpoint
updated in place to a new endpoint configuration) and autoscaling re-registrations are expected
and only reported.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["no changes", "in place", "model rollout", "refused"]

# Replacing or deleting one of these breaks traffic, DNS, TLS or loses data or keys.
PROTECTED_TYPES: frozenset[str] = frozenset(
    {
        "aws_sagemaker_endpoint",
        "aws_lb",
        "aws_lb_listener",
        "aws_lb_target_group",
        "aws_route53_record",
        "aws_route53_health_check",
        "aws_acm_certificate",
        "aws_kms_key",
        "aws_s3_bucket",
        "aws_wafv2_web_acl",
        "aws_lambda_function",
        "aws_vpc",
        "aws_subnet",
    }
)
# Replaced around an instance-type or capacity-range change: a re-registration, not an outage.
AUTOSCALING_TYPES: frozenset[str] = frozenset(
    {
        "aws_appautoscaling_target",
        "aws_appautoscaling_policy",
        "aws_appautoscaling_scheduled_action",
    }
)
ENDPOINT = "aws_sagemaker_endpoint"
ENDPOINT_CONFIGURATION = "aws_sagemaker_endpoint_configuration"

# Every action `terraform show -json` writes (Terraform 1.11 JSON output format); any other is a
# change this verdict cannot judge.
KNOWN_ACTIONS = frozenset({"no-op", "create", "read", "update", "delete", "forget"})

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_INVALID = 2


class InvalidPlan(ValueError):
    """The document is not the `terraform show -json` output of a saved plan."""


@dataclass(frozen=True)
class Verdict:
    stack: str
    kind: Kind
    line: str
    """The whole verdict for this stack: one line, then one indented line per refused/allowed."""
    refused: list[str] = field(default_factory=list)
    """`<address> (<why>)` of every protected change no allow pattern names."""
    allowed: list[str] = field(default_factory=list)
    """`<address> (<why>) allowed by <pattern>` of every protected change a pattern names."""
    matched_patterns: frozenset[str] = frozenset()
    """The allow patterns that named at least one protected change."""
    exit_code: int = EXIT_OK
    """1 when anything is refused, else 0 (what `python -m plan_safety` exits with)."""


def pattern_matches(pattern: str, address: str) -> bool:
    """Exact address, or a glob where only `*` and `?` are special (`[` is part of addresses)."""
    if pattern == address:
        return True
    regex = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    return re.fullmatch(regex, address) is not None


def _actions(change: Mapping[str, Any], address: str) -> tuple[str, ...]:
    actions = change.get("actions")
    if not isinstance(actions, list) or not all(isinstance(a, str) for a in actions):
        raise InvalidPlan(f"resource_changes entry {address!r} has no change.actions list")
    return tuple(actions)


def _variant_names(values: Any) -> list[Any]:
    if not isinstance(values, Mapping):
        return []
    variants = values.get("production_variants")
    if not isinstance(variants, list):
        return []
    return [str(v.get("variant_name")) for v in variants if isinstance(v, Mapping)]


def _variant_renamed(change: Mapping[str, Any]) -> str | None:
    """`before → after` when the production variants' names change: renamed, added or removed
    (order aside; unknown names are not judged). Shadow variants may come and go."""
    return _renamed(_variant_names(change.get("before")), _variant_names(change.get("after")))


def _renamed(before: list[str], after: list[str]) -> str | None:
    if not before or not after or "None" in after or sorted(before) == sorted(after):
        return None
    return f"{', '.join(before)} → {', '.join(after)}"


def _endpoint_config_changes(change: Mapping[str, Any]) -> bool:
    before, after = change.get("before"), change.get("after")
    unknown = change.get("after_unknown")
    if isinstance(unknown, Mapping) and unknown.get("endpoint_config_name") is True:
        return True
    if not isinstance(before, Mapping) or not isinstance(after, Mapping):
        return False
    return bool(before.get("endpoint_config_name") != after.get("endpoint_config_name"))


def _resource_changes(plan: Any) -> list[Mapping[str, Any]]:
    if not isinstance(plan, Mapping) or "format_version" not in plan:
        raise InvalidPlan("not `terraform show -json` output (no format_version)")
    if "planned_values" not in plan and "resource_changes" not in plan:
        raise InvalidPlan("not a plan: `terraform show -json` of a state, not of a saved plan")
    if plan.get("errored"):
        raise InvalidPlan("the plan errored: Terraform could not finish it")
    changes = plan.get("resource_changes", [])
    if not isinstance(changes, list) or not all(isinstance(c, Mapping) for c in changes):
        raise InvalidPlan("resource_changes is not a list of objects")
    return changes


@dataclass
class _Tally:
    """What a plan's resource changes add up to, as the verdict reads them."""

    to_change: int = 0
    to_add: int = 0
    to_delete: int = 0
    protected: list[tuple[str, str]] = field(default_factory=list)  # (address, why)
    autoscaling: list[str] = field(default_factory=list)
    released: list[str] = field(default_factory=list)
    rollout: list[str] = field(default_factory=list)
    # An endpoint configuration moved to a new address: the old one deleted, a new one created.
    created_configurations: list[list[str]] = field(default_factory=list)
    deleted_configurations: list[tuple[str, list[str]]] = field(default_factory=list)


def verdict(plan: Mapping[str, Any], stack: str, allow: Sequence[str] = ()) -> Verdict:
    """Judges one stack's plan. Raises InvalidPlan when `plan` is not a saved plan's JSON."""
    tally = _Tally()
    for resource in _resource_changes(plan):
        _count(resource, tally)
    for address, before in tally.deleted_configurations:
        renames = [r for after in tally.created_configurations if (r := _renamed(before, after))]
        if renames:
            why = (
                f"production variant renamed {renames[0]} (configuration moved to a new "
                "address): blue/green needs the same variant name"
            )
            tally.protected.append((address, why))
    refused: list[str] = []
    allowed: list[str] = []
    matched: set[str] = set()
    for address, why in tally.protected:
        patterns = [p for p in allow if pattern_matches(p, address)]
        matched.update(patterns)
        if patterns:
            allowed.append(f"{address} ({why}) allowed by {', '.join(patterns)}")
        else:
            refused.append(f"{address} ({why})")
    kind, head, notes = _head(stack, tally, refused)
    details = [f"  {entry}" for entry in refused] + [f"  allowed: {entry}" for entry in allowed]
    if refused:  # the head line has no room for them
        details += [f"  also: {note}" for note in notes]
    return Verdict(
        stack=stack,
        kind=kind,
        line="\n".join([head, *details]),
        refused=refused,
        allowed=allowed,
        matched_patterns=frozenset(matched),
        exit_code=EXIT_REFUSED if refused else EXIT_OK,
    )


def _count(resource: Mapping[str, Any], tally: _Tally) -> None:
    """Adds one `resource_changes` entry to the tally."""
    address = str(resource.get("address", "?"))
    change = resource.get("change")
    if not isinstance(change, Mapping):
        raise InvalidPlan(f"resource_changes entry {address!r} has no change object")
    actions = _actions(change, address)
    resource_type = resource.get("type")
    if resource_type is not None and not isinstance(resource_type, str):
        raise InvalidPlan(f"resource_changes entry {address!r}: type is not a string")
    if resource.get("mode") == "data" or set(actions) <= {"no-op", "read"}:
        return
    unknown = sorted(set(actions) - KNOWN_ACTIONS)
    if unknown or not resource_type:
        why = f"unknown action {', '.join(unknown)}" if unknown else "no resource type"
        tally.protected.append((address, f"cannot judge: {why}"))
        return
    if resource_type == ENDPOINT_CONFIGURATION and actions == ("create",):
        tally.created_configurations.append(_variant_names(change.get("after")))
    if resource_type == ENDPOINT_CONFIGURATION and actions == ("delete",):
        tally.deleted_configurations.append((address, _variant_names(change.get("before"))))
    replaced = "create" in actions and "delete" in actions
    tally.to_add += "create" in actions
    if "forget" in actions:
        # A `removed` block with `destroy = false`: Terraform lets go, AWS keeps the object.
        tally.released.append(address)
        return
    tally.to_delete += "delete" in actions
    tally.to_change += "update" in actions
    if resource_type in PROTECTED_TYPES and (replaced or actions == ("delete",)):
        why = "replace" if replaced else "delete"
        if actions == ("create", "delete"):
            why = "replace, create before destroy"
        if resource.get("deposed"):
            # Left over from an interrupted create-before-destroy; judged like any delete.
            why = f"delete deposed object {resource['deposed']}"
        tally.protected.append((address, why))
    elif resource_type in AUTOSCALING_TYPES and replaced:
        tally.autoscaling.append(address)
    elif (
        resource_type == ENDPOINT_CONFIGURATION
        and replaced
        and (renamed := _variant_renamed(change))
    ):
        why = f"production variant renamed {renamed}: blue/green needs the same variant name"
        tally.protected.append((address, why))
    if resource_type == ENDPOINT and actions == ("update",) and _endpoint_config_changes(change):
        tally.rollout.append(address)


def _head(stack: str, tally: _Tally, refused: list[str]) -> tuple[Kind, str, list[str]]:
    """(kind, the verdict's first line, the notes) of a tallied plan."""
    counts = f"{tally.to_change} to change, {tally.to_add} to add, {tally.to_delete} to delete"
    notes = []
    if tally.autoscaling:
        notes.append("re-registers autoscaling: " + ", ".join(tally.autoscaling))
    notes.extend(f"releases {address} from state (kept in AWS)" for address in tally.released)
    if refused:
        return "refused", f"{stack}: REFUSED — replaces/deletes protected resources:", notes
    kind: Kind
    if tally.rollout:
        kind = "model rollout"
        what = (
            f"model rollout ({', '.join(tally.rollout)} to a new endpoint configuration; {counts})"
        )
    elif tally.to_change or tally.to_add or tally.to_delete or tally.released:
        kind, what = "in place", f"in place ({counts})"
    else:
        kind, what = "no changes", "no changes"
    return kind, f"{stack}: " + "; ".join([what, *notes]), notes
