"""The inference proxy loaded as Lambda loads it, with SageMaker stubbed: constants, events and
assertions shared by the proxy's test modules (their fixtures are in conftest.py)."""

from __future__ import annotations

import importlib.util
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, cast

import boto3
import botocore.exceptions
import botocore.loaders
import botocore.session
import pytest

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


DESCRIBE_ENDPOINT_RESPONSE = {
    "EndpointName": ENDPOINT,
    "EndpointArn": f"arn:aws:sagemaker:us-east-1:123456789012:endpoint/{ENDPOINT}",
    "EndpointConfigName": "demo-config",
    "CreationTime": "2024-01-01T00:00:00Z",
    "LastModifiedTime": "2024-01-01T00:00:00Z",
}
