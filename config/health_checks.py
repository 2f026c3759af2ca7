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
