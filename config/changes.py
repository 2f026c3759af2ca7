"""Changes between two configurations that a live service cannot take: refused before synth.

`python -m config check NEW --since OLD` (the pull-request workflow passes the base branch's
file as OLD). A single configuration cannot show these; the plan-safety verdict is the second
line of defence, on the plan.
"""

from __future__ import annotations

from config.models import ServiceConfig


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
    if old.state != new.state:
        problems.append(
            "state: the backend, bucket or key prefix changed: Terraform would start from an "
            "empty state and try to create what already exists; migrate each stack's state "
            "first (`terraform init -migrate-state`), then change the configuration"
        )
    return problems


DELETE_DELIBERATELY = "docs/data-and-teardown.md#deleting-kept-data-deliberately"


def _capture_bucket(config: ServiceConfig, region: str) -> str:
    # The name constructs_lib/inference_endpoint.py gives it (config cannot import constructs).
    return f"{config.name}-capture-<account-id>-{region}"


def _access_log_bucket(config: ServiceConfig, region: str) -> str:
    return f"{config.name}-alb-logs-<account-id>-{region}"


def data_notes(old: ServiceConfig, new: ServiceConfig) -> list[str]:
    """One line per region where the change releases data from Terraform's state: what is kept
    in AWS, under which name, and where deleting it on purpose is described. Nothing is deleted."""
    notes = []
    retired = [r for r in new.retired_regions if r in old.regions]
    for region in retired:
        kept = [f"access-log bucket {_access_log_bucket(new, region)}"]
        if old.data_capture_enabled:
            kept.append(f"capture bucket {_capture_bucket(new, region)}")
        kept.append(f"KMS key alias/sagemaker/{new.name} (it decrypts captured data)")
        notes.append(
            f"retired_regions: {region}: the next deploy of its stack releases from Terraform's "
            f"state, and `cdktf destroy` then leaves in AWS with their data: {', '.join(kept)}; "
            f"delete them deliberately as {DELETE_DELIBERATELY} says"
        )
    if old.data_capture_enabled and not new.data_capture_enabled:
        why = (
            "the shadow removed"
            if old.shadow is not None and not old.data_capture.enabled
            else "data_capture.enabled off"
        )
        for region in new.regions:
            if region in old.regions:
                notes.append(
                    f"data_capture: capture stops in {region} ({why}): the capture bucket "
                    f"{_capture_bucket(new, region)} and its policy, encryption, versioning and "
                    "lifecycle are released from Terraform's state and kept in S3 with the "
                    "captured data (objects still expire after retention_days); delete it "
                    f"deliberately as {DELETE_DELIBERATELY} says"
                )
    if not old.data_capture_enabled and new.data_capture_enabled:
        notes.append(
            "data_capture: capture starts: if a capture bucket released earlier still exists "
            f"({_capture_bucket(new, '<region>')}), import it into the stack before the deploy "
            f"({DELETE_DELIBERATELY.split('#')[0]}#turning-capture-on-again), or the "
            "deploy fails creating it"
        )
    return notes
