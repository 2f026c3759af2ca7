"""Target-tracking autoscaling of a SageMaker production variant's instance count."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import DataResource, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.appautoscaling_policy import (
    AppautoscalingPolicy,
    AppautoscalingPolicyTargetTrackingScalingPolicyConfiguration,
    AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecification,
)
from cdktf_cdktf_provider_aws.appautoscaling_scheduled_action import (
    AppautoscalingScheduledAction,
    AppautoscalingScheduledActionScalableTargetAction,
)
from cdktf_cdktf_provider_aws.appautoscaling_target import AppautoscalingTarget
from constructs import Construct

from config.models import AutoscalingSettings
from constructs_lib import aws_terms


@dataclass(frozen=True)
class EndpointAutoscalingProps:
    endpoint_name: str
    """The endpoint's name (a token of the endpoint resource, so scaling waits for it)."""
    policy_name_prefix: str
    """Plain-text prefix of policy and action names (tokens are not allowed in names we read)."""
    variant_name: str
    instance_type: str
    min_instance_count: int
    max_instance_count: int
    settings: AutoscalingSettings


class EndpointAutoscaling(Construct):
    """A scalable target on the variant and target-tracking policies that hold its load steady.

    Always: a policy on `SageMakerVariantInvocationsPerInstance`. With `concurrency_target`: a
    second policy on the high-resolution concurrency metric; Application Auto Scaling then scales
    out on whichever asks for more capacity and scales in only when both allow it.

    Re-registration: SageMaker refuses an update that changes the instance type of a variant
    registered with Application Auto Scaling ("Update endpoints that use auto scaling"). The
    target, its policies and its scheduled actions are therefore replaced whenever
    `registration` changes (instance type, variant, range): Terraform destroys them before it
    updates the endpoint they depend on, and registers them again after. The target's range is
    set only by registering: scheduled actions change it on a live target, and a plan must not
    undo them (`ignore_changes`).
    """

    def __init__(self, scope: Construct, id_: str, props: EndpointAutoscalingProps) -> None:
        super().__init__(scope, id_)
        settings = props.settings
        resource_id = aws_terms.variant_resource_id(props.endpoint_name, props.variant_name)
        self.registration = DataResource(
            self,
            "registration",
            input={
                "variant_name": props.variant_name,
                "instance_type": props.instance_type,
                "min_instance_count": props.min_instance_count,
                "max_instance_count": props.max_instance_count,
            },
        )
        # A plain address: Terraform reads `replace_triggered_by` as references, not templates.
        registration = (
            f"{self.registration.terraform_resource_type}.{self.registration.friendly_unique_id}"
        )
        self._replaced_with_registration = TerraformResourceLifecycle(
            replace_triggered_by=[registration]
        )
        self.target = AppautoscalingTarget(
            self,
            "target",
            service_namespace=aws_terms.SAGEMAKER_NAMESPACE,
            scalable_dimension=aws_terms.VARIANT_INSTANCE_COUNT,
            resource_id=resource_id,
            min_capacity=props.min_instance_count,
            max_capacity=props.max_instance_count,
            lifecycle=TerraformResourceLifecycle(
                replace_triggered_by=[registration],
                ignore_changes=["min_capacity", "max_capacity"],
            ),
        )

        self.policies = [
            self._target_tracking(
                "invocations_policy",
                f"{props.policy_name_prefix}-invocations-per-instance",
                aws_terms.INVOCATIONS_PER_INSTANCE,
                settings.invocations_target,
                settings,
            )
        ]
        if settings.concurrency_target is not None:
            self.policies.append(
                self._target_tracking(
                    "concurrency_policy",
                    f"{props.policy_name_prefix}-concurrent-requests",
                    aws_terms.CONCURRENT_REQUESTS_PER_MODEL,
                    settings.concurrency_target,
                    settings,
                )
            )

        self.scheduled_actions = [
            AppautoscalingScheduledAction(
                self,
                f"scheduled_{action.name}",
                name=f"{props.policy_name_prefix}-{action.name}",
                service_namespace=self.target.service_namespace,
                scalable_dimension=self.target.scalable_dimension,
                resource_id=self.target.resource_id,
                schedule=action.schedule,
                timezone=action.timezone,
                scalable_target_action=AppautoscalingScheduledActionScalableTargetAction(
                    min_capacity=str(action.min_instance_count),
                    max_capacity=str(action.max_instance_count),
                ),
                lifecycle=self._replaced_with_registration,
            )
            for action in settings.scheduled_actions
        ]

    def _target_tracking(
        self,
        id_: str,
        name: str,
        metric: str,
        target_value: float,
        settings: AutoscalingSettings,
    ) -> AppautoscalingPolicy:
        return AppautoscalingPolicy(
            self,
            id_,
            name=name,
            policy_type="TargetTrackingScaling",
            service_namespace=self.target.service_namespace,
            scalable_dimension=self.target.scalable_dimension,
            resource_id=self.target.resource_id,
            target_tracking_scaling_policy_configuration=(
                AppautoscalingPolicyTargetTrackingScalingPolicyConfiguration(
                    target_value=target_value,
                    scale_in_cooldown=settings.scale_in_cooldown_s,
                    scale_out_cooldown=settings.scale_out_cooldown_s,
                    predefined_metric_specification=(
                        AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecification(
                            predefined_metric_type=metric
                        )
                    ),
                )
            ),
            lifecycle=self._replaced_with_registration,
        )
