"""Alarms, notifications and data capture."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import (
    Field,
    model_validator,
)

from config.base import Strict


class AlarmSettings(Strict):
    """CloudWatch alarm thresholds (every alarm notifies the region's SNS topic)."""

    period_s: Literal[60, 300] = Field(
        default=60,
        description="Alarm period (s); the metrics are published per minute. Default: 60.",
    )
    evaluation_periods: int = Field(
        default=3, ge=1, le=60, description="Periods in breach before alarming. Default: 3."
    )
    invocation_5xx_errors: int = Field(
        default=5,
        ge=1,
        description="Endpoint `Invocation5XXErrors` per period (sum). Default: 5.",
    )
    invocation_4xx_error_rate_percent: float = Field(
        default=10,
        gt=0,
        le=100,
        description="`Invocation4XXErrors` as % of `Invocations`. Default: 10.",
    )
    model_latency_p99_ms: int = Field(
        default=1000,
        ge=1,
        description="p99 of `ModelLatency` (ms). Default: 1000.",
    )
    cpu_utilization_percent: int = Field(
        default=90,
        ge=1,
        le=100,
        description=(
            "Average CPU per instance, % of all its vCPUs (SageMaker reports the sum over "
            "cores; the threshold is scaled by the instance type's vCPU count). Default: 90."
        ),
    )
    memory_utilization_percent: int = Field(
        default=90, ge=1, le=100, description="`MemoryUtilization` (%). Default: 90."
    )
    gpu_utilization_percent: int = Field(
        default=95,
        ge=1,
        le=100,
        description="GPU instance types only: average over the instance's GPUs (%). Default: 95.",
    )
    gpus_per_instance: int | None = Field(
        default=None,
        ge=1,
        description=(
            "GPUs of the instance type, for types the project does not know. Default: looked up."
        ),
    )
    alb_target_5xx: int = Field(
        default=10,
        ge=1,
        description="ALB `HTTPCode_Target_5XX_Count` per period. Default: 10.",
    )
    alb_rejected_connections: int = Field(
        default=1,
        ge=1,
        description="ALB `RejectedConnectionCount` per period. Default: 1.",
    )
    proxy_errors: int = Field(
        default=5, ge=1, description="Proxy function `Errors` per period. Default: 5."
    )
    proxy_throttles: int = Field(
        default=1, ge=1, description="Proxy function `Throttles` per period. Default: 1."
    )
    alb_elb_5xx: int = Field(
        default=5,
        ge=1,
        description=(
            "ALB `HTTPCode_ELB_5XX_Count` per period: 5XX the load balancer answers itself "
            "(no healthy target, a target response it cannot take). Default: 5."
        ),
    )
    serverless_concurrency_utilization_percent: int = Field(
        default=90,
        ge=1,
        le=100,
        description=(
            "Serverless endpoints only: `ServerlessConcurrentExecutionsUtilization` (concurrent "
            "executions ÷ `max_concurrency`) above this %, requests are about to be throttled. "
            "Default: 90."
        ),
    )
    proxy_response_too_large: int = Field(
        default=1,
        ge=1,
        description=(
            "Proxy answers `response_too_large` per period (a model response over the ALB's "
            "1 MB, counted by a metric filter on the proxy's log). Default: 1."
        ),
    )


class Subscription(Strict):
    """Where the region's alarm topic delivers."""

    protocol: Literal["email", "https", "sqs", "lambda", "sms"] = Field(description="SNS protocol.")
    endpoint: str = Field(min_length=3, description="Address, URL or ARN for the protocol.")

    @model_validator(mode="after")
    def _endpoint_matches_protocol(self) -> Subscription:
        expected = {
            "email": r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
            "https": r"^https://\S+$",
            "sqs": r"^arn:aws:sqs:[a-z0-9-]+:\d{12}:\S+$",
            "lambda": r"^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:\S+$",
            "sms": r"^\+\d{6,15}$",
        }[self.protocol]
        if not re.match(expected, self.endpoint):
            raise ValueError(f"endpoint '{self.endpoint}' is not a valid {self.protocol} endpoint")
        return self


class NotificationSettings(Strict):
    """The KMS-encrypted SNS topic every alarm of a region notifies."""

    subscriptions: list[Subscription] = Field(
        default_factory=list,
        description="Subscriptions of each region's alarm topic. Default: none.",
    )


class DataCaptureSettings(Strict):
    """Optional capture of requests and responses to S3, e.g. for model monitoring."""

    enabled: bool = Field(default=False, description="Capture data. Default: off.")
    sampling_percent: int = Field(
        default=10, ge=1, le=100, description="Share of requests captured. Default: 10."
    )
    capture_input: bool = Field(default=True, description="Capture requests. Default: on.")
    capture_output: bool = Field(default=True, description="Capture responses. Default: on.")
    json_content_types: list[str] = Field(
        default_factory=lambda: ["application/json"],
        description="Content types stored as JSON text. Default: `application/json`.",
    )
    csv_content_types: list[str] = Field(
        default_factory=lambda: ["text/csv"],
        description="Content types stored as CSV text. Default: `text/csv`.",
    )
    retention_days: int = Field(
        default=30, ge=1, description="Days captured objects are kept. Default: 30."
    )
    keep_bucket_on_destroy: bool = Field(
        default=True,
        description=(
            "`prevent_destroy` on the capture bucket. Default: on; captured data is evidence."
        ),
    )

    @model_validator(mode="after")
    def _captures_something(self) -> DataCaptureSettings:
        if self.enabled and not (self.capture_input or self.capture_output):
            raise ValueError("capture_input or capture_output must be on when enabled")
        return self
