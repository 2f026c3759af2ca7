"""The inference proxy's GET /ping: each EndpointStatus, a missing endpoint, the cached status and
its bounded staleness (SageMaker's control plane stubbed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from types import ModuleType
from typing import Any

import pytest
from botocore.exceptions import ReadTimeoutError
from botocore.stub import Stubber

from tests.functions.proxy_harness import (
    BOTOCORE_LOADER,
    DESCRIBE_ENDPOINT_RESPONSE,
    ENDPOINT,
    FAKE_ENV,
    HANDLER_PATH,
    alb_event,
    assert_error,
    call,
)

# --- GET /ping --------------------------------------------------------------------------

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


# --- the ping function's cold start -----------------------------------------------------

# A fresh interpreter loads the package as the ping function does, answers one /ping (SageMaker
# unreachable: nothing listens on port 9) and one /invocations with a malformed bearer token, and
# reports after each step which of PyJWT and cryptography it has imported.
COLD_START_PROBE = """
import json, sys
sys.path.insert(0, sys.argv[1])
def imported():
    return sorted({"jwt", "cryptography"} & set(sys.modules))
steps = {}
import handler
steps["import"] = imported()
def request(method, path, headers):
    event = {"httpMethod": method, "path": path, "headers": headers, "body": "{}"}
    return handler.handler(event, None)["statusCode"]
steps["ping"] = [request("GET", "/ping", {}), imported()]
steps["invocations"] = [
    request("POST", "/invocations", {"authorization": "Bearer not-a-token"}),
    imported(),
]
print(json.dumps(steps))
"""


def test_the_ping_function_imports_no_jwt_library_until_an_invocation_needs_one() -> None:
    # Given the proxy's JWT configuration, which the ping function's environment carries too
    env = {
        **FAKE_ENV,
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AUTH_MODE": "jwt",
        "JWT_ISSUER": "https://issuer.example.com",
        "JWT_AUDIENCES": '["api://inference"]',
        "JWT_ALGORITHMS": '["RS256"]',
        "AWS_ENDPOINT_URL_SAGEMAKER": "http://127.0.0.1:9",
    }
    # When a fresh interpreter loads the handler and serves /ping, then /invocations
    result = subprocess.run(
        [sys.executable, "-B", "-c", COLD_START_PROBE, str(HANDLER_PATH.parent)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    steps = json.loads(result.stdout.splitlines()[-1])

    # Then neither the cold start nor /ping imports PyJWT or cryptography; the first check of
    # a token does (the probe sees them: a 401 for the malformed token)
    assert steps["import"] == []
    assert steps["ping"] == [503, []]
    assert steps["invocations"][0] == 401
    assert "jwt" in steps["invocations"][1]
