"""Caps on the request head (BUENA_MAX_HEADER_BYTES, BUENA_MAX_HEADER_COUNT): 431 with the
error body, closing the connection. The app checks every complete head (any ASGI server);
``buena-server serve`` refuses a head over a cap while it is still arriving, so a 30 MB
header line is never read whole."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from backends import fresh_database
from live_server import LiveServer, live_server
from server_testing import API, Account, InProcessClient, assert_error

# Under pytest-xdist, in one worker: the module's live server starts once.
pytestmark = pytest.mark.xdist_group("http-limits")

# Small limits, so that the tests stay small; the live server gets the same ones.
MAX_BYTES = 4096
MAX_COUNT = 30


def many_headers(count: int) -> dict[str, str]:
    return {f"x-extra-{i}": "v" for i in range(count)}


def sized_header(total: int) -> dict[str, str]:
    """One header making a head of about ``total`` bytes with what httpx adds (< 200 bytes)."""
    return {"x-padding": "p" * (total - 200)}


class TestInProcess:
    @pytest.fixture(params=[True, False], ids=["hot-paths", "litestar-only"])
    def settings_overrides(self, request: pytest.FixtureRequest) -> dict[str, Any]:
        return {
            "hot_paths": request.param,
            "max_header_bytes": MAX_BYTES,
            "max_header_count": MAX_COUNT,
        }

    async def test_too_many_fields(self, client: InProcessClient, account: Account) -> None:
        lead = await account.create_lead()
        path = f"{API}/leads/{lead['id']}"
        # httpx adds host, accept, accept-encoding, connection, user-agent: 5 fields.
        fits = await client.get(path, headers={**account.headers(), **many_headers(24)})
        assert fits.status_code == 200
        refused = await client.get(path, headers={**account.headers(), **many_headers(25)})
        body = assert_error(refused, 431, "REQUEST_HEADERS_TOO_LARGE")
        assert body["details"] == {"max_header_count": MAX_COUNT}
        assert refused.headers["x-content-type-options"] == "nosniff"

    async def test_too_many_bytes(self, client: InProcessClient, account: Account) -> None:
        new_lead = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}
        fits = await client.post(
            f"{API}/leads", json=new_lead, headers={**account.headers(), **sized_header(3900)}
        )
        assert fits.status_code == 201, fits.text
        refused = await client.post(
            f"{API}/leads", json=new_lead, headers={**account.headers(), **sized_header(4300)}
        )
        body = assert_error(refused, 431, "REQUEST_HEADERS_TOO_LARGE")
        assert body["details"] == {"max_header_bytes": MAX_BYTES}
        # Refused before anything ran: no second lead, no key checked.
        assert "x-ratelimit-limit" not in refused.headers
        listed = await client.get(f"{API}/leads", headers=account.headers())
        assert listed.json()["total"] == 1

    async def test_a_long_path_counts(self, client: InProcessClient) -> None:
        refused = await client.get(f"{API}/leads/{'x' * MAX_BYTES}")
        assert_error(refused, 431, "REQUEST_HEADERS_TOO_LARGE")


# The live server: raw sockets, to send what no HTTP client would.


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("limits")
    env = {"BUENA_MAX_HEADER_BYTES": str(MAX_BYTES), "BUENA_MAX_HEADER_COUNT": str(MAX_COUNT)}
    with fresh_database(str(tmp / "limits.db")) as url, live_server(url, tmp, env) as live:
        yield live


def _address(server: LiveServer) -> tuple[str, int]:
    url = httpx.URL(server.base_url)
    assert url.port is not None
    return url.host, url.port


class Response:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status_code = status
        self.headers = headers
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body)


def read_response(sock: socket.socket, buffer: bytearray) -> Response:
    """One response from the socket (``buffer`` keeps what was read past it)."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before a response: {bytes(buffer)!r}"
        buffer += chunk
    head, _, rest = bytes(buffer).partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        assert name.lower() not in headers, f"repeated header {name}"
        headers[name.lower()] = value.strip()
    length = int(headers["content-length"])
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed inside a response body"
        rest += chunk
    buffer[:] = rest[length:]
    return Response(int(status_line.split()[1]), headers, rest[:length])


def connect(server: LiveServer) -> socket.socket:
    sock = socket.create_connection(_address(server))
    sock.settimeout(30)  # a failing test must not hang; a passing one answers at once
    return sock


def request(path: str, headers: list[tuple[str, str]]) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1"] + [f"{n}: {v}" for n, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def assert_refused(response: Response, details: dict[str, int]) -> None:
    assert response.status_code == 431
    assert response.headers["content-type"] == "application/json"
    assert response.headers["connection"] == "close"
    body = response.json()
    assert body["code"] == "REQUEST_HEADERS_TOO_LARGE"
    assert body["details"] == details
    assert body["request_id"] == response.headers["x-request-id"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "server" not in response.headers


def test_an_endless_header_line_is_refused_before_it_ends(server: LiveServer) -> None:
    with connect(server) as sock:
        # The head never ends here: before the cap, the server waited for the rest of it
        # (30 MB of it in the reported case) and this read timed out.
        sock.sendall(b"GET /api/v2/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 65536)
        response = read_response(sock, bytearray())
        assert_refused(response, {"max_header_bytes": MAX_BYTES})
        assert sock.recv(65536) == b""  # and the connection is closed


def test_a_complete_head_over_the_cap_is_refused(server: LiveServer) -> None:
    with connect(server) as sock:
        sock.sendall(request(f"{API}/health", [("x-big", "a" * MAX_BYTES)]))
        assert_refused(read_response(sock, bytearray()), {"max_header_bytes": MAX_BYTES})
    with connect(server) as sock:
        fields = [(f"x-h{i}", "v") for i in range(MAX_COUNT)]  # with Host, one too many
        sock.sendall(request(f"{API}/health", fields))
        assert_refused(read_response(sock, bytearray()), {"max_header_count": MAX_COUNT})
        assert sock.recv(65536) == b""


def test_heads_within_the_caps_are_served_on_one_connection(server: LiveServer) -> None:
    # Each head is near the cap; together they are far over it: the count starts anew with
    # every request on a kept-alive connection, pipelined or not.
    head = request(f"{API}/health", [("x-pad", "p" * (MAX_BYTES - 200))])
    many = request(f"{API}/health", [(f"x-h{i}", "v") for i in range(MAX_COUNT - 1)])
    with connect(server) as sock:
        buffer = bytearray()
        for raw in (head, many, head):
            sock.sendall(raw)
            response = read_response(sock, buffer)
            assert response.status_code == 200, response.body
        sock.sendall(head + many + head)
        for _ in range(3):
            assert read_response(sock, buffer).status_code == 200


def test_a_body_read_with_the_next_head_is_not_counted_as_head(server: LiveServer) -> None:
    # The body ends in the same read as the next (pipelined) head begins, and that head
    # ends only in a later read; the body is far over the head cap, and neither request is
    # refused for it.
    body = b"{" + b" " * (4 * MAX_BYTES) + b"}"
    post = (
        f"POST {API}/leads HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    with connect(server) as sock:
        buffer = bytearray()
        sock.sendall(post)
        sock.sendall(body + f"GET {API}/health HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode())
        assert read_response(sock, buffer).status_code == 401  # no key: the body was read
        sock.sendall(b"\r\n")
        assert read_response(sock, buffer).status_code == 200


def test_an_endless_head_after_a_request_is_still_refused(server: LiveServer) -> None:
    with connect(server) as sock:
        buffer = bytearray()
        sock.sendall(request(f"{API}/health", []) + b"GET / HTTP/1.1\r\nX-Big: ")
        assert read_response(sock, buffer).status_code == 200
        for _ in range(4):
            sock.sendall(b"a" * MAX_BYTES)
        assert_refused(read_response(sock, buffer), {"max_header_bytes": MAX_BYTES})


def test_live_answers_carry_no_server_banner(server: LiveServer) -> None:
    for response in (
        httpx.get(f"{server.base_url}/health"),
        httpx.get(f"{server.base_url}/leads"),
        httpx.head(f"{server.base_url}/health"),
    ):
        assert "server" not in response.headers
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-content-type-options"] == "nosniff"
