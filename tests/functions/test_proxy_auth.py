"""Callers of the inference proxy with `AUTH_MODE=jwt`: the attacks each refused, the model never
called; a valid token let through.

Given keys generated here and a JWKS served on 127.0.0.1, when the handler gets a request with
a token, then its answer and the fake model's call count say whether the caller got through.
The model is a real HTTP server (emulator/fake_runtime.py) reached through botocore, so
"zero model calls" is counted, not assumed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib.util
import json
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import botocore.loaders
import botocore.session
import jwt
import pytest
from botocore.stub import Stubber
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from emulator.fake_runtime import FakeRuntime, fake_runtime

HANDLER_PATH = Path(__file__).resolve().parents[2] / "functions" / "inference_proxy" / "handler.py"
AUDIENCE = "api://scoring"
SCOPE = "inference/invoke"
MAX_AGE_S = 3600
MIN_REFRESH_S = 60
# One loader for every test: parsing the SageMaker service models again per test is most of the
# time a cold handler takes.
BOTOCORE_LOADER = botocore.loaders.create_loader()


@dataclass
class Issuer:
    """An OIDC issuer on 127.0.0.1: discovery document and JWKS, with a request count."""

    jwks: dict[str, Any] = field(default_factory=lambda: {"keys": []})
    url: str = ""
    jwks_requests: int = 0
    down: bool = False


def _issuer_handler(issuer: Issuer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if issuer.down:
                self.send_error(503)
                return
            if self.path == "/.well-known/openid-configuration":
                body = {"issuer": issuer.url, "jwks_uri": f"{issuer.url}/jwks.json"}
            elif self.path == "/jwks.json":
                issuer.jwks_requests += 1
                body = issuer.jwks
            else:
                self.send_error(404)
                return
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def public_jwk(key: Any, kid: str, alg: str) -> dict[str, Any]:
    algorithm = jwt.get_algorithm_by_name(alg)
    jwk = json.loads(algorithm.to_jwk(key.public_key()))
    return {**jwk, "kid": kid, "alg": alg, "use": "sig"}


@pytest.fixture
def issuer(rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey) -> Iterator[Issuer]:
    found = Issuer(jwks={"keys": [public_jwk(rsa_key, "rsa-1", "RS256")]})
    server = ThreadingHTTPServer(("127.0.0.1", 0), _issuer_handler(found))
    server.daemon_threads = True
    found.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def shared_model() -> Iterator[FakeRuntime]:
    with fake_runtime() as fake:
        yield fake


@pytest.fixture
def model(shared_model: FakeRuntime) -> FakeRuntime:
    shared_model.calls = 0
    return shared_model


def load_handler(
    monkeypatch: pytest.MonkeyPatch, model: FakeRuntime, issuer_url: str, **env: str
) -> ModuleType:
    settings = {
        "ENDPOINT_NAME": "demo-endpoint",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": "/nonexistent/aws-config",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME": model.url,
        "AUTH_MODE": "jwt",
        "JWT_ISSUER": issuer_url,
        "JWT_AUDIENCES": json.dumps([AUDIENCE]),
        "JWT_REQUIRED_SCOPES": json.dumps([SCOPE]),
        "JWT_ALGORITHMS": json.dumps(["RS256", "ES256"]),
        "JWT_LEEWAY_S": "30",
        "JWKS_MAX_AGE_S": str(MAX_AGE_S),
        "JWKS_MIN_REFRESH_S": str(MIN_REFRESH_S),
        **env,
    }
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("JWT_JWKS_URL", raising=False)
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    core = botocore.session.get_session()
    core.register_component("data_loader", BOTOCORE_LOADER)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", boto3.Session(botocore_session=core))
    spec = importlib.util.spec_from_file_location("inference_proxy_auth_handler", HANDLER_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch, model: FakeRuntime, issuer: Issuer) -> ModuleType:
    # The issuer's discovery document names the JWKS (no JWT_JWKS_URL).
    return load_handler(monkeypatch, model, issuer.url)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(proxy: ModuleType) -> Clock:
    fake = Clock()
    proxy._authenticator().keys.clock = fake
    return fake


def claims(issuer: Issuer, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    found = {
        "iss": issuer.url,
        "aud": AUDIENCE,
        "sub": "caller-1",
        "client_id": "client-1",
        "scope": f"openid {SCOPE}",
        "iat": now,
        "exp": now + 300,
    }
    for name, value in changes.items():
        if value is None:
            found.pop(name, None)
        else:
            found[name] = value
    return found


def rs256(key: rsa.RSAPrivateKey, body: dict[str, Any], kid: str = "rsa-1") -> str:
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": kid})


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hand_made(header: dict[str, Any], body: dict[str, Any], signature: bytes = b"") -> str:
    return ".".join(
        [b64(json.dumps(header).encode()), b64(json.dumps(body).encode()), b64(signature)]
    )


def call(proxy: ModuleType, authorization: str | None) -> dict[str, Any]:
    headers = {"host": "api.example.com", "content-type": "application/json"}
    if authorization is not None:
        headers["authorization"] = authorization
    event = {
        "httpMethod": "POST",
        "path": "/invocations",
        "headers": headers,
        "body": '{"x": 1}',
        "isBase64Encoded": False,
    }
    context = type("Context", (), {"aws_request_id": "req-1"})()
    response: dict[str, Any] = proxy.handler(event, context)
    return response


def assert_refused(
    response: dict[str, Any], model: FakeRuntime, status: int = 401, error: str = "invalid_token"
) -> None:
    assert response["statusCode"] == status, response
    assert model.calls == 0, "the model was called for a refused request"
    challenge = response["headers"]["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="inference"'), challenge
    assert f'error="{error}"' in challenge, challenge


def test_valid_token_reaches_the_model_once(
    proxy: ModuleType, model: FakeRuntime, issuer: Issuer, rsa_key: rsa.RSAPrivateKey
) -> None:
    response = call(proxy, f"Bearer {rs256(rsa_key, claims(issuer))}")
    assert response["statusCode"] == 200, response
    assert model.calls == 1


def test_scp_list_grants_scopes_and_es256_verifies(
    proxy: ModuleType,
    model: FakeRuntime,
    issuer: Issuer,
    ec_key: ec.EllipticCurvePrivateKey,
) -> None:
    issuer.jwks["keys"].append(public_jwk(ec_key, "ec-1", "ES256"))
    body = claims(issuer, scope=None, scp=[SCOPE])
    token = jwt.encode(body, ec_key, algorithm="ES256", headers={"kid": "ec-1"})
    assert call(proxy, f"Bearer {token}")["statusCode"] == 200
    assert model.calls == 1


def test_alg_none_is_refused(proxy: ModuleType, model: FakeRuntime, issuer: Issuer) -> None:
    token = hand_made({"alg": "none", "typ": "JWT", "kid": "rsa-1"}, claims(issuer))
    assert_refused(call(proxy, f"Bearer {token}"), model)


def test_hs256_signed_with_the_public_key_is_refused(
    proxy: ModuleType, model: FakeRuntime, issuer: Issuer, rsa_key: rsa.RSAPrivateKey
) -> None:
    # The classic confusion: the public key (which anyone can fetch) used as an HMAC secret.
    public_pem = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "typ": "JWT", "kid": "rsa-1"}
    signing_input = ".".join(
        [b64(json.dumps(header).encode()), b64(json.dumps(claims(issuer)).encode())]
    )
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    assert_refused(call(proxy, f"Bearer {signing_input}.{b64(signature)}"), model)


@pytest.mark.parametrize(
    ("changes", "case"),
    [
        # Times are offsets from the moment the token is made, not from collection: a worker
        # may run this test minutes after the parameters were built.
        ({"exp": -120}, "expired beyond the 30 s leeway"),
        ({"nbf": 300}, "not yet valid"),
        ({"iss": "https://attacker.example.com"}, "wrong issuer"),
        ({"aud": "api://another-service"}, "wrong audience"),
        ({"exp": None}, "no expiry"),
    ],
)
def test_claims_out_of_bounds_are_refused(
    proxy: ModuleType,
    model: FakeRuntime,
    issuer: Issuer,
    rsa_key: rsa.RSAPrivateKey,
    changes: dict[str, Any],
    case: str,
) -> None:
    now = int(time.time())
    timed = {
        name: now + value if name in ("exp", "nbf") and value is not None else value
        for name, value in changes.items()
    }
    token = rs256(rsa_key, claims(issuer, **timed))
    assert_refused(call(proxy, f"Bearer {token}"), model)


def test_expiry_within_the_leeway_passes(
    proxy: ModuleType, model: FakeRuntime, issuer: Issuer, rsa_key: rsa.RSAPrivateKey
) -> None:
    token = rs256(rsa_key, claims(issuer, exp=int(time.time()) - 5))
    assert call(proxy, f"Bearer {token}")["statusCode"] == 200


def test_missing_scope_is_refused_as_insufficient_scope(
    proxy: ModuleType, model: FakeRuntime, issuer: Issuer, rsa_key: rsa.RSAPrivateKey
) -> None:
    token = rs256(rsa_key, claims(issuer, scope="openid profile"))
    response = call(proxy, f"Bearer {token}")
    # RFC 6750 §3.1: a valid token without the scope is 403 insufficient_scope, naming it.
    assert_refused(response, model, status=403, error="insufficient_scope")
    assert f'scope="{SCOPE}"' in response["headers"]["WWW-Authenticate"]


@pytest.mark.parametrize("part", ["payload", "signature"])
def test_tampered_token_is_refused(
    proxy: ModuleType,
    model: FakeRuntime,
    issuer: Issuer,
    rsa_key: rsa.RSAPrivateKey,
    part: str,
) -> None:
    header, payload, signature = rs256(rsa_key, claims(issuer, scope="openid")).split(".")
    if part == "payload":
        # The scope raised after signing.
        payload = b64(json.dumps(claims(issuer)).encode())
    else:
        raw = bytearray(base64.urlsafe_b64decode(signature + "=="))
        raw[10] ^= 0x01
        signature = b64(bytes(raw))
    assert_refused(call(proxy, f"Bearer {header}.{payload}.{signature}"), model)


def test_unknown_kid_is_refused_and_refetches_at_a_bounded_rate(
    proxy: ModuleType,
    model: FakeRuntime,
    issuer: Issuer,
    rsa_key: rsa.RSAPrivateKey,
    clock: Clock,
) -> None:
    assert call(proxy, f"Bearer {rs256(rsa_key, claims(issuer))}")["statusCode"] == 200
    fetched = issuer.jwks_requests
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    clock.now += MIN_REFRESH_S  # one refresh allowed
    answers = [
        call(proxy, f"Bearer {rs256(stranger, claims(issuer), kid=f'made-up-{n}')}")
        for n in range(5)
    ]
    assert [a["statusCode"] for a in answers] == [401] * 5
    assert all('error="invalid_token"' in a["headers"]["WWW-Authenticate"] for a in answers)
    assert model.calls == 1, "the model was called for a refused request"
    assert issuer.jwks_requests == fetched + 1, "made-up kids fetched the JWKS more than once"


def test_rotated_key_is_fetched_on_its_first_token(
    proxy: ModuleType,
    model: FakeRuntime,
    issuer: Issuer,
    rsa_key: rsa.RSAPrivateKey,
    ec_key: ec.EllipticCurvePrivateKey,
    clock: Clock,
) -> None:
    assert call(proxy, f"Bearer {rs256(rsa_key, claims(issuer))}")["statusCode"] == 200
    issuer.jwks = {"keys": [public_jwk(ec_key, "ec-2", "ES256")]}
    clock.now += MIN_REFRESH_S
    token = jwt.encode(claims(issuer), ec_key, algorithm="ES256", headers={"kid": "ec-2"})
    assert call(proxy, f"Bearer {token}")["statusCode"] == 200
    assert model.calls == 2


def test_jwks_down_with_no_cached_key_is_503(
    proxy: ModuleType, model: FakeRuntime, issuer: Issuer, rsa_key: rsa.RSAPrivateKey
) -> None:
    issuer.down = True
    response = call(proxy, f"Bearer {rs256(rsa_key, claims(issuer))}")
    assert response["statusCode"] == 503, response
    assert json.loads(response["body"])["error"] == "authentication_unavailable"
    assert response["headers"]["Retry-After"]
    assert model.calls == 0


def test_cached_keys_serve_through_an_issuer_outage_up_to_twice_their_age(
    proxy: ModuleType,
    model: FakeRuntime,
    issuer: Issuer,
    rsa_key: rsa.RSAPrivateKey,
    clock: Clock,
) -> None:
    assert call(proxy, f"Bearer {rs256(rsa_key, claims(issuer))}")["statusCode"] == 200
    issuer.down = True
    clock.now += MAX_AGE_S + 1
    assert call(proxy, f"Bearer {rs256(rsa_key, claims(issuer))}")["statusCode"] == 200
    clock.now += MAX_AGE_S
    assert call(proxy, f"Bearer {rs256(rsa_key, claims(issuer))}")["statusCode"] == 503
    assert model.calls == 2


@pytest.mark.parametrize(
    "authorization",
    [
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "Bearer not-a-jwt",
        "Bearer a.b.c",
        "Bearer two tokens",
        "Bearer " + "a" * 9000,
    ],
)
def test_malformed_authorization_header_is_refused(
    proxy: ModuleType, model: FakeRuntime, authorization: str
) -> None:
    assert_refused(call(proxy, authorization), model)


def test_no_token_is_401_without_an_error_code(proxy: ModuleType, model: FakeRuntime) -> None:
    response = call(proxy, None)
    assert response["statusCode"] == 401
    # RFC 6750 §3.1: a request with no credentials gets the challenge without an error code.
    assert response["headers"]["WWW-Authenticate"] == 'Bearer realm="inference"'
    assert model.calls == 0


def test_ping_needs_no_token(proxy: ModuleType) -> None:
    event = {"httpMethod": "GET", "path": "/ping", "headers": {}}
    with Stubber(proxy._control()) as control:
        control.add_response(
            "describe_endpoint",
            {
                "EndpointName": "demo-endpoint",
                "EndpointArn": "arn:aws:sagemaker:us-east-1:123456789012:endpoint/demo-endpoint",
                "EndpointConfigName": "c",
                "EndpointStatus": "InService",
                "CreationTime": "2026-01-01T00:00:00Z",
                "LastModifiedTime": "2026-01-01T00:00:00Z",
            },
        )
        response = proxy.handler(event, None)
    assert response["statusCode"] == 200, response


def test_missing_auth_mode_fails_the_cold_start(
    monkeypatch: pytest.MonkeyPatch, model: FakeRuntime, issuer: Issuer
) -> None:
    with pytest.raises(ValueError, match="AUTH_MODE"):
        load_handler(monkeypatch, model, issuer.url, AUTH_MODE="")


def test_symmetric_algorithms_cannot_be_configured(
    monkeypatch: pytest.MonkeyPatch, model: FakeRuntime, issuer: Issuer
) -> None:
    with pytest.raises(ValueError, match="asymmetric algorithms only"):
        load_handler(monkeypatch, model, issuer.url, JWT_ALGORITHMS='["RS256", "HS256"]')
