"""The example service's regions as AWS would hold them after an apply, created with boto3 in a
moto server (seconds, where `terraform apply` takes minutes): what `python -m operations status`
reads. Used by tests/operations/ and tools/update_status_doc.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from config.models import ServiceConfig
from config.names import resource_names
from emulator.moto_server import MotoServer
from operations.status import VARIANT_INSTANCE_COUNT, variant_resource_id

ACCOUNT = "123456789012"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/serving-prod-sagemaker"
ROUTE53_REGION = "us-east-1"


@dataclass(frozen=True)
class RegionState:
    """How a region differs from the plan (default: not at all)."""

    model_suffix: str = ""
    """Appended to every model name: the endpoint runs another model than the planned one."""
    registered: bool = True
    alarms_in_alarm: tuple[str, ...] = ()
    """Alarm name suffixes (after `<stack>-`) set to ALARM."""


def deploy(server: MotoServer, config: ServiceConfig, states: dict[str, RegionState]) -> None:
    zone_id = _hosted_zone(server, config)
    for region in config.regions:
        _deploy_region(server, config, region, states.get(region, RegionState()), zone_id)


def _hosted_zone(server: MotoServer, config: ServiceConfig) -> str:
    route53 = server.client("route53", ROUTE53_REGION)
    zone = route53.create_hosted_zone(
        Name=config.domain.hosted_zone_name, CallerReference=config.name
    )
    return str(zone["HostedZone"]["Id"])


def _deploy_region(
    server: MotoServer, config: ServiceConfig, region: str, state: RegionState, zone_id: str
) -> None:
    sagemaker = server.client("sagemaker", region)
    production: list[dict[str, Any]] = []
    shadows: list[dict[str, Any]] = []
    for variant in config.serving_variants:
        model_name = (
            resource_names(config, region).model(variant.model_fingerprint()) + state.model_suffix
        )
        sagemaker.create_model(
            ModelName=model_name,
            ExecutionRoleArn=ROLE_ARN,
            PrimaryContainer={
                "Image": variant.model.image_uri.replace("{region}", region),
                **(
                    {"ModelDataUrl": variant.model.model_data_url.replace("{region}", region)}
                    if variant.model.model_data_url
                    else {}
                ),
            },
        )
        assert variant.fleet is not None, "the emulated service has instance-based variants"
        settings = {
            "VariantName": variant.name,
            "ModelName": model_name,
            "InstanceType": variant.fleet.instance_type,
            "InitialInstanceCount": variant.fleet.initial_instances,
            "InitialVariantWeight": variant.weight,
        }
        (shadows if variant.shadow else production).append(settings)
    # Terraform's name_prefix: the prefix, then a generated 26-character suffix.
    config_name = f"{config.name}-20261128020000000000000001"
    sagemaker.create_endpoint_config(
        EndpointConfigName=config_name,
        ProductionVariants=production,
        **({"ShadowProductionVariants": shadows} if shadows else {}),
    )
    sagemaker.create_endpoint(EndpointName=config.name, EndpointConfigName=config_name)
    _register_and_alarm(server, config, region, state)
    _health_check_and_record(server, config, region, zone_id)


def _register_and_alarm(
    server: MotoServer, config: ServiceConfig, region: str, state: RegionState
) -> None:
    scaling = server.client("application-autoscaling", region)
    for variant in config.serving_variants:
        if state.registered and variant.fleet is not None and variant.autoscaling is not None:
            scaling.register_scalable_target(
                ServiceNamespace="sagemaker",
                ResourceId=variant_resource_id(config.name, variant.name),
                ScalableDimension=VARIANT_INSTANCE_COUNT,
                MinCapacity=variant.fleet.min_instance_count,
                MaxCapacity=variant.fleet.max_instance_count,
            )
    cloudwatch = server.client("cloudwatch", region)
    stack = config.stack_name(region)
    for suffix in ("endpoint-5xx-rate", "endpoint-p99-latency"):
        cloudwatch.put_metric_alarm(
            AlarmName=f"{stack}-{suffix}",
            Namespace="AWS/SageMaker",
            MetricName="Invocation5XXErrors",
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanThreshold",
        )
        # A serving endpoint without errors: its alarms are OK.
        in_alarm = suffix in state.alarms_in_alarm
        cloudwatch.set_alarm_state(
            AlarmName=f"{stack}-{suffix}",
            StateValue="ALARM" if in_alarm else "OK",
            StateReason="emulated breach" if in_alarm else "emulated: no errors",
        )


def _health_check_and_record(
    server: MotoServer, config: ServiceConfig, region: str, zone_id: str
) -> None:
    stack = config.stack_name(region)
    route53 = server.client("route53", ROUTE53_REGION)
    regional = f"{region}.{config.domain.record_name}"
    check = route53.create_health_check(
        CallerReference=stack,
        HealthCheckConfig={
            "Type": "HTTPS",
            "FullyQualifiedDomainName": regional,
            "Port": 443,
            "ResourcePath": "/ping",
            "RequestInterval": 10,
            "FailureThreshold": 3,
        },
    )
    route53.change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "UPSERT",
                    "ResourceRecordSet": {
                        "Name": config.domain.record_name,
                        "Type": "A",
                        "SetIdentifier": region,
                        "Region": region,
                        "TTL": 60,
                        "ResourceRecords": [{"Value": "192.0.2.10"}],
                        "HealthCheckId": check["HealthCheck"]["Id"],
                    },
                }
            ]
        },
    )
