"""The region's names: a DNS-validated certificate, a latency record with a health check, a regional record."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import TerraformIterator, TerraformResourceLifecycle, Token
from cdktf_cdktf_provider_aws.acm_certificate import AcmCertificate
from cdktf_cdktf_provider_aws.acm_certificate_validation import AcmCertificateValidation
from cdktf_cdktf_provider_aws.data_aws_route53_zone import DataAwsRoute53Zone
from cdktf_cdktf_provider_aws.route53_health_check import Route53HealthCheck
from cdktf_cdktf_provider_aws.route53_record import (
    Route53Record,
    Route53RecordAlias,
    Route53RecordLatencyRoutingPolicy,
)
from constructs import Construct

HEALTH_CHECK_INTERVAL_S = 10
HEALTH_CHECK_FAILURE_THRESHOLD = 3
VALIDATION_RECORD_TTL_S = 60


def regional_name(region: str, record_name: str) -> str:
    return f"{region}.{record_name}"


@dataclass(frozen=True)
class CertificateProps:
    zone_name: str
    record_name: str
    region: str


class ValidatedCertificate(Construct):
    """ACM certificate for the service name and the regional name, validated in the hosted zone.

    Every region writes the same validation record for the service name, hence `allow_overwrite`.
    """

    def __init__(self, scope: Construct, id_: str, props: CertificateProps) -> None:
        super().__init__(scope, id_)
        self.zone = DataAwsRoute53Zone(self, "zone", name=props.zone_name, private_zone=False)
        self.certificate = AcmCertificate(
            self,
            "certificate",
            domain_name=props.record_name,
            subject_alternative_names=[regional_name(props.region, props.record_name)],
            validation_method="DNS",
            key_algorithm="EC_prime256v1",
            # The listener holds the certificate: a replacement must exist before the old goes.
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
        )
        # One record per name on the certificate, keyed by the name. The keys must be known at
        # plan time: `domain_validation_options` is a set whose records are unknown until the
        # certificate exists, and `tolist()` of it (what `from_complex_list` writes) is unknown
        # as a whole, which fails the first plan (hashicorp/terraform-cdk#3627). So the names
        # come from the configuration and each record looks its option up by name.
        names = TerraformIterator.from_list(
            [props.record_name, regional_name(props.region, props.record_name)]
        )
        certificate = (
            f"{self.certificate.terraform_resource_type}.{self.certificate.friendly_unique_id}"
        )
        by_name = (
            f"{{ for option in {certificate}.domain_validation_options : "
            "option.domain_name => option }"
        )

        def option(attribute: str) -> str:
            return f"${{{by_name}[each.value].{attribute}}}"

        records = Route53Record(
            self,
            "validation_records",
            for_each=names,
            zone_id=self.zone.zone_id,
            name=option("resource_record_name"),
            type=option("resource_record_type"),
            records=[option("resource_record_value")],
            ttl=VALIDATION_RECORD_TTL_S,
            allow_overwrite=True,
        )
        self.validation = AcmCertificateValidation(
            self,
            "validation",
            certificate_arn=self.certificate.arn,
            validation_record_fqdns=Token.as_list(
                TerraformIterator.from_resources(records).pluck_property("fqdn")
            ),
        )
        self.certificate_arn = self.validation.certificate_arn
        self.zone_id = self.zone.zone_id


@dataclass(frozen=True)
class RegionalRecordsProps:
    zone_id: str
    record_name: str
    region: str
    load_balancer_dns_name: str
    load_balancer_zone_id: str
    health_check_alarm_name: str | None = None
    """default: none; Route 53 calls `https://<region>.<record_name>/ping` itself. Set it for an
    internal load balancer, which Route 53's checkers cannot reach."""


class RegionalRecords(Construct):
    """Latency alias record (this region's share of the service name) and the regional alias.

    The latency record carries a health check and evaluates the ALB's target health, so a region
    whose endpoint stops serving, or whose ALB stops answering, drops out of DNS by itself.
    """

    def __init__(self, scope: Construct, id_: str, props: RegionalRecordsProps) -> None:
        super().__init__(scope, id_)
        self.regional_name = regional_name(props.region, props.record_name)
        alias = Route53RecordAlias(
            name=props.load_balancer_dns_name,
            zone_id=props.load_balancer_zone_id,
            evaluate_target_health=True,
        )
        if props.health_check_alarm_name is None:
            self.health_check = Route53HealthCheck(
                self,
                "health_check",
                type="HTTPS",
                fqdn=self.regional_name,
                port=443,
                resource_path="/ping",
                request_interval=HEALTH_CHECK_INTERVAL_S,
                failure_threshold=HEALTH_CHECK_FAILURE_THRESHOLD,
                measure_latency=True,
                enable_sni=True,
                tags={"Name": f"{self.regional_name}/ping"},
            )
        else:
            self.health_check = Route53HealthCheck(
                self,
                "health_check",
                type="CLOUDWATCH_METRIC",
                cloudwatch_alarm_name=props.health_check_alarm_name,
                cloudwatch_alarm_region=props.region,
                insufficient_data_health_status="LastKnownStatus",
                tags={"Name": f"{self.regional_name} (alarm)"},
            )
        self.latency_record = Route53Record(
            self,
            "latency_record",
            zone_id=props.zone_id,
            name=props.record_name,
            type="A",
            set_identifier=props.region,
            latency_routing_policy=Route53RecordLatencyRoutingPolicy(region=props.region),
            health_check_id=self.health_check.id,
            alias=alias,
        )
        self.regional_record = Route53Record(
            self,
            "regional_record",
            zone_id=props.zone_id,
            name=self.regional_name,
            type="A",
            alias=alias,
        )
