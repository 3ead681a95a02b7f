"""Helpers shared by the server tests (importable because pytest's pythonpath has this folder)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

import httpx
from litestar import Litestar
from litestar.handlers.base import BaseRouteHandler
from litestar.routes import HTTPRoute

from buena_server.keys.repository import ApiKeyRepository
from buena_server.keys.service import issue_key
from buena_server.kit import clock
from buena_server.services import services_of

API = "/api/v2"


class InProcessClient(httpx.AsyncClient):
    """An httpx client calling the ASGI app in the test's own event loop.

    (Litestar's AsyncTestClient runs the app on another loop, and asyncpg and redis
    connections belong to the loop that opened them.)
    """

    def __init__(self, app: Litestar) -> None:
        super().__init__(transport=httpx.ASGITransport(app=app), base_url="http://testserver.local")
        self.app = app


@asynccontextmanager
async def running(app: Litestar) -> AsyncIterator[InProcessClient]:
    """The app started (its lifespan entered) and a client calling it in-process."""
    # The lifespan is entered and left in one task of its own: pytest-asyncio runs a
    # fixture's setup and teardown in different tasks, and anyio's scopes must not cross.
    started, stopping = asyncio.Event(), asyncio.Event()

    async def run_lifespan() -> None:
        async with app.lifespan():
            started.set()
            await stopping.wait()

    lifespan = asyncio.create_task(run_lifespan())
    await asyncio.wait(
        [lifespan, asyncio.create_task(started.wait())], return_when="FIRST_COMPLETED"
    )
    if lifespan.done():
        lifespan.result()  # startup failed: raise its error
    try:
        async with InProcessClient(app) as test_client:
            yield test_client
    finally:
        stopping.set()
        await lifespan


ERROR_FIELDS = {"error", "code", "message", "version", "timestamp", "request_id", "details"}


class Account:
    """An account and its admin key, with helpers to call the API as it."""

    def __init__(self, client: InProcessClient, account_id: str, key: str, key_id: str) -> None:
        self.client = client
        self.id = account_id
        self.key = key
        self.key_id = key_id

    def headers(self, key: str | None = None) -> dict[str, str]:
        return {"x-api-key": key or self.key}

    async def key_with(self, *permissions: str, **kwargs: Any) -> str:
        async with services_of(self.client.app).database.transaction(write=True) as conn:
            _record, secret = await issue_key(
                ApiKeyRepository(conn),
                account_id=self.id,
                name=kwargs.pop("name", "test key"),
                permissions=permissions,
                **kwargs,
            )
        return secret

    async def create_lead(self, **fields: Any) -> dict[str, Any]:
        body = {"first_name": "Jane", "last_name": "Doe", **fields}
        body.setdefault("email", f"{body['first_name']}.{body['last_name']}@example.com".lower())
        response = await self.client.post(f"{API}/leads", json=body, headers=self.headers())
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result


AccountFactory = Callable[..., Awaitable["Account"]]


def assert_error(
    response: Any, status: int, code: str, extra_fields: set[str] | None = None
) -> dict[str, Any]:
    """The one error shape, with the expected status and code."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["error"] is True
    assert body["code"] == code
    assert body["version"] == "2.0"
    assert isinstance(body["message"], str)
    assert body["message"]
    assert body["request_id"] == response.headers["x-request-id"]
    assert body["timestamp"].endswith("Z")
    assert isinstance(body["details"], dict)
    assert set(body) == ERROR_FIELDS | (extra_fields or set())
    return body


# -- the routes the app serves (test_permissions_table.py, test_account_isolation.py) ------

# Answered without a key, whatever the method. /metrics is listed for when it is served
# (BUENA_METRICS); a path here that the app does not serve is not an error.
PUBLIC_PATHS = frozenset(
    {
        f"{API}/health",
        f"{API}/openapi.json",
        f"{API}/docs",
        f"{API}/docs/{{path}}",
        f"{API}/docs/openapi.json",
        f"{API}/docs/oauth2-redirect.html",
        f"{API}/docs/redoc",
        # The docs pages' own scripts and styles (kit/docs_ui.py).
        f"{API}/docs/assets/swagger-ui/{{file_path}}",
        f"{API}/docs/assets/redoc/{{file_path}}",
        "/metrics",
        f"{API}/metrics",
    }
)

# OPTIONS is the framework's (the Allow list, CORS preflights, which carry no key): checked
# by test_public_paths_and_preflights_need_no_key, not held to a permission.
FRAMEWORK_METHODS = frozenset({"OPTIONS"})


def _template(path: str) -> str:
    """``/leads/{lead_id:str}`` → ``/leads/{lead_id}``."""
    return re.sub(r"\{(\w+):[^}]*\}", r"{\1}", path)


# The method of a route that is not an HTTP route (a mounted ASGI app, a websocket): it takes
# every method, and the tables admit such a route only as a public path.
ANY_METHOD = "*"


def served_routes(app: Litestar) -> Iterator[tuple[str, str, BaseRouteHandler]]:
    """(method, path template, handler) of every route the app serves."""
    for route in app.routes:
        path = _template(route.path)
        if isinstance(route, HTTPRoute):
            for handler in route.route_handlers:
                for method in sorted(handler.http_methods):
                    if method not in FRAMEWORK_METHODS:
                        yield method, path, handler
        else:
            yield ANY_METHOD, path, route.route_handler  # type: ignore[attr-defined]


# -- time the test moves ------------------------------------------------------------------


class MovedClock:
    """The project clock (``kit.clock.utcnow``) moved by the test: install ``now`` with
    ``monkeypatch.setattr(clock, "source", moved.now)``."""

    def __init__(self) -> None:
        self.offset = timedelta()
        self._real = clock.system_now

    def now(self) -> datetime:
        return self._real() + self.offset

    def advance(self, seconds: float = 0.0, **delta: float) -> None:
        self.offset += timedelta(seconds=seconds, **delta)

    def move_to(self, moment: datetime) -> None:
        """Make it ``moment`` now (the clock then runs on from there)."""
        self.offset = moment - self._real()


class ManualClockLoop(asyncio.SelectorEventLoop):
    """An event loop whose time moves only when the test moves it (``advance``): timers
    (``call_at``, ``call_later``, sleeps, ``wait_for``) then fire at exact points, however
    loaded the machine is, instead of racing the wall clock.

    (looptime does this as a pytest plugin; installed here it left an event loop's
    self-pipe unclosed in other tests, an error under ``filterwarnings = error``.)
    """

    def __init__(self) -> None:
        super().__init__()
        self._now = 0.0

    def time(self) -> float:
        return self._now

    async def advance(self, seconds: float) -> None:
        """Move the time on, then let every timer now due run, and what it wakes."""
        self._now += seconds
        # A pass runs the callbacks ready at its start, then the timers due; a few passes
        # let what they wake (a future's callbacks, a task's next step) run too.
        for _ in range(5):
            await asyncio.sleep(0)


def run_with_manual_clock(scenario: Callable[[ManualClockLoop], Awaitable[None]]) -> None:
    """Run ``scenario(loop)`` to its end on a ManualClockLoop of its own."""
    loop = ManualClockLoop()
    try:
        loop.run_until_complete(scenario(loop))
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
