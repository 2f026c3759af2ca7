"""What a failed call to SageMaker means to the caller: each failure of InvokeEndpoint or
DescribeEndpoint (an error response, botocore's own failures, the HTTP layer's) becomes a
ProxyError with a stable code; and which failures cannot have run the model, so one more attempt
is safe.

AWS's and the model's messages go to the log only (`detail`), capped in length.
"""

from __future__ import annotations

import http.client
import re
from collections.abc import Mapping
from typing import Any, NoReturn

import urllib3.exceptions
from alb_http import ProxyError
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ParamValidationError,
    ReadTimeoutError,
)

# Codes differ between SageMaker's control plane, its runtime and older SDK models.
THROTTLING_CODES = frozenset(
    {
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "Throttling",
    }
)
VALIDATION_CODES = frozenset({"ValidationException", "ValidationError"})
# What a call to SageMaker can raise: error responses, botocore's own failures, and what the
# HTTP layer lets through unwrapped (urllib3 and http.client errors, sockets).
UPSTREAM_EXCEPTIONS: tuple[type[Exception], ...] = (
    ClientError,
    BotoCoreError,
    urllib3.exceptions.HTTPError,
    http.client.HTTPException,
    OSError,
)
# SageMaker reports a missing or not-yet-serving endpoint only as a ValidationError
# whose message says so: "Endpoint foo of account 123 not found.", "Could not find
# endpoint ...".
ENDPOINT_UNAVAILABLE = re.compile(
    r"endpoint.*(not found|does not exist|not in service)|could not find endpoint",
    re.IGNORECASE,
)
# Model and AWS messages go to the log for debugging, capped to keep log lines small.
MAX_LOGGED_MESSAGE_CHARS = 1000


def not_accepted(exc: Exception) -> bool:
    """True for failures that cannot have run the model."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", "")) in THROTTLING_CODES
    # No connection was made, so nothing was sent.
    return isinstance(exc, (EndpointConnectionError, ConnectTimeoutError))


def translated(exc: Exception) -> ProxyError:
    """The ProxyError of an upstream failure (AWS SDK or HTTP layer)."""
    if isinstance(exc, ClientError):
        return _translate_client_error(exc)
    return _translate_sdk_error(exc)


def raise_translated(exc: Exception) -> NoReturn:
    """Re-raise an upstream failure as its ProxyError."""
    raise translated(exc) from exc


def _upstream_error(message: str, detail: dict[str, Any]) -> ProxyError:
    return ProxyError(502, "upstream_error", message, detail=detail)


def _translate_sdk_error(exc: Exception) -> ProxyError:
    """Failures raised by botocore (or the HTTP layer under it) before or instead of a service
    response: a timeout is a 504, a request SageMaker would refuse a 400, anything else a 502
    (connection closed after sending, a body cut short, TLS, proxy, credentials, checksum)."""
    cause = {"cause": type(exc).__name__}
    if isinstance(exc, (ReadTimeoutError, ConnectTimeoutError)):
        return ProxyError(
            504, "upstream_timeout", "The model did not respond in time.", detail=cause
        )
    if isinstance(exc, EndpointConnectionError):
        return _upstream_error("SageMaker could not be reached.", cause)
    if isinstance(exc, ParamValidationError):
        return ProxyError(
            400,
            "invalid_request",
            "The request headers or body are not valid for SageMaker.",
            detail={"cause": truncate(str(exc))},
        )
    return _upstream_error(
        "SageMaker's answer could not be read.", {**cause, "aws_message": truncate(str(exc))}
    )


def _translate_client_error(exc: ClientError) -> ProxyError:
    """Error responses from SageMaker; a code without a mapping of its own (AccessDenied, a bare
    502 whose code is only the HTTP status) is SageMaker failing the request: 502."""
    error = exc.response.get("Error", {})
    aws_code = str(error.get("Code", ""))
    aws_message = str(error.get("Message", ""))
    detail: dict[str, Any] = {
        "aws_error": aws_code,
        "aws_message": truncate(aws_message),
    }
    if aws_code in THROTTLING_CODES:
        return ProxyError(
            429,
            "throttled",
            "Too many requests; retry shortly.",
            headers={"Retry-After": "1"},
            detail=detail,
        )
    if aws_code == "ModelError":
        return _model_error(exc.response, detail)
    if aws_code == "ModelNotReadyException":
        return ProxyError(503, "model_not_ready", "The model is not ready yet.", detail=detail)
    if aws_code in VALIDATION_CODES:
        if ENDPOINT_UNAVAILABLE.search(aws_message):
            return ProxyError(
                503,
                "endpoint_unavailable",
                "The endpoint is not available.",
                detail=detail,
            )
        return ProxyError(
            400,
            "invalid_request",
            "SageMaker rejected the request as invalid.",
            detail=detail,
        )
    return _upstream_error("SageMaker failed to serve the request.", detail)


def _model_error(response: Mapping[str, Any], detail: dict[str, Any]) -> ProxyError:
    # Modeled error fields sit at the parsed response's top level, not under "Error".
    error = response.get("Error", {})
    original = response.get("OriginalStatusCode", error.get("OriginalStatusCode"))
    try:
        original_status = int(original) if original is not None else None
    except (TypeError, ValueError):
        original_status = None
    detail = {
        **detail,
        "model_status": original_status,
        "model_message": truncate(
            str(response.get("OriginalMessage", error.get("OriginalMessage", "")))
        ),
        "log_stream_arn": response.get("LogStreamArn", error.get("LogStreamArn")),
    }
    # A 4xx means the model refused the caller's input: 424, the caller can act on it.
    # Anything else is the model failing, which the caller cannot fix: 502.
    if original_status is not None and 400 <= original_status < 500:
        return ProxyError(
            424,
            "model_error",
            f"The model rejected the request ({original_status}).",
            detail=detail,
        )
    return ProxyError(502, "model_error", "The model failed to process the request.", detail=detail)


def truncate(text: str) -> str:
    return text if len(text) <= MAX_LOGGED_MESSAGE_CHARS else text[:MAX_LOGGED_MESSAGE_CHARS] + "…"
