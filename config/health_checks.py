"""Whether Route 53's health checkers can reach a region's `/ping`, decided from the configuration.

A Route 53 health check that can never pass is worse than none: when every region reports
unhealthy, Route 53 treats all latency records as healthy and stops failing over. So a region
whose load balancer the checkers cannot reach gets the alarm-based health check instead (a
CloudWatch alarm on the target group's healthy hosts, which follow the ALB's own calls to `/ping`).
"""

from __future__ import annotations

from config.edge import LoadBalancerSettings
from config.service import ServiceSettings

# Route 53 HTTPS health checks negotiate TLS 1.2 at most (botocore route53 model, HealthCheckConfig
# `Type`: "If you specify HTTPS ..., the endpoint must support TLS v1.0, v1.1, or v1.2."): a
# TLS-1.3-only listener refuses every checker.
TLS13_ONLY_POLICIES = frozenset({"ELBSecurityPolicy-TLS13-1-3-2021-06"})
OPEN_TO_ALL = "0.0.0.0/0"


def route53_prefix_list_name(region: str) -> str:
    """AWS's managed prefix list of the Route 53 health checkers' addresses."""
    return f"com.amazonaws.{region}.route53-healthchecks"


def alarm_health_check_reasons(config: ServiceSettings) -> list[str]:
    """Why Route 53's checkers cannot reach `/ping` over HTTPS; empty when they can."""
    reasons = []
    balancer = config.load_balancer
    if balancer.internal:
        reasons.append("the load balancer is internal")
    if balancer.ssl_policy in TLS13_ONLY_POLICIES:
        reasons.append(
            f"{balancer.ssl_policy} accepts TLS 1.3 only; Route 53 health checks use TLS 1.2"
        )
    if config.waf.enabled and config.waf.allow_cidrs:
        # AWS publishes the checkers as a VPC prefix list, which WAF IP sets cannot reference;
        # an address list copied here would go stale without anyone noticing.
        reasons.append("waf.allow_cidrs blocks Route 53's checkers (not in the allow list)")
    return reasons


def admits_route53_prefix_list(balancer: LoadBalancerSettings) -> bool:
    """The security group needs the checkers' prefix list: ingress is narrowed, ALB is public."""
    return not balancer.internal and OPEN_TO_ALL not in balancer.ingress_cidrs


# --- Health from the data plane ---------------------------------------------------------------
# A region is healthy for Route 53 when its `/ping` check passes AND its error-rate alarm is not
# in ALARM (a CALCULATED check over both). The alarm watches what clients get from the proxy's
# target group: 5XX answers as a share of requests, per alarm period (`alarms.period_s`), over
# `alarms.evaluation_periods` periods.

ERROR_RATE_UNHEALTHY_PERCENT = 50
"""A region whose proxy answers at least this share of requests with 5XX, period after period,
leaves DNS. Half, not the paging thresholds: failing over moves the region's load onto the
others, which only helps when the region is mostly failing, not when a few requests are."""

ERROR_RATE_MIN_REQUESTS = 20
"""Below this many requests in a period the rate counts as 0 (metric math): a quiet region, or
one with a handful of failures at night, is never taken out by one or two errors. With no
requests at all the expression has no data and `treat_missing_data = notBreaching` keeps the
alarm OK: no traffic is no evidence of failure."""

ERROR_RATE_INSUFFICIENT_DATA = "LastKnownStatus"
"""What Route 53 makes of the alarm in INSUFFICIENT_DATA (only before its first evaluation, or
when CloudWatch itself cannot evaluate it: missing data is already notBreaching). The last known
status: a region failing when CloudWatch went quiet stays out, a healthy one stays in, and a new
check starts healthy (Route 53's documented default), so a new region is not withheld. `Healthy`
would re-admit a failing region on a CloudWatch outage; `Unhealthy` would take every region out
at once, and then Route 53 answers with all of them anyway."""
