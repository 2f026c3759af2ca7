"""Application Load Balancer → SageMaker real-time endpoint proxy.

Runs as the ALB's Lambda target (multi-value headers off), in the endpoint's region.
`POST /invocations` forwards the request to InvokeEndpoint; `GET /ping` is a deep health
check that answers 200 only while the endpoint serves: every value of SageMaker's
EndpointStatus is mapped on purpose in PING_STATUSES (docs/health-and-failover.md has the
table). Every failure becomes a
small JSON error with a stable code and the request id, never a stack trace, and every
request writes exactly one JSON log line to stdout.

A request that may have reached the model is sent exactly once: a second InvokeEndpoint would run
the model twice and, for a slow model, turn one long call into a timeout. Only failures that
cannot have run it are retried (no connection, throttling answered before acceptance).

`/ping` answers from the endpoint status cached in the warm container for PING_CACHE_S; when
DescribeEndpoint (a control-plane API) is throttled or fails, from the last known status for at
most PING_STALE_S, then unhealthy.

Entry point: `handler.handler`, of the proxy function and of the ping function alike. Environment:
ENDPOINT_NAME (required), AWS_REGION (set by Lambda), MAX_BODY_BYTES (default 1_000_000),
MAX_RESPONSE_BYTES (default 1_000_000), READ_TIMEOUT_S (default 60), PING_CACHE_S (default 5),
PING_STALE_S (default 60, at most 60); AUTH_MODE (required) and the JWT_* variables of
proxy_auth.py, which checks every `/invocations` caller before the model is called (`/ping` stays
open for health checkers).

The ALB's event and response shapes are in alb_http.py; what a failed SageMaker call answers, in
sagemaker_errors.py.
"""

from __future__ import annotations

import json
import math
import os
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# alb_http, proxy_auth and sagemaker_errors are sibling modules of the package (on sys.path in
# Lambda: /var/task; in tests: pyproject).
import alb_http
import boto3
import proxy_auth
import sagemaker_errors
from alb_http import (
    CUSTOM_ATTRIBUTES_HEADER,
    DEFAULT_CONTENT_TYPE,
    INVOKED_VARIANT_HEADER,
    ProxyError,
)
from botocore.client import BaseClient
from botocore.config import Config
from sagemaker_errors import UPSTREAM_EXCEPTIONS

INVOCATIONS_PATH = "/invocations"
PING_PATH = "/ping"
# Path → the one method it accepts; anything else on a known path is a 405 with `Allow`.
ROUTES: Mapping[str, str] = {INVOCATIONS_PATH: "POST", PING_PATH: "GET"}


@dataclass(frozen=True)
class PingStatus:
    """What `/ping` answers for one EndpointStatus value, and why (botocore's documentation)."""

    serving: bool
    reason: str


# Every value of botocore's sagemaker `EndpointStatus` enum, decided on purpose: serving states
# answer 200, the others 503. A test fails when botocore gains a value this table lacks.
PING_STATUSES: Mapping[str, PingStatus] = {
    "InService": PingStatus(True, "available to process incoming requests"),
    "Updating": PingStatus(
        True, "UpdateEndpoint or UpdateEndpointWeightsAndCapacities runs; the fleet keeps serving"
    ),
    "SystemUpdating": PingStatus(
        True, "SageMaker maintenance that changes no customer setting; the fleet keeps serving"
    ),
    "RollingBack": PingStatus(
        True,
        "a capacity or weight change failed and is rolled back to the previous configuration, "
        "which keeps serving (back to InService afterwards)",
    ),
    "UpdateRollbackFailed": PingStatus(
        True, "in service with a mix of the old and new configurations; an operator must act"
    ),
    "Creating": PingStatus(False, "CreateEndpoint runs: nothing serves yet"),
    "OutOfService": PingStatus(False, "not available to take incoming requests"),
    "Deleting": PingStatus(False, "DeleteEndpoint runs"),
    "Failed": PingStatus(False, "could not be created, updated or re-scaled; only DeleteEndpoint"),
}
# Statuses in which the endpoint answers InvokeEndpoint.
SERVING_STATUSES = frozenset(name for name, status in PING_STATUSES.items() if status.serving)

# The ALB hands at most 1 MB of request body to a Lambda target.
DEFAULT_MAX_BODY_BYTES = 1_000_000
# The ALB accepts at most 1 MB of response JSON from a Lambda target (serialized, base64
# included); above it the client gets the ALB's own 502 with no body we wrote.
DEFAULT_MAX_RESPONSE_BYTES = 1_000_000
# SageMaker allows a real-time invocation 60 s. One attempt only, so the function timeout (and
# above it the ALB idle timeout) need only exceed one read timeout plus connecting.
DEFAULT_READ_TIMEOUT_S = 60.0
CONNECT_TIMEOUT_S = 2
# botocore retries nothing: standard mode would retry a ReadTimeoutError and run the model twice.
RETRIES = {"total_max_attempts": 1, "mode": "standard"}
# Our own retries, only for failures the model cannot have seen.
INVOKE_ATTEMPTS = 3
RETRY_BACKOFF_S = 0.1
# DescribeEndpoint answers for /ping: Route 53 wants a status within 2 s of connecting.
CONTROL_CONNECT_TIMEOUT_S = 1
CONTROL_READ_TIMEOUT_S = 2
DEFAULT_PING_CACHE_S = 5.0
DEFAULT_PING_STALE_S = 60.0
MAX_PING_STALE_S = 60.0


@dataclass(frozen=True)
class Settings:
    """Configuration read once from the environment at cold start."""

    endpoint_name: str
    region: str
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    read_timeout_s: float = DEFAULT_READ_TIMEOUT_S
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    ping_cache_s: float = DEFAULT_PING_CACHE_S
    ping_stale_s: float = DEFAULT_PING_STALE_S

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Read settings, reporting every invalid variable at once."""
        problems: list[str] = []
        endpoint_name = env.get("ENDPOINT_NAME", "").strip()
        if not endpoint_name:
            problems.append("ENDPOINT_NAME: required, the SageMaker endpoint to invoke")
        # Lambda always sets AWS_REGION; AWS_DEFAULT_REGION helps when running locally.
        region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or ""
        if not region:
            problems.append("AWS_REGION: required, normally set by Lambda")
        max_body_bytes = _positive_number(
            env, "MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES, int, problems
        )
        read_timeout_s = _positive_number(
            env, "READ_TIMEOUT_S", DEFAULT_READ_TIMEOUT_S, float, problems
        )
        max_response_bytes = _positive_number(
            env, "MAX_RESPONSE_BYTES", DEFAULT_MAX_RESPONSE_BYTES, int, problems
        )
        ping_cache_s = _positive_number(env, "PING_CACHE_S", DEFAULT_PING_CACHE_S, float, problems)
        ping_stale_s = _positive_number(env, "PING_STALE_S", DEFAULT_PING_STALE_S, float, problems)
        if ping_stale_s > MAX_PING_STALE_S:
            problems.append(
                f"PING_STALE_S: at most {MAX_PING_STALE_S:g} s (a stale status may not hide "
                f"an outage longer), got {ping_stale_s:g}"
            )
        if problems:
            raise ValueError("invalid inference proxy configuration: " + "; ".join(problems))
        return cls(
            endpoint_name,
            region,
            int(max_body_bytes),
            float(read_timeout_s),
            int(max_response_bytes),
            float(ping_cache_s),
            float(ping_stale_s),
        )


def _positive_number(
    env: Mapping[str, str],
    name: str,
    default: float,
    kind: type[int | float],
    problems: list[str],
) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        value = 0
    # math.isfinite also rejects "nan" and "inf", which float() accepts.
    if not math.isfinite(value) or value <= 0:
        problems.append(f"{name}: must be a positive {kind.__name__}, got {raw!r}")
        return default
    return value


# Fails the cold start on bad configuration: a misconfigured function never serves.
SETTINGS = Settings.from_env(os.environ)
# Who may call: read at cold start too; a missing AUTH_MODE fails it (closed, not open).
AUTH_SETTINGS = proxy_auth.AuthSettings.from_env(os.environ)
_authenticator_built: proxy_auth.Authenticator | None = None

_clients: dict[str, BaseClient] = {}


@dataclass
class EndpointStatus:
    """The last DescribeEndpoint answer, kept in the warm container for `/ping`."""

    status: str
    checked_at: float


_last_status: EndpointStatus | None = None
# A function, so tests can play time forward without sleeping.
_clock = time.monotonic


def boto_config(settings: Settings) -> Config:
    """Runtime client config: one attempt per call, read timeout up to SageMaker's 60 s."""
    return Config(
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=settings.read_timeout_s,
        retries=dict(RETRIES),
    )


def control_config() -> Config:
    """DescribeEndpoint for `/ping`: short timeouts, one attempt; the cache absorbs failures."""
    return Config(
        connect_timeout=CONTROL_CONNECT_TIMEOUT_S,
        read_timeout=CONTROL_READ_TIMEOUT_S,
        retries=dict(RETRIES),
    )


def _client(service: str) -> BaseClient:
    # Cached per container: building a client costs tens of milliseconds we don't want
    # to pay per request. Tests stub (or replace) the cached instance.
    client = _clients.get(service)
    if client is None:
        config = boto_config(SETTINGS) if service == "sagemaker-runtime" else control_config()
        client = boto3.client(service, region_name=SETTINGS.region, config=config)
        _clients[service] = client
    return client


def _runtime() -> BaseClient:
    return _client("sagemaker-runtime")


def _control() -> BaseClient:
    return _client("sagemaker")


def _authenticator() -> proxy_auth.Authenticator:
    """Built by the first `/invocations` of the container, then reused. Not at cold start: the
    ping function runs this same code and never authenticates, and building the authenticator
    for JWT imports PyJWT and cryptography, which take about as long to import as boto3."""
    global _authenticator_built
    if _authenticator_built is None:
        _authenticator_built = proxy_auth.Authenticator(AUTH_SETTINGS)
    return _authenticator_built


def handler(event: Any, context: Any) -> dict[str, Any]:
    """Lambda entry point for ALB events; always returns a response, never raises."""
    started = time.monotonic()
    request_id = str(getattr(context, "aws_request_id", ""))
    method = path = ""
    error_code: str | None = None
    detail: dict[str, Any] = {}
    response: dict[str, Any]
    try:
        if not isinstance(event, Mapping):
            raise ProxyError(
                400,
                "invalid_request",
                "The request could not be read.",
                detail={"cause": f"event is {type(event).__name__}, not an ALB event object"},
            )
        method = str(event.get("httpMethod", "")).upper()
        path = str(event.get("path", ""))
        response, error_code, detail = _route(method, path, event)
        response = alb_http.within_response_limit(response, request_id, SETTINGS.max_response_bytes)
    except ProxyError as err:
        error_code, detail = err.code, {**detail, **err.detail}
        response = alb_http.error_response(err, request_id)
    # The catch-all that keeps stack traces away from callers; they go to the log.
    except Exception:
        error_code = "internal_error"
        detail = {"exception": traceback.format_exc()}
        internal = ProxyError(500, error_code, "The request could not be processed.")
        response = alb_http.error_response(internal, request_id)
    response["headers"][alb_http.REQUEST_ID_HEADER] = request_id
    _log(
        request_id=request_id,
        method=method,
        path=path,
        status=response["statusCode"],
        latency_ms=round((time.monotonic() - started) * 1000, 1),
        error=error_code,
        **detail,
    )
    return response


Answer = tuple[dict[str, Any], str | None, dict[str, Any]]
"""A response, its error code (None for success) and what the log line adds."""


def _route(method: str, path: str, event: Mapping[str, Any]) -> Answer:
    allowed = ROUTES.get(path)
    if allowed is None:
        raise ProxyError(404, "not_found", "No such route.")
    if method != allowed:
        raise ProxyError(
            405,
            "method_not_allowed",
            f"Use {allowed} for {path}.",
            headers={"Allow": allowed},
        )
    if path == PING_PATH:
        return _ping()
    _authenticate(event)
    return _invoke(event)


def _authenticate(event: Mapping[str, Any]) -> None:
    """The one place callers are checked (docs/authentication.md): before any model call."""
    try:
        _authenticator().authenticate(alb_http.lenient_headers(event))
    except proxy_auth.Denied as denied:
        raise ProxyError(
            denied.status,
            "unauthorized"
            if denied.status == 401
            else "forbidden"
            if denied.status == 403
            else "authentication_unavailable",
            denied.description or "Authentication is required.",
            headers=denied.headers,
            detail={"auth_failure": denied.reason},
        ) from denied


def _invoke(event: Mapping[str, Any]) -> Answer:
    headers = alb_http.request_headers(event)
    body = alb_http.request_body(event, SETTINGS.max_body_bytes)
    params: dict[str, Any] = {
        "EndpointName": SETTINGS.endpoint_name,
        "Body": body,
        "ContentType": headers.get("content-type", DEFAULT_CONTENT_TYPE),
    }
    # Forward only what the caller sent: an empty value reaches the model as-is, which
    # is not the same as "not set".
    if "accept" in headers:
        params["Accept"] = headers["accept"]
    if CUSTOM_ATTRIBUTES_HEADER.lower() in headers:
        params["CustomAttributes"] = headers[CUSTOM_ATTRIBUTES_HEADER.lower()]
    result, payload, attempts = _invoke_once(params)
    out_headers = {"Content-Type": result.get("ContentType") or "application/octet-stream"}
    if result.get("CustomAttributes") is not None:
        out_headers[CUSTOM_ATTRIBUTES_HEADER] = result["CustomAttributes"]
    if result.get("InvokedProductionVariant"):
        out_headers[INVOKED_VARIANT_HEADER] = result["InvokedProductionVariant"]
    return alb_http.http_response(200, payload, out_headers), None, {"invoke_attempts": attempts}


def _invoke_once(params: Mapping[str, Any]) -> tuple[Mapping[str, Any], bytes, int]:
    """InvokeEndpoint, with the model reached at most once.

    Retried: no connection (the request never left), and throttling (SageMaker refuses before
    it accepts the request). Never retried: a read timeout, a connection closed after sending, a
    body cut short, where the model may be running or has run. The body is read here, inside the
    same guard: InvokeEndpoint's `Body` streams, so a response cut short fails while reading it.
    Returns the result, its body and the number of attempts.
    """
    for attempt in range(1, INVOKE_ATTEMPTS + 1):
        try:
            result: Mapping[str, Any] = _runtime().invoke_endpoint(**params)
            payload = result["Body"]
            if hasattr(payload, "read"):
                payload = payload.read()
            return result, bytes(payload), attempt
        except UPSTREAM_EXCEPTIONS as exc:
            if attempt == INVOKE_ATTEMPTS or not sagemaker_errors.not_accepted(exc):
                try:
                    sagemaker_errors.raise_translated(exc)
                except ProxyError as err:
                    err.detail["invoke_attempts"] = attempt
                    raise
        time.sleep(RETRY_BACKOFF_S * attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def _ping() -> Answer:
    global _last_status
    now = _clock()
    last = _last_status
    if last is not None and now - last.checked_at < SETTINGS.ping_cache_s:
        return _ping_response(last.status, {"status_age_s": round(now - last.checked_at, 1)})
    try:
        description = _control().describe_endpoint(EndpointName=SETTINGS.endpoint_name)
    except UPSTREAM_EXCEPTIONS as exc:
        translated = sagemaker_errors.translated(exc)
        if translated.code == "endpoint_unavailable":
            # Authoritative: the endpoint is gone. Forget what we knew.
            _last_status = None
            raise translated from exc
        cause = {**translated.detail, "cause": type(exc).__name__}
        if last is not None and now - last.checked_at <= SETTINGS.ping_stale_s:
            response, error, _ = _ping_response(last.status)
            stale = {"status_age_s": round(now - last.checked_at, 1), **cause}
            return response, error or "endpoint_status_stale", stale
        raise ProxyError(
            503,
            "endpoint_status_unknown",
            "The endpoint's status could not be read.",
            detail=cause,
        ) from exc
    status = str(description.get("EndpointStatus", "Unknown"))
    _last_status = EndpointStatus(status, now)
    return _ping_response(status, {"status_age_s": 0.0})


def _ping_response(status: str, detail: dict[str, Any] | None = None) -> Answer:
    known = PING_STATUSES.get(status)
    if known is not None and known.serving:
        return alb_http.json_response(200, {"status": status}), None, detail or {}
    # A value newer than this table is not served on: 503, named in the log.
    error = "endpoint_not_in_service" if known is not None else "endpoint_status_unmapped"
    return alb_http.json_response(503, {"status": status}), error, detail or {}


def _log(**fields: Any) -> None:
    record = {"region": SETTINGS.region, "endpoint": SETTINGS.endpoint_name, **fields}
    # One line per request (json.dumps escapes a traceback's newlines); stdout goes to
    # CloudWatch Logs, where Logs Insights can query the fields.
    print(json.dumps(record, default=str), flush=True)


# Build both clients in the init phase so the first request doesn't pay for them.
_runtime()
_control()
