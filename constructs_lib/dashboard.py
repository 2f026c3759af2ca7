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


class RegionDashboard(Construct):
    """`<service>-<env>-<region>` dashboard."""

    def __init__(self, scope: Construct, id_: str, props: RegionDashboardProps) -> None:
        super().__init__(scope, id_)
        sm = aws_terms.SAGEMAKER_METRICS_NAMESPACE
        variant = ["EndpointName", props.endpoint_name, "VariantName", props.variant_name]
        alb = ["LoadBalancer", props.load_balancer_arn_suffix]
        region = props.region
        widgets = [
            _widget(
                "Invocations", [[sm, aws_terms.INVOCATIONS, *variant, {"stat": "Sum"}]], region
            ),
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
            _widget(
                "Instances (reporting CPU) against the autoscaling range",
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
                        {"label": "autoscaling min", "value": props.min_instance_count},
                        {"label": "autoscaling max", "value": props.max_instance_count},
                    ]
                },
            ),
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
        self.dashboard = CloudwatchDashboard(
            self,
            "dashboard",
            dashboard_name=props.name,
            dashboard_body=json.dumps({"widgets": widgets}),
        )
