"""Authentication in the configuration: required for a public load balancer, one clear message
naming the field and the three choices when missing, the opt-out spelled out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from config.loader import ConfigError, load_config
from config.models import ServiceConfig
from stacks.summary import summary
from tests.support.configs import REMOVE, config_with, write_config

JWT = {
    "issuer": "https://example.okta.com/oauth2/default",
    "audiences": ["api://scoring"],
}
MUTUAL_TLS = {"ca_bundle_s3_bucket": "trust-{region}", "ca_bundle_s3_key": "ca.pem"}


def problems(tmp_path: Path, overrides: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(tmp_path, overrides))
    return caught.value.problems


def test_public_load_balancer_without_authentication_is_refused_naming_the_choices(
    tmp_path: Path,
) -> None:
    (problem,) = problems(tmp_path, {"authentication": REMOVE})
    assert problem.startswith("authentication: a public load balancer")
    for choice in (
        "authentication.jwt",
        "authentication.mutual_tls",
        "authentication.allow_unauthenticated: true",
    ):
        assert choice in problem


def test_internal_load_balancer_may_leave_authentication_out() -> None:
    # An internal load balancer needs a network its clients reach (network.existing).
    existing = {
        region: {
            "vpc_id": "vpc-0123456789abcdef0",
            "public_subnet_ids": ["subnet-0a0a0a0a", "subnet-0b0b0b0b"],
            "private_subnet_ids": ["subnet-0c0c0c0c", "subnet-0d0d0d0d"],
        }
        for region in ("us-east-1", "eu-west-1")
    }
    config = config_with(
        authentication=REMOVE,
        load_balancer={"internal": True, "deletion_protection": True},
        network={"existing": existing},
    )
    assert not config.authentication.configured


def test_opt_out_is_accepted_when_spelled_out() -> None:
    config = config_with(authentication={"allow_unauthenticated": True})
    assert config.authentication.modes == ["none"]


def test_opt_out_beside_a_mode_is_refused(tmp_path: Path) -> None:
    (problem,) = problems(tmp_path, {"authentication": {"jwt": JWT, "allow_unauthenticated": True}})
    assert problem.startswith("authentication: ")
    assert "remove allow_unauthenticated" in problem


def test_jwt_and_mutual_tls_may_be_combined() -> None:
    config = config_with(authentication={"jwt": JWT, "mutual_tls": MUTUAL_TLS})
    assert config.authentication.modes == ["jwt", "mutual_tls"]


@pytest.mark.parametrize(
    ("jwt", "field"),
    [
        ({**JWT, "issuer": "http://example.okta.com"}, "authentication.jwt.issuer"),
        ({**JWT, "audiences": []}, "authentication.jwt.audiences"),
        ({**JWT, "algorithms": ["HS256"]}, "authentication.jwt.algorithms[0]"),
        ({**JWT, "algorithms": ["none"]}, "authentication.jwt.algorithms[0]"),
        ({**JWT, "required_scopes": ["two words"]}, "authentication.jwt.required_scopes[0]"),
        ({**JWT, "leeway_s": 3600}, "authentication.jwt.leeway_s"),
    ],
)
def test_jwt_settings_outside_their_bounds_are_refused(
    tmp_path: Path, jwt: dict[str, Any], field: str
) -> None:
    found = problems(tmp_path, {"authentication": {"jwt": jwt}})
    assert any(p.startswith(f"{field}: ") for p in found), found


def test_a_refused_algorithm_is_answered_with_the_names_as_they_must_be_written(
    tmp_path: Path,
) -> None:
    # The file must spell them as JWS does (RS256, EdDSA); the answer quotes them so.
    (found,) = problems(tmp_path, {"authentication": {"jwt": {**JWT, "algorithms": ["HS256"]}}})
    assert found.startswith("authentication.jwt.algorithms[0]: 'HS256' is not allowed; input ")
    assert "'RS256'" in found and "'EdDSA'" in found
    assert "rs256" not in found


def test_health_check_port_may_not_be_a_service_port(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        {"authentication": {"mutual_tls": {**MUTUAL_TLS, "health_check_port": 443}}},
    )
    assert any(p.startswith("authentication.mutual_tls.health_check_port: ") for p in found)


def summary_of(config: ServiceConfig) -> str:
    return summary(config, Path("config.yaml"), [], "cdktf.out")


def test_summary_flags_an_unauthenticated_public_service() -> None:
    text = summary_of(config_with(authentication={"allow_unauthenticated": True}))
    assert "WARNING: none - the public load balancer serves anyone" in text


def test_summary_names_the_issuer(example_config: ServiceConfig) -> None:
    assert example_config.authentication.jwt is not None
    assert f"auth:        JWT from {example_config.authentication.jwt.issuer}" in summary_of(
        example_config
    )


@pytest.mark.parametrize(
    ("bucket", "reason"),
    [
        ("ab..cd-{region}", "two adjacent periods"),
        ("xn--trust-{region}", "xn--"),
    ],
)
def test_ca_bundle_bucket_is_checked_per_region_against_s3s_naming_rules(
    tmp_path: Path, bucket: str, reason: str
) -> None:
    mutual_tls = {"ca_bundle_s3_bucket": bucket, "ca_bundle_s3_key": "ca.pem"}
    (problem,) = problems(tmp_path, {"authentication": {"mutual_tls": mutual_tls}})
    assert problem.startswith("authentication.mutual_tls.ca_bundle_s3_bucket: the CA bundle bucket")
    assert bucket.replace("{region}", "us-east-1") in problem and reason in problem


def test_ca_bundle_key_over_s3s_limit_is_refused(tmp_path: Path) -> None:
    # 1,024 characters pass the field's own limit; 1,024 two-byte characters are 2,048 bytes.
    mutual_tls = {"ca_bundle_s3_bucket": "example-trust-{region}", "ca_bundle_s3_key": "é" * 1024}
    (problem,) = problems(tmp_path, {"authentication": {"mutual_tls": mutual_tls}})
    assert problem.startswith("authentication.mutual_tls.ca_bundle_s3_key: the CA bundle key")
    assert "2048 bytes" in problem
