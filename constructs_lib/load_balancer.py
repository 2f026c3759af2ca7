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
    LbListenerDefaultActionRedirect,
)
from cdktf_cdktf_provider_aws.lb_target_group import LbTargetGroup, LbTargetGroupHealthCheck
from cdktf_cdktf_provider_aws.lb_target_group_attachment import LbTargetGroupAttachment
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

from config.models import LoadBalancerSettings
from config.names import ResourceNames
from constructs_lib import aws_terms
from constructs_lib.secure_bucket import SecureBucket, SecureBucketProps, release_secure_bucket

HTTPS_PORT = 443
HTTP_PORT = 80
HEALTH_CHECK_PATH = "/ping"


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
        if props.route53_prefix_list_name is not None:
            # Narrowed ingress would keep Route 53's checkers out, every region would report
            # unhealthy, and Route 53 would then treat all records as healthy: no failover.
            checkers = DataAwsEc2ManagedPrefixList(
                self, "route53_health_checkers", name=props.route53_prefix_list_name
            )
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

        self.target_group = LbTargetGroup(
            self,
            "target_group",
            name=props.names.target_group,
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
            "invoke_permission",
            statement_id="AllowInvokeFromLoadBalancer",
            action="lambda:InvokeFunction",
            function_name=props.function_name,
            principal=aws_terms.ELB_SERVICE_PRINCIPAL,
            source_arn=self.target_group.arn,
        )
        LbTargetGroupAttachment(
            self,
            "target",
            target_group_arn=self.target_group.arn,
            target_id=props.function_arn,
            depends_on=[permission],
        )

        self.https_listener = LbListener(
            self,
            "https_listener",
            load_balancer_arn=self.load_balancer.arn,
            port=HTTPS_PORT,
            protocol="HTTPS",
            ssl_policy=settings.ssl_policy,
            certificate_arn=props.certificate_arn,
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

        self.healthy_targets_alarm_name: str | None = None
        if props.alarm_health_check:
            self._healthy_targets_alarm(props.name)

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
                "TargetGroup": self.target_group.arn_suffix,
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
