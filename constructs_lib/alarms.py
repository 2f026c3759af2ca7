"""CloudWatch alarms that page before users notice, and the encrypted SNS topic they notify.

Missing data is decided per alarm, never left to the default: error and latency alarms treat no
data as fine (no traffic means no errors), health alarms treat it as failing (no report means no
proof of health).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cdktf import TerraformProvider
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import (
    CloudwatchMetricAlarm,
    CloudwatchMetricAlarmMetricQuery,
    CloudwatchMetricAlarmMetricQueryMetric,
)
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_subscription import SnsTopicSubscription
from constructs import Construct

from config import health_checks, instance_types
from config.models import AlarmSettings, Subscription
from config.names import PRIMARY_ALARM_BASE
from constructs_lib import aws_terms
from constructs_lib.policies import rotating_key

NOT_BREACHING = "notBreaching"
BREACHING = "breaching"
# Above the value a disarmed rollback alarm's expression can take (always 0).
DISARMED_THRESHOLD = 1


@dataclass(frozen=True)
class AlarmTopicProps:
    name: str
    account_id: str
    subscriptions: Sequence[Subscription]
    provider: TerraformProvider | None = None
    """default: the stack's provider; another region's provider for us-east-1-only metrics."""


class AlarmTopic(Construct):
    """SNS topic encrypted with a rotating key that CloudWatch alarms may publish through."""

    def __init__(self, scope: Construct, id_: str, props: AlarmTopicProps) -> None:
        super().__init__(scope, id_)
        key = rotating_key(
            self,
            "key",
            provider=props.provider,
            description=f"Encrypts alarm notifications of {props.name}",
            alias=props.name,
            account_id=props.account_id,
            service_statements=[
                {
                    # Alarms publish to the encrypted topic as the CloudWatch service.
                    "Sid": "CloudWatchPublishes",
                    "Effect": "Allow",
                    "Principal": {"Service": aws_terms.CLOUDWATCH_SERVICE_PRINCIPAL},
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:SourceAccount": props.account_id}},
                }
            ],
        )
        self.topic = SnsTopic(
            self, "topic", provider=props.provider, name=props.name, kms_master_key_id=key.arn
        )
        self.topic_arn = self.topic.arn
        for index, subscription in enumerate(props.subscriptions):
            SnsTopicSubscription(
                self,
                f"subscription_{index}",
                provider=props.provider,
                topic_arn=self.topic.arn,
                protocol=subscription.protocol,
                endpoint=subscription.endpoint,
            )


@dataclass(frozen=True)
class AlarmTarget:
    """Thresholds' period and evaluation, and the topic an alarm notifies."""

    settings: AlarmSettings
    topic_arn: str


def metric_alarm(
    scope: Construct,
    id_: str,
    *,
    name: str,
    description: str,
    namespace: str,
    metric: str,
    dimensions: Mapping[str, str],
    threshold: float,
    comparison: str,
    missing_data: str,
    target: AlarmTarget,
    statistic: str | None = "Sum",
    extended_statistic: str | None = None,
    provider: TerraformProvider | None = None,
) -> CloudwatchMetricAlarm:
    return CloudwatchMetricAlarm(
        scope,
        id_,
        provider=provider,
        alarm_name=name,
        alarm_description=description,
        namespace=namespace,
        metric_name=metric,
        dimensions=dict(dimensions),
        statistic=None if extended_statistic else statistic,
        extended_statistic=extended_statistic,
        period=target.settings.period_s,
        evaluation_periods=target.settings.evaluation_periods,
        threshold=threshold,
        comparison_operator=comparison,
        treat_missing_data=missing_data,
        alarm_actions=[target.topic_arn],
        ok_actions=[target.topic_arn],
    )


@dataclass(frozen=True)
class EndpointAlarmsProps:
    prefix: str
    """`<service>-<env>-<region>`: alarm names are unique per account and region."""
    endpoint_name: str
    """Plain name from config (not a token): the endpoint's rollout refers to these alarms."""
    variant_name: str
    instance_type: str | None
    """None for a serverless endpoint: no instance alarms, a concurrency alarm instead."""
    settings: AlarmSettings
    topic_arn: str
    auto_rollback: bool = True
    """default: on; off disarms the two rollback alarms and pages through `-notify` twins."""
    rollout_watched: bool = True
    """default: this variant's 5XX and latency alarms are the two the endpoint's rollout watches
    (the first variant). Other variants get plain alarms, named after the variant."""
    rollback_variants: tuple[str, ...] = ()
    """default: `variant_name` only. Every production variant, when the rollback alarms must
    watch them all (A/B)."""


class EndpointAlarms(Construct):
    """5XX errors, p99 model latency, 4XX rate, CPU, memory and (GPU types) GPU of a variant;
    for a serverless endpoint, memory and concurrency instead of the instance alarms.

    `rollback_alarm_names` (5XX and p99 latency) are the alarms a blue/green rollout watches:
    with several production variants they add up every variant's errors and take the worst
    variant's latency, so a bad A/B variant rolls a rollout back too.
    """

    def __init__(self, scope: Construct, id_: str, props: EndpointAlarmsProps) -> None:
        super().__init__(scope, id_)
        settings = props.settings
        dims = aws_terms.endpoint_dimensions(props.endpoint_name, props.variant_name)
        target = AlarmTarget(settings, props.topic_arn)
        base = (
            f"{props.prefix}-{PRIMARY_ALARM_BASE}"
            if props.rollout_watched
            else f"{props.prefix}-{props.variant_name}"
        )
        self.alarm_name_prefix = base

        rollback = self._rollback_alarms(props, dims, target, base)
        # Tokens of the alarm resources, so the alarms exist before the endpoint names them.
        self.rollback_alarm_names = tuple(alarm.alarm_name for alarm in rollback)
        self.rollback_alarm_arns = tuple(alarm.arn for alarm in rollback)
        self._error_rate_alarm(props, dims, base)
        self._utilization_alarms(props, dims, target, base)

    def _rollback_alarms(
        self,
        props: EndpointAlarmsProps,
        dims: Mapping[str, str],
        target: AlarmTarget,
        base: str,
    ) -> list[CloudwatchMetricAlarm]:
        """The 5XX and p99 latency alarms; the two a watched rollout names (armed or disarmed)."""
        settings = props.settings
        # The endpoint's blue/green rollout always names these two alarms: its
        # `auto_rollback_configuration` forces a new endpoint when it changes (provider 5.100).
        # `rollout.auto_rollback: false` disarms them instead, and pages through `-notify` twins.
        rollback_names = (f"{base}-5xx", f"{base}-latency-p99")
        if not props.rollout_watched:
            self._errors_and_latency(props, dims, target, "", rollback_names)
            return []
        if props.auto_rollback:
            return self._errors_and_latency(props, dims, target, "", rollback_names)
        self._errors_and_latency(
            props, dims, target, "_notify", tuple(f"{n}-notify" for n in rollback_names)
        )
        return [
            self._disarmed_rollback_alarm(id_, name, metric, statistic, dims, settings)
            for (id_, metric, statistic), name in zip(
                (
                    ("invocation_5xx", aws_terms.INVOCATION_5XX, "Sum"),
                    ("model_latency_p99", aws_terms.MODEL_LATENCY, "p99"),
                ),
                rollback_names,
                strict=True,
            )
        ]

    def _error_rate_alarm(
        self, props: EndpointAlarmsProps, dims: Mapping[str, str], base: str
    ) -> None:
        """The 4XX share of invocations (clients sending what the model rejects)."""
        settings = props.settings
        CloudwatchMetricAlarm(
            self,
            "invocation_4xx_rate",
            alarm_name=f"{base}-4xx-rate",
            alarm_description=(
                f"More than {settings.invocation_4xx_error_rate_percent:g}% of invocations fail "
                "with 4XX (clients send what the model rejects)"
            ),
            evaluation_periods=settings.evaluation_periods,
            threshold=settings.invocation_4xx_error_rate_percent,
            comparison_operator="GreaterThanThreshold",
            treat_missing_data=NOT_BREACHING,
            alarm_actions=[props.topic_arn],
            ok_actions=[props.topic_arn],
            metric_query=[
                self._query("errors", aws_terms.INVOCATION_4XX, dims, settings.period_s),
                self._query("invocations", aws_terms.INVOCATIONS, dims, settings.period_s),
                CloudwatchMetricAlarmMetricQuery(
                    id="rate",
                    label="4XX % of invocations",
                    expression="IF(invocations > 0, 100 * errors / invocations, 0)",
                    return_data=True,
                ),
            ],
        )

    def _utilization_alarms(
        self,
        props: EndpointAlarmsProps,
        dims: Mapping[str, str],
        target: AlarmTarget,
        base: str,
    ) -> None:
        """Instance metrics, as % of the instance: SageMaker sums CPU over vCPUs and GPU over
        GPUs, so those thresholds are scaled by the counts. Serverless: concurrency instead."""
        settings = props.settings
        utilization = [
            (
                "memory",
                "memory",
                aws_terms.MEMORY_UTILIZATION,
                settings.memory_utilization_percent,
                1,
                "",
            ),
        ]
        if props.instance_type is None:
            self._serverless_concurrency(props, dims, target, base)
        else:
            vcpus = _vcpus(props.instance_type)
            utilization.insert(
                0,
                (
                    "cpu",
                    "CPU",
                    aws_terms.CPU_UTILIZATION,
                    settings.cpu_utilization_percent,
                    vcpus,
                    "vCPUs",
                ),
            )
        if props.instance_type is not None and instance_types.has_gpu(props.instance_type):
            gpus = settings.gpus_per_instance or instance_types.gpus(props.instance_type) or 0
            utilization.append(
                (
                    "gpu",
                    "GPU",
                    aws_terms.GPU_UTILIZATION,
                    settings.gpu_utilization_percent,
                    gpus,
                    "GPUs",
                )
            )
        for id_, label, metric, percent, units, unit_name in utilization:
            of_units = f" of {units} {unit_name}" if unit_name else ""
            metric_alarm(
                self,
                id_,
                name=f"{base}-{id_}",
                description=f"Average {label} above {percent}%{of_units}",
                namespace=aws_terms.SAGEMAKER_INSTANCE_NAMESPACE,
                metric=metric,
                dimensions=dims,
                threshold=percent * units,
                comparison="GreaterThanThreshold",
                missing_data=NOT_BREACHING,
                statistic="Average",
                target=target,
            )

    def _errors_and_latency(
        self,
        props: EndpointAlarmsProps,
        dims: Mapping[str, str],
        target: AlarmTarget,
        id_suffix: str,
        names: tuple[str, ...],
    ) -> list[CloudwatchMetricAlarm]:
        settings = props.settings
        variants = props.rollback_variants if props.rollout_watched else ()
        if len(variants) > 1:
            return self._errors_and_latency_of_all(props, target, id_suffix, names, variants)
        errors = metric_alarm(
            self,
            f"invocation_5xx{id_suffix}",
            name=names[0],
            description="The model container answers with 5XX errors",
            namespace=aws_terms.SAGEMAKER_METRICS_NAMESPACE,
            metric=aws_terms.INVOCATION_5XX,
            dimensions=dims,
            threshold=settings.invocation_5xx_errors,
            comparison="GreaterThanOrEqualToThreshold",
            missing_data=NOT_BREACHING,
            target=target,
        )
        latency = metric_alarm(
            self,
            f"model_latency_p99{id_suffix}",
            name=names[1],
            description=f"p99 model latency above {settings.model_latency_p99_ms} ms",
            namespace=aws_terms.SAGEMAKER_METRICS_NAMESPACE,
            metric=aws_terms.MODEL_LATENCY,
            dimensions=dims,
            threshold=settings.model_latency_p99_ms * 1000,  # ModelLatency is in microseconds
            comparison="GreaterThanThreshold",
            missing_data=NOT_BREACHING,
            extended_statistic="p99",
            target=target,
        )
        return [errors, latency]

    def _errors_and_latency_of_all(
        self,
        props: EndpointAlarmsProps,
        target: AlarmTarget,
        id_suffix: str,
        names: tuple[str, ...],
        variants: tuple[str, ...],
    ) -> list[CloudwatchMetricAlarm]:
        """The rollback alarms of an A/B endpoint: every production variant's 5XX added up, and
        the worst variant's p99 latency (metric math; the alarm names stay the same)."""
        settings = props.settings
        actions = [target.topic_arn]

        def queries(metric: str, stat: str) -> list[CloudwatchMetricAlarmMetricQuery]:
            return [
                CloudwatchMetricAlarmMetricQuery(
                    id=f"v{index}",
                    label=variant,
                    return_data=False,
                    metric=CloudwatchMetricAlarmMetricQueryMetric(
                        namespace=aws_terms.SAGEMAKER_METRICS_NAMESPACE,
                        metric_name=metric,
                        dimensions=aws_terms.endpoint_dimensions(props.endpoint_name, variant),
                        period=settings.period_s,
                        stat=stat,
                    ),
                )
                for index, variant in enumerate(variants)
            ]

        ids = ", ".join(f"v{i}" for i in range(len(variants)))
        alarms = []
        for id_, name, description, metric, stat, expression, threshold, comparison in (
            (
                "invocation_5xx",
                names[0],
                "The model containers of all variants answer with 5XX errors",
                aws_terms.INVOCATION_5XX,
                "Sum",
                f"SUM([{ids}])",
                settings.invocation_5xx_errors,
                "GreaterThanOrEqualToThreshold",
            ),
            (
                "model_latency_p99",
                names[1],
                f"p99 model latency of a variant above {settings.model_latency_p99_ms} ms",
                aws_terms.MODEL_LATENCY,
                "p99",
                f"MAX([{ids}])",
                settings.model_latency_p99_ms * 1000,  # ModelLatency is in microseconds
                "GreaterThanThreshold",
            ),
        ):
            alarms.append(
                CloudwatchMetricAlarm(
                    self,
                    f"{id_}{id_suffix}",
                    alarm_name=name,
                    alarm_description=description,
                    evaluation_periods=settings.evaluation_periods,
                    threshold=threshold,
                    comparison_operator=comparison,
                    treat_missing_data=NOT_BREACHING,
                    alarm_actions=actions,
                    ok_actions=actions,
                    metric_query=[
                        *queries(metric, stat),
                        CloudwatchMetricAlarmMetricQuery(
                            id="all", label=description, expression=expression, return_data=True
                        ),
                    ],
                )
            )
        return alarms

    def _serverless_concurrency(
        self,
        props: EndpointAlarmsProps,
        dims: Mapping[str, str],
        target: AlarmTarget,
        base: str,
    ) -> None:
        percent = props.settings.serverless_concurrency_utilization_percent
        metric_alarm(
            self,
            "serverless_concurrency",
            name=f"{base}-concurrency",
            description=(
                f"Serverless concurrency above {percent}% of max_concurrency: requests are "
                "about to be throttled"
            ),
            namespace=aws_terms.SAGEMAKER_METRICS_NAMESPACE,
            metric=aws_terms.SERVERLESS_CONCURRENCY_UTILIZATION,
            dimensions=dims,
            threshold=percent / 100,  # the metric is a ratio
            comparison="GreaterThanThreshold",
            missing_data=NOT_BREACHING,
            statistic="Maximum",
            target=target,
        )

    def _disarmed_rollback_alarm(
        self,
        id_: str,
        name: str,
        metric: str,
        statistic: str,
        dims: Mapping[str, str],
        settings: AlarmSettings,
    ) -> CloudwatchMetricAlarm:
        """An alarm that keeps its name on the endpoint's rollout but can never fire: its
        expression is always 0. No actions: the `-notify` alarm pages instead."""
        return CloudwatchMetricAlarm(
            self,
            id_,
            alarm_name=name,
            alarm_description=(
                "Rollback alarm, disarmed: rollout.auto_rollback is off (always 0). "
                f"{name}-notify pages instead."
            ),
            evaluation_periods=settings.evaluation_periods,
            threshold=DISARMED_THRESHOLD,
            comparison_operator="GreaterThanThreshold",
            treat_missing_data=NOT_BREACHING,
            metric_query=[
                CloudwatchMetricAlarmMetricQuery(
                    id="watched",
                    return_data=False,
                    metric=CloudwatchMetricAlarmMetricQueryMetric(
                        namespace=aws_terms.SAGEMAKER_METRICS_NAMESPACE,
                        metric_name=metric,
                        dimensions=dict(dims),
                        period=settings.period_s,
                        stat=statistic,
                    ),
                ),
                CloudwatchMetricAlarmMetricQuery(
                    id="disarmed",
                    label="rollback disarmed",
                    expression="0 * watched",
                    return_data=True,
                ),
            ],
        )

    @staticmethod
    def _query(
        id_: str, metric: str, dims: Mapping[str, str], period_s: int
    ) -> CloudwatchMetricAlarmMetricQuery:
        return CloudwatchMetricAlarmMetricQuery(
            id=id_,
            return_data=False,
            metric=CloudwatchMetricAlarmMetricQueryMetric(
                namespace=aws_terms.SAGEMAKER_METRICS_NAMESPACE,
                metric_name=metric,
                dimensions=dict(dims),
                period=period_s,
                stat="Sum",
            ),
        )


def _vcpus(instance_type: str) -> int:
    # The check refuses an instance type without facts (config/instance_types.py).
    facts = instance_types.facts(instance_type)
    assert facts is not None, instance_type
    return facts.vcpus


@dataclass(frozen=True)
class TrafficAlarmsProps:
    prefix: str
    load_balancer_arn_suffix: str
    function_name: str
    settings: AlarmSettings
    topic_arn: str
    endpoint_name: str = ""
    """default: none. The endpoint the proxy logs as `endpoint`: the dimension of its
    `ResponseTooLarge` metric (metric filter of the proxy's log group)."""


class TrafficAlarms(Construct):
    """The ALB's target and own 5XX and rejected connections; the proxy function's errors,
    throttles and responses too large for the ALB."""

    def __init__(self, scope: Construct, id_: str, props: TrafficAlarmsProps) -> None:
        super().__init__(scope, id_)
        settings = props.settings
        target = AlarmTarget(settings, props.topic_arn)
        alb = {"LoadBalancer": props.load_balancer_arn_suffix}
        function = {"FunctionName": props.function_name}
        # (id, what it means, namespace, metric, dimensions, threshold): all count per period.
        alarms = [
            ("alb_target_5xx", "The proxy answers the load balancer with 5XX",
             aws_terms.ALB_NAMESPACE, aws_terms.ALB_TARGET_5XX, alb, settings.alb_target_5xx),
            ("alb_rejected_connections", "The load balancer rejects connections (at its connection limit)",
             aws_terms.ALB_NAMESPACE, aws_terms.ALB_REJECTED_CONNECTIONS, alb, settings.alb_rejected_connections),
            ("proxy_errors", "The proxy function fails (unhandled errors or timeouts)",
             aws_terms.LAMBDA_NAMESPACE, aws_terms.LAMBDA_ERRORS, function, settings.proxy_errors),
            ("proxy_throttles", "The proxy function is throttled (reserved concurrency reached)",
             aws_terms.LAMBDA_NAMESPACE, aws_terms.LAMBDA_THROTTLES, function, settings.proxy_throttles),
            ("alb_elb_5xx", "The load balancer answers 5XX itself (no healthy target, or a response it cannot take)",
             aws_terms.ALB_NAMESPACE, aws_terms.ALB_ELB_5XX, alb, settings.alb_elb_5xx),
        ]  # fmt: skip
        if props.endpoint_name:
            alarms.append(
                ("proxy_response_too_large", "Model responses exceed the ALB's 1 MB: clients get 502 response_too_large",
                 aws_terms.PROXY_NAMESPACE, aws_terms.PROXY_RESPONSE_TOO_LARGE,
                 {aws_terms.PROXY_ENDPOINT_DIMENSION: props.endpoint_name}, settings.proxy_response_too_large),
            )  # fmt: skip
        for id_, description, namespace, metric, dimensions, threshold in alarms:
            metric_alarm(
                self,
                id_,
                name=f"{props.prefix}-{id_.replace('_', '-')}",
                description=description,
                namespace=namespace,
                metric=metric,
                dimensions=dimensions,
                threshold=threshold,
                comparison="GreaterThanOrEqualToThreshold",
                missing_data=NOT_BREACHING,
                target=target,
            )


@dataclass(frozen=True)
class HealthCheckAlarmProps:
    prefix: str
    health_check_id: str
    settings: AlarmSettings
    topic_arn: str
    provider: TerraformProvider | None
    """A provider for us-east-1, where Route 53 publishes health-check metrics."""


class HealthCheckAlarm(Construct):
    """Alarms when Route 53 has taken this region out of the service name."""

    def __init__(self, scope: Construct, id_: str, props: HealthCheckAlarmProps) -> None:
        super().__init__(scope, id_)
        self.alarm = metric_alarm(
            self,
            "status",
            provider=props.provider,
            name=f"{props.prefix}-route53-health",
            description="Route 53 sees this region unhealthy: clients are sent elsewhere",
            namespace=aws_terms.ROUTE53_NAMESPACE,
            metric=aws_terms.HEALTH_CHECK_STATUS,
            dimensions={"HealthCheckId": props.health_check_id},
            threshold=1,
            comparison="LessThanThreshold",
            missing_data=BREACHING,
            statistic="Minimum",
            target=AlarmTarget(props.settings, props.topic_arn),
        )


@dataclass(frozen=True)
class ErrorRateHealthAlarmProps:
    prefix: str
    load_balancer_arn_suffix: str
    target_group_arn_suffix: str
    """The proxy's target group: inference requests only (`/ping` has a target group of its own)."""
    settings: AlarmSettings


class ErrorRateHealthAlarm(Construct):
    """The data-plane half of the region's Route 53 health: in ALARM while at least
    ERROR_RATE_UNHEALTHY_PERCENT of the requests the proxy answers are 5XX, for
    `evaluation_periods` periods, counted only above ERROR_RATE_MIN_REQUESTS requests a period.

    Route 53 reads it through a CLOUDWATCH_METRIC health check: the alarm lives in the region it
    watches, in the account of the stack (Route 53 reads alarms of its own account only), on
    standard-resolution metrics with the Sum statistic (Route 53 refuses high-resolution metrics
    and extended statistics). No actions: TrafficAlarms pages on 5XX, and HealthCheckAlarm when the
    region leaves DNS."""

    def __init__(self, scope: Construct, id_: str, props: ErrorRateHealthAlarmProps) -> None:
        super().__init__(scope, id_)
        settings = props.settings
        dims = {
            "TargetGroup": props.target_group_arn_suffix,
            "LoadBalancer": props.load_balancer_arn_suffix,
        }

        def count(id_: str, metric: str) -> CloudwatchMetricAlarmMetricQuery:
            return CloudwatchMetricAlarmMetricQuery(
                id=id_,
                return_data=False,
                metric=CloudwatchMetricAlarmMetricQueryMetric(
                    namespace=aws_terms.ALB_NAMESPACE,
                    metric_name=metric,
                    dimensions=dims,
                    period=settings.period_s,
                    stat="Sum",
                ),
            )

        minimum = health_checks.ERROR_RATE_MIN_REQUESTS
        self.alarm = CloudwatchMetricAlarm(
            self,
            "alarm",
            alarm_name=f"{props.prefix}-error-rate-health",
            alarm_description=(
                f"At least {health_checks.ERROR_RATE_UNHEALTHY_PERCENT}% of requests answered "
                f"5XX (counted from {minimum} requests a period): Route 53 takes the region out"
            ),
            evaluation_periods=settings.evaluation_periods,
            datapoints_to_alarm=settings.evaluation_periods,
            threshold=health_checks.ERROR_RATE_UNHEALTHY_PERCENT,
            comparison_operator="GreaterThanOrEqualToThreshold",
            treat_missing_data=NOT_BREACHING,
            metric_query=[
                count("errors", aws_terms.ALB_TARGET_5XX),
                count("requests", aws_terms.ALB_REQUESTS),
                CloudwatchMetricAlarmMetricQuery(
                    id="rate",
                    label="5XX % of requests (0 below the minimum)",
                    expression=error_rate_expression(minimum),
                    return_data=True,
                ),
            ],
        )
        self.alarm_name = self.alarm.alarm_name


def error_rate_expression(min_requests: int) -> str:
    """5XX as % of requests; 0 below `min_requests`, so a quiet region is never judged."""
    return f"IF(requests >= {min_requests}, 100 * FILL(errors, 0) / requests, 0)"
