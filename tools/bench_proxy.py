#!/usr/bin/env python
"""Measure the inference proxy's own time per request against a local fake SageMaker runtime.

The handler runs in this process and calls a real HTTP server on 127.0.0.1 (the fake answers at
once). For each of N requests: the handler's wall time, the time of the HTTP exchange (from
botocore's `before-send` to its `needs-retry`, i.e. sending and receiving), and the difference:
the proxy's own work (event parsing, validation, signing, serializing, logging).

    pipenv run python tools/bench_proxy.py [--requests 1000] [--body-bytes 1024]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import os
import statistics
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from emulator.fake_runtime import fake_runtime  # noqa: E402

HANDLER_PATH = ROOT / "functions" / "inference_proxy" / "handler.py"
# The handler imports its sibling modules as Lambda does (/var/task on sys.path).
sys.path.insert(0, str(HANDLER_PATH.parent))


class _Context:
    aws_request_id = "bench-0000"


def _load_handler(url: str) -> ModuleType:
    os.environ.update(
        {
            "ENDPOINT_NAME": "bench-endpoint",
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_CONFIG_FILE": "/nonexistent/aws-config",
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME": url,
            # The proxy's own time without authentication (a JWT check is measured on its own).
            "AUTH_MODE": "none",
        }
    )
    spec = importlib.util.spec_from_file_location("inference_proxy_bench", HANDLER_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(requests: int, body_bytes: int) -> dict[str, dict[str, float]]:
    """Per-request milliseconds: total, HTTP exchange, and the proxy's own time (p50, p99)."""
    with fake_runtime() as fake:
        proxy = _load_handler(fake.url)
        exchange: list[float] = []
        marks: dict[str, float] = {}

        def sent(**_: Any) -> None:
            marks["sent"] = time.perf_counter()

        def received(**_: Any) -> None:
            exchange.append(time.perf_counter() - marks["sent"])

        events = proxy._runtime().meta.events
        events.register("before-send.sagemaker-runtime.InvokeEndpoint", sent)
        events.register("needs-retry.sagemaker-runtime.InvokeEndpoint", received)
        event = {
            "httpMethod": "POST",
            "path": "/invocations",
            "headers": {"content-type": "application/json"},
            "body": '{"x":"' + "a" * max(0, body_bytes - 8) + '"}',
            "isBase64Encoded": False,
        }
        totals: list[float] = []
        sink = io.StringIO()
        for _ in range(requests):
            exchange_before = len(exchange)
            with contextlib.redirect_stdout(sink):  # the handler's log line
                started = time.perf_counter()
                response = proxy.handler(event, _Context())
                totals.append(time.perf_counter() - started)
            if response["statusCode"] != 200 or len(exchange) != exchange_before + 1:
                raise SystemExit(f"unexpected answer: {response['statusCode']}")
            sink.seek(0)
            sink.truncate()
        assert fake.calls == requests
    own = [total - http for total, http in zip(totals, exchange, strict=True)]
    return {
        name: {
            "p50_ms": _percentile(values, 0.50) * 1000,
            "p99_ms": _percentile(values, 0.99) * 1000,
            "mean_ms": statistics.fmean(values) * 1000,
        }
        for name, values in (("total", totals), ("http_exchange", exchange), ("own", own))
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--body-bytes", type=int, default=1024)
    args = parser.parse_args()
    results = measure(args.requests, args.body_bytes)
    print(f"{args.requests} requests, {args.body_bytes}-byte body, fake runtime on 127.0.0.1")
    for name, numbers in results.items():
        print(
            f"  {name:<14} p50 {numbers['p50_ms']:7.3f} ms   p99 {numbers['p99_ms']:7.3f} ms   "
            f"mean {numbers['mean_ms']:7.3f} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
