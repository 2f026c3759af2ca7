"""What AWS accepts, read from the installed botocore's service models where they carry it.

botocore ships each AWS API's model: string lengths and patterns, enums (SageMaker hosting
instance types), list and map sizes, numeric ranges. Reading them at check time, instead of
copying them here, means upgrading botocore updates the rules. Models load lazily, once per
process (`functools.cache`), and only the services a check touches: `python -m config check`
stays well under a second.

A few limits are written only in prose inside the model's documentation (CloudWatch Logs
retention values, ACM's 64-character limit on a certificate's first name, Route 53's ten tags);
they are parsed from that text, and a test fails if a botocore upgrade changes the wording.
Limits that live only in AWS's or HashiCorp's documentation are in `DOCUMENTED`, each with its
page.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from dataclasses import dataclass
from typing import Any

# Java-style Unicode classes in AWS patterns, in Python's `re` terms: `\w` is letters, digits
# (any script) and `_`; `\p{Z}` is Unicode's space separators.
_SPACE_SEPARATORS = " \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"


@functools.cache
def _loader() -> Any:
    from botocore.loaders import Loader  # import on first use: keeps start-up fast

    return Loader()


@functools.cache
def _shapes(service: str) -> dict[str, Any]:
    shapes: dict[str, Any] = _loader().load_service_model(service, "service-2")["shapes"]
    return shapes


def botocore_version() -> str:
    import botocore

    return str(botocore.__version__)


def _python_pattern(pattern: str) -> str:
    """An AWS (Java) regular expression as a Python one, anchored for a full match."""
    translated = (
        pattern.replace(r"\p{L}\p{Z}\p{N}", r"\w" + _SPACE_SEPARATORS)
        .replace(r"\p{L}", r"\w")
        .replace(r"\p{N}", r"\d")
        .replace(r"\p{Z}", _SPACE_SEPARATORS)
        # Java writes supplementary characters as a range of surrogate pairs.
        .replace(r"\uD800\uDC00-\uDBFF\uDFFF", r"\U00010000-\U0010FFFF")
        # Only ever used outside a character class (`\p{Print}+`).
        .replace(r"\p{Print}", r"[^\x00-\x1f\x7f]")
    )
    return translated


@dataclass(frozen=True)
class ShapeLimit:
    """The limits of one botocore shape: `<service>.<Shape>`."""

    service: str
    shape: str
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    enum: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None

    @property
    def _unit(self) -> str:
        kind = _shapes(self.service)[self.shape].get("type")
        return "entries" if kind in ("list", "map") else "characters"

    @property
    def source(self) -> str:
        return f"botocore {self.service} {self.shape}"

    def describe(self) -> str:
        """How the README states it, e.g. `1-63 characters matching …`."""
        parts = []
        if self.enum:
            parts.append(f"one of {len(self.enum)} values")
        if self.max_length is not None:
            parts.append(f"{self.min_length or 0}-{self.max_length} {self._unit}")
        elif self.min_length:
            parts.append(f"at least {self.min_length} {self._unit}")
        if self.minimum is not None or self.maximum is not None:
            low = "" if self.minimum is None else f"≥ {self.minimum:g}"
            high = "" if self.maximum is None else f"≤ {self.maximum:g}"
            parts.append(" ".join(p for p in (low, high) if p))
        if self.pattern:
            parts.append(f"pattern `{self.pattern}`")
        return f"{', '.join(parts)} ({self.source})"

    def problem(self, value: Any) -> str | None:
        """What is wrong with `value` for this shape, or None."""
        if self.enum and value not in self.enum:
            return f"not one of the {len(self.enum)} values of {self.source}"
        if isinstance(value, str | list | dict | tuple):
            size = len(value)
            if self.max_length is not None and size > self.max_length:
                unit = "characters" if isinstance(value, str) else "entries"
                return f"{size} {unit}; {self.source} allows at most {self.max_length}"
            if self.min_length is not None and size < self.min_length:
                unit = "characters" if isinstance(value, str) else "entries"
                return f"{size} {unit}; {self.source} needs at least {self.min_length}"
        compiled = _compiled(self.pattern) if self.pattern else None
        if isinstance(value, str) and compiled is not None and not compiled.fullmatch(value):
            return f"does not match {self.source}'s pattern {self.pattern}"
        if isinstance(value, int | float) and not isinstance(value, bool):
            if self.maximum is not None and value > self.maximum:
                return f"{value} is above {self.source}'s maximum {self.maximum:g}"
            if self.minimum is not None and value < self.minimum:
                return f"{value} is below {self.source}'s minimum {self.minimum:g}"
        return None


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(_python_pattern(pattern))
    except re.error:
        # A construct this translation does not know: the length and enum checks still apply,
        # and tests/config/test_aws_limits.py compiles every pattern the rules use.
        return None


@functools.cache
def shape(service: str, name: str) -> ShapeLimit:
    """`ShapeLimit` of botocore's `<service>` model shape `name`; KeyError if it has none."""
    raw = _shapes(service)[name]
    numeric = raw.get("type") in ("integer", "long", "double", "float")
    return ShapeLimit(
        service=service,
        shape=name,
        min_length=None if numeric else raw.get("min"),
        max_length=None if numeric else raw.get("max"),
        pattern=raw.get("pattern"),
        enum=tuple(raw.get("enum", ())),
        minimum=raw.get("min") if numeric else None,
        maximum=raw.get("max") if numeric else None,
    )


def _documentation(service: str, shape_name: str, member: str | None = None) -> str:
    raw = _shapes(service)[shape_name]
    if member is not None:
        raw = raw["members"][member]
    return str(raw.get("documentation", ""))


@functools.cache
def sagemaker_instance_types() -> frozenset[str]:
    """Instance types a SageMaker production variant (real-time hosting) accepts."""
    return frozenset(shape("sagemaker", "ProductionVariantInstanceType").enum)


# If a botocore upgrade rewords the documentation these are parsed from, the parse returns
# None and `tests/config/test_aws_limits.py` fails: the fallback below never hides it for long.
_RETENTION_FALLBACK = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096)


def _parse_retention_days() -> tuple[int, ...] | None:
    text = _documentation("logs", "Days")
    match = re.search(r"Possible values are:([\d,\sand]+)\.", text)
    if match is None:
        return None
    return tuple(int(n) for n in re.findall(r"\d+", match.group(1)))


@functools.cache
def log_retention_days() -> tuple[int, ...]:
    """Values CloudWatch Logs accepts for a log group's retention (botocore logs `Days`)."""
    return _parse_retention_days() or _RETENTION_FALLBACK


def _parse_acm_first_name_length() -> int | None:
    text = _documentation("acm", "RequestCertificateRequest", "DomainName")
    match = re.search(r"cannot exceed (\d+) octets", text)
    return int(match.group(1)) if match else None


@functools.cache
def acm_domain_name_length() -> int:
    """Longest first name (Common Name) of an ACM certificate; longer ones fit only in SANs."""
    return _parse_acm_first_name_length() or 64


def _parse_route53_tag_count() -> int | None:
    return shape("route53", "TagList").max_length


@functools.cache
def route53_max_tags() -> int:
    """Tags a Route 53 health check may carry (botocore route53 `TagList`, max 10)."""
    return _parse_route53_tag_count() or 10


def _parse_target_value_exponent() -> int | None:
    text = _documentation(
        "application-autoscaling", "TargetTrackingScalingPolicyConfiguration", "TargetValue"
    )
    match = re.search(r"range of -2\^(\d+) to 2\^(\d+)", text)
    return int(match.group(2)) if match else None


@functools.cache
def max_target_value() -> float:
    """Largest target-tracking target Application Auto Scaling accepts (2^360, from its docs)."""
    return float(2 ** (_parse_target_value_exponent() or 360))


# Tag keys and values reach every tagging API the stacks use: each must accept them.
TAG_SHAPES: tuple[tuple[str, str, str], ...] = (
    ("sagemaker", "TagKey", "TagValue"),
    ("iam", "tagKeyType", "tagValueType"),
    ("elbv2", "TagKey", "TagValue"),
    ("lambda", "TagKey", "TagValue"),
    ("acm", "TagKey", "TagValue"),
    ("wafv2", "TagKey", "TagValue"),
    ("kms", "TagKeyType", "TagValueType"),
    ("route53", "TagKey", "TagValue"),
)


@dataclass(frozen=True)
class Documented:
    """A limit that only AWS's or HashiCorp's documentation states."""

    text: str
    url: str


DOCUMENTED = {
    # https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
    "s3_bucket": Documented(
        "3-63 characters: lowercase letters, digits, `.` and `-`; starts and ends with a letter "
        "or digit; no `..`; not an IP address; no prefix `xn--`, `sthree-`, `amzn-s3-demo-`; "
        "no suffix `-s3alias`, `--ol-s3`, `.mrap`, `--x-s3`, `--table-s3`",
        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html",
    ),
    # https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html
    # (also in botocore's prose, but not as a shape constraint)
    "alb_name": Documented(
        "at most 32 characters, letters, digits and `-`, not starting or ending with `-`, not "
        "starting with `internal-`",
        "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html",
    ),
    # https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html
    "target_group_name": Documented(
        "at most 32 characters, letters, digits and `-`, not starting or ending with `-`",
        "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html",
    ),
    # https://developer.hashicorp.com/terraform/cloud-docs/workspaces/create
    "tfc_workspace": Documented(
        "at most 90 characters: letters, digits, `-` and `_`",
        "https://developer.hashicorp.com/terraform/cloud-docs/workspaces/create",
    ),
    # https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html
    "tags_per_resource": Documented(
        "at most 50 tags per resource, counting the ones the stacks add",
        "https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html",
    ),
    # https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html
    "security_group_rules": Documented(
        "at most 60 inbound rules per security group (two per CIDR: ports 443 and 80)",
        "https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html",
    ),
    # https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html
    "vpc_cidr": Documented(
        "an IPv4 network between /16 and /24, not loopback, link-local, multicast or reserved; "
        "where a VPC is created, /23 or larger: its 16 subnets must be /27 or larger for the "
        "load balancer (docs/configuration-rules.md)",
        "https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html",
    ),
    # https://docs.aws.amazon.com/waf/latest/developerguide/limits.html
    "waf_ip_set": Documented(
        "at most 10,000 IPv4 CIDRs in an IP set",
        "https://docs.aws.amazon.com/waf/latest/developerguide/limits.html",
    ),
}

MAX_TAGS_PER_RESOURCE = 50
MAX_SECURITY_GROUP_INBOUND_RULES = 60
MAX_WAF_IP_SET_ADDRESSES = 10_000
MAX_TFC_WORKSPACE_NAME = 90
MAX_S3_KEY_BYTES = 1024
INT32_MAX = 2**31 - 1

_S3_FORBIDDEN_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_S3_FORBIDDEN_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
_S3_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


def s3_bucket_problem(name: str) -> str | None:
    """What S3's bucket naming rules say against `name`, or None."""
    if not 3 <= len(name) <= 63:
        return f"{len(name)} characters; S3 bucket names have 3-63"
    if not _S3_BUCKET.fullmatch(name):
        return (
            "S3 bucket names use lowercase letters, digits, `.` and `-`, and start and end with "
            "a letter or digit"
        )
    if ".." in name:
        return "S3 bucket names may not contain two adjacent periods"
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        pass
    else:
        return "S3 bucket names may not look like an IP address"
    for prefix in _S3_FORBIDDEN_PREFIXES:
        if name.startswith(prefix):
            return f"S3 reserves the prefix `{prefix}`"
    for suffix in _S3_FORBIDDEN_SUFFIXES:
        if name.endswith(suffix):
            return f"S3 reserves the suffix `{suffix}`"
    return None


_ELB_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?")


def elb_name_problem(name: str, *, load_balancer: bool) -> str | None:
    """ALB and target group names: 32 characters, alphanumerics and hyphens."""
    if len(name) > 32:
        return f"{len(name)} characters; load balancer and target group names have at most 32"
    if not _ELB_NAME.fullmatch(name):
        return "use letters, digits and `-`, not starting or ending with `-`"
    if load_balancer and name.startswith("internal-"):
        return "load balancer names may not start with `internal-`"
    return None
