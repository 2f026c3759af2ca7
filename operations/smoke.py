"""One request to each region's URL: status and latency per region.

The URL of a region is, in order: `--url REGION=URL`, the stack's `regional_url` output (from
`cdktf output --outputs-file`), or `https://<region>.<record_name>/invocations` from the config.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from config.models import ServiceConfig
from operations.aws import OperationsError

INVOKED_VARIANT_HEADER = "X-Amzn-Invoked-Production-Variant"
REQUEST_ID_HEADER = "X-Request-Id"
DEFAULT_TIMEOUT_S = 65.0
"""Above the proxy's 60-s read timeout, so the proxy's own 504 is what a slow model gives."""


def regional_url(config: ServiceConfig, region: str) -> str:
    """The stacks' `regional_url` output, from the configuration alone."""
    return f"https://{region}.{config.domain.record_name}/invocations"


def urls_for(
    config: ServiceConfig,
    regions: list[str],
    overrides: dict[str, str],
    outputs_file: Path | None,
) -> dict[str, str]:
    outputs: dict[str, Any] = {}
    if outputs_file is not None:
        try:
            outputs = json.loads(outputs_file.read_text())
        except (OSError, ValueError) as exc:
            raise OperationsError(
                f"{outputs_file}: not a readable outputs file (cdktf output --outputs-file): {exc}"
            ) from None
        if not isinstance(outputs, dict):
            raise OperationsError(f"{outputs_file}: expected a JSON object of stacks")
    urls = {}
    for region in regions:
        stack_outputs = outputs.get(config.stack_name(region)) or {}
        from_outputs = (
            stack_outputs.get("regional_url") if isinstance(stack_outputs, dict) else None
        )
        urls[region] = overrides.get(region) or from_outputs or regional_url(config, region)
    return urls


def parse_overrides(values: list[str], served: list[str]) -> dict[str, str]:
    overrides = {}
    for value in values:
        region, sep, url = value.partition("=")
        if not sep or not url.startswith(("https://", "http://")):
            raise OperationsError(f"--url {value}: expected REGION=https://HOST/invocations")
        if region not in served:
            raise OperationsError(
                f"--url {value}: {region} is not served by this configuration: {', '.join(served)}"
            )
        overrides[region] = url
    return overrides


@dataclass
class SmokeResult:
    region: str
    url: str
    status: int | None
    latency_ms: float
    variant: str | None
    request_id: str | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def send(
    region: str,
    url: str,
    body: bytes,
    content_type: str,
    token: str | None,
    timeout_s: float,
) -> SmokeResult:
    headers = {"Content-Type": content_type, "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 (http(s) only: parse_overrides)
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310
            response.read()
            return _result(region, url, response.status, started, response.headers, None)
    except urllib.error.HTTPError as exc:
        payload = exc.read()
        return _result(region, url, exc.code, started, exc.headers, _error_code(payload))
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return _result(region, url, None, started, None, f"unreachable: {reason}")


def _result(
    region: str, url: str, status: int | None, started: float, headers: Any, error: str | None
) -> SmokeResult:
    return SmokeResult(
        region=region,
        url=url,
        status=status,
        latency_ms=round((time.monotonic() - started) * 1000, 1),
        variant=headers.get(INVOKED_VARIANT_HEADER) if headers else None,
        request_id=headers.get(REQUEST_ID_HEADER) if headers else None,
        error=error,
    )


def _error_code(payload: bytes) -> str | None:
    """The proxy's error code (`{"error": "...", "message": ...}`), or None for another body."""
    try:
        body = json.loads(payload)
    except ValueError:
        return None
    return str(body.get("error")) if isinstance(body, dict) and "error" in body else None


def render_table(results: list[SmokeResult]) -> str:
    rows = [["REGION", "STATUS", "LATENCY", "VARIANT", "ERROR", "URL"]]
    for r in results:
        rows.append(
            [
                r.region,
                str(r.status) if r.status is not None else "-",
                f"{r.latency_ms:.0f} ms",
                r.variant or "-",
                r.error or "-",
                r.url,
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    return "\n".join(lines) + "\n"
