"""Unit tests for the ALB → SageMaker inference proxy Lambda.

SageMaker is replaced by botocore's Stubber (or a `before-send` hook that raises what the
HTTP layer would), so no credentials or network are needed. The handler is loaded from
its file, fresh for every test, because the Lambda package is that folder, not a module.

POST /invocations: success, malformed and oversized requests, SageMaker's errors. /ping is in
test_inference_proxy_ping.py; routing, logs, real HTTP and hostile input in
test_inference_proxy_http.py.
"""

from __future__ import annotations

import base64
import http.client
import json
import time
from types import ModuleType

import botocore.exceptions
import botocore.loaders
import botocore.session
import pytest
import urllib3.exceptions
from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError
from botocore.stub import Stubber

from tests.functions.proxy_harness import (
    CUSTOM_ATTRIBUTES,
    ENDPOINT,
    REQUEST_ID,
    alb_event,
    assert_error,
    call,
    invoke_params,
    load_handler,
)

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
