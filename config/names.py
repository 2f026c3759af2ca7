"""Every name AWS sees, computed once from (configuration, region).

The stacks take their names from `ResourceNames` (through the constructs' props), and
`config.derived_names.derived_names` walks the same object against each API's limits, so a rename
here is checked, and a name typed anywhere else is caught by tests/stacks/test_resource_names.py.
Names that embed the account ID take it as an argument: at synth time it is a token.
"""

from __future__ import annotations

from dataclasses import dataclass

from config.service import ServiceSettings

# WAF sends logs only to log groups whose names start with this (AWS WAF developer guide,
# "CloudWatch Logs log group").
WAF_LOG_GROUP_PREFIX = "aws-waf-logs-"
# Alarm names of a region's stack (constructs_lib/alarms.py builds them from these):
# `<stack>-<base>-<suffix>` for each variant, whose base is its name (the primary variant's is
# PRIMARY_ALARM_BASE), and `<stack>-<name>` for the service's own. The check refuses a variant
# name that would give two alarms one name (config/acceptance_rules.py).
PRIMARY_ALARM_BASE = "endpoint"
VARIANT_ALARM_SUFFIXES = (
    "5xx",
    "latency-p99",
    "5xx-notify",
    "latency-p99-notify",
    "4xx-rate",
    "cpu",
    "memory",
    "gpu",
    "concurrency",
)
SERVICE_ALARMS = (
    "alb-target-5xx",
    "alb-rejected-connections",
    "proxy-errors",
    "proxy-throttles",
    "alb-elb-5xx",
    "proxy-response-too-large",
    "route53-health",
    "error-rate-health",
)


@dataclass(frozen=True)
class ResourceNames:
    """The AWS-visible names of one region's stack."""

    service: str
    """`<service>-<env>`: the endpoint, load balancer and web ACL names."""
    region: str
    stack: str
    """`<service>-<env>-<region>`: unique per account and region (alarms, topics, dashboard)."""

    @property
    def endpoint(self) -> str:
        return self.service

    def model(self, fingerprint: str) -> str:
        """A SageMaker model: a new name (so a new model) whenever its settings change."""
        return f"{self.service}-{fingerprint}"

    @property
    def endpoint_configuration_prefix(self) -> str:
        """`name_prefix`: Terraform appends a unique suffix (create before destroy)."""
        return f"{self.service}-"

    @property
    def endpoint_key_alias(self) -> str:
        """Without `alias/`, which the key construct adds."""
        return f"sagemaker/{self.service}"

    @property
    def sagemaker_role(self) -> str:
        return f"{self.service}-{self.region}-sagemaker"

    def data_capture_bucket(self, account_id: str) -> str:
        return f"{self.service}-capture-{account_id}-{self.region}"

    @property
    def load_balancer(self) -> str:
        return self.service

    @property
    def load_balancer_security_group(self) -> str:
        return f"{self.service}-alb"

    @property
    def target_group(self) -> str:
        return f"{self.service}-proxy"

    @property
    def trust_store(self) -> str:
        """The load balancer's mutual-TLS trust store (ELB: 32 characters, like the balancer)."""
        return f"{self.service}-mtls"

    def access_log_bucket(self, account_id: str) -> str:
        return f"{self.service}-alb-logs-{account_id}-{self.region}"

    @property
    def proxy_function(self) -> str:
        return f"{self.service}-proxy"

    @property
    def proxy_log_group(self) -> str:
        return f"/aws/lambda/{self.proxy_function}"

    @property
    def proxy_role(self) -> str:
        return f"{self.proxy_function}-{self.region}"

    @property
    def ping_function(self) -> str:
        """The `/ping` function: the proxy's code with its own reserved concurrency."""
        return f"{self.service}-ping"

    @property
    def ping_log_group(self) -> str:
        return f"/aws/lambda/{self.ping_function}"

    @property
    def ping_role(self) -> str:
        return f"{self.ping_function}-{self.region}"

    @property
    def ping_target_group(self) -> str:
        return f"{self.service}-ping"

    @property
    def proxy_response_too_large_filter(self) -> str:
        return f"{self.proxy_function}-response-too-large"

    @property
    def log_key_alias(self) -> str:
        """Without `alias/`, which the key construct adds."""
        return f"{self.service}/logs"

    @property
    def flow_log_group(self) -> str:
        return f"/aws/vpc/{self.service}/flow-logs"

    @property
    def flow_log_role(self) -> str:
        return f"{self.service}-{self.region}-flow-logs"

    @property
    def web_acl(self) -> str:
        return self.service

    @property
    def allow_list_ip_set(self) -> str:
        return f"{self.service}-allow-list"

    @property
    def waf_log_group(self) -> str:
        return f"{WAF_LOG_GROUP_PREFIX}{self.web_acl}"

    @property
    def alarm_topic(self) -> str:
        return f"{self.stack}-alarms"

    @property
    def health_alarm_topic(self) -> str:
        """In the Route 53 metrics region, for a stack elsewhere."""
        return f"{self.stack}-health-alarms"

    @property
    def alarm_prefix(self) -> str:
        return self.stack

    @property
    def dashboard(self) -> str:
        return self.stack

    def scaling_prefix(self, variant_name: str | None) -> str:
        """Scaling policy and scheduled-action names; None for the `endpoint` block's variant."""
        return self.service if variant_name is None else f"{self.service}-{variant_name}"


def resource_names(config: ServiceSettings, region: str) -> ResourceNames:
    return ResourceNames(service=config.name, region=region, stack=config.stack_name(region))
