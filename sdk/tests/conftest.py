"""Fixtures shared by the SDK tests.

``fake_api`` runs the SDK over a scripted in-memory transport (no sockets; sleeps are
recorded, not slept). ``live_server`` is a real stdlib HTTP server on 127.0.0.1 for the few
tests that must prove the urllib3 and aiohttp transports themselves. ``invoke`` calls an
operation in its sync or async form, so one test body covers both.
"""

import copy
import json
import socket
import ssl
import threading
from collections import deque
from collections.abc import Awaitable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Optional, Union

import pytest
from urllib3 import HTTPHeaderDict

import buena_sdk
from buena_sdk._transport import HttpRequest, HttpResponse

TEST_HOST = "http://sdk.test/api/v2"
TEST_KEY = "bna_" + "ab" * 32

Outcome = Union[HttpResponse, BaseException]


def _make_response(
    status: int = 200,
    json_body: Any = None,
    *,
    headers: Optional[Mapping[str, str]] = None,
    raw: Optional[bytes] = None,
    reason: str = "",
) -> HttpResponse:
    body = raw if raw is not None else json.dumps(json_body).encode()
    all_headers = HTTPHeaderDict({"Content-Type": "application/json", "X-Request-ID": "req_1"})
    for name, value in (headers or {}).items():
        all_headers[name] = value
    return HttpResponse(status, reason, all_headers, body)


def _factory(defaults: dict[str, Any]) -> Callable[..., dict[str, Any]]:
    """A maker of JSON objects as the server sends them: ``defaults``, with the keyword
    arguments overriding fields (each call gets its own copy)."""

    def make(**overrides: Any) -> dict[str, Any]:
        return {**copy.deepcopy(defaults), **overrides}

    return make


def _error_body(status: int, code: str, message: str, **details: Any) -> dict[str, Any]:
    return {
        "error": True,
        "code": code,
        "message": message,
        "version": "2.0",
        "timestamp": "2026-11-28T20:40:01Z",
        "request_id": f"req_{status}",
        "details": details,
    }


_lead_json = _factory(
    {
        "id": "lead_abc",
        "first_name": "John",
        "last_name": "Doe",
        "email": "john.doe@example.com",
        "company": "Example Corp",
        "phone": None,
        "linkedin_url": None,
        "job_title": None,
        "location": None,
        "notes": None,
        "tags": ["a"],
        "custom_fields": {"budget": 50000},
        "status": "active",
        "created_at": "2026-11-28T20:40:01.123456Z",
        "updated_at": "2026-11-28T20:40:01.123456+00:00",
    }
)


_api_key_json = _factory(
    {
        "id": "key_1",
        "name": "Integration API Key",
        "key_preview": "bna_abcd...",
        "permissions": ["leads:read", "leads:write"],
        "last_used": None,
        "is_active": True,
        "created_at": "2026-11-28T20:40:01Z",
        "expires_at": None,
        "description": None,
    }
)


_webhook_json = _factory(
    {
        "id": "wh_1",
        "url": "https://hooks.example.com/buena",
        "events": ["lead.created", "lead.updated"],
        "description": None,
        "is_active": True,
        "secret_preview": "whsec_AbCd...",
        "disabled_reason": None,
        "disabled_at": None,
        "created_at": "2026-12-05T03:00:00Z",
        "updated_at": "2026-12-05T03:00:00Z",
    }
)


_delivery_json = _factory(
    {
        "id": "whd_1",
        "webhook_id": "wh_1",
        "event_id": "evt_1",
        "event_type": "lead.created",
        "status": "pending",
        "attempts": 1,
        "last_status_code": 500,
        "last_error": "HTTP 500",
        "next_attempt_at": "2026-12-05T03:00:20Z",
        "delivered_at": None,
        "created_at": "2026-12-05T03:00:00Z",
    }
)


_event_json = _factory(
    {
        "id": "evt_1",
        "type": "lead.created",
        "created_at": "2026-12-05T03:00:00.123456Z",
        "data": {"object": _lead_json()},
    }
)


class FakeTransport:
    """A sync and async transport that answers from a script and records each request."""

    def __init__(self) -> None:
        self.requests: list[HttpRequest] = []
        self.outcomes: deque[Outcome] = deque()
        self.closed = False

    def reply(self, status: int = 200, json_body: Any = None, **kwargs: Any) -> "FakeTransport":
        self.outcomes.append(_make_response(status, json_body, **kwargs))
        return self

    def fail(self, error: BaseException) -> "FakeTransport":
        self.outcomes.append(error)
        return self

    def _next(self, request: HttpRequest) -> HttpResponse:
        self.requests.append(request)
        if not self.outcomes:
            raise AssertionError(f"unexpected request {request.method} {request.url}")
        outcome = self.outcomes.popleft()
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def request(self, request: HttpRequest) -> HttpResponse:
        return self._next(request)

    async def arequest(self, request: HttpRequest) -> HttpResponse:
        return self._next(request)

    def close(self) -> None:
        self.closed = True

    async def aclose(self) -> None:
        self.closed = True


@dataclass
class FakeApi:
    api: buena_sdk.DefaultApi
    client: buena_sdk.ApiClient
    transport: FakeTransport
    sleeps: list[float] = field(default_factory=list)

    @property
    def last(self) -> HttpRequest:
        return self.transport.requests[-1]

    def last_json(self) -> Any:
        body = self.last.body
        assert body is not None
        return json.loads(body)


def build_fake_api(retries: int = 2, **config: Any) -> FakeApi:
    transport = FakeTransport()
    configuration = buena_sdk.Configuration(
        host=TEST_HOST, api_key={"ApiKeyAuth": TEST_KEY}, retries=retries, **config
    )
    client = buena_sdk.ApiClient(configuration, transport=transport, async_transport=transport)
    fake = FakeApi(buena_sdk.DefaultApi(client), client, transport)

    async def record_async_sleep(seconds: float) -> None:
        fake.sleeps.append(seconds)

    client._sleep = fake.sleeps.append
    client._async_sleep = record_async_sleep
    client._random = lambda: 0.0  # no jitter: delays are exact
    return fake


@pytest.fixture
def lead_json() -> Callable[..., dict[str, Any]]:
    """A Lead as the server sends it; keyword arguments override fields."""
    return _lead_json


@pytest.fixture
def api_key_json() -> Callable[..., dict[str, Any]]:
    """An ApiKey as the server sends it; keyword arguments override fields."""
    return _api_key_json


@pytest.fixture
def webhook_json() -> Callable[..., dict[str, Any]]:
    """A Webhook as the server sends it; keyword arguments override fields."""
    return _webhook_json


@pytest.fixture
def delivery_json() -> Callable[..., dict[str, Any]]:
    """A WebhookDelivery as the server sends it; keyword arguments override fields."""
    return _delivery_json


@pytest.fixture
def event_json() -> Callable[..., dict[str, Any]]:
    """An Event as the server sends it (and POSTs to receivers); keywords override fields."""
    return _event_json


@pytest.fixture
def error_body() -> Callable[..., dict[str, Any]]:
    """``error_body(status, code, message, **details)``: the server's error JSON."""
    return _error_body


@pytest.fixture
def make_response() -> Callable[..., HttpResponse]:
    return _make_response


@pytest.fixture
def fake_api() -> FakeApi:
    return build_fake_api()


@pytest.fixture
def make_fake_api() -> Callable[..., FakeApi]:
    return build_fake_api


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


Invoke = Callable[..., Awaitable[Any]]


@pytest.fixture
def invoke(mode: str) -> Invoke:
    """``await invoke(api, "get_lead", "lead_1")`` runs get_lead or get_lead_async."""

    async def call(api: buena_sdk.DefaultApi, operation: str, *args: Any, **kwargs: Any) -> Any:
        if mode == "sync":
            return getattr(api, operation)(*args, **kwargs)
        return await getattr(api, f"{operation}_async")(*args, **kwargs)

    return call


# -- a real HTTP server -----------------------------------------------------------------


@dataclass
class ScriptedReply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    held: bool = False  # answered only at teardown: the client's own timeout decides


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class LiveServer:
    """Answers from a script (the last reply repeats) and records every request."""

    def __init__(self) -> None:
        self.replies: deque[ScriptedReply] = deque()
        self.requests: list[RecordedRequest] = []
        self.release = threading.Event()  # lets held replies go at teardown
        self.lock = threading.Lock()
        self.port = 0
        self.scheme = "http"

    @property
    def host(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}/api/v2"

    def script(
        self,
        status: int,
        body: Any,
        headers: Optional[dict[str, str]] = None,
        *,
        held: bool = False,
        times: int = 1,
    ) -> None:
        for _ in range(times):
            self.replies.append(ScriptedReply(status, body, headers or {}, held))

    def next_reply(self, recorded: RecordedRequest) -> ScriptedReply:
        with self.lock:
            self.requests.append(recorded)
            if len(self.replies) > 1:
                return self.replies.popleft()
            return self.replies[0]


def _handler_for(server: LiveServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            recorded = RecordedRequest(self.command, self.path, dict(self.headers), body)
            reply = server.next_reply(recorded)
            if reply.held:
                server.release.wait()
            # A bytes body (an MP3) is sent as it is, with the Content-Type of its headers.
            payload = (
                reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
            )
            headers = {"Content-Type": "application/json", **reply.headers}
            self.send_response(reply.status)
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("X-Request-ID", f"req_live_{len(server.requests)}")
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean

    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out closes its socket before a held reply is written;
        # the resulting BrokenPipeError is expected, not a failure.
        pass


@contextmanager
def serving(tls: Optional[ssl.SSLContext] = None) -> Iterator[LiveServer]:
    """A LiveServer on a free port, over TLS with ``tls`` (a server-side context)."""
    state = LiveServer()
    httpd = _QuietServer(("127.0.0.1", 0), _handler_for(state))
    state.port = httpd.server_address[1]
    if tls is not None:
        # The handshake happens in the request's thread, not in the accepting one.
        httpd.socket = tls.wrap_socket(
            httpd.socket, server_side=True, do_handshake_on_connect=False
        )
        state.scheme = "https"
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join()


@pytest.fixture
def live_server() -> Iterator[LiveServer]:
    with serving() as server:
        yield server


@pytest.fixture
def serve() -> Callable[..., AbstractContextManager[LiveServer]]:
    """``with serve(tls_context) as server:`` a LiveServer of the test's own (HTTPS)."""
    return serving


@pytest.fixture
def refused_host() -> str:
    """A base URL on a port nothing listens on, so connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/v2"
