"""One CloudWatch dashboard per region: traffic, latency, errors, capacity and health at a glance."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cdktf_cdktf_provider_aws.cloudwatch_dashboard import CloudwatchDashboard
from constructs import Construct

from constructs_lib import aws_terms

WIDTH = 12
HEIGHT = 6


@dataclass(frozen=True)
class RegionDashboardProps:
    name: str
    region: str
    endpoint_name: str
    variant_name: str
    min_instance_count: int
    max_instance_count: int
    load_balancer_arn_suffix: str
    target_group_arn_suffix: str
    function_name: str
    health_check_id: str
    serverless: bool = False
    """default: instances. Serverless: a concurrency widget instead of the instance count."""
    more_variants: tuple[DashboardVariant, ...] = ()
    """default: none. A row per A/B or shadow variant beside the first one."""


@dataclass(frozen=True)
class DashboardVariant:
    name: str
    min_instance_count: int
    max_instance_count: int
    shadow: bool = False


def _widget(title: str, metrics: list[list[Any]], region: str, **properties: Any) -> dict[str, Any]:
    return {
        "type": "metric",
        "width": WIDTH,
        "height": HEIGHT,
        "properties": {
            "title": title,
            "region": region,
            "metrics": metrics,
            "view": "timeSeries",
            "period": 60,
            **properties,
        },
    }


def _instances_widget(
    title: str, variant: list[str], minimum: int, maximum: int, region: str
) -> dict[str, Any]:
    return _widget(
        title,
        [
            [
                aws_terms.SAGEMAKER_INSTANCE_NAMESPACE,
                aws_terms.CPU_UTILIZATION,
                *variant,
                {"stat": "SampleCount", "label": "instances"},
            ]
        ],
        region,
        annotations={
            "horizontal": [
                {"label": "autoscaling min", "value": minimum},
                {"label": "autoscaling max", "value": maximum},
            ]
        },
    )


def _concurrency_widget(variant: list[str], region: str) -> dict[str, Any]:
    return _widget(
        "Serverless concurrency (share of max_concurrency)",
        [
            [
                aws_terms.SAGEMAKER_METRICS_NAMESPACE,
                aws_terms.SERVERLESS_CONCURRENCY_UTILIZATION,
                *variant,
                {"stat": "Maximum"},
            ]
        ],
        region,
        yAxis={"left": {"min": 0, "max": 1}},
    )


def _variant_row(endpoint_name: str, more: DashboardVariant, region: str) -> list[dict[str, Any]]:
    """Invocations and errors, latency, and instances of one more variant."""
    sm = aws_terms.SAGEMAKER_METRICS_NAMESPACE
    variant = ["EndpointName", endpoint_name, "VariantName", more.name]
    kind = "Shadow variant" if more.shadow else "Variant"
    return [
        _widget(
            f"{kind} {more.name}: invocations and errors",
            [
                [sm, aws_terms.INVOCATIONS, *variant, {"stat": "Sum"}],
                [sm, aws_terms.INVOCATION_4XX, *variant, {"stat": "Sum"}],
                [sm, aws_terms.INVOCATION_5XX, *variant, {"stat": "Sum"}],
            ],
            region,
        ),
        _widget(
            f"{kind} {more.name}: model latency (µs)",
            [
                [sm, aws_terms.MODEL_LATENCY, *variant, {"stat": p, "label": p}]
                for p in ("p50", "p99")
            ],
            region,
        ),
        _instances_widget(
            f"{kind} {more.name}: instances against the autoscaling range",
            variant,
            more.min_instance_count,
            more.max_instance_count,
            region,
        ),
    ]


def _endpoint_widgets(props: RegionDashboardProps) -> list[dict[str, Any]]:
    """The production variant: invocations, latency, errors along the request path, capacity."""
    sm = aws_terms.SAGEMAKER_METRICS_NAMESPACE
    variant = ["EndpointName", props.endpoint_name, "VariantName", props.variant_name]
    alb = ["LoadBalancer", props.load_balancer_arn_suffix]
    region = props.region
    return [
        _widget("Invocations", [[sm, aws_terms.INVOCATIONS, *variant, {"stat": "Sum"}]], region),
        _widget(
            "Model latency (µs)",
            [
                [sm, aws_terms.MODEL_LATENCY, *variant, {"stat": p, "label": p}]
                for p in ("p50", "p90", "p99")
            ]
            + [
                [
                    sm,
                    aws_terms.OVERHEAD_LATENCY,
                    *variant,
                    {"stat": "p99", "label": "overhead p99"},
                ]
            ],
            region,
        ),
        _widget(
            "Errors",
            [
                [sm, aws_terms.INVOCATION_4XX, *variant, {"stat": "Sum"}],
                [sm, aws_terms.INVOCATION_5XX, *variant, {"stat": "Sum"}],
                [aws_terms.ALB_NAMESPACE, aws_terms.ALB_TARGET_5XX, *alb, {"stat": "Sum"}],
                [
                    aws_terms.LAMBDA_NAMESPACE,
                    aws_terms.LAMBDA_ERRORS,
                    "FunctionName",
                    props.function_name,
                    {"stat": "Sum"},
                ],
                [
                    aws_terms.LAMBDA_NAMESPACE,
                    aws_terms.LAMBDA_THROTTLES,
                    "FunctionName",
                    props.function_name,
                    {"stat": "Sum"},
                ],
            ],
            region,
        ),
        _concurrency_widget(variant, region)
        if props.serverless
        else _instances_widget(
            "Instances (reporting CPU) against the autoscaling range",
            variant,
            props.min_instance_count,
            props.max_instance_count,
            region,
        ),
    ]


def _edge_widgets(props: RegionDashboardProps) -> list[dict[str, Any]]:
    """The load balancer's traffic and healthy targets, and the region's Route 53 health."""
    alb = ["LoadBalancer", props.load_balancer_arn_suffix]
    region = props.region
    return [
        _widget(
            "Load balancer requests and healthy targets",
            [
                [aws_terms.ALB_NAMESPACE, aws_terms.ALB_REQUESTS, *alb, {"stat": "Sum"}],
                [
                    aws_terms.ALB_NAMESPACE,
                    aws_terms.ALB_HEALTHY_HOSTS,
                    "TargetGroup",
                    props.target_group_arn_suffix,
                    *alb,
                    {"stat": "Minimum", "yAxis": "right"},
                ],
            ],
            region,
        ),
        _widget(
            "Route 53 health check (1 = healthy)",
            [
                [
                    aws_terms.ROUTE53_NAMESPACE,
                    aws_terms.HEALTH_CHECK_STATUS,
                    "HealthCheckId",
                    props.health_check_id,
                    {"stat": "Minimum"},
                ]
            ],
            aws_terms.ROUTE53_METRICS_REGION,
            yAxis={"left": {"min": 0, "max": 1}},
        ),
    ]


class RegionDashboard(Construct):
    """`<service>-<env>-<region>` dashboard."""

    def __init__(self, scope: Construct, id_: str, props: RegionDashboardProps) -> None:
        super().__init__(scope, id_)
        widgets = [*_endpoint_widgets(props), *_edge_widgets(props)]
        region = props.region
        for more in props.more_variants:
            widgets += _variant_row(props.endpoint_name, more, region)
        self.dashboard = CloudwatchDashboard(
            self,
            "dashboard",
            dashboard_name=props.name,
            dashboard_body=json.dumps({"widgets": widgets}),
        )
