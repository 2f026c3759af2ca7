"""The region's names: a DNS-validated certificate, a latency record with a health check, a regional record."""

from __future__ import annotations

import json
from dataclasses import dataclass

from cdktf import TerraformIterator, TerraformResourceLifecycle, TerraformStack, Token
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

from config.health_checks import ERROR_RATE_INSUFFICIENT_DATA
from constructs_lib.state_release import release_from_state

HEALTH_CHECK_INTERVAL_S = 10
HEALTH_CHECK_FAILURE_THRESHOLD = 3
# An alias record answers with its target's TTL: an ALB's DNS name has a 60 s TTL, set by AWS.
ALIAS_TARGET_TTL_S = 60
VALIDATION_RECORD_TTL_S = 60
# A setting that switches the check's kind (TLS policy, WAF allow list, internal ALB) replaces it
# (`type` forces a new one). Route 53 refuses to delete a health check a record still uses, so the
# new one must exist and the latency record move to it before the old one goes.
HEALTH_CHECK_LIFECYCLE = TerraformResourceLifecycle(create_before_destroy=True)
# Where a retired region moves the shared validation record before releasing it from state.
RELEASED_VALIDATION_RECORD_ID = "certificate_released_shared_validation_record"


def regional_name(region: str, record_name: str) -> str:
    return f"{region}.{record_name}"


@dataclass(frozen=True)
class CertificateProps:
    zone_name: str
    record_name: str
    region: str
    retired: bool = False
    """default: false. True while the region is being removed: the validation record of the
    service name, which every region shares, is released from this stack's state (kept in
    Route 53) so destroying the stack cannot take it from the other regions."""


class ValidatedCertificate(Construct):
    """ACM certificate for the service name and the regional name, validated in the hosted zone.

    ACM asks for the same validation record for a name in every certificate of one account, so
    every region writes the service name's record (`allow_overwrite`). A region being removed
    releases that shared record from its state instead of deleting it, so the other regions'
    certificates keep renewing with it.
    """

    def __init__(self, scope: Construct, id_: str, props: CertificateProps) -> None:
        super().__init__(scope, id_)
        self.zone = DataAwsRoute53Zone(self, "zone", name=props.zone_name, private_zone=False)
        regional = regional_name(props.region, props.record_name)
        self.certificate = AcmCertificate(
            self,
            "certificate",
            domain_name=props.record_name,
            subject_alternative_names=[regional],
            validation_method="DNS",
            key_algorithm="EC_prime256v1",
            # The listener holds the certificate: a replacement must exist before the old goes.
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
        )
        # Records are looked up by name in `domain_validation_options`: a set whose records are
        # unknown until the certificate exists, so `tolist()` of it (what `from_complex_list`
        # writes) is unknown as a whole and fails the first plan (hashicorp/terraform-cdk#3627).
        # The keys come from the configuration instead.
        certificate = (
            f"{self.certificate.terraform_resource_type}.{self.certificate.friendly_unique_id}"
        )
        by_name = (
            f"{{ for option in {certificate}.domain_validation_options : "
            "option.domain_name => option }"
        )

        def option(name: str, attribute: str) -> str:
            return f"${{{by_name}[{name}].{attribute}}}"

        # Every name keeps the address it always had, `validation_records["<name>"]`. A retired
        # region moves the shared name's record to an address of its own and releases it.
        names = [regional] if props.retired else [props.record_name, regional]
        records = Route53Record(
            self,
            "validation_records",
            for_each=TerraformIterator.from_list(names),
            zone_id=self.zone.zone_id,
            name=option("each.value", "resource_record_name"),
            type=option("each.value", "resource_record_type"),
            records=[option("each.value", "resource_record_value")],
            ttl=VALIDATION_RECORD_TTL_S,
            allow_overwrite=True,
        )
        if props.retired:
            # Terraform ≥ 1.7: `removed` takes no instance key, so the record moves first.
            # (checkov 3.3.30 cannot parse these blocks: README "Removing a region".)
            records_address = f"{records.terraform_resource_type}.{records.friendly_unique_id}"
            released = f"{records.terraform_resource_type}.{RELEASED_VALIDATION_RECORD_ID}"
            stack = TerraformStack.of(self)
            stack.add_override(
                "moved", [{"from": f'{records_address}["{props.record_name}"]', "to": released}]
            )
            release_from_state(self, [released])
            fqdns = [
                f'${{trimsuffix({by_name}[{json.dumps(name)}].resource_record_name, ".")}}'
                for name in (props.record_name, regional)
            ]
            self.validation = AcmCertificateValidation(
                self,
                "validation",
                certificate_arn=self.certificate.arn,
                validation_record_fqdns=fqdns,
                depends_on=[records],
            )
        else:
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
    health_check_port: int = 443
    """default: 443, the service's listener. Under mutual TLS, the load balancer's health
    listener (Route 53's checkers present no client certificate)."""
    error_rate_alarm_name: str | None = None
    """default: none, the region's health is `/ping`'s alone. Set: the ErrorRateHealthAlarm of
    this region, and the latency record follows a CALCULATED check that is healthy only while
    `/ping` passes AND this alarm is not in ALARM."""


class RegionalRecords(Construct):
    """Latency alias record (this region's share of the service name) and the regional alias.

    The latency record carries the region's health check, so a region whose endpoint stops
    serving, whose ALB stops answering, or (with `error_rate_alarm_name`) whose model answers
    mostly errors, drops out of DNS by itself. `health_check` is the `/ping` check (or its alarm
    stand-in); `region_health_check` is the one the latency record follows.
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
                port=props.health_check_port,
                resource_path="/ping",
                request_interval=HEALTH_CHECK_INTERVAL_S,
                failure_threshold=HEALTH_CHECK_FAILURE_THRESHOLD,
                measure_latency=True,
                enable_sni=True,
                tags={"Name": f"{self.regional_name}/ping"},
                lifecycle=HEALTH_CHECK_LIFECYCLE,
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
                lifecycle=HEALTH_CHECK_LIFECYCLE,
            )
        self.region_health_check = self.health_check
        latency_alias = alias
        if props.error_rate_alarm_name is not None:
            self.region_health_check = self._data_plane_health(props)
            # The ALB's own target health would add the proxy's target group, whose health check
            # shares the proxy's concurrency with inference: saturation would fail it in every
            # region at once. The HTTPS check goes through the ALB already (and the alarm check
            # breaches on missing data), so the load balancer is still checked.
            latency_alias = Route53RecordAlias(
                name=props.load_balancer_dns_name,
                zone_id=props.load_balancer_zone_id,
                evaluate_target_health=False,
            )
        self.latency_record = Route53Record(
            self,
            "latency_record",
            zone_id=props.zone_id,
            name=props.record_name,
            type="A",
            set_identifier=props.region,
            latency_routing_policy=Route53RecordLatencyRoutingPolicy(region=props.region),
            health_check_id=self.region_health_check.id,
            alias=latency_alias,
        )
        self.regional_record = Route53Record(
            self,
            "regional_record",
            zone_id=props.zone_id,
            name=self.regional_name,
            type="A",
            alias=alias,
        )

    def _data_plane_health(self, props: RegionalRecordsProps) -> Route53HealthCheck:
        """A check on the region's error-rate alarm, and the CALCULATED AND of it and `/ping`."""
        self.error_rate_health_check = Route53HealthCheck(
            self,
            "error_rate_health_check",
            type="CLOUDWATCH_METRIC",
            cloudwatch_alarm_name=props.error_rate_alarm_name,
            # Route 53 reads the alarm where it was created: this region (every SageMaker region
            # is among the regions Route 53 reads alarms in, tests/constructs_lib/test_dns.py).
            cloudwatch_alarm_region=props.region,
            insufficient_data_health_status=ERROR_RATE_INSUFFICIENT_DATA,
            tags={"Name": f"{self.regional_name} (error rate)"},
            lifecycle=HEALTH_CHECK_LIFECYCLE,
        )
        children = [self.health_check.id, self.error_rate_health_check.id]
        return Route53HealthCheck(
            self,
            "region_health_check",
            type="CALCULATED",
            child_healthchecks=children,
            # Every child must be healthy: the AND of `/ping` and the error rate.
            child_health_threshold=len(children),
            tags={"Name": f"{self.regional_name} (ping and error rate)"},
            lifecycle=HEALTH_CHECK_LIFECYCLE,
        )
