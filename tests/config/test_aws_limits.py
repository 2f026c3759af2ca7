"""Given the installed botocore, the limits the check reads from it are found and usable; the
names `config.aws_rules` checks are the names the stacks really build."""

from __future__ import annotations

import json
import re

import pytest

from config import aws_limits, derived_names
from config.models import ServiceConfig
from tests.support.configs import config_with
from tests.support.synth import synth_bootstrap, synth_region


def test_retention_values_are_parsed_from_botocore() -> None:
    parsed = aws_limits._parse_retention_days()
    assert parsed is not None, "botocore reworded logs `Days`: update the parser"
    assert {1, 7, 30, 365, 3653} <= set(parsed)
    assert 10 not in parsed


def test_acm_first_name_limit_is_parsed_from_botocore() -> None:
    assert aws_limits._parse_acm_first_name_length() == 64


def test_route53_tag_limit_comes_from_botocore() -> None:
    assert aws_limits._parse_route53_tag_count() == 10


def test_target_value_bound_is_parsed_from_botocore() -> None:
    assert aws_limits._parse_target_value_exponent() == 360


def test_hosting_instance_types_come_from_botocore() -> None:
    types = aws_limits.sagemaker_instance_types()
    assert "ml.m5.xlarge" in types
    assert "ml.m5.medium" not in types
    assert len(types) > 100


def test_every_rule_pattern_compiles() -> None:
    shapes = [
        ("sagemaker", n)
        for n in (
            "VariantName",
            "ContainerImage",
            "Url",
            "RoleArn",
            "EnvironmentKey",
            "EnvironmentValue",
            "JsonContentType",
            "EndpointName",
            "ModelName",
            "EndpointConfigName",
            "KmsKeyId",
        )
    ]
    shapes += [(s, k) for s, k, _ in aws_limits.TAG_SHAPES]
    shapes += [(s, v) for s, _, v in aws_limits.TAG_SHAPES]
    shapes += [
        ("application-autoscaling", "ScheduledActionName"),
        ("application-autoscaling", "ResourceIdMaxLen1600"),
        ("application-autoscaling", "PolicyName"),
        ("kms", "AliasNameType"),
        ("logs", "LogGroupName"),
        ("acm", "DomainNameString"),
        ("wafv2", "EntityName"),
        ("iam", "roleNameType"),
        ("dynamodb", "TableName"),
    ]
    for service, name in shapes:
        limit = aws_limits.shape(service, name)
        if limit.pattern:
            assert aws_limits._compiled(limit.pattern) is not None, (service, name, limit.pattern)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("cost-center", None),
        ("Équipe données", None),
        ("team#1", "pattern"),
        ("", "at least 1"),
    ],
)
def test_tag_key_pattern_translates_unicode_classes(value: str, expected: str | None) -> None:
    problem = aws_limits.shape("iam", "tagKeyType").problem(value)
    assert (problem is None) if expected is None else (expected in (problem or ""))


@pytest.mark.parametrize(
    "bucket, problem",
    [
        ("tfstate.ml.example.com", None),
        ("xn--abc", "xn--"),
        ("abc--x-s3", "--x-s3"),
        ("10.0.0.1", "IP address"),
        ("a..b", "adjacent"),
        ("ab", "3-63"),
        ("Bucket", "lowercase"),
    ],
)
def test_s3_bucket_rules(bucket: str, problem: str | None) -> None:
    found = aws_limits.s3_bucket_problem(bucket)
    assert (found is None) if problem is None else (problem in (found or ""))


def _derived_in(config: ServiceConfig, synthesized: str) -> list[str]:
    missing = []
    for name in derived_names.derived_names(config):
        value = name.value
        # Parts Terraform or AWS fill in: compare what comes before them.
        for placeholder in (
            derived_names.ACCOUNT_PLACEHOLDER,
            derived_names.TERRAFORM_UNIQUE_SUFFIX,
            derived_names.MODEL_FINGERPRINT,
        ):
            value = value.split(placeholder)[0]
        if value not in synthesized:
            missing.append(f"{name.what}: {value}")
    return missing


def test_derived_names_are_the_names_the_stacks_build() -> None:
    config = config_with(
        data_capture__enabled=True,
        waf__allow_cidrs=["10.0.0.0/8"],
        model__image_uri="123456789012.dkr.ecr.{region}.amazonaws.com/m:1",
        # Off: the longest alarm names, the `-notify` twins of the disarmed rollback alarms.
        rollout__auto_rollback=False,
    )
    region = config.regions[-1]  # not us-east-1: the health alarm topic lives there
    synthesized = json.dumps(synth_region(config, region)) + json.dumps(synth_bootstrap(config))
    unescaped = synthesized.replace("\\/", "/")
    names = [
        n
        for n in _derived_in(config, unescaped)
        if not re.search(r"us-east-1", n) or region == "us-east-1"
    ]
    assert names == []
