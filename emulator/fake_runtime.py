"""A local stand-in for the SageMaker runtime: a real HTTP server that sleeps and counts calls.

Reached through `AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME`, so botocore signs, sends, times out and
retries (or not) exactly as it does against AWS; Stubber would skip all of that.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class FakeRuntime:
    """What the fake model does on each InvokeEndpoint, and how often it was called."""

    delay_s: float = 0.0
    body: bytes = b'{"ok":true}'
    content_type: str = "application/json"
    calls: int = 0
    url: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record_call(self) -> None:
        with self._lock:
            self.calls += 1


def _handler_for(fake: FakeRuntime) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body leave at once, as from AWS; with Nagle on, the body would wait for
        # the client's delayed ACK (40 ms) and the delay would count as the proxy's own time.
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            if not self.path.endswith("/invocations"):
                self.send_error(404)
                return
            fake.record_call()
            if fake.delay_s:
                time.sleep(fake.delay_s)
            try:
                self.send_response(200)
                self.send_header("Content-Type", fake.content_type)
                self.send_header("X-Amzn-Invoked-Production-Variant", "primary")
                self.send_header("Content-Length", str(len(fake.body)))
                self.end_headers()
                self.wfile.write(fake.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (read timeout): what a slow model meets too

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def fake_runtime(**settings: object) -> Iterator[FakeRuntime]:
    """Serve a FakeRuntime on 127.0.0.1 for the duration of the block."""
    fake = FakeRuntime(**settings)  # type: ignore[arg-type]
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(fake))
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
