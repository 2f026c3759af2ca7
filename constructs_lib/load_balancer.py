"""The regional HTTPS entry point: an Application Load Balancer that forwards to the proxy function."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.data_aws_ec2_managed_prefix_list import (
    DataAwsEc2ManagedPrefixList,
)
from cdktf_cdktf_provider_aws.lambda_permission import LambdaPermission
from cdktf_cdktf_provider_aws.lb import Lb, LbAccessLogs
from cdktf_cdktf_provider_aws.lb_listener import (
    LbListener,
    LbListenerDefaultAction,
    LbListenerDefaultActionFixedResponse,
    LbListenerDefaultActionRedirect,
    LbListenerMutualAuthentication,
)
from cdktf_cdktf_provider_aws.lb_listener_rule import (
    LbListenerRule,
    LbListenerRuleAction,
    LbListenerRuleCondition,
    LbListenerRuleConditionHttpRequestMethod,
    LbListenerRuleConditionPathPattern,
)
from cdktf_cdktf_provider_aws.lb_target_group import LbTargetGroup, LbTargetGroupHealthCheck
from cdktf_cdktf_provider_aws.lb_target_group_attachment import LbTargetGroupAttachment
from cdktf_cdktf_provider_aws.lb_trust_store import LbTrustStore
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

from config.health_checks import route53_prefix_list_name
from config.models import LoadBalancerSettings, MutualTlsSettings
from config.names import ResourceNames
from constructs_lib import aws_terms
from constructs_lib.secure_bucket import SecureBucket, SecureBucketProps, release_secure_bucket

HTTPS_PORT = 443
HTTP_PORT = 80
HEALTH_CHECK_PATH = "/ping"
# Rules are evaluated from the lowest priority number: `/ping` goes first.
PING_RULE_PRIORITY = 1


@dataclass(frozen=True)
class LoadBalancerProps:
    name: str
    names: ResourceNames
    """Every AWS-visible name of the stack (config.names)."""
    region: str
    account_id: str
    vpc_id: str
    subnet_ids: Sequence[str]
    certificate_arn: str
    function_arn: str
    function_name: str
    settings: LoadBalancerSettings
    route53_prefix_list_name: str | None = None
    """default: none. The managed prefix list of Route 53's health checkers, admitted on 443 when
    `ingress_cidrs` would otherwise keep them out of a public load balancer."""
    alarm_health_check: bool = False
    """default: false (Route 53 calls `/ping` itself). True when its checkers cannot reach this
    load balancer: an alarm on the target group's healthy hosts stands in for them."""
    retired: bool = False
    """default: false. True while the region is being removed: the access-log bucket is released
    from state (kept in S3 with the logs), so destroying the stack leaves it."""
    mutual_tls: MutualTlsSettings | None = None
    """default: none (any TLS client may connect). Set: the HTTPS listener verifies client
    certificates against a trust store made from the CA bundle in S3, and Route 53's checkers,
    which present none, call `/ping` on a listener of their own (`health_check_port`)."""
    ping_function_arn: str | None = None
    """default: none, the proxy answers `/ping` too. Set (with `ping_function_name`): a listener
    rule sends `/ping` to this function's own target group, so inference cannot starve it."""
    ping_function_name: str | None = None


class LoadBalancer(Construct):
    """HTTPS (TLS 1.3 policy) to a Lambda target group; HTTP only redirects; access logs kept.

    Guarantees: invalid header fields are dropped, deletion protection is on unless configured
    off, only the configured CIDRs reach ports 443 and 80, and the target group's health check
    calls the proxy's deep `/ping`.
    """

    def __init__(self, scope: Construct, id_: str, props: LoadBalancerProps) -> None:
        super().__init__(scope, id_)
        settings = props.settings
        self.access_logs = self._access_log_bucket(props)

        self._security_group(props)
        self._checker_ingress(props)

        self.load_balancer = Lb(
            self,
            "load_balancer",
            name=props.names.load_balancer,
            load_balancer_type="application",
            internal=settings.internal,
            subnets=list(props.subnet_ids),
            security_groups=[self.security_group.id],
            drop_invalid_header_fields=True,
            enable_deletion_protection=settings.deletion_protection,
            idle_timeout=settings.idle_timeout_s,
            access_logs=self._access_logs_to(props),
            # ELB checks that it may write to the bucket when access logs are turned on.
            depends_on=[self.access_logs.policy] if self.access_logs else None,
        )
        self.load_balancer_dns_name = self.load_balancer.dns_name
        self.load_balancer_zone_id = self.load_balancer.zone_id

        self.target_group = self._lambda_target_group(
            "", props.names.target_group, props.function_arn, props.function_name
        )

        self._listeners(props)

        # The target group whose health check calls `/ping`: the ping function's when it has one.
        self.ping_target_group = self.target_group
        if props.ping_function_arn is not None and props.ping_function_name is not None:
            self.ping_target_group = self._ping_route(
                props.names.ping_target_group, props.ping_function_arn, props.ping_function_name
            )
        if self.health_check_port is not None:
            self._health_listener(props, self.health_check_port)

        self.healthy_targets_alarm_name: str | None = None
        if props.alarm_health_check:
            self._healthy_targets_alarm(props.name)

    def _security_group(self, props: LoadBalancerProps) -> None:
        """The load balancer's security group: HTTPS and the HTTP redirect from each ingress CIDR."""
        settings = props.settings
        self.security_group = SecurityGroup(
            self,
            "security_group",
            name=props.names.load_balancer_security_group,
            description=f"HTTPS and HTTP-redirect ingress to {props.name}",
            vpc_id=props.vpc_id,
            # No egress rules: a Lambda target is invoked by the ELB service, not over the VPC.
        )
        for cidr in settings.ingress_cidrs:
            for port in (HTTPS_PORT, HTTP_PORT):
                VpcSecurityGroupIngressRule(
                    self,
                    # Keyed by the CIDR, not its position: removing one rule leaves the others.
                    f"ingress_{port}_{cidr.replace('.', '-').replace('/', '_')}",
                    security_group_id=self.security_group.id,
                    ip_protocol="tcp",
                    from_port=port,
                    to_port=port,
                    cidr_ipv4=cidr,
                    description=f"{'HTTPS' if port == HTTPS_PORT else 'HTTP (redirect only)'} from {cidr}",
                )

    def _listeners(self, props: LoadBalancerProps) -> None:
        """HTTPS to the proxy (verifying client certificates under mutual TLS), HTTP redirected."""
        settings = props.settings
        self.trust_store: LbTrustStore | None = None
        mutual_authentication = None
        if props.mutual_tls is not None:
            self.trust_store = self._trust_store(
                props.names.trust_store, props.region, props.mutual_tls
            )
            mutual_authentication = LbListenerMutualAuthentication(
                mode="verify", trust_store_arn=self.trust_store.arn
            )
        self.https_listener = LbListener(
            self,
            "https_listener",
            load_balancer_arn=self.load_balancer.arn,
            port=HTTPS_PORT,
            protocol="HTTPS",
            ssl_policy=settings.ssl_policy,
            certificate_arn=props.certificate_arn,
            mutual_authentication=mutual_authentication,
            default_action=[
                LbListenerDefaultAction(type="forward", target_group_arn=self.target_group.arn)
            ],
        )
        self.http_listener = LbListener(
            self,
            "http_listener",
            load_balancer_arn=self.load_balancer.arn,
            port=HTTP_PORT,
            protocol="HTTP",
            default_action=[
                LbListenerDefaultAction(
                    type="redirect",
                    redirect=LbListenerDefaultActionRedirect(
                        protocol="HTTPS", port=str(HTTPS_PORT), status_code="HTTP_301"
                    ),
                )
            ],
        )

    def _checker_ingress(self, props: LoadBalancerProps) -> None:
        """Route 53's health checkers admitted by their managed prefix list: on 443 when narrowed
        `ingress_cidrs` would keep them out, on the health listener's port under mutual TLS."""
        # Route 53's checkers call a listener of their own under mutual TLS (no client
        # certificate); only when they can reach this load balancer at all.
        self.health_check_port: int | None = (
            props.mutual_tls.health_check_port
            if props.mutual_tls is not None and not props.alarm_health_check
            else None
        )
        checkers = None
        if props.route53_prefix_list_name is not None or self.health_check_port is not None:
            checkers = DataAwsEc2ManagedPrefixList(
                self,
                "route53_health_checkers",
                name=props.route53_prefix_list_name or route53_prefix_list_name(props.region),
            )
        if checkers is not None and self.health_check_port is not None:
            VpcSecurityGroupIngressRule(
                self,
                "ingress_health_route53_health_checkers",
                security_group_id=self.security_group.id,
                ip_protocol="tcp",
                from_port=self.health_check_port,
                to_port=self.health_check_port,
                prefix_list_id=checkers.id,
                description="HTTPS from Route 53 health checkers, health listener (GET /ping)",
            )
        if checkers is not None and props.route53_prefix_list_name is not None:
            # Narrowed ingress would keep Route 53's checkers out, every region would report
            # unhealthy, and Route 53 would then treat all records as healthy: no failover.
            VpcSecurityGroupIngressRule(
                self,
                "ingress_443_route53_health_checkers",
                security_group_id=self.security_group.id,
                ip_protocol="tcp",
                from_port=HTTPS_PORT,
                to_port=HTTPS_PORT,
                prefix_list_id=checkers.id,
                description="HTTPS from Route 53 health checkers (GET /ping)",
            )

    def _trust_store(self, name: str, region: str, mutual_tls: MutualTlsSettings) -> LbTrustStore:
        """The CA bundle the listener checks client certificates against. ELB reads the bundle
        from S3 with the credentials of whoever applies the stack (s3:GetObject on it)."""
        return LbTrustStore(
            self,
            "trust_store",
            name=name,
            ca_certificates_bundle_s3_bucket=mutual_tls.ca_bundle_s3_bucket.replace(
                "{region}", region
            ),
            ca_certificates_bundle_s3_key=mutual_tls.ca_bundle_s3_key,
            ca_certificates_bundle_s3_object_version=mutual_tls.ca_bundle_s3_object_version,
        )

    def _health_listener(self, props: LoadBalancerProps, port: int) -> None:
        """HTTPS without client certificates, for Route 53's checkers only (the security group
        admits their prefix list alone on this port): `GET /ping` goes to the ping target group
        (the ping function's when it has one), anything else gets a 404 from the load balancer,
        so no invocation passes this way."""
        self.health_listener = LbListener(
            self,
            "health_listener",
            load_balancer_arn=self.load_balancer.arn,
            port=port,
            protocol="HTTPS",
            ssl_policy=props.settings.ssl_policy,
            certificate_arn=props.certificate_arn,
            default_action=[
                LbListenerDefaultAction(
                    type="fixed-response",
                    fixed_response=LbListenerDefaultActionFixedResponse(
                        content_type="text/plain", message_body="Not found", status_code="404"
                    ),
                )
            ],
        )
        LbListenerRule(
            self,
            "health_listener_ping",
            listener_arn=self.health_listener.arn,
            priority=1,
            condition=[
                LbListenerRuleCondition(
                    path_pattern=LbListenerRuleConditionPathPattern(values=[HEALTH_CHECK_PATH])
                ),
                LbListenerRuleCondition(
                    http_request_method=LbListenerRuleConditionHttpRequestMethod(values=["GET"])
                ),
            ],
            action=[
                LbListenerRuleAction(type="forward", target_group_arn=self.ping_target_group.arn)
            ],
        )

    def _lambda_target_group(
        self, id_prefix: str, name: str, function_arn: str, function_name: str
    ) -> LbTargetGroup:
        """A target group of one function, the permission to invoke it and the attachment;
        the load balancer's health check calls `/ping` on it. Construct ids start with
        `id_prefix` (the proxy's have none, the ping function's `ping_`), as they always did."""
        target_group = LbTargetGroup(
            self,
            f"{id_prefix}target_group",
            name=name,
            target_type="lambda",
            lambda_multi_value_headers_enabled=False,
            health_check=LbTargetGroupHealthCheck(
                enabled=True,
                path=HEALTH_CHECK_PATH,
                matcher="200",
                interval=30,
                timeout=10,
                healthy_threshold=2,
                unhealthy_threshold=2,
            ),
        )
        permission = LambdaPermission(
            self,
            f"{id_prefix}invoke_permission",
            statement_id="AllowInvokeFromLoadBalancer",
            action="lambda:InvokeFunction",
            function_name=function_name,
            principal=aws_terms.ELB_SERVICE_PRINCIPAL,
            source_arn=target_group.arn,
        )
        LbTargetGroupAttachment(
            self,
            f"{id_prefix}target",
            target_group_arn=target_group.arn,
            target_id=function_arn,
            depends_on=[permission],
        )
        return target_group

    def _ping_route(
        self, target_group_name: str, function_arn: str, function_name: str
    ) -> LbTargetGroup:
        """`/ping` to the ping function's target group, ahead of the listener's default."""
        target_group = self._lambda_target_group(
            "ping_", target_group_name, function_arn, function_name
        )
        self.ping_rule = LbListenerRule(
            self,
            "https_listener_ping",
            listener_arn=self.https_listener.arn,
            priority=PING_RULE_PRIORITY,
            condition=[
                LbListenerRuleCondition(
                    path_pattern=LbListenerRuleConditionPathPattern(values=[HEALTH_CHECK_PATH])
                )
            ],
            action=[LbListenerRuleAction(type="forward", target_group_arn=target_group.arn)],
        )
        return target_group

    def _healthy_targets_alarm(self, name: str) -> None:
        """In alarm when the proxy fails `/ping` (the endpoint stopped serving): Route 53 follows it
        for a load balancer its checkers cannot reach (internal, TLS 1.3 only, WAF allow list)."""
        self.healthy_targets_alarm_name = f"{name}-no-healthy-targets"
        CloudwatchMetricAlarm(
            self,
            "no_healthy_targets",
            alarm_name=self.healthy_targets_alarm_name,
            alarm_description="The proxy's deep /ping fails: the endpoint is not serving",
            namespace=aws_terms.ALB_NAMESPACE,
            metric_name=aws_terms.ALB_HEALTHY_HOSTS,
            dimensions={
                "TargetGroup": self.ping_target_group.arn_suffix,
                "LoadBalancer": self.load_balancer.arn_suffix,
            },
            statistic="Minimum",
            period=60,
            evaluation_periods=2,
            threshold=1,
            comparison_operator="LessThanThreshold",
            # No data means no healthy target reported: treat it as failing, not as fine.
            treat_missing_data="breaching",
        )

    def _access_log_bucket(self, props: LoadBalancerProps) -> SecureBucket | None:
        """None in a retired region: the bucket is released from state and kept with the logs,
        so destroying the stack leaves it."""
        if props.retired:
            release_secure_bucket(self, "access_logs")
            return None
        settings = props.settings
        # Bucket names are global: account and region keep every stack's bucket unique.
        bucket_name = props.names.access_log_bucket(props.account_id)
        log_objects = f"{aws_terms.s3_bucket_arn(bucket_name)}/AWSLogs/{props.account_id}/*"
        return SecureBucket(
            self,
            "access_logs",
            SecureBucketProps(
                bucket_name=bucket_name,
                # ELB log delivery writes with SSE-S3 only.
                kms_key_arn=None,
                prevent_destroy=settings.deletion_protection,
                force_destroy=not settings.deletion_protection,
                expire_after_days=settings.access_log_retention_days,
                extra_policy_statements=(
                    {
                        "Sid": "ElbLogDelivery",
                        "Effect": "Allow",
                        "Principal": aws_terms.elb_log_delivery_principal(props.region),
                        "Action": "s3:PutObject",
                        "Resource": log_objects,
                    },
                ),
            ),
        )

    def _access_logs_to(self, props: LoadBalancerProps) -> LbAccessLogs:
        # The managed bucket's own attribute, so the bucket exists first; the name once released.
        if self.access_logs is not None:
            return LbAccessLogs(bucket=self.access_logs.bucket.bucket, enabled=True)
        return LbAccessLogs(bucket=props.names.access_log_bucket(props.account_id), enabled=True)
