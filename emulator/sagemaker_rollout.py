"""SageMaker's rules for UpdateEndpoint, as its documentation states them: what a deployment
makes of an endpoint, when it is refused, when it rolls back. Pure functions over plain data, so
the tests can call them directly; emulator/sagemaker_shims.py glues them to moto's backends."""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any


class UpdateRefused(Exception):
    """An UpdateEndpoint request that SageMaker refuses with a ValidationException (the message)."""


# Statuses in which SageMaker answers an update with "Cannot update in-progress endpoint".
_IN_PROGRESS = frozenset({"Creating", "Updating", "SystemUpdating", "RollingBack", "Deleting"})


@dataclass(frozen=True)
class DeployedEndpoint:
    """An endpoint as UpdateEndpoint finds it: what a request is checked against."""

    name: str
    arn: str
    status: str
    variants: list[dict[str, Any]]
    """ProductionVariants as DescribeEndpoint reports them (without instance types)."""
    instance_types: dict[str, str | None]
    """The instance type each variant runs on (None for a serverless variant)."""
    autoscaled: frozenset[str] = frozenset()
    """The variants (production or shadow) registered as Application Auto Scaling targets."""
    last_deployment_config: dict[str, Any] | None = None
    shadow_variants: list[dict[str, Any]] = field(default_factory=list)
    """ShadowProductionVariants as DescribeEndpoint reports them."""


@dataclass(frozen=True)
class Rollout:
    """The endpoint once SageMaker has deployed the new endpoint configuration, or has rolled the
    deployment back (`failure_reason` set): then it keeps its configuration and variants."""

    variants: list[dict[str, Any]]
    last_deployment_config: dict[str, Any] | None
    shadow_variants: list[dict[str, Any]] = field(default_factory=list)
    failure_reason: str | None = None

    @property
    def rolled_back(self) -> bool:
        return self.failure_reason is not None


def rollback_alarm_names(deployment_config: dict[str, Any] | None) -> list[str]:
    """The alarms a deployment watches: DeploymentConfig.AutoRollbackConfiguration.Alarms."""
    rollback = (deployment_config or {}).get("AutoRollbackConfiguration") or {}
    return [alarm["AlarmName"] for alarm in rollback.get("Alarms") or []]


def plan_rollout(
    endpoint: DeployedEndpoint,
    config_arn: str,
    config_variants: list[dict[str, Any]],
    request: dict[str, Any],
    config_shadow_variants: list[dict[str, Any]] | None = None,
    alarms_in_alarm: frozenset[str] = frozenset(),
    fleet_failure: str | None = None,
) -> Rollout:
    """What the UpdateEndpoint `request` makes of `endpoint`, deploying the configuration
    `config_arn` (its ProductionVariants: `config_variants`, its ShadowProductionVariants:
    `config_shadow_variants`), as SageMaker documents it.

    A deployment is rolled back when one of its auto-rollback alarms is among `alarms_in_alarm`
    (CloudWatch alarms of the account and region in state ALARM while it runs) or when the new
    fleet fails (`fleet_failure`: why); the endpoint is then InService on its old configuration.

    Raises UpdateRefused where SageMaker refuses the request.
    """
    _refuse_unless_in_service(endpoint)
    deployment_config = request.get("DeploymentConfig")
    if deployment_config is None and request.get("RetainDeploymentConfig"):
        deployment_config = endpoint.last_deployment_config
    config_shadow = config_shadow_variants or []
    current = {variant["VariantName"]: variant for variant in endpoint.variants}
    current_shadow = {variant["VariantName"]: variant for variant in endpoint.shadow_variants}
    new = {variant["VariantName"]: variant for variant in config_variants}
    new_shadow = {variant["VariantName"]: variant for variant in config_shadow}
    instance_based = any(endpoint.instance_types.get(name) for name in current | current_shadow)
    serverless = [name for name, v in (new | new_shadow).items() if v.get("ServerlessConfig")]
    if instance_based and serverless:
        # "Update a serverless endpoint" (docs.aws.amazon.com/sagemaker/latest/dg/
        # serverless-endpoints-update.html): updating a real-time (instance-based) endpoint to a
        # serverless one is not supported; serverless to instance-based is.
        raise UpdateRefused(
            f'Endpoint "{endpoint.arn}" is instance-based and endpoint configuration '
            f'"{config_arn}" has serverless variants {sorted(serverless)}: an instance-based '
            "endpoint cannot be updated to a serverless endpoint configuration."
        )
    if deployment_config and set(new) != set(current):
        # "Exclusions" of deployment guardrails (docs.aws.amazon.com/sagemaker/latest/dg/
        # deployment-guardrails-exclusions.html): "your new endpoint configuration must have the
        # same variant name as the old endpoint configuration" — the production variants, which
        # the blue/green fleet replaces and shifts traffic to. Shadow variants take no traffic
        # and are not held to it: SageMaker's own shadow tests deploy a shadow variant onto an
        # endpoint already serving ("You can run the test on an existing endpoint that is serving
        # inference requests", docs.aws.amazon.com/sagemaker/latest/dg/shadow-tests-create.html).
        raise UpdateRefused(
            f'Endpoint configuration "{config_arn}" has the production variants '
            f'{sorted(new)} and endpoint "{endpoint.arn}" the production variants '
            f"{sorted(current)}: a blue/green or rolling deployment (DeploymentConfig) needs the "
            "same variant names."
        )
    _refuse_autoscaled_changes(endpoint, new | new_shadow, current.keys() | current_shadow.keys())
    failure_reason = _rollback_reason(deployment_config, alarms_in_alarm, fleet_failure)
    if failure_reason is not None:
        # Deployment guardrails, auto-rollback (docs.aws.amazon.com/sagemaker/latest/dg/
        # deployment-guardrails-configuration.html): "If any of your alarms trip during the
        # specified monitoring period, SageMaker AI initiates a complete rollback to the old
        # endpoint"; a new fleet that fails to provision is rolled back too. The endpoint is
        # InService on the old configuration, with the variants it had, and DescribeEndpoint
        # reports FailureReason.
        return Rollout(
            variants=endpoint.variants,
            last_deployment_config=deployment_config,
            shadow_variants=endpoint.shadow_variants,
            failure_reason=failure_reason,
        )
    retained: set[str] = set()
    if request.get("RetainAllVariantProperties"):
        excluded = request.get("ExcludeRetainedVariantProperties") or []
        retained = {"DesiredInstanceCount", "DesiredWeight"} - {
            item.get("VariantPropertyType") for item in excluded
        }
    return Rollout(
        variants=_rolled_out(config_variants, current, retained),
        last_deployment_config=deployment_config,
        shadow_variants=_rolled_out(config_shadow, current_shadow, retained),
    )


def _refuse_unless_in_service(endpoint: DeployedEndpoint) -> None:
    """UpdateEndpoint needs an endpoint InService."""
    if endpoint.status in _IN_PROGRESS:
        raise UpdateRefused(f'Cannot update in-progress endpoint "{endpoint.arn}".')
    if endpoint.status != "InService":
        # "Failed": SageMaker allows nothing but DeleteEndpoint.
        raise UpdateRefused(
            f'Cannot update endpoint "{endpoint.arn}" in status {endpoint.status}: only an '
            "InService endpoint can be updated."
        )


def _refuse_autoscaled_changes(
    endpoint: DeployedEndpoint, new_all: dict[str, dict[str, Any]], current_names: AbstractSet[str]
) -> None:
    """A variant registered with Application Auto Scaling may not be removed or change its
    instance type: it must be deregistered first."""
    for name in sorted(endpoint.autoscaled & current_names):
        if name not in new_all:
            change = "remove it"
        elif new_all[name].get("InstanceType") != endpoint.instance_types.get(name):
            change = (
                f"change its instance type from {endpoint.instance_types.get(name)} to "
                f"{new_all[name].get('InstanceType')}"
            )
        else:
            continue  # A new model on the same instance type is allowed.
        raise UpdateRefused(
            f'Variant "{name}" of endpoint "{endpoint.arn}" is registered with Application Auto '
            f"Scaling ({variant_resource_id(endpoint.name, name)}) and the update would {change}. "
            "Delete its scaling policies and deregister it as a scalable target "
            "(DeregisterScalableTarget) before the update."
        )


def _rollback_reason(
    deployment_config: dict[str, Any] | None,
    alarms_in_alarm: frozenset[str],
    fleet_failure: str | None,
) -> str | None:
    # The emulator's wording: AWS documents that FailureReason is set, not its text.
    if fleet_failure is not None:
        return f"Deployment failed and was rolled back: the new fleet failed. {fleet_failure}"
    fired = [name for name in rollback_alarm_names(deployment_config) if name in alarms_in_alarm]
    if fired:
        return (
            "Deployment was rolled back: the auto-rollback alarm(s) "
            f"{', '.join(fired)} went into ALARM during the deployment."
        )
    return None


def _rolled_out(
    config_variants: list[dict[str, Any]],
    current: dict[str, dict[str, Any]],
    retained: set[str],
) -> list[dict[str, Any]]:
    variants = []
    for config_variant in config_variants:
        variant = _deployed_variant(config_variant)
        old = current.get(config_variant["VariantName"], {})
        # The rollout is complete: what is current is what was desired.
        if "DesiredInstanceCount" in retained and "DesiredInstanceCount" in old:
            variant["CurrentInstanceCount"] = old["DesiredInstanceCount"]
            variant["DesiredInstanceCount"] = old["DesiredInstanceCount"]
        if "DesiredWeight" in retained and "DesiredWeight" in old:
            variant["CurrentWeight"] = variant["DesiredWeight"] = old["DesiredWeight"]
        variants.append(variant)
    return variants


SAGEMAKER_VARIANT_CAPACITY = "sagemaker:variant:DesiredInstanceCount"
"""Application Auto Scaling's dimension for the instance count of a SageMaker variant."""

SAGEMAKER_VARIANT_PROVISIONED_CONCURRENCY = "sagemaker:variant:DesiredProvisionedConcurrency"
"""Application Auto Scaling's dimension for the provisioned concurrency of a serverless variant."""


def variant_resource_id(endpoint_name: str, variant_name: str) -> str:
    """Application Auto Scaling's ResourceId of a SageMaker endpoint variant."""
    return f"endpoint/{endpoint_name}/variant/{variant_name}"


def _deployed_variant(config_variant: dict[str, Any]) -> dict[str, Any]:
    # A configuration's variant once deployed, as DescribeEndpoint reports it (botocore's
    # ProductionVariantSummary): no instance type, a weight of 1.0 where none was given
    # (ProductionVariant.InitialVariantWeight: "If unspecified, it defaults to 1.0"), and a weight
    # of 0 kept (moto drops it, as it drops every falsy value).
    import copy

    given = {"InitialVariantWeight": 1.0, **copy.deepcopy(config_variant)}
    variant: dict[str, Any] = {"VariantName": given["VariantName"]}
    for setting, reported in (
        ("InitialInstanceCount", "InstanceCount"),
        ("InitialVariantWeight", "Weight"),
        ("ServerlessConfig", "ServerlessConfig"),
    ):
        if given.get(setting) is not None:
            variant[f"Current{reported}"] = given[setting]
            variant[f"Desired{reported}"] = copy.deepcopy(given[setting])
    if given.get("RoutingConfig") is not None:
        variant["RoutingConfig"] = given["RoutingConfig"]
    return variant
