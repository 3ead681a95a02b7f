"""Start a real ``buena-server serve`` process on a free port (used by live tests)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from backends import ON_POSTGRES, REDIS_URL


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def clean_environment(**settings: str) -> dict[str, str]:
    """This process's environment without the developer's own BUENA_* settings, plus
    ``settings``: what a server or CLI process under test runs with. (What else it inherits
    matters: coverage measures the subprocess through it.)"""
    return {
        **{name: value for name, value in os.environ.items() if not name.startswith("BUENA_")},
        **settings,
    }


@dataclass
class LiveServer:
    base_url: str
    process: subprocess.Popen[str]
    log_path: Path

    def output(self) -> str:
        return self.log_path.read_text()


@contextmanager
def live_server(
    database_url: str,
    log_dir: Path,
    env: Mapping[str, str] | None = None,
    *,
    quiet: bool = True,
    until_healthy: bool = True,
) -> Iterator[LiveServer]:
    """A server process; yielded once /health answers 200 (or, without ``until_healthy``,
    answers at all)."""
    port = free_port()
    log_path = log_dir / f"server-{port}.log"
    settings = {
        "BUENA_DATABASE_URL": database_url,
        "BUENA_RATE_LIMITS": "off",
        **(
            {"BUENA_REDIS_URL": REDIS_URL, "BUENA_REDIS_KEY_PREFIX": f"buena-live-{port}"}
            if ON_POSTGRES
            else {}
        ),
        **(env or {}),
    }
    environment = clean_environment(**settings)
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                *("-m", "buena_server.cli", "serve", "--port", str(port)),
                *(["--quiet"] if quiet else []),
            ],
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
    server = LiveServer(f"http://127.0.0.1:{port}/api/v2", process, log_path)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{server.output()}")
            try:
                status = httpx.get(f"{server.base_url}/health", timeout=1).status_code
                if status == 200 or not until_healthy:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not start:\n{server.output()}")
            time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
