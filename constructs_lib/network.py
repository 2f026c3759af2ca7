"""The VPC the load balancer lives in: public and private subnets over several Availability Zones."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from cdktf import Fn, Token
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.data_aws_availability_zones import (
    DataAwsAvailabilityZones,
    DataAwsAvailabilityZonesFilter,
)
from cdktf_cdktf_provider_aws.default_security_group import DefaultSecurityGroup
from cdktf_cdktf_provider_aws.flow_log import FlowLog
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.internet_gateway import InternetGateway
from cdktf_cdktf_provider_aws.route import Route
from cdktf_cdktf_provider_aws.route_table import RouteTable
from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc import Vpc
from constructs import Construct

from config.edge import SUBNET_SLOTS_BITS
from config.models import ExistingNetwork, NetworkSettings
from config.names import ResourceNames
from constructs_lib import aws_terms
from constructs_lib.policies import policy_document, service_trust_policy

# Subnet i of the public tier is the i-th sixteenth of the VPC; the private tier starts at the 9th.
PRIVATE_TIER_OFFSET = 8


@dataclass(frozen=True)
class NetworkProps:
    name: str
    names: ResourceNames
    """Every AWS-visible name of the stack (config.names)."""
    region: str
    account_id: str
    settings: NetworkSettings
    public: bool
    """Create public subnets and an internet gateway (internet-facing load balancer)."""
    log_key_arn: str
    flow_log_retention_days: int


class Network(Construct):
    """A new VPC with no NAT gateway (nothing in it needs outbound internet), or an existing one.

    Exposes `vpc_id`, `public_subnet_ids`, `private_subnet_ids`.
    """

    def __init__(self, scope: Construct, id_: str, props: NetworkProps) -> None:
        super().__init__(scope, id_)
        existing = props.settings.existing.get(props.region)
        if existing is not None:
            self._use_existing(existing)
            return
        self._create(props)

    def _use_existing(self, existing: ExistingNetwork) -> None:
        self.vpc_id = existing.vpc_id
        self.public_subnet_ids = list(existing.public_subnet_ids)
        self.private_subnet_ids = list(existing.private_subnet_ids)

    def _create(self, props: NetworkProps) -> None:
        settings = props.settings
        # Resource addresses must not depend on what the region reports at plan time, so the
        # subnet count is fixed at synth: three AZs (or the configured maximum), two where
        # accounts only get two.
        az_count = min(
            settings.max_availability_zones, 2 if props.region in aws_terms.TWO_AZ_REGIONS else 3
        )
        # An allowlist of the region's zone names: a zone AWS adds later (or one that becomes
        # impaired) never shifts the list, so subnets never move to another zone on a later plan.
        zones = DataAwsAvailabilityZones(
            self,
            "zones",
            filter=[
                DataAwsAvailabilityZonesFilter(
                    name="zone-name", values=[f"{props.region}{letter}" for letter in "abcdef"]
                )
            ],
        )
        self.vpc = Vpc(
            self,
            "vpc",
            cidr_block=settings.vpc_cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={"Name": props.name},
        )
        self.vpc_id = self.vpc.id
        # The default security group allows all traffic between its members: leave it empty.
        DefaultSecurityGroup(self, "default_security_group", vpc_id=self.vpc.id)

        # Sixteen equal slots (a /16 gives /20s, a /24 gives /28s, AWS's smallest subnet): the
        # public tier takes the first, the private tier the ninth onwards.
        vpc = ipaddress.ip_network(settings.vpc_cidr)
        blocks = [str(b) for b in vpc.subnets(prefixlen_diff=SUBNET_SLOTS_BITS)]
        self.public_subnet_ids = []
        if props.public:
            gateway = InternetGateway(self, "internet_gateway", vpc_id=self.vpc.id)
            public_routes = RouteTable(
                self, "public_routes", vpc_id=self.vpc.id, tags={"Name": f"{props.name}-public"}
            )
            Route(
                self,
                "public_default_route",
                route_table_id=public_routes.id,
                destination_cidr_block="0.0.0.0/0",
                gateway_id=gateway.id,
            )
            self.public_subnet_ids = self._tier(
                "public", 0, az_count, public_routes.id, blocks, zones, props.name
            )

        private_routes = RouteTable(
            self, "private_routes", vpc_id=self.vpc.id, tags={"Name": f"{props.name}-private"}
        )
        self.private_subnet_ids = self._tier(
            "private", PRIVATE_TIER_OFFSET, az_count, private_routes.id, blocks, zones, props.name
        )

        self._flow_logs(props)

    def _tier(
        self,
        tier: str,
        first_block: int,
        az_count: int,
        route_table_id: str,
        blocks: list[str],
        zones: DataAwsAvailabilityZones,
        name: str,
    ) -> list[str]:
        """One subnet of `tier` per zone, each a /20 of the VPC, all on `route_table_id`."""
        subnet_ids = []
        for index in range(az_count):
            subnet = Subnet(
                self,
                f"{tier}_{index}",
                vpc_id=self.vpc.id,
                cidr_block=blocks[first_block + index],
                availability_zone=Token.as_string(Fn.element(zones.names, index)),
                map_public_ip_on_launch=False,
                tags={"Name": f"{name}-{tier}-{index}", "tier": tier},
            )
            RouteTableAssociation(
                self, f"{tier}_{index}_routes", subnet_id=subnet.id, route_table_id=route_table_id
            )
            subnet_ids.append(subnet.id)
        return subnet_ids

    def _flow_logs(self, props: NetworkProps) -> None:
        log_group = CloudwatchLogGroup(
            self,
            "flow_log_group",
            name=props.names.flow_log_group,
            retention_in_days=props.flow_log_retention_days,
            kms_key_id=props.log_key_arn,
        )
        role = IamRole(
            self,
            "flow_log_role",
            name=props.names.flow_log_role,
            assume_role_policy=service_trust_policy(
                aws_terms.VPC_FLOW_LOGS_PRINCIPAL, props.account_id
            ),
        )
        IamRolePolicy(
            self,
            "flow_log_role_policy",
            name="write-flow-logs",
            role=role.id,
            policy=policy_document(
                [
                    {
                        "Effect": "Allow",
                        "Action": [
                            "logs:CreateLogStream",
                            "logs:PutLogEvents",
                            "logs:DescribeLogStreams",
                        ],
                        "Resource": f"{log_group.arn}:*",
                    }
                ]
            ),
        )
        FlowLog(
            self,
            "flow_log",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
        )
