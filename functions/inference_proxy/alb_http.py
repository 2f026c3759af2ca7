"""The load balancer's side of the proxy: reading an ALB Lambda-target event (multi-value headers
off) and shaping the response the ALB accepts from a Lambda target.

Nothing here calls AWS or keeps state: every failure is a ProxyError, which handler.py turns into
a small JSON error with a stable code.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

CUSTOM_ATTRIBUTES_HEADER = "X-Amzn-SageMaker-Custom-Attributes"
INVOKED_VARIANT_HEADER = "X-Amzn-Invoked-Production-Variant"
REQUEST_ID_HEADER = "X-Request-Id"
DEFAULT_CONTENT_TYPE = "application/json"
# InvokeEndpoint's limits on the forwarded headers (botocore sagemaker-runtime model).
MAX_HEADER_CHARS = {
    "content-type": 1024,
    "accept": 1024,
    CUSTOM_ATTRIBUTES_HEADER.lower(): 1024,
}
# Visible ASCII, space and tab: what an HTTP header value may carry and what SageMaker takes.
# A CR or LF would make the HTTP layer refuse the request (botocore HTTPClientError).
HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")


@dataclass
class ProxyError(Exception):
    """A failure with a known HTTP mapping; `detail` is logged, never returned."""

    status: int
    code: str
    message: str
    headers: dict[str, str] = field(default_factory=dict)
    detail: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    """Further fields of the JSON body, beside error, message and requestId."""


def lenient_headers(event: Mapping[str, Any]) -> dict[str, str]:
    """The request's headers with lower-cased names, or none when the event carries no mapping
    (request_headers refuses that request later, with its own message)."""
    raw = event.get("headers") or {}
    return {str(k).lower(): str(v) for k, v in raw.items()} if isinstance(raw, Mapping) else {}


def request_headers(event: Mapping[str, Any]) -> dict[str, str]:
    """The headers to forward, with lower-cased names; a 400 for one SageMaker would refuse."""
    raw = event.get("headers") or {}
    if not isinstance(raw, Mapping):
        raise ProxyError(
            400,
            "invalid_request",
            "The request headers could not be read.",
            detail={"cause": f"headers is {type(raw).__name__}"},
        )
    headers = {str(name).lower(): str(value) for name, value in raw.items()}
    for name, limit in MAX_HEADER_CHARS.items():
        value = headers.get(name)
        if value is None:
            continue
        if not HEADER_VALUE.fullmatch(value) or len(value) > limit:
            raise ProxyError(
                400,
                "invalid_request",
                f"The {name} header must be at most {limit} printable ASCII characters, "
                "without line breaks.",
                detail={"header": name, "header_chars": len(value)},
            )
    return headers


def request_body(event: Mapping[str, Any], max_body_bytes: int) -> bytes:
    """The body as SageMaker receives it (base64 decoded); a 413 above `max_body_bytes`."""
    raw = event.get("body") or ""
    try:
        if event.get("isBase64Encoded"):
            body = base64.b64decode(raw, validate=True)
        else:
            body = raw.encode("utf-8")
    except (binascii.Error, ValueError, AttributeError, TypeError) as exc:
        raise ProxyError(
            400,
            "invalid_request",
            "The request body could not be decoded.",
            detail={"cause": type(exc).__name__},
        ) from exc
    # Measured after decoding: that is what SageMaker receives.
    if len(body) > max_body_bytes:
        raise ProxyError(
            413,
            "payload_too_large",
            f"The request body exceeds {max_body_bytes} bytes.",
            detail={"body_bytes": len(body)},
        )
    return body


def response_bytes(response: Mapping[str, Any]) -> int:
    """Size of the response as the ALB receives it: the serialized JSON object.

    From the Python 3.12 runtime on, Lambda serializes the result with Unicode characters as
    they are (not `\\u` escapes), so this measures UTF-8 without ASCII escaping.
    """
    return len(json.dumps(response, ensure_ascii=False).encode("utf-8"))


def within_response_limit(
    response: dict[str, Any], request_id: str, max_response_bytes: int
) -> dict[str, Any]:
    """The response, or a 502 when the ALB would refuse it (its own 502, with no body of ours)."""
    # Measured with room for the X-Request-Id header added afterwards.
    size = response_bytes(
        {**response, "headers": {**response["headers"], REQUEST_ID_HEADER: request_id}}
    )
    if size <= max_response_bytes:
        return response
    raise ProxyError(
        502,
        "response_too_large",
        f"The model's response is {size} bytes as sent to the load balancer; the limit is "
        f"{max_response_bytes}.",
        detail={"response_bytes": size, "limit_bytes": max_response_bytes},
        extra={"responseBytes": size, "limitBytes": max_response_bytes},
    )


def error_response(err: ProxyError, request_id: str) -> dict[str, Any]:
    body = {"error": err.code, "message": err.message, "requestId": request_id, **err.extra}
    return json_response(err.status, body, err.headers)


def json_response(
    status: int, body: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> dict[str, Any]:
    return http_response(
        status,
        json.dumps(body).encode(),
        {"Content-Type": "application/json", **(headers or {})},
    )


def http_response(status: int, body: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
    # The ALB takes bodies as text: binary travels base64-encoded with the flag set.
    try:
        text, is_base64 = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, is_base64 = base64.b64encode(body).decode("ascii"), True
    return {
        "statusCode": status,
        "statusDescription": f"{status} {HTTPStatus(status).phrase}",
        "headers": dict(headers),
        "isBase64Encoded": is_base64,
        "body": text,
    }
