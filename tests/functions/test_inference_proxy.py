"""Unit tests for the ALB → SageMaker inference proxy Lambda.

SageMaker is replaced by botocore's Stubber (or a `before-send` hook that raises what the
HTTP layer would), so no credentials or network are needed. The handler is loaded from
its file, fresh for every test, because the Lambda package is that folder, not a module.
"""

from __future__ import annotations

import base64
import http.client
import importlib.util
import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, cast

import boto3
import botocore.exceptions
import botocore.loaders
import botocore.session
import pytest
import urllib3.exceptions
from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError
from botocore.stub import Stubber

from emulator.fake_runtime import FAILURES, fake_runtime

HANDLER_PATH = Path(__file__).resolve().parents[2] / "functions" / "inference_proxy" / "handler.py"
ENDPOINT = "demo-endpoint"
REGION = "us-east-1"
REQUEST_ID = "c0ffee00-0000-4000-8000-000000000001"
CUSTOM_ATTRIBUTES = "X-Amzn-SageMaker-Custom-Attributes"
FAKE_ENV = {
    "ENDPOINT_NAME": ENDPOINT,
    "AWS_REGION": REGION,
    "AWS_DEFAULT_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    # Keep a developer's real profile, config and instance metadata out of the tests.
    "AWS_CONFIG_FILE": "/nonexistent/aws-config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
    "AWS_EC2_METADATA_DISABLED": "true",
    # Callers are checked in tests/functions/test_proxy_auth.py; here, the opt-out.
    "AUTH_MODE": "none",
}
UNSET_ENV = (
    "AWS_PROFILE",
    "MAX_BODY_BYTES",
    "MAX_RESPONSE_BYTES",
    "READ_TIMEOUT_S",
    "PING_CACHE_S",
    "PING_STALE_S",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME",
)


# Every test gets a fresh session, but they all share one loader: the service models it parses
# (sagemaker, sagemaker-runtime, endpoints) are the same, and parsing them again for each test
# was most of this module's run time.
BOTOCORE_LOADER = botocore.loaders.create_loader()


def fresh_default_session() -> boto3.Session:
    """A new default session (it reads the environment as it is now) with the shared loader."""
    core = botocore.session.get_session()
    core.register_component("data_loader", BOTOCORE_LOADER)
    return boto3.Session(botocore_session=core)


@dataclass(frozen=True)
class FakeContext:
    aws_request_id: str = REQUEST_ID


def load_handler(monkeypatch: pytest.MonkeyPatch, **env: str) -> ModuleType:
    for name in UNSET_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in {**FAKE_ENV, **env}.items():
        monkeypatch.setenv(name, value)
    # A fresh default session reads the fake environment instead of an earlier one.
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", fresh_default_session())
    spec = importlib.util.spec_from_file_location("inference_proxy_handler", HANDLER_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    return load_handler(monkeypatch)


@pytest.fixture
def runtime(proxy: ModuleType) -> Iterator[Stubber]:
    # Active even in tests that queue nothing: an unexpected call then fails the test.
    with Stubber(proxy._runtime()) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


@pytest.fixture
def control(proxy: ModuleType) -> Iterator[Stubber]:
    with Stubber(proxy._control()) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def alb_event(
    method: str = "POST",
    path: str = "/invocations",
    body: str = "",
    headers: dict[str, str] | None = None,
    is_base64: bool = False,
) -> dict[str, Any]:
    """An ALB Lambda-target event with multi-value headers off."""
    return {
        "requestContext": {
            "elb": {
                "targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:"
                "targetgroup/inference/0123456789abcdef"
            }
        },
        "httpMethod": method,
        "path": path,
        "queryStringParameters": {},
        "headers": {"host": "inference.example.com", **(headers or {})},
        "body": body,
        "isBase64Encoded": is_base64,
    }


def call(
    proxy: ModuleType, capsys: pytest.CaptureFixture[str], event: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Invoke the handler; return its response and the one log line it printed."""
    capsys.readouterr()
    response = proxy.handler(event, FakeContext())
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1, lines
    return response, json.loads(lines[0])


def assert_error(response: dict[str, Any], status: int, code: str) -> dict[str, Any]:
    assert response["statusCode"] == status
    assert response["headers"]["Content-Type"] == "application/json"
    assert response["isBase64Encoded"] is False
    body = json.loads(response["body"])
    assert body == {"error": code, "message": body["message"], "requestId": REQUEST_ID}
    assert body["message"]
    return cast("dict[str, Any]", body)


def invoke_params(body: bytes, **extra: str) -> dict[str, Any]:
    return {
        "EndpointName": ENDPOINT,
        "Body": body,
        "ContentType": "application/json",
        **extra,
    }


# --- POST /invocations: success ---------------------------------------------------------


def test_invocation_forwards_body_and_headers_and_returns_model_response(
    proxy: ModuleType, runtime: Stubber, capsys: pytest.CaptureFixture[str]
) -> None:
    runtime.add_response(
        "invoke_endpoint",
        {"Body": b'{"label":"cat"}', "ContentType": "application/json"},
        invoke_params(b'{"x":1}', ContentType="text/csv", Accept="application/json"),
    )

    response, _ = call(
        proxy,
        capsys,
        alb_event(
            body='{"x":1}',
            headers={"content-type": "text/csv", "accept": "application/json"},
        ),
    )

    assert response == {
        "statusCode": 200,
        "statusDescription": "200 OK",
        "headers": {"Content-Type": "application/json", "X-Request-Id": REQUEST_ID},
        "isBase64Encoded": False,
        "body": '{"label":"cat"}',
    }


def test_content_type_defaults_to_json_and_unsent_headers_are_not_forwarded(
    proxy: ModuleType, runtime: Stubber, capsys: pytest.CaptureFixture[str]
) -> None:
    # Stubber compares the exact parameter set, so an extra Accept would fail here.
    runtime.add_response("invoke_endpoint", {"Body": b"{}"}, invoke_params(b"[1]"))

    response, _ = call(proxy, capsys, alb_event(body="[1]"))

    assert response["statusCode"] == 200


def test_request_headers_are_matched_case_insensitively(
    proxy: ModuleType, runtime: Stubber, capsys: pytest.CaptureFixture[str]
) -> None:
    runtime.add_response(
        "invoke_endpoint",
        {"Body": b"ok", "ContentType": "text/plain"},
        invoke_params(
            b"a,b",
            ContentType="text/csv",
            Accept="text/plain",
            CustomAttributes="trace=1",
        ),
    )

    response, _ = call(
        proxy,
        capsys,
        alb_event(
            body="a,b",
            headers={
                "CONTENT-TYPE": "text/csv",
                "aCCEPT": "text/plain",
                "x-amzn-sagemaker-custom-attributes": "trace=1",
            },
        ),
    )

    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == "text/plain"


def test_custom_attributes_pass_through_both_ways(
    proxy: ModuleType, runtime: Stubber, capsys: pytest.CaptureFixture[str]
) -> None:
    runtime.add_response(
        "invoke_endpoint",
        {
            "Body": b"{}",
            "ContentType": "application/json",
            "CustomAttributes": "model_version=7",
        },
        invoke_params(b"{}", CustomAttributes="tenant=blue"),
    )

    response, _ = call(
        proxy, capsys, alb_event(body="{}", headers={CUSTOM_ATTRIBUTES: "tenant=blue"})
    )

    assert response["statusCode"] == 200
    assert response["headers"][CUSTOM_ATTRIBUTES] == "model_version=7"


def test_base64_request_body_is_decoded_before_forwarding(
    proxy: ModuleType, runtime: Stubber, capsys: pytest.CaptureFixture[str]
) -> None:
    image = b"\x89PNG\r\n\x1a\n\x00\xff\xfe"
    runtime.add_response(
        "invoke_endpoint",
        {"Body": b'{"ok":true}', "ContentType": "application/json"},
        invoke_params(image, ContentType="image/png"),
    )

    response, _ = call(
        proxy,
        capsys,
        alb_event(
            body=base64.b64encode(image).decode(),
            headers={"content-type": "image/png"},
            is_base64=True,
        ),
    )

    assert response["statusCode"] == 200


def test_binary_model_response_is_returned_base64_encoded(
    proxy: ModuleType, runtime: Stubber, capsys: pytest.CaptureFixture[str]
) -> None:
    binary = b"\x00\x01\xfe\xff not utf-8"
    runtime.add_response(
        "invoke_endpoint",
        {"Body": binary, "ContentType": "application/x-npy"},
        invoke_params(b"{}"),
    )

    response, _ = call(proxy, capsys, alb_event(body="{}"))

    assert response["statusCode"] == 200
    assert response["isBase64Encoded"] is True
    assert base64.b64decode(response["body"]) == binary
    assert response["headers"]["Content-Type"] == "application/x-npy"


# --- malformed and oversized requests ---------------------------------------------------


def test_invalid_base64_body_is_rejected_with_400(
    proxy: ModuleType, runtime: Stubber, capsys: pytest.CaptureFixture[str]
) -> None:
    response, log = call(proxy, capsys, alb_event(body="not base64!", is_base64=True))

    assert_error(response, 400, "invalid_request")
    assert log["error"] == "invalid_request"


def test_body_exactly_at_the_default_limit_is_forwarded(
    proxy: ModuleType, runtime: Stubber, capsys: pytest.CaptureFixture[str]
) -> None:
    body = "x" * 1_000_000
    runtime.add_response("invoke_endpoint", {"Body": b"{}"}, invoke_params(body.encode()))

    response, _ = call(proxy, capsys, alb_event(body=body))

    assert response["statusCode"] == 200


def test_body_one_byte_over_the_default_limit_is_rejected_with_413(
    proxy: ModuleType, runtime: Stubber, capsys: pytest.CaptureFixture[str]
) -> None:
    response, log = call(proxy, capsys, alb_event(body="x" * 1_000_001))

    assert_error(response, 413, "payload_too_large")
    assert log["body_bytes"] == 1_000_001


def test_limit_applies_to_the_decoded_body_and_follows_max_body_bytes(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    proxy = load_handler(monkeypatch, MAX_BODY_BYTES="4")
    with Stubber(proxy._runtime()) as runtime:
        # 4 bytes decode from 8 base64 characters: within the limit.
        runtime.add_response("invoke_endpoint", {"Body": b"{}"}, invoke_params(b"\xff" * 4))
        ok, _ = call(proxy, capsys, alb_event(body="/////w==", is_base64=True))
        too_big, _ = call(proxy, capsys, alb_event(body="x" * 5))
        runtime.assert_no_pending_responses()

    assert ok["statusCode"] == 200
    assert_error(too_big, 413, "payload_too_large")


# --- SageMaker errors -------------------------------------------------------------------


@pytest.mark.parametrize(
    "aws_code",
    ["ThrottlingException", "ThrottledException", "TooManyRequestsException"],
)
def test_throttling_becomes_429_with_retry_after(
    aws_code: str,
    proxy: ModuleType,
    runtime: Stubber,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(time, "sleep", lambda _s: None)
    # Throttling is answered before SageMaker accepts the request: retried, then reported.
    for _ in range(proxy.INVOKE_ATTEMPTS):
        runtime.add_client_error("invoke_endpoint", aws_code, "Rate exceeded", 400)

    response, log = call(proxy, capsys, alb_event(body="{}"))

    assert_error(response, 429, "throttled")
    assert response["headers"]["Retry-After"] == "1"
    assert log["aws_error"] == aws_code


def test_model_4xx_becomes_424_without_returning_the_model_message(
    proxy: ModuleType, runtime: Stubber, capsys: pytest.CaptureFixture[str]
) -> None:
    runtime.add_client_error(
        "invoke_endpoint",
        "ModelError",
        "Received client error (400) from model",
        424,
        modeled_fields={"OriginalStatusCode": 400, "OriginalMessage": "bad field y"},
    )

    response, log = call(proxy, capsys, alb_event(body="{}"))

    body = assert_error(response, 424, "model_error")
    assert "bad field y" not in response["body"]
    assert "400" in body["message"]
    assert log["model_status"] == 400
    assert log["model_message"] == "bad field y"


def test_model_5xx_becomes_502(
    proxy: ModuleType, runtime: Stubber, capsys: pytest.CaptureFixture[str]
) -> None:
    runtime.add_client_error(
        "invoke_endpoint",
        "ModelError",
        "Received server error (500) from model",
        424,
        modeled_fields={"OriginalStatusCode": 500, "OriginalMessage": "Traceback ..."},
    )

    response, _ = call(proxy, capsys, alb_event(body="{}"))

    assert_error(response, 502, "model_error")
    assert "Traceback" not in response["body"]


def test_model_not_ready_becomes_503(
    proxy: ModuleType, runtime: Stubber, capsys: pytest.CaptureFixture[str]
) -> None:
    runtime.add_client_error("invoke_endpoint", "ModelNotReadyException", "Model is loading", 429)

    response, _ = call(proxy, capsys, alb_event(body="{}"))

    assert_error(response, 503, "model_not_ready")


@pytest.mark.parametrize(
    ("aws_code", "message"),
    [
        ("ValidationError", f"Endpoint {ENDPOINT} of account 123456789012 not found."),
        ("ValidationException", f"Endpoint {ENDPOINT} is not in service."),
    ],
)
def test_validation_error_for_a_missing_endpoint_becomes_503(
    aws_code: str,
    message: str,
    proxy: ModuleType,
    runtime: Stubber,
    capsys: pytest.CaptureFixture[str],
) -> None:
    runtime.add_client_error("invoke_endpoint", aws_code, message, 400)

    response, _ = call(proxy, capsys, alb_event(body="{}"))

    assert_error(response, 503, "endpoint_unavailable")
    # The AWS message names the account: it must stay in the log.
    assert "123456789012" not in response["body"]


def test_other_validation_error_becomes_400(
    proxy: ModuleType, runtime: Stubber, capsys: pytest.CaptureFixture[str]
) -> None:
    runtime.add_client_error(
        "invoke_endpoint",
        "ValidationError",
        "1 validation error detected: Value at 'contentType' failed to satisfy constraint",
        400,
    )

    response, _ = call(proxy, capsys, alb_event(body="{}"))

    assert_error(response, 400, "invalid_request")


@pytest.mark.parametrize(
    ("aws_code", "http_status"), [("ServiceUnavailable", 503), ("InternalFailure", 500)]
)
def test_sagemaker_failure_becomes_502(
    aws_code: str,
    http_status: int,
    proxy: ModuleType,
    runtime: Stubber,
    capsys: pytest.CaptureFixture[str],
) -> None:
    runtime.add_client_error("invoke_endpoint", aws_code, "oops", http_status)

    response, _ = call(proxy, capsys, alb_event(body="{}"))

    assert_error(response, 502, "upstream_error")


@pytest.mark.parametrize(
    "timeout",
    [
        ReadTimeoutError(endpoint_url="https://runtime.sagemaker.us-east-1.amazonaws.com"),
        ConnectTimeoutError(endpoint_url="https://runtime.sagemaker.us-east-1.amazonaws.com"),
    ],
    ids=["read", "connect"],
)
def test_timeout_becomes_504(
    timeout: Exception,
    proxy: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Raised where the HTTP layer would raise it, so botocore's own retry policy runs.
    attempts: list[object] = []

    def fail(request: object, **_: object) -> None:
        attempts.append(request)
        raise timeout

    monkeypatch.setattr(time, "sleep", lambda _s: None)  # skip the retry back-off
    proxy._runtime().meta.events.register("before-send.sagemaker-runtime.InvokeEndpoint", fail)

    response, log = call(proxy, capsys, alb_event(body="{}"))

    assert_error(response, 504, "upstream_timeout")
    # A read timeout may have reached the model: never sent twice. A connect timeout cannot.
    expected = 1 if isinstance(timeout, ReadTimeoutError) else proxy.INVOKE_ATTEMPTS
    assert len(attempts) == expected == log["invoke_attempts"]
    assert log["cause"] == type(timeout).__name__


@pytest.mark.parametrize(
    ("aws_code", "http_status"),
    [("AccessDeniedException", 403), ("502", 502), ("SomethingNewException", 400)],
    ids=["access-denied", "bare-502", "unknown-code"],
)
def test_an_aws_error_without_a_mapping_of_its_own_is_a_502_without_leaking_its_message(
    aws_code: str,
    http_status: int,
    proxy: ModuleType,
    runtime: Stubber,
    capsys: pytest.CaptureFixture[str],
) -> None:
    runtime.add_client_error(
        "invoke_endpoint",
        aws_code,
        "User arn:aws:sts::123456789012:assumed-role/proxy is not authorized",
        http_status,
    )

    response, log = call(proxy, capsys, alb_event(body="{}"))

    assert_error(response, 502, "upstream_error")
    assert "123456789012" not in response["body"]
    assert (log["aws_error"], log["invoke_attempts"]) == (aws_code, 1)
    assert "exception" not in log


@pytest.mark.parametrize(
    "failure",
    [
        botocore.exceptions.ConnectionClosedError(endpoint_url="https://runtime"),
        botocore.exceptions.ResponseStreamingError(error="IncompleteRead(6 bytes read)"),
        botocore.exceptions.IncompleteReadError(actual_bytes=6, expected_bytes=100),
        botocore.exceptions.SSLError(endpoint_url="https://runtime", error="bad record mac"),
        botocore.exceptions.ProxyConnectionError(proxy_url="http://proxy", error="refused"),
        botocore.exceptions.NoCredentialsError(),
        botocore.exceptions.CredentialRetrievalError(provider="container-role", error_msg="x"),
        botocore.exceptions.FlexibleChecksumError(error_msg="crc32 mismatch"),
        urllib3.exceptions.ProtocolError("Connection broken: IncompleteRead"),
        http.client.IncompleteRead(b"{", 99),
        ConnectionResetError(104, "Connection reset by peer"),
    ],
    ids=type,
)
def test_every_other_failure_under_the_sdk_is_a_502_sent_once(
    failure: Exception,
    proxy: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    attempts: list[object] = []

    def fail(request: object, **_: object) -> None:
        attempts.append(request)
        raise failure

    monkeypatch.setattr(time, "sleep", lambda _s: None)
    proxy._runtime().meta.events.register("before-send.sagemaker-runtime.InvokeEndpoint", fail)

    response, log = call(proxy, capsys, alb_event(body="{}"))

    assert_error(response, 502, "upstream_error")
    assert len(attempts) == 1 == log["invoke_attempts"]
    assert log["cause"] == type(failure).__name__


def test_unexpected_exception_becomes_500_without_leaking_it(
    proxy: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def explode() -> None:
        raise RuntimeError("secret-internal-detail")

    monkeypatch.setattr(proxy, "_runtime", explode)

    response, log = call(proxy, capsys, alb_event(body="{}"))

    assert_error(response, 500, "internal_error")
    assert "secret-internal-detail" not in json.dumps(response)
    assert "Traceback" not in json.dumps(response)
    assert "RuntimeError: secret-internal-detail" in log["exception"]


# --- GET /ping --------------------------------------------------------------------------

DESCRIBE_ENDPOINT_RESPONSE = {
    "EndpointName": ENDPOINT,
    "EndpointArn": f"arn:aws:sagemaker:us-east-1:123456789012:endpoint/{ENDPOINT}",
    "EndpointConfigName": "demo-config",
    "CreationTime": "2024-01-01T00:00:00Z",
    "LastModifiedTime": "2024-01-01T00:00:00Z",
}


# The spec, per botocore's EndpointStatus documentation: the fleet answers InvokeEndpoint in
# these, so a region in them stays in DNS (RollingBack: a failed scaling step rolling back to
# the configuration that serves; UpdateRollbackFailed: "in service with a mix" of both).
SERVING = ("InService", "Updating", "SystemUpdating", "RollingBack", "UpdateRollbackFailed")
NOT_SERVING = ("Creating", "OutOfService", "Deleting", "Failed")


def botocore_endpoint_statuses() -> list[str]:
    model = BOTOCORE_LOADER.load_service_model("sagemaker", "service-2")
    return list(model["shapes"]["EndpointStatus"]["enum"])


def test_every_endpoint_status_botocore_knows_is_mapped_on_purpose(proxy: ModuleType) -> None:
    # Fails when botocore gains a status: decide it in PING_STATUSES, then add it here.
    assert sorted(botocore_endpoint_statuses()) == sorted(proxy.PING_STATUSES)
    assert sorted(SERVING + NOT_SERVING) == sorted(proxy.PING_STATUSES)


@pytest.mark.parametrize("status", botocore_endpoint_statuses())
def test_ping_answers_each_endpoint_status_as_specified(
    status: str, proxy: ModuleType, control: Stubber, capsys: pytest.CaptureFixture[str]
) -> None:
    control.add_response(
        "describe_endpoint",
        {**DESCRIBE_ENDPOINT_RESPONSE, "EndpointStatus": status},
        {"EndpointName": ENDPOINT},
    )

    response, log = call(proxy, capsys, alb_event("GET", "/ping"))

    expected = 200 if status in SERVING else 503
    assert status in SERVING + NOT_SERVING, f"{status}: not in the spec above"
    assert response["statusCode"] == expected
    assert response["headers"]["Content-Type"] == "application/json"
    assert json.loads(response["body"]) == {"status": status}
    assert log["error"] == (None if expected == 200 else "endpoint_not_in_service")


def test_a_status_newer_than_the_mapping_is_503_and_named_in_the_log(
    proxy: ModuleType, control: Stubber, capsys: pytest.CaptureFixture[str]
) -> None:
    control.add_response(
        "describe_endpoint",
        {**DESCRIBE_ENDPOINT_RESPONSE, "EndpointStatus": "Hibernating"},
        {"EndpointName": ENDPOINT},
    )

    response, log = call(proxy, capsys, alb_event("GET", "/ping"))

    assert response["statusCode"] == 503
    assert log["error"] == "endpoint_status_unmapped"


def test_ping_is_503_when_the_endpoint_does_not_exist(
    proxy: ModuleType, control: Stubber, capsys: pytest.CaptureFixture[str]
) -> None:
    control.add_client_error(
        "describe_endpoint",
        "ValidationException",
        f'Could not find endpoint "arn:aws:sagemaker:us-east-1:1:endpoint/{ENDPOINT}".',
        400,
    )

    response, _ = call(proxy, capsys, alb_event("GET", "/ping"))

    assert_error(response, 503, "endpoint_unavailable")


# --- routing ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/invocations/", "/ping/deep", "/models"])
def test_unknown_path_is_404(
    path: str,
    proxy: ModuleType,
    runtime: Stubber,
    control: Stubber,
    capsys: pytest.CaptureFixture[str],
) -> None:
    response, _ = call(proxy, capsys, alb_event("GET", path))

    assert_error(response, 404, "not_found")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/invocations", "POST"),
        ("PUT", "/invocations", "POST"),
        ("POST", "/ping", "GET"),
    ],
)
def test_wrong_method_on_a_known_path_is_405_with_allow(
    method: str,
    path: str,
    allowed: str,
    proxy: ModuleType,
    runtime: Stubber,
    control: Stubber,
    capsys: pytest.CaptureFixture[str],
) -> None:
    response, _ = call(proxy, capsys, alb_event(method, path))

    assert_error(response, 405, "method_not_allowed")
    assert response["headers"]["Allow"] == allowed


# --- logging and configuration ----------------------------------------------------------


def test_each_request_prints_one_structured_log_line(
    proxy: ModuleType, control: Stubber, capsys: pytest.CaptureFixture[str]
) -> None:
    control.add_response(
        "describe_endpoint",
        {**DESCRIBE_ENDPOINT_RESPONSE, "EndpointStatus": "InService"},
        {"EndpointName": ENDPOINT},
    )
    capsys.readouterr()

    proxy.handler(alb_event("GET", "/ping"), FakeContext())
    proxy.handler(alb_event("GET", "/missing"), FakeContext())

    ok, missing = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert {key: ok[key] for key in ok if key != "latency_ms"} == {
        "request_id": REQUEST_ID,
        "method": "GET",
        "path": "/ping",
        "status": 200,
        "region": REGION,
        "endpoint": ENDPOINT,
        "error": None,
        "status_age_s": 0.0,
    }
    assert isinstance(ok["latency_ms"], float) and ok["latency_ms"] >= 0
    assert (missing["path"], missing["status"], missing["error"]) == (
        "/missing",
        404,
        "not_found",
    )


def test_clients_make_one_attempt_and_the_runtime_waits_sagemakers_60_s(
    proxy: ModuleType,
) -> None:
    runtime, control = proxy._runtime().meta.config, proxy._control().meta.config
    assert (runtime.connect_timeout, runtime.read_timeout) == (2, 60.0)
    # Route 53 wants a status within 2 s of connecting.
    assert (control.connect_timeout, control.read_timeout) == (1, 2)
    for client in (proxy._runtime(), proxy._control()):
        assert client.meta.region_name == REGION
        # botocore retries nothing: its standard mode would retry a read timeout.
        assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 1}
    assert proxy._runtime() is proxy._runtime()  # built once per container


def test_read_timeout_follows_read_timeout_s(monkeypatch: pytest.MonkeyPatch) -> None:
    proxy = load_handler(monkeypatch, READ_TIMEOUT_S="12.5")

    assert proxy._runtime().meta.config.read_timeout == 12.5


def test_invalid_configuration_is_reported_all_at_once(proxy: ModuleType) -> None:
    with pytest.raises(ValueError) as excinfo:
        proxy.Settings.from_env({"AWS_REGION": REGION, "MAX_BODY_BYTES": "-1"})

    message = str(excinfo.value)
    assert "ENDPOINT_NAME: required" in message
    assert "MAX_BODY_BYTES: must be a positive int, got '-1'" in message


def test_stale_window_above_60_s_is_refused(proxy: ModuleType) -> None:
    with pytest.raises(ValueError, match=r"PING_STALE_S: at most 60 s"):
        proxy.Settings.from_env({**FAKE_ENV, "PING_STALE_S": "61"})


# --- one model call per request, against a real HTTP server -----------------------------

# SageMaker allows 60 s per invocation. The fake model's delays keep the ratios
# (45 s and 70 s against a 60 s read timeout), scaled down so the test takes seconds.
SCALE = 1 / 30
SAGEMAKER_LIMIT_S = 60


@pytest.mark.parametrize(
    ("model_s", "status"),
    [(45, 200), (70, 504)],
    ids=["45s-call-answers", "70s-call-times-out"],
)
def test_a_slow_model_is_called_exactly_once(
    model_s: int,
    status: int,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with fake_runtime(delay_s=model_s * SCALE) as fake:
        proxy = load_handler(
            monkeypatch,
            READ_TIMEOUT_S=str(SAGEMAKER_LIMIT_S * SCALE),
            AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME=fake.url,
        )

        response, log = call(proxy, capsys, alb_event(body='{"prompt":"slow"}'))

        assert response["statusCode"] == status
        assert fake.calls == 1
    if status == 200:
        assert json.loads(response["body"]) == {"ok": True}
        assert response["headers"]["X-Amzn-Invoked-Production-Variant"] == "primary"
    # The log line says how often InvokeEndpoint was sent.
    assert log["invoke_attempts"] == 1
    if status == 504:
        assert_error(response, 504, "upstream_timeout")
        assert log["cause"] == "ReadTimeoutError"


@pytest.mark.parametrize("failure", FAILURES)
def test_an_upstream_failure_after_sending_is_a_502_after_exactly_one_model_call(
    failure: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Over real HTTP: botocore parses, retries (or not) and streams as it does against AWS.
    with fake_runtime(failure=failure) as fake:
        proxy = load_handler(monkeypatch, AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME=fake.url)

        response, log = call(proxy, capsys, alb_event(body="{}"))

        assert fake.calls == 1
    assert_error(response, 502, "upstream_error")
    assert log["invoke_attempts"] == 1
    assert "exception" not in log
    assert "123456789012" not in response["body"]


def test_throttling_before_acceptance_is_retried_and_then_served(
    proxy: ModuleType,
    runtime: Stubber,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(time, "sleep", lambda _s: None)
    runtime.add_client_error("invoke_endpoint", "ThrottlingException", "Rate exceeded", 400)
    runtime.add_response(
        "invoke_endpoint",
        {"Body": b"{}", "ContentType": "application/json"},
        invoke_params(b"{}"),
    )

    response, _ = call(proxy, capsys, alb_event(body="{}"))

    assert response["statusCode"] == 200


def test_a_model_error_is_not_retried(
    proxy: ModuleType, runtime: Stubber, capsys: pytest.CaptureFixture[str]
) -> None:
    # The model ran and failed: one call, no second run. (Stubber fails on a second call.)
    runtime.add_client_error(
        "invoke_endpoint", "ModelError", "boom", 424, response_meta={"OriginalStatusCode": 500}
    )

    response, _ = call(proxy, capsys, alb_event(body="{}"))

    assert response["statusCode"] == 502


# --- responses over the ALB's 1 MB ------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"x" * 2_000_000, "text/plain"),
        # 800 kB of binary is about 1.07 MB once base64-encoded.
        (bytes(range(256)) * 3125, "application/octet-stream"),
    ],
    ids=["2MB-text", "800kB-binary"],
)
def test_response_over_the_alb_limit_is_a_json_502_with_its_size(
    body: bytes,
    content_type: str,
    proxy: ModuleType,
    runtime: Stubber,
    capsys: pytest.CaptureFixture[str],
) -> None:
    runtime.add_response(
        "invoke_endpoint", {"Body": body, "ContentType": content_type}, invoke_params(b"{}")
    )

    response, log = call(proxy, capsys, alb_event(body="{}"))

    assert response["statusCode"] == 502
    assert response["headers"]["Content-Type"] == "application/json"
    payload = json.loads(response["body"])
    assert payload["error"] == "response_too_large"
    assert payload["limitBytes"] == 1_000_000
    assert payload["responseBytes"] > 1_000_000
    assert (log["status"], log["error"]) == (502, "response_too_large")
    assert log["response_bytes"] == payload["responseBytes"]
    assert proxy.response_bytes(response) < 1_000


def test_response_just_under_the_limit_is_returned(
    proxy: ModuleType, runtime: Stubber, capsys: pytest.CaptureFixture[str]
) -> None:
    body = b"x" * 999_000
    runtime.add_response(
        "invoke_endpoint", {"Body": body, "ContentType": "text/plain"}, invoke_params(b"{}")
    )

    response, _ = call(proxy, capsys, alb_event(body="{}"))

    assert response["statusCode"] == 200
    assert proxy.response_bytes(response) <= 1_000_000


def test_non_ascii_text_is_measured_as_the_utf8_the_python_312_runtime_sends(
    proxy: ModuleType, runtime: Stubber, capsys: pytest.CaptureFixture[str]
) -> None:
    # 900 kB of UTF-8; `\\u00e9` escapes would make it 2.7 MB, but the runtime sends UTF-8.
    body = "é".encode() * 450_000
    runtime.add_response(
        "invoke_endpoint", {"Body": body, "ContentType": "text/plain"}, invoke_params(b"{}")
    )

    response, _ = call(proxy, capsys, alb_event(body="{}"))

    assert response["statusCode"] == 200


# --- hostile events and headers ---------------------------------------------------------


@pytest.mark.parametrize("event", [None, [], "GET /ping", 42, ()], ids=repr)
def test_an_event_that_is_not_an_object_is_a_logged_400(
    event: Any, proxy: ModuleType, runtime: Stubber, capsys: pytest.CaptureFixture[str]
) -> None:
    response, log = call(proxy, capsys, event)

    assert_error(response, 400, "invalid_request")
    assert log["status"] == 400 and "not an ALB event object" in log["cause"]


def test_headers_that_are_not_an_object_are_a_400(
    proxy: ModuleType, runtime: Stubber, capsys: pytest.CaptureFixture[str]
) -> None:
    event = {**alb_event(body="{}"), "headers": ["content-type", "text/csv"]}

    response, _ = call(proxy, capsys, event)

    assert_error(response, 400, "invalid_request")


@pytest.mark.parametrize("header", [CUSTOM_ATTRIBUTES, "Content-Type", "Accept"])
@pytest.mark.parametrize(
    "value",
    ["a\r\nX-Injected: 1", "a\nb", "a\rb", "caf\u00e9", "\x00", "x" * 1025],
    ids=["crlf", "lf", "cr", "non-ascii", "nul", "too-long"],
)
def test_a_header_sagemaker_cannot_take_is_a_400_before_any_model_call(
    header: str,
    value: str,
    proxy: ModuleType,
    runtime: Stubber,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The runtime stub has nothing queued: a call to SageMaker would fail the test.
    response, log = call(proxy, capsys, alb_event(body="{}", headers={header: value}))

    body = assert_error(response, 400, "invalid_request")
    assert header.lower() in body["message"]
    assert log["header"] == header.lower()


# --- /ping: cached status, bounded staleness --------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(proxy: ModuleType, monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(proxy, "_clock", fake)
    return fake


def queue_status(control: Stubber, status: str) -> None:
    control.add_response(
        "describe_endpoint",
        {**DESCRIBE_ENDPOINT_RESPONSE, "EndpointStatus": status},
        {"EndpointName": ENDPOINT},
    )


def ping(proxy: ModuleType, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    response, log = call(proxy, capsys, alb_event("GET", "/ping"))
    return response["statusCode"], log


def test_ping_reuses_the_status_for_a_few_seconds_then_asks_again(
    proxy: ModuleType, control: Stubber, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    queue_status(control, "InService")
    assert ping(proxy, capsys)[0] == 200
    clock.now += proxy.DEFAULT_PING_CACHE_S - 0.1
    # Nothing queued: a second DescribeEndpoint would fail the test.
    assert ping(proxy, capsys)[0] == 200
    clock.now += 0.1
    queue_status(control, "OutOfService")

    assert ping(proxy, capsys)[0] == 503


@pytest.mark.parametrize(
    "failure",
    ["ThrottlingException", "InternalFailure", "read-timeout"],
)
def test_ping_answers_from_the_last_status_for_at_most_60_s_when_describe_fails(
    failure: str,
    proxy: ModuleType,
    control: Stubber,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    queue_status(control, "InService")
    assert ping(proxy, capsys)[0] == 200

    def fail_describe() -> None:
        if failure == "read-timeout":
            control.add_client_error("describe_endpoint", "InternalFailure", "x", 500)
            return
        control.add_client_error("describe_endpoint", failure, "Rate exceeded", 400)

    if failure == "read-timeout":
        monkeypatch.setattr(
            proxy._control(),
            "describe_endpoint",
            lambda **_: (_ for _ in ()).throw(ReadTimeoutError(endpoint_url="https://x")),
        )
    for elapsed in (6, 30, 60):
        clock.now = 1000.0 + elapsed
        if failure != "read-timeout":
            fail_describe()
        status, log = ping(proxy, capsys)
        assert (status, log["error"]) == (200, "endpoint_status_stale"), elapsed
        assert log["status_age_s"] == elapsed

    clock.now = 1000.0 + 60.5
    if failure != "read-timeout":
        fail_describe()
    status, log = ping(proxy, capsys)
    assert (status, log["error"]) == (503, "endpoint_status_unknown")


def test_ping_without_any_known_status_is_503_when_describe_is_throttled(
    proxy: ModuleType, control: Stubber, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    control.add_client_error("describe_endpoint", "ThrottlingException", "Rate exceeded", 400)

    status, log = ping(proxy, capsys)

    assert (status, log["error"]) == (503, "endpoint_status_unknown")
