"""A moto server on 127.0.0.1 (a free port) for the emulator tests, patched where moto falls short.

The server runs in a process of its own (this file is its entry point, `main`): the shims patch
moto's classes before the server starts, so they never leak into the test process, and moto does
not compete for the test process's GIL while several `terraform` runs call it at once. The test
process starts it and talks to it through `running_moto_server` and `MotoServer`.

Every shim is the smallest change that lets Terraform's AWS provider do against moto what it does
against AWS: SageMaker's in emulator/sagemaker_shims.py, the other services' in
emulator/service_shims.py. Each is labelled `# EMULATOR GAP:` and listed in its module's `GAPS`
(all of them in `GAPS` here); none touches what users deploy.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Run as a script (the server process), this file's package is not importable until the folder
# above it is on the path.
if not __package__:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from emulator import sagemaker_shims, service_shims
from emulator.sagemaker_shims import UPDATE_ENDPOINT_RECORD, apply_sagemaker_shims
from emulator.service_shims import SAGEMAKER_QUOTAS_FILE, SERVER_ENVIRONMENT, apply_service_shims

HOST = "127.0.0.1"
START_TIMEOUT_S = 180  # a loaded 2-core machine took over 60 s to import moto and its shims
# moto accepts any credentials (resources land in its default account, 123456789012).
ACCESS_KEY = "testing"
SECRET_KEY = "testing"

GAPS: list[str] = [*sagemaker_shims.GAPS, *service_shims.GAPS]
"""One line per difference from AWS that the harness works around (each shim module lists its own)."""


def apply_shims(update_endpoint_record: Path, quotas_file: Path | None = None) -> None:
    """Patch moto's classes; call before the server handles its first request.

    `update_endpoint_record` is the file where the UpdateEndpoint shim appends each request;
    `quotas_file` holds the SageMaker endpoint-usage quotas (default: beside the record).
    """
    apply_service_shims(quotas_file or update_endpoint_record.parent / SAGEMAKER_QUOTAS_FILE)
    apply_sagemaker_shims(update_endpoint_record)


@dataclass
class MotoServer:
    """A running server process: its URL, boto3 clients for it, its request log for failures."""

    endpoint_url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    update_endpoint_record: Path
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict)

    def client(self, service: str, region: str) -> Any:
        """A boto3 client of `service` in `region` that talks to this server only."""
        key = (service, region)
        if key not in self._clients:
            import boto3
            from botocore.config import Config

            self._clients[key] = boto3.session.Session().client(
                service,
                region_name=region,
                endpoint_url=self.endpoint_url,
                aws_access_key_id=ACCESS_KEY,
                aws_secret_access_key=SECRET_KEY,
                config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}),
            )
        return self._clients[key]

    def set_sagemaker_endpoint_quotas(self, quotas: dict[str, dict[str, float]]) -> None:
        """The account's '<type> for endpoint usage' quotas, `{type: {"default": N, "applied": M}}`
        (every region; a type not named has 0)."""
        import json

        path = self.update_endpoint_record.parent / SAGEMAKER_QUOTAS_FILE
        partial = path.with_suffix(".partial")
        partial.write_text(json.dumps(quotas))
        partial.replace(path)

    def log_tail(self, lines: int = 60) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def update_endpoint_requests(self) -> list[dict[str, Any]]:
        """Every UpdateEndpoint request the server has had, oldest first, with its outcome.

        Each: `time`, `account`, `region`, `request` (as sent), `outcome` ("accepted", "rolled
        back", "refused" or "error"); when rolled back `reason` (the FailureReason), when refused
        or an error `error` (`Code`, `Message`).
        """
        import json

        if not self.update_endpoint_record.exists():
            return []
        lines = self.update_endpoint_record.read_text().splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def server_errors(self) -> list[str]:
        """Request-log lines answered with HTTP 500/501: an API that moto lacks or breaks on."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return [
            line
            for line in text.splitlines()
            if '" 500 ' in line or '" 501 ' in line or "NotImplementedError" in line
        ]


@contextmanager
def running_moto_server(workdir: Path) -> Iterator[MotoServer]:
    """Start the patched server on a free port of 127.0.0.1; stop it on exit."""
    workdir.mkdir(parents=True, exist_ok=True)
    port_file = workdir / "moto.port"
    log_path = workdir / "moto.log"
    port_file.unlink(missing_ok=True)
    env = {**os.environ, **SERVER_ENVIRONMENT}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--port-file", str(port_file)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    server = MotoServer(
        endpoint_url="",
        process=process,
        log_path=log_path,
        update_endpoint_record=workdir / UPDATE_ENDPOINT_RECORD,
    )
    try:
        server.endpoint_url = f"http://{HOST}:{_wait_for_port(server, port_file)}"
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for_port(server: MotoServer, port_file: Path) -> int:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"moto server exited with {server.process.returncode}:\n{server.log_tail()}"
            )
        if port_file.exists():
            return int(port_file.read_text())
        time.sleep(0.1)
    raise RuntimeError(f"moto server did not start in {START_TIMEOUT_S} s:\n{server.log_tail()}")


def main(argv: list[str] | None = None) -> None:
    """Entry point of the server process: shims first, then the server, then serve until told."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port-file", type=Path, required=True)
    args = parser.parse_args(argv)
    os.environ.update(SERVER_ENVIRONMENT)
    # The record lives next to the port file, where MotoServer looks for it.
    update_endpoint_record = args.port_file.parent / UPDATE_ENDPOINT_RECORD
    update_endpoint_record.unlink(missing_ok=True)
    (args.port_file.parent / SAGEMAKER_QUOTAS_FILE).unlink(missing_ok=True)
    apply_shims(update_endpoint_record)

    from moto.moto_server.threaded_moto_server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address=HOST, port=0, verbose=False)
    server.start()
    _, port = server.get_host_and_port()
    # Written atomically: the test process reads the port as soon as the file exists.
    partial = args.port_file.with_suffix(".partial")
    partial.write_text(str(port))
    partial.replace(args.port_file)
    # Serve until stopped, or until the test process is gone (even killed with SIGKILL, when it
    # cannot stop us): an orphaned server would hold its port and memory forever.
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(1)


if __name__ == "__main__":
    main()
