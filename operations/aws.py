"""botocore clients from the environment's credentials, and AWS failures as one-line errors.

`AWS_ENDPOINT_URL` (or `AWS_ENDPOINT_URL_<SERVICE>`), read by botocore itself, points every client
at another endpoint, e.g. a local emulator.
"""

from __future__ import annotations

from typing import Any

import botocore.session
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
    ReadTimeoutError,
)

# A status read must answer in seconds: one retry, short timeouts.
CLIENT_CONFIG = Config(
    retries={"total_max_attempts": 2, "mode": "standard"}, connect_timeout=5, read_timeout=20
)
GLOBAL_REGION = "us-east-1"
"""Where the global services (Route 53) answer."""


class OperationsError(Exception):
    """A failure the command reports as one line (no credentials, AWS unreachable, access denied)."""


class Aws:
    """One botocore session; a client per (service, region)."""

    def __init__(self) -> None:
        self._session = botocore.session.get_session()
        self._clients: dict[tuple[str, str], Any] = {}

    def check_credentials(self) -> None:
        try:
            credentials = self._session.get_credentials()
        except (PartialCredentialsError, BotoCoreError) as exc:
            raise OperationsError(f"AWS credentials could not be read: {exc}") from None
        if credentials is None:
            raise OperationsError(
                "no AWS credentials: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or "
                "a role (e.g. aws-actions/configure-aws-credentials) and run again"
            )

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = self._session.create_client(
                service, region_name=region, config=CLIENT_CONFIG
            )
        return self._clients[key]


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def one_line(exc: Exception, doing: str) -> OperationsError:
    """The failure of `doing` as the one line a user reads."""
    if isinstance(exc, (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError)):
        return OperationsError(f"AWS is unreachable while {doing}: {exc}")
    if isinstance(exc, NoCredentialsError):
        return OperationsError(f"no AWS credentials while {doing}")
    if isinstance(exc, ClientError):
        message = exc.response.get("Error", {}).get("Message", "")
        return OperationsError(f"AWS refused {doing}: {error_code(exc)}: {message}")
    return OperationsError(f"{doing} failed: {exc}")
