"""tools/bench_proxy.py measures the proxy's own time per request against the fake runtime."""

from __future__ import annotations

from tools.bench_proxy import measure


def test_bench_reports_p50_and_p99_of_the_proxys_own_time() -> None:
    results = measure(requests=50, body_bytes=256)

    assert set(results) == {"total", "http_exchange", "own"}
    for numbers in results.values():
        assert 0 < numbers["p50_ms"] <= numbers["p99_ms"]
    # The proxy's own share is what is left after the HTTP exchange.
    assert results["own"]["mean_ms"] < results["total"]["mean_ms"]
