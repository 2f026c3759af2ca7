"""The inference proxy's routing, log line and settings; one model call per request against a real
HTTP server; responses over the ALB's 1 MB; hostile events and headers."""

from __future__ import annotations

import json
import time
from types import ModuleType
from typing import Any

import alb_http
import pytest
from botocore.stub import Stubber

from emulator.fake_runtime import FAILURES, fake_runtime
from tests.functions.proxy_harness import (
    CUSTOM_ATTRIBUTES,
    DESCRIBE_ENDPOINT_RESPONSE,
    ENDPOINT,
    FAKE_ENV,
    REGION,
    REQUEST_ID,
    FakeContext,
    alb_event,
    assert_error,
    call,
    invoke_params,
    load_handler,
)

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
    assert alb_http.response_bytes(response) < 1_000


def test_response_just_under_the_limit_is_returned(
    proxy: ModuleType, runtime: Stubber, capsys: pytest.CaptureFixture[str]
) -> None:
    body = b"x" * 999_000
    runtime.add_response(
        "invoke_endpoint", {"Body": body, "ContentType": "text/plain"}, invoke_params(b"{}")
    )

    response, _ = call(proxy, capsys, alb_event(body="{}"))

    assert response["statusCode"] == 200
    assert alb_http.response_bytes(response) <= 1_000_000


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
