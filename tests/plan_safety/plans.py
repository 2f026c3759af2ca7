"""Small plan documents shaped like `terraform show -json plan.tfplan` (format 1.2, Terraform 1.11)."""

from __future__ import annotations

import copy
from typing import Any

STACK = "serving-prod-us-east-1"

ENDPOINT = "aws_sagemaker_endpoint.inference_endpoint_11F0EFEF"
ENDPOINT_CONFIGURATION = (
    "aws_sagemaker_endpoint_configuration.inference_endpoint_configuration_E22D4048"
)
MODEL = "aws_sagemaker_model.inference_model_5D51DA07"
LOAD_BALANCER = "aws_lb.load_balancer_5CB6B27E"
HTTPS_LISTENER = "aws_lb_listener.load_balancer_https_listener_DFE05E32"
CERTIFICATE = "aws_acm_certificate.certificate_3C59EBE5"
AUTOSCALING_TARGET = "aws_appautoscaling_target.autoscaling_target_10D32FB7"
AUTOSCALING_POLICY = "aws_appautoscaling_policy.autoscaling_invocations_policy_9BBDCD0E"
VALIDATION_RECORD = 'aws_route53_record.certificate_validation_records_9C1797ED["api.example.com"]'
ALARM = "aws_cloudwatch_metric_alarm.health_check_alarm_status_607C96BD"


def resource(
    address: str,
    actions: list[str],
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    after_unknown: dict[str, Any] | None = None,
    mode: str = "managed",
) -> dict[str, Any]:
    """One `resource_changes` entry; a for_each key in the address becomes its `index`."""
    base, _, key = address.partition("[")
    resource_type, name = base.split(".")[-2:]
    change: dict[str, Any] = {
        "actions": actions,
        "before": None if actions[0] == "create" and len(actions) == 1 else (before or {}),
        "after": None if actions == ["delete"] else (after or {}),
        "after_unknown": after_unknown or {},
        "before_sensitive": {},
        "after_sensitive": {},
    }
    entry: dict[str, Any] = {
        "address": address,
        "mode": mode,
        "type": resource_type,
        "name": name,
        "provider_name": "registry.terraform.io/hashicorp/aws",
        "change": change,
    }
    if key:
        entry["index"] = key.rstrip("]").strip('"')
    if "delete" in actions and "create" in actions:
        entry["action_reason"] = "replace_because_cannot_update"
        change["replace_paths"] = [["name"]]
    if actions == ["delete"]:
        entry["action_reason"] = "delete_because_no_resource_config"
    return entry


def plan(*changes: dict[str, Any]) -> dict[str, Any]:
    document: dict[str, Any] = {
        "format_version": "1.2",
        "terraform_version": "1.11.4",
        "planned_values": {"root_module": {}},
        "configuration": {"root_module": {}},
        "timestamp": "2026-11-25T20:00:00Z",
        "applyable": bool(changes),
        "complete": True,
        "errored": False,
    }
    if changes:  # Terraform leaves resource_changes out of a plan without any
        document["resource_changes"] = [copy.deepcopy(change) for change in changes]
    return document


def endpoint_configuration(
    variant_name: str, instance_type: str, name: str | None
) -> dict[str, Any]:
    return {
        "name": name,
        "name_prefix": "serving-prod-",
        "production_variants": [
            {
                "variant_name": variant_name,
                "model_name": None if name is None else "serving-prod-model-1",
                "instance_type": instance_type,
                "initial_instance_count": 2,
            }
        ],
    }


def model_rollout(after_variant: str = "primary") -> dict[str, Any]:
    """A new model: model and endpoint configuration replaced (create before destroy), the
    endpoint updated in place to the new configuration, whose name is known only after apply."""
    return plan(
        resource(MODEL, ["create", "delete"], {"name": "serving-prod-model-1"}, {"name": None}),
        resource(
            ENDPOINT_CONFIGURATION,
            ["create", "delete"],
            endpoint_configuration("primary", "ml.m5.large", "serving-prod-config-1"),
            endpoint_configuration(after_variant, "ml.m5.large", None),
            {"name": True, "arn": True},
        ),
        resource(
            ENDPOINT,
            ["update"],
            {"name": "serving-prod", "endpoint_config_name": "serving-prod-config-1"},
            {"name": "serving-prod", "endpoint_config_name": None},
            {"endpoint_config_name": True},
        ),
    )
