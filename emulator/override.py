"""Point a copy of a synthesized stack at the emulator, through a Terraform override file.

Terraform merges every `*_override.tf.json` into the configuration it sits beside: a backend in an
override replaces the original backend, and a provider block merges, argument by argument, into
the provider block with the same name and alias (a nested block such as `endpoints` replaces the
original's). So the stack is tested exactly as synthesized, except where it talks to AWS. The
override goes into a copy; what users deploy never changes.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from emulator.moto_server import ACCESS_KEY, SECRET_KEY

OVERRIDE_FILE = "zz_emulator_override.tf.json"
STATE_FILE = "terraform.tfstate"

# Provider `endpoints` keys a resource or data-source type calls, by type family: a family matches
# the type of that name and every type that continues it with `_` (`aws_lb` matches
# `aws_lb_listener`, not `aws_lambda_function`). The longest matching family wins. An empty tuple
# means the type makes no API call. A type no family matches fails the test: add its row here.
ENDPOINTS_BY_TYPE_FAMILY: dict[str, tuple[str, ...]] = {
    # Computed locally by the provider.
    "aws_default_tags": (),
    "aws_iam_policy_document": (),
    "aws_partition": (),
    "aws_region": (),
    "aws_lb_hosted_zone_id": (),
    "aws_route53_traffic_policy_document": (),
    # Terraform's built-in provider: no AWS call.
    "terraform_data": (),
    # Identity, keys, storage.
    "aws_caller_identity": ("sts",),
    "aws_iam": ("iam",),
    "aws_kms": ("kms",),
    "aws_s3": ("s3",),
    "aws_s3_access_point": ("s3control",),
    "aws_s3_account_public_access_block": ("s3control",),
    "aws_dynamodb": ("dynamodb",),
    # Inference and scaling.
    "aws_sagemaker": ("sagemaker",),
    "aws_appautoscaling": ("applicationautoscaling",),
    # Network and traffic.
    "aws_availability_zones": ("ec2",),
    "aws_default_security_group": ("ec2",),
    "aws_ec2": ("ec2",),
    "aws_eip": ("ec2",),
    "aws_flow_log": ("ec2",),
    "aws_internet_gateway": ("ec2",),
    "aws_nat_gateway": ("ec2",),
    "aws_network_acl": ("ec2",),
    "aws_route": ("ec2",),
    "aws_security_group": ("ec2",),
    "aws_subnet": ("ec2",),
    "aws_subnets": ("ec2",),
    "aws_vpc": ("ec2",),
    "aws_lb": ("elbv2",),
    "aws_alb": ("elbv2",),
    "aws_lb_cookie_stickiness_policy": ("elb",),
    "aws_lb_ssl_negotiation_policy": ("elb",),
    "aws_acm": ("acm",),
    "aws_route53": ("route53",),
    "aws_route53_resolver": ("route53resolver",),
    "aws_wafv2": ("wafv2",),
    # Proxy functions and observability.
    "aws_lambda": ("lambda",),
    "aws_cloudwatch": ("cloudwatch",),
    "aws_cloudwatch_event": ("events",),
    "aws_cloudwatch_log": ("logs",),
    "aws_cloudwatch_query_definition": ("logs",),
    "aws_sns": ("sns",),
}

# The provider itself calls STS (account and credential checks) whatever the stack contains.
PROVIDER_ENDPOINTS = ("sts",)


class UnmappedTypeError(AssertionError):
    """A stack uses a resource or data-source type the emulator mapping does not know yet."""


def endpoints_for_type(type_name: str) -> tuple[str, ...]:
    """The `endpoints` keys one resource or data-source type needs; fails on an unknown type."""
    families = [
        family
        for family in ENDPOINTS_BY_TYPE_FAMILY
        if type_name == family or type_name.startswith(family + "_")
    ]
    if not families:
        raise UnmappedTypeError(
            f"{type_name} is not in ENDPOINTS_BY_TYPE_FAMILY (emulator/override.py): add "
            "the provider `endpoints` key(s) of the AWS service it calls, so the emulator "
            "receives its requests instead of AWS"
        )
    return ENDPOINTS_BY_TYPE_FAMILY[max(families, key=len)]


def used_types(stack: dict[str, Any]) -> list[str]:
    """Every resource and data-source type a synthesized stack declares."""
    return sorted({*stack.get("resource", {}), *stack.get("data", {})})


def endpoint_services(stack: dict[str, Any]) -> list[str]:
    """The provider `endpoints` keys a synthesized stack needs, derived from its types."""
    services = set(PROVIDER_ENDPOINTS)
    for type_name in used_types(stack):
        services.update(endpoints_for_type(type_name))
    return sorted(services)


def _provider_configs(stack: dict[str, Any]) -> Iterable[dict[str, Any]]:
    configs = stack.get("provider", {}).get("aws", [])
    return configs if isinstance(configs, list) else [configs]


def emulator_override(stack: dict[str, Any], endpoint_url: str, state_path: Path) -> dict[str, Any]:
    """The override: local state, fake credentials, and every used service sent to the emulator."""
    endpoints = dict.fromkeys(endpoint_services(stack), endpoint_url)
    emulator_settings = {
        "access_key": ACCESS_KEY,
        "secret_key": SECRET_KEY,
        "skip_credentials_validation": True,
        "skip_requesting_account_id": True,
        "skip_metadata_api_check": True,
        "s3_use_path_style": True,
        # The SDK counts attempts (1 means no retry). The default, 25 with back-off, turns an
        # API moto lacks into minutes of waiting; 2 keeps one retry for a dropped connection
        # (seen once in a destroy) and still fails a missing API within seconds.
        "max_retries": 2,
        "endpoints": [endpoints],
    }
    # One override per provider configuration: Terraform merges by name and alias.
    providers = [
        {**({"alias": config["alias"]} if "alias" in config else {}), **emulator_settings}
        for config in _provider_configs(stack)
    ]
    return {
        "terraform": {"backend": {"local": {"path": str(state_path)}}},
        "provider": {"aws": providers},
    }


def prepare_stack(synthesized_dir: Path, workdir: Path, endpoint_url: str) -> Path:
    """Copy a synthesized stack folder to `workdir` and add the emulator override; return it."""
    shutil.copytree(synthesized_dir, workdir, dirs_exist_ok=True)
    stack = json.loads((workdir / "cdk.tf.json").read_text())
    override = emulator_override(stack, endpoint_url, workdir / STATE_FILE)
    (workdir / OVERRIDE_FILE).write_text(json.dumps(override, indent=2) + "\n")
    return workdir
