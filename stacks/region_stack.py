"""One region of the service: everything a region needs, and nothing from another region's stack."""

from __future__ import annotations

from cdktf import TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from constructs import Construct

from config.health_checks import (
    admits_route53_prefix_list,
    alarm_health_check_reasons,
    route53_prefix_list_name,
)
from config.models import ServiceConfig
from config.names import resource_names
from constructs_lib import aws_terms
from constructs_lib.alarms import (
    AlarmTopic,
    AlarmTopicProps,
    EndpointAlarms,
    EndpointAlarmsProps,
    ErrorRateHealthAlarm,
    ErrorRateHealthAlarmProps,
    HealthCheckAlarm,
    HealthCheckAlarmProps,
    TrafficAlarms,
    TrafficAlarmsProps,
)
from constructs_lib.dashboard import DashboardVariant, RegionDashboard, RegionDashboardProps
from constructs_lib.dns import (
    CertificateProps,
    RegionalRecords,
    RegionalRecordsProps,
    ValidatedCertificate,
)
from constructs_lib.endpoint_autoscaling import EndpointAutoscaling, EndpointAutoscalingProps
from constructs_lib.inference_endpoint import InferenceEndpoint, InferenceEndpointProps
from constructs_lib.inference_proxy import (
    InferenceProxy,
    InferenceProxyProps,
    PingFunction,
    PingFunctionProps,
)
from constructs_lib.load_balancer import HTTPS_PORT, LoadBalancer, LoadBalancerProps
from constructs_lib.log_encryption import LogEncryptionKey, LogEncryptionKeyProps
from constructs_lib.network import Network, NetworkProps
from constructs_lib.state_backend import use_backend
from constructs_lib.web_acl import WebAcl, WebAclProps
from stacks.common import aws_provider
from stacks.terraform_version import require_terraform


class RegionStack(TerraformStack):
    """`<service>-<env>-<region>`: endpoint, autoscaling, proxy, load balancer, DNS, alarms."""

    def __init__(self, scope: Construct, config: ServiceConfig, region: str) -> None:
        self.stack_name = config.stack_name(region)
        super().__init__(scope, self.stack_name)
        self.region = region
        self.names = resource_names(config, region)
        # A retired region's stack is synthesized in the form it is destroyed in (docs/
        # data-and-teardown.md): nothing protected from deletion, nothing shared deleted, the
        # buckets that hold logs or captured data (and the key of the captured data) released.
        self.retired = region in config.retired_regions
        use_backend(self, config.state, config.state_key_prefix, self.stack_name)
        require_terraform(self)
        aws_provider(self, config, region)
        self.account_id = DataAwsCallerIdentity(self, "account").account_id
        # One layer each; all on this stack's own scope, so the Terraform addresses stay put.
        self._serving(config)
        self._network(config)
        self._edge(config)
        self._dns(config)
        self._observability(config)
        self._outputs(config)

    def _serving(self, config: ServiceConfig) -> None:
        """The endpoint, its variants' alarms (the rollout watches them) and autoscaling."""
        name, names, region, account_id = config.name, self.names, self.region, self.account_id
        prefix = names.alarm_prefix  # alarm names: unique per account and region
        self.alarm_topic = AlarmTopic(
            self,
            "alarm_topic",
            AlarmTopicProps(
                name=names.alarm_topic,
                account_id=account_id,
                subscriptions=config.notifications.subscriptions,
            ),
        )
        variants = config.serving_variants
        production = tuple(v.name for v in variants if not v.shadow)
        # Created before the endpoint: its blue/green rollout watches two of the first
        # variant's (with A/B variants, those two watch every production variant).
        self.variant_alarms = {
            variant.name: EndpointAlarms(
                self,
                "endpoint_alarms" if variant.primary else f"endpoint_alarms_{variant.name}",
                EndpointAlarmsProps(
                    prefix=prefix,
                    endpoint_name=name,
                    variant_name=variant.name,
                    instance_type=variant.fleet.instance_type if variant.fleet else None,
                    settings=config.alarms,
                    topic_arn=self.alarm_topic.topic_arn,
                    auto_rollback=config.rollout.auto_rollback,
                    rollout_watched=variant.primary,
                    rollback_variants=production,
                ),
            )
            for variant in variants
        }
        self.endpoint_alarms = self.variant_alarms[config.endpoint.variant_name]
        self.inference = InferenceEndpoint(
            self,
            "inference",
            InferenceEndpointProps(
                endpoint_name=name,
                names=names,
                region=region,
                account_id=account_id,
                variants=tuple(variants),
                rollout=config.rollout,
                rollback_alarm_names=self.endpoint_alarms.rollback_alarm_names,
                rollback_alarm_arns=self.endpoint_alarms.rollback_alarm_arns,
                data_capture=config.data_capture,
                capture_enabled=config.data_capture_enabled,
                serverless=config.endpoint.serverless,
                retired=self.retired,
            ),
        )
        # A scaling target per variant with instances (serverless scales itself).
        self.variant_autoscaling: dict[str, EndpointAutoscaling] = {}
        for variant in variants:
            if variant.fleet is None or variant.autoscaling is None:
                continue
            assert variant.fleet.instance_type is not None  # instances: validated
            self.variant_autoscaling[variant.name] = EndpointAutoscaling(
                self,
                "autoscaling" if variant.primary else f"autoscaling_{variant.name}",
                EndpointAutoscalingProps(
                    endpoint_name=self.inference.endpoint_name,
                    policy_name_prefix=names.scaling_prefix(
                        None if variant.primary else variant.name
                    ),
                    variant_name=variant.name,
                    instance_type=variant.fleet.instance_type,
                    min_instance_count=variant.fleet.min_instance_count,
                    max_instance_count=variant.fleet.max_instance_count,
                    settings=variant.autoscaling,
                ),
            )
        self.autoscaling = self.variant_autoscaling.get(config.endpoint.variant_name)

    def _network(self, config: ServiceConfig) -> None:
        """The log key, the VPC and the proxy function."""
        name, names, region, account_id = config.name, self.names, self.region, self.account_id
        self.log_key = LogEncryptionKey(
            self,
            "log_key",
            LogEncryptionKeyProps(alias=names.log_key_alias, region=region, account_id=account_id),
        )
        self.network = Network(
            self,
            "network",
            NetworkProps(
                name=name,
                names=names,
                region=region,
                account_id=account_id,
                settings=config.network,
                public=not config.load_balancer.internal,
                log_key_arn=self.log_key.key_arn,
                flow_log_retention_days=config.proxy.log_retention_days,
            ),
        )
        self.proxy = InferenceProxy(
            self,
            "proxy",
            InferenceProxyProps(
                function_name=names.proxy_function,
                names=names,
                region=region,
                account_id=account_id,
                endpoint_name=self.inference.endpoint_name,
                endpoint_arn=self.inference.endpoint_arn,
                settings=config.proxy,
                log_key_arn=self.log_key.key_arn,
                authentication=config.authentication,
            ),
        )
        self.ping = PingFunction(
            self,
            "ping",
            PingFunctionProps(
                names=self.names,
                account_id=account_id,
                endpoint_name=self.inference.endpoint_name,
                endpoint_arn=self.inference.endpoint_arn,
                code_path=self.proxy.code_path,
                code_hash=self.proxy.code_hash,
                log_retention_days=config.proxy.log_retention_days,
                log_key_arn=self.log_key.key_arn,
                authentication=config.authentication,
            ),
        )

    def _edge(self, config: ServiceConfig) -> None:
        """The certificate, the load balancer in front of the proxy, and the web ACL."""
        name, names, region, account_id = config.name, self.names, self.region, self.account_id
        balancer_settings = (
            config.load_balancer.model_copy(update={"deletion_protection": False})
            if self.retired
            else config.load_balancer
        )
        self.certificate = ValidatedCertificate(
            self,
            "certificate",
            CertificateProps(
                zone_name=config.domain.hosted_zone_name,
                record_name=config.domain.record_name,
                region=region,
                retired=self.retired,
            ),
        )
        self.load_balancer = LoadBalancer(
            self,
            "load_balancer",
            LoadBalancerProps(
                name=name,
                names=names,
                region=region,
                account_id=account_id,
                vpc_id=self.network.vpc_id,
                subnet_ids=(
                    self.network.private_subnet_ids
                    if config.load_balancer.internal
                    else self.network.public_subnet_ids
                ),
                certificate_arn=self.certificate.certificate_arn,
                function_arn=self.proxy.function_arn,
                function_name=self.proxy.function_name,
                settings=balancer_settings,
                route53_prefix_list_name=(
                    route53_prefix_list_name(region)
                    if admits_route53_prefix_list(config.load_balancer)
                    else None
                ),
                alarm_health_check=bool(alarm_health_check_reasons(config)),
                retired=self.retired,
                mutual_tls=config.authentication.mutual_tls,
                ping_function_arn=self.ping.function_arn,
                ping_function_name=self.ping.function_name,
            ),
        )
        if config.waf.enabled:
            self.web_acl = WebAcl(
                self,
                "waf",
                WebAclProps(
                    name=name,
                    names=names,
                    load_balancer_arn=self.load_balancer.load_balancer.arn,
                    settings=config.waf,
                    log_key_arn=self.log_key.key_arn,
                    rate_limit_callers=config.authentication.jwt is not None,
                ),
            )

    def _dns(self, config: ServiceConfig) -> None:
        """This region's latency record, its regional name and health check."""
        self.error_rate_health = ErrorRateHealthAlarm(
            self,
            "error_rate_health",
            ErrorRateHealthAlarmProps(
                prefix=self.names.alarm_prefix,
                load_balancer_arn_suffix=self.load_balancer.load_balancer.arn_suffix,
                target_group_arn_suffix=self.load_balancer.target_group.arn_suffix,
                settings=config.alarms,
            ),
        )
        self.records = RegionalRecords(
            self,
            "dns",
            RegionalRecordsProps(
                zone_id=self.certificate.zone_id,
                record_name=config.domain.record_name,
                region=self.region,
                load_balancer_dns_name=self.load_balancer.load_balancer_dns_name,
                load_balancer_zone_id=self.load_balancer.load_balancer_zone_id,
                health_check_alarm_name=self.load_balancer.healthy_targets_alarm_name,
                health_check_port=self.load_balancer.health_check_port or HTTPS_PORT,
                error_rate_alarm_name=self.error_rate_health.alarm_name,
            ),
        )

    def _observability(self, config: ServiceConfig) -> None:
        """Traffic and health-check alarms and the region's dashboard."""
        name, names, region, account_id = config.name, self.names, self.region, self.account_id
        prefix = names.alarm_prefix
        variants = config.serving_variants
        TrafficAlarms(
            self,
            "traffic_alarms",
            TrafficAlarmsProps(
                prefix=prefix,
                load_balancer_arn_suffix=self.load_balancer.load_balancer.arn_suffix,
                function_name=self.proxy.function_name,
                settings=config.alarms,
                topic_arn=self.alarm_topic.topic_arn,
                endpoint_name=name,
            ),
        )
        self._health_check_alarm(config, account_id, prefix)
        RegionDashboard(
            self,
            "dashboard",
            RegionDashboardProps(
                name=names.dashboard,
                region=region,
                endpoint_name=name,
                variant_name=config.endpoint.variant_name,
                min_instance_count=config.endpoint.min_instance_count,
                max_instance_count=config.endpoint.max_instance_count,
                load_balancer_arn_suffix=self.load_balancer.load_balancer.arn_suffix,
                target_group_arn_suffix=self.load_balancer.ping_target_group.arn_suffix,
                function_name=self.proxy.function_name,
                health_check_id=self.records.region_health_check.id,
                serverless=config.endpoint.serverless is not None,
                more_variants=tuple(
                    DashboardVariant(
                        name=v.name,
                        min_instance_count=v.fleet.min_instance_count,
                        max_instance_count=v.fleet.max_instance_count,
                        shadow=v.shadow,
                    )
                    for v in variants
                    if not v.primary and v.fleet is not None
                ),
            ),
        )

    def _outputs(self, config: ServiceConfig) -> None:
        TerraformOutput(
            self, "service_url", value=f"https://{config.domain.record_name}/invocations"
        )
        TerraformOutput(
            self, "regional_url", value=f"https://{self.records.regional_name}/invocations"
        )
        TerraformOutput(
            self, "load_balancer_dns_name", value=self.load_balancer.load_balancer_dns_name
        )
        TerraformOutput(self, "endpoint_name", value=self.inference.endpoint_name)
        TerraformOutput(self, "endpoint_arn", value=self.inference.endpoint_arn)

    def _health_check_alarm(self, config: ServiceConfig, account_id: str, prefix: str) -> None:
        """Route 53 publishes health-check metrics in us-east-1 only: the alarm, and a topic it can
        notify (alarms notify topics of their own region), live there."""
        metrics_region = aws_terms.ROUTE53_METRICS_REGION
        provider = None
        topic_arn = self.alarm_topic.topic_arn
        if self.region != metrics_region:
            provider = aws_provider(self, config, metrics_region, alias="route53_metrics")
            topic_arn = AlarmTopic(
                self,
                "health_alarm_topic",
                AlarmTopicProps(
                    name=self.names.health_alarm_topic,
                    account_id=account_id,
                    subscriptions=config.notifications.subscriptions,
                    provider=provider,
                ),
            ).topic_arn
        HealthCheckAlarm(
            self,
            "health_check_alarm",
            HealthCheckAlarmProps(
                prefix=prefix,
                health_check_id=self.records.region_health_check.id,
                settings=config.alarms,
                topic_arn=topic_arn,
                provider=provider,
            ),
        )
