"""A real buena-server process for the end-to-end tests.

One server per test session (SQLite file in a temporary directory, rate limits off, a
bootstrap admin key generated here). Before each test every lead of the account is
deleted, so tests do not see each other's leads. ``Server.get`` reads state with the
standard library rather than the SDK, so the assertions about the server do not depend on
the code under test.
"""

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

STARTUP_TIMEOUT = 60.0
STATUSES = ("active", "inactive", "contacted")


@dataclass
class Server:
    host: str  # base URL, e.g. http://127.0.0.1:PORT/api/v2
    key: str  # admin key holding every permission

    def call(
        self, method: str, path: str, body: Any = None, *, key: str | None = None
    ) -> "tuple[int, Any]":
        """(status, parsed JSON) of one request, errors included."""
        data = None if body is None else json.dumps(body).encode()
        url = self.host + path  # always the http:// URL of the server started below
        request = urllib.request.Request(url, data=data, method=method)  # noqa: S310
        request.add_header("x-api-key", key or self.key)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            with error:
                return error.code, json.loads(error.read())

    def get(self, path: str, **query: Any) -> Any:
        if query:
            path += "?" + urllib.parse.urlencode(query)
        status, body = self.call("GET", path)
        assert status == 200, (path, status, body)
        return body

    def lead_status(self, lead_id: str) -> int:
        return self.call("GET", f"/leads/{lead_id}")[0]

    def create_lead(self, **fields: Any) -> "dict[str, Any]":
        status, body = self.call("POST", "/leads", fields)
        assert status == 201, body
        return dict(body)

    def all_leads(self, **filters: Any) -> "list[dict[str, Any]]":
        """Every lead, status by status (so the status filter is exercised too)."""
        leads: list[dict[str, Any]] = []
        for status in STATUSES:
            offset = 0
            while True:
                page = self.get("/leads", limit=100, offset=offset, status=status, **filters)
                leads.extend(page["data"])
                offset += page["limit"]
                if offset >= page["total"]:
                    break
        return leads

    def delete_all_leads(self) -> None:
        for lead in self.all_leads():
            status, body = self.call("DELETE", f"/leads/{lead['id']}")
            assert status == 200, body


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_healthy(url: str, process: "subprocess.Popen[bytes]", log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"buena-server exited early:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"buena-server did not become healthy:\n{log.read_text()}")


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    directory = tmp_path_factory.mktemp("e2e")
    port = _free_port()
    key = "bna_" + secrets.token_hex(32)
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("BUENA_")  # nothing from the developer's own setup
    }
    env.update(
        BUENA_DATABASE_URL=f"sqlite:///{directory / 'e2e.db'}",
        BUENA_BOOTSTRAP_KEY=key,
        BUENA_RATE_LIMITS="off",
    )
    log = directory / "server.log"
    command = [
        sys.executable,
        "-m",
        "buena_server.cli",
        "serve",
        "--quiet",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/api/v2"
    try:
        _wait_until_healthy(base + "/health", process, log)
        yield Server(host=base, key=key)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(autouse=True)
def _no_leads(server: Server) -> None:
    server.delete_all_leads()
