"""Graceful shutdown of a real ``buena-server serve`` process: on SIGTERM, requests in flight
finish (within BUENA_SHUTDOWN_TIMEOUT_SECONDS), new connections are refused, the keys' last
use is written, and the process exits 0.

A request is kept in flight without anything sleeping in the server: the test sends its
headers and half its body, and sends the rest when it chooses. The server's own gauge
(buena_http_requests_in_progress) says when it is running the request.
"""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from buena_server.auth.tokens import generate_key
from buena_server.kit.db import create_engine
from buena_server.tables import api_keys

from backends import fresh_database
from live_server import LiveServer, live_server

BODY = json.dumps({"first_name": "In", "last_name": "Flight", "email": "in@flight.io"}).encode()


def wait_until(condition: Callable[[], bool], what: str, seconds: float = 30) -> None:
    """Poll until ``condition()`` holds; the deadline only bounds a failure."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def address(server: LiveServer) -> tuple[str, int]:
    parts = urlsplit(server.base_url)
    assert parts.hostname is not None
    assert parts.port is not None
    return parts.hostname, parts.port


def requests_in_progress(server: LiveServer) -> float:
    host, port = address(server)
    text = httpx.get(f"http://{host}:{port}/metrics", timeout=10).text
    for family in text_string_to_metric_families(text):
        if family.name == "buena_http_requests_in_progress":
            return float(family.samples[0].value)
    raise AssertionError("no buena_http_requests_in_progress in /metrics")


def refuses_connections(server: LiveServer) -> bool:
    try:
        socket.create_connection(address(server), timeout=5).close()
    except ConnectionRefusedError:
        return True
    return False


@contextmanager
def request_in_flight(server: LiveServer, key: str) -> Iterator[socket.socket]:
    """A POST /leads whose headers and first half of body the server has received and is
    processing; the caller sends the rest (``BODY[len(BODY) // 2 :]``)."""
    head = (
        "POST /api/v2/leads HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"x-api-key: {key}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(BODY)}\r\n\r\n"
    ).encode()
    with socket.create_connection(address(server), timeout=30) as conn:
        conn.sendall(head + BODY[: len(BODY) // 2])
        # This scrape is one request in progress; the POST is the other.
        wait_until(lambda: requests_in_progress(server) == 2, "the request to be in flight")
        yield conn


def read_until_closed(conn: socket.socket) -> bytes:
    chunks = []
    try:
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    except ConnectionResetError:
        pass
    return b"".join(chunks)


def last_used(url: str) -> datetime | None:
    async def read() -> datetime | None:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                value: datetime | None = (
                    await conn.execute(select(api_keys.c.last_used))
                ).scalar_one()
                return value
        finally:
            await engine.dispose()

    return asyncio.run(read())


def test_sigterm_finishes_in_flight_requests_and_exits_0(tmp_path: Path) -> None:
    key = generate_key()
    with (
        fresh_database(str(tmp_path / "shutdown.db")) as url,
        live_server(url, tmp_path, {"BUENA_BOOTSTRAP_KEY": key}) as server,
    ):
        with request_in_flight(server, key) as in_flight:
            assert last_used(url) is None  # the key is used by the request in flight only
            server.process.send_signal(signal.SIGTERM)
            wait_until(lambda: refuses_connections(server), "new connections to be refused")
            in_flight.sendall(BODY[len(BODY) // 2 :])
            response = read_until_closed(in_flight)
        assert response.startswith(b"HTTP/1.1 201 "), response
        assert b"connection: close" in response.lower()
        assert server.process.wait(timeout=60) == 0, server.output()
        # Written at shutdown: the flush interval (30 s by default) never came.
        assert last_used(url) is not None
        assert "Traceback" not in server.output()


def test_shutdown_timeout_bounds_the_wait(tmp_path: Path) -> None:
    key = generate_key()
    env = {"BUENA_BOOTSTRAP_KEY": key, "BUENA_SHUTDOWN_TIMEOUT_SECONDS": "1"}
    with (
        fresh_database(str(tmp_path / "timeout.db")) as url,
        live_server(url, tmp_path, env) as server,
        request_in_flight(server, key) as in_flight,
    ):
        server.process.send_signal(signal.SIGTERM)
        # The rest of the body never comes: the request is cancelled after a second.
        assert server.process.wait(timeout=60) == 0, server.output()
        assert not read_until_closed(in_flight).startswith(b"HTTP/1.1 201")
        assert "timeout graceful shutdown exceeded" in server.output()
