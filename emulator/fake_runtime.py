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

# What a load balancer or network in front of SageMaker can do to an answer, as it arrives:
# drop the connection with no answer, cut the body short of its Content-Length, answer a bare 502
# with no error type, or refuse the caller's role (AccessDeniedException, as SageMaker sends it).
FAILURES = ("connection_closed", "truncated_body", "bare_502", "access_denied")


@dataclass
class FakeRuntime:
    """What the fake model does on each InvokeEndpoint, and how often it was called."""

    delay_s: float = 0.0
    body: bytes = b'{"ok":true}'
    content_type: str = "application/json"
    failure: str = ""
    """default: none, the model answers. One of FAILURES: how the answer goes wrong after the
    request has arrived (and been counted)."""
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
            if fake.failure:
                self._fail(fake.failure)
                return
            try:
                self.send_response(200)
                self.send_header("Content-Type", fake.content_type)
                self.send_header("X-Amzn-Invoked-Production-Variant", "primary")
                self.send_header("Content-Length", str(len(fake.body)))
                self.end_headers()
                self.wfile.write(fake.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (read timeout): what a slow model meets too

        def _fail(self, failure: str) -> None:
            self.close_connection = True
            if failure == "truncated_body":
                self.send_response(200)
                self.send_header("Content-Type", fake.content_type)
                self.send_header("Content-Length", str(len(fake.body) + 100))
                self.end_headers()
                self.wfile.write(fake.body)
            elif failure == "bare_502":
                self.send_response(502)
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif failure == "access_denied":
                body = b'{"message":"User: arn:aws:sts::123456789012:assumed-role/x is not authorized"}'
                self.send_response(403)
                self.send_header("x-amzn-ErrorType", "AccessDeniedException")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            elif failure != "connection_closed":
                raise ValueError(f"unknown failure {failure!r}; one of {FAILURES}")
            self.wfile.flush()

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
