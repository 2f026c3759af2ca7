"""`python -m operations smoke` against a tiny HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from operations.__main__ import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = str(ROOT / "config" / "example.yaml")


class FakeProxy(BaseHTTPRequestHandler):
    """Answers like the inference proxy: /ok with the model's answer, /broken with its 502."""

    seen: ClassVar[list[dict[str, str]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        FakeProxy.seen.append({**dict(self.headers), "path": self.path, "body": body.decode()})
        if self.path == "/ok/invocations":
            payload, status = b'{"score": 0.1}', 200
            headers = {"X-Amzn-Invoked-Production-Variant": "primary"}
        else:
            payload, status = json.dumps({"error": "upstream_error", "message": "x"}).encode(), 502
            headers = {}
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Request-Id", "req-1")
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def base_url() -> Iterator[str]:
    FakeProxy.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeProxy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_every_region_answering_exits_0_with_status_and_variant(
    base_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOKEN", "t0k3n")
    urls = [
        f"--url=us-east-1={base_url}/ok/invocations",
        f"--url=eu-west-1={base_url}/ok/invocations",
    ]

    code = main(["smoke", "--config", EXAMPLE, "--json", "--body", '{"x": 1}', *urls])
    results = json.loads(capsys.readouterr().out)

    assert code == 0
    assert [(r["region"], r["status"], r["variant"], r["request_id"]) for r in results] == [
        ("us-east-1", 200, "primary", "req-1"),
        ("eu-west-1", 200, "primary", "req-1"),
    ]
    assert all(r["latency_ms"] >= 0 for r in results)
    assert FakeProxy.seen[0]["Authorization"] == "Bearer t0k3n"
    assert FakeProxy.seen[0]["Content-Type"] == "application/json"
    assert FakeProxy.seen[0]["body"] == '{"x": 1}'


def test_a_failing_region_exits_1_with_the_proxys_error_code(
    base_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TOKEN", raising=False)

    code = main(
        [
            "smoke",
            "--config",
            EXAMPLE,
            "--region",
            "eu-west-1",
            f"--url=eu-west-1={base_url}/broken/invocations",
        ]
    )
    out = capsys.readouterr().out

    assert code == 1
    header, row = out.splitlines()
    assert header.split() == ["REGION", "STATUS", "LATENCY", "VARIANT", "ERROR", "URL"]
    assert row.split()[:2] == ["eu-west-1", "502"]
    assert "upstream_error" in row
    assert "Authorization" not in FakeProxy.seen[0]


def test_an_unreachable_region_is_reported_not_raised(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "smoke",
            "--config",
            EXAMPLE,
            "--region",
            "us-east-1",
            "--json",
            "--timeout-s",
            "5",
            "--url=us-east-1=http://127.0.0.1:9/invocations",
        ]
    )
    (result,) = json.loads(capsys.readouterr().out)

    assert code == 1
    assert result["status"] is None
    assert result["error"].startswith("unreachable:")


def test_urls_come_from_cdktf_outputs_before_the_config(
    base_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = tmp_path / "outputs.json"
    outputs.write_text(
        json.dumps({"serving-prod-us-east-1": {"regional_url": f"{base_url}/ok/invocations"}})
    )

    code = main(
        [
            "smoke",
            "--config",
            EXAMPLE,
            "--region",
            "us-east-1",
            "--json",
            "--outputs-file",
            str(outputs),
        ]
    )

    assert code == 0
    assert json.loads(capsys.readouterr().out)[0]["url"] == f"{base_url}/ok/invocations"


def test_a_url_override_for_an_unserved_region_is_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["smoke", "--config", EXAMPLE, "--url=ap-south-1=https://x/invocations"])

    assert code == 2
    assert "ap-south-1 is not served by this configuration" in capsys.readouterr().err
