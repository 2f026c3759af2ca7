"""Given an authentication mode in the configuration, when synthesized, then the proxy, the load
balancer, the WAF and the health check carry it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from config.models import JWT_ALGORITHMS, ServiceConfig
from tests.support.configs import REMOVE, config_with
from tests.support.lookup import by_key_prefix, ref
from tests.support.synth import only, resources, synth_region

MUTUAL_TLS = {
    "ca_bundle_s3_bucket": "example-trust-{region}",
    "ca_bundle_s3_key": "clients/ca-bundle.pem",
}


@pytest.fixture(scope="module")
def jwt_stack(example_config: ServiceConfig) -> dict[str, Any]:
    return synth_region(example_config, "eu-west-1")


@pytest.fixture(scope="module")
def mtls_stack() -> dict[str, Any]:
    config = config_with(authentication={"mutual_tls": MUTUAL_TLS})
    return synth_region(config, "eu-west-1")


def function(stack: dict[str, Any], prefix: str = "proxy_function") -> dict[str, Any]:
    """The proxy's function (`ping_function`: the one that answers `/ping` apart)."""
    return by_key_prefix(stack, "aws_lambda_function", prefix)[1]


def variables(stack: dict[str, Any], prefix: str = "proxy_function") -> dict[str, str]:
    found: dict[str, str] = function(stack, prefix)["environment"]["variables"]
    return found


def waf_rules(stack: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in only(stack, "aws_wafv2_web_acl")["rule"]}


def listeners(stack: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {lst["port"]: lst for lst in resources(stack, "aws_lb_listener").values()}


def test_jwt_settings_reach_the_proxy(
    jwt_stack: dict[str, Any], example_config: ServiceConfig
) -> None:
    jwt = example_config.authentication.jwt
    assert jwt is not None
    found = variables(jwt_stack)
    assert found["AUTH_MODE"] == "jwt"
    assert found["JWT_ISSUER"] == jwt.issuer
    assert json.loads(found["JWT_AUDIENCES"]) == jwt.audiences
    assert json.loads(found["JWT_REQUIRED_SCOPES"]) == jwt.required_scopes
    assert json.loads(found["JWT_ALGORITHMS"]) == ["RS256"]
    assert (found["JWT_LEEWAY_S"], found["JWKS_MAX_AGE_S"], found["JWKS_MIN_REFRESH_S"]) == (
        "30",
        "3600",
        "60",
    )
    # Not configured: the proxy finds the JWKS through the issuer's discovery document.
    assert "JWT_JWKS_URL" not in found


def test_explicit_jwks_url_and_default_algorithms_reach_the_proxy() -> None:
    config = config_with(
        **{
            "authentication.jwt.jwks_url": "https://keys.example.com/jwks.json",
            "authentication.jwt.algorithms": REMOVE,
        }
    )
    found = variables(synth_region(config, "eu-west-1"))
    assert found["JWT_JWKS_URL"] == "https://keys.example.com/jwks.json"
    assert json.loads(found["JWT_ALGORITHMS"]) == list(JWT_ALGORITHMS)


@pytest.mark.parametrize("prefix", ["proxy_function", "ping_function"])
def test_function_zip_is_built_for_its_architecture(jwt_stack: dict[str, Any], prefix: str) -> None:
    found = function(jwt_stack, prefix)
    assert found["architectures"] == ["x86_64"]
    assert found["runtime"] == "python3.12"


def test_ping_function_runs_the_proxys_package_with_its_authentication(
    jwt_stack: dict[str, Any],
) -> None:
    # The handler reads AUTH_MODE and the JWT_* variables at cold start, `/ping` included.
    proxy, ping = function(jwt_stack), function(jwt_stack, "ping_function")
    assert (ping["filename"], ping["source_code_hash"]) == (
        proxy["filename"],
        proxy["source_code_hash"],
    )
    proxy_auth = {k: v for k, v in variables(jwt_stack).items() if k.startswith(("AUTH", "JW"))}
    ping_auth = {
        k: v
        for k, v in variables(jwt_stack, "ping_function").items()
        if k.startswith(("AUTH", "JW"))
    }
    assert proxy_auth["AUTH_MODE"] == "jwt"
    assert ping_auth == proxy_auth


def test_jwt_adds_a_per_caller_rate_limit_beside_the_per_ip_one(
    jwt_stack: dict[str, Any], example_config: ServiceConfig
) -> None:
    rules = waf_rules(jwt_stack)
    assert rules["rate-limit-per-ip"]["statement"]["rate_based_statement"][
        "aggregate_key_type"
    ] == ("IP")
    statement = rules["rate-limit-per-caller"]["statement"]["rate_based_statement"]
    assert statement == {
        "limit": example_config.waf.rate_limit_per_caller_per_5_min,
        "aggregate_key_type": "CUSTOM_KEYS",
        "evaluation_window_sec": 300,
        "custom_key": [
            {
                "header": {
                    "name": "authorization",
                    "text_transformation": [{"priority": 0, "type": "NONE"}],
                }
            }
        ],
    }
    assert rules["rate-limit-per-caller"]["action"] == {"block": {}}


def test_jwt_keeps_the_listener_without_client_certificates(jwt_stack: dict[str, Any]) -> None:
    assert "mutual_authentication" not in listeners(jwt_stack)[443]
    assert not resources(jwt_stack, "aws_lb_trust_store")
    assert sorted(listeners(jwt_stack)) == [80, 443]


def test_mutual_tls_builds_a_trust_store_from_the_regions_bundle(
    mtls_stack: dict[str, Any],
) -> None:
    store = only(mtls_stack, "aws_lb_trust_store")
    assert store["ca_certificates_bundle_s3_bucket"] == "example-trust-eu-west-1"
    assert store["ca_certificates_bundle_s3_key"] == "clients/ca-bundle.pem"
    key = next(iter(resources(mtls_stack, "aws_lb_trust_store")))
    assert listeners(mtls_stack)[443]["mutual_authentication"] == {
        "mode": "verify",
        "trust_store_arn": ref("aws_lb_trust_store", key, "arn"),
    }


def test_mutual_tls_proxy_checks_no_token_and_waf_keys_no_caller(
    mtls_stack: dict[str, Any],
) -> None:
    assert variables(mtls_stack)["AUTH_MODE"] == "mutual_tls"
    assert "rate-limit-per-caller" not in waf_rules(mtls_stack)
    assert variables(mtls_stack, "ping_function")["AUTH_MODE"] == "mutual_tls"


def test_route53_checkers_get_a_ping_only_listener_under_mutual_tls(
    mtls_stack: dict[str, Any],
) -> None:
    health = listeners(mtls_stack)[8443]
    assert "mutual_authentication" not in health
    assert health["default_action"][0]["type"] == "fixed-response"
    assert health["default_action"][0]["fixed_response"]["status_code"] == "404"
    health_key = next(
        k for k, r in resources(mtls_stack, "aws_lb_listener").items() if r["port"] == 8443
    )
    (rule,) = [
        r
        for r in resources(mtls_stack, "aws_lb_listener_rule").values()
        if r["listener_arn"] == ref("aws_lb_listener", health_key, "arn")
    ]
    conditions = {next(iter(c)): c for c in rule["condition"]}
    assert conditions["path_pattern"]["path_pattern"]["values"] == ["/ping"]
    assert conditions["http_request_method"]["http_request_method"]["values"] == ["GET"]
    assert rule["action"][0]["type"] == "forward"


def test_health_listener_forwards_ping_to_the_ping_functions_target_group(
    mtls_stack: dict[str, Any],
) -> None:
    health_key = next(
        k for k, r in resources(mtls_stack, "aws_lb_listener").items() if r["port"] == 8443
    )
    (rule,) = [
        r
        for r in resources(mtls_stack, "aws_lb_listener_rule").values()
        if r["listener_arn"] == ref("aws_lb_listener", health_key, "arn")
    ]
    ping_group_key, _ = by_key_prefix(mtls_stack, "aws_lb_target_group", "load_balancer_ping")
    assert rule["action"][0]["target_group_arn"] == ref(
        "aws_lb_target_group", ping_group_key, "arn"
    )


def test_route53_calls_the_health_port_under_the_calculated_check(
    mtls_stack: dict[str, Any],
) -> None:
    checks = resources(mtls_stack, "aws_route53_health_check")
    (https_key,) = [k for k, c in checks.items() if c["type"] == "HTTPS"]
    assert (checks[https_key]["port"], checks[https_key]["resource_path"]) == (8443, "/ping")
    (calculated,) = [c for c in checks.values() if c["type"] == "CALCULATED"]
    assert ref("aws_route53_health_check", https_key, "id") in calculated["child_healthchecks"]


def test_only_route53_checkers_reach_the_health_port(mtls_stack: dict[str, Any]) -> None:
    on_port = [
        r
        for r in resources(mtls_stack, "aws_vpc_security_group_ingress_rule").values()
        if r["from_port"] == 8443
    ]
    assert len(on_port) == 1
    assert "cidr_ipv4" not in on_port[0]
    prefix_key = next(iter(mtls_stack["data"]["aws_ec2_managed_prefix_list"]))
    assert on_port[0]["prefix_list_id"] == ref("data.aws_ec2_managed_prefix_list", prefix_key, "id")
    prefix = mtls_stack["data"]["aws_ec2_managed_prefix_list"][prefix_key]
    assert prefix["name"] == "com.amazonaws.eu-west-1.route53-healthchecks"


def test_opt_out_synthesizes_an_unchecked_proxy() -> None:
    config = config_with(authentication={"allow_unauthenticated": True})
    stack = synth_region(config, "eu-west-1")
    assert variables(stack)["AUTH_MODE"] == "none"
    assert "rate-limit-per-caller" not in waf_rules(stack)
