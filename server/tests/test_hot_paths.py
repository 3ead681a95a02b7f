"""The hot paths (hot_paths.py) answer GET /leads/{id} and POST /leads exactly as the Litestar
routes do: every case here is sent to the app with them on and to the same database with them
off, and the answers are compared."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from litestar import Litestar

from buena_server.app import create_app, hot_paths_of
from buena_server.auth.permissions import Permission
from buena_server.config import Settings

from server_testing import API, Account, InProcessClient, running

# Values that differ between two otherwise equal answers.
VOLATILE_FIELDS = {"id", "created_at", "updated_at", "timestamp", "request_id", "existing_id"}
VOLATILE_HEADERS = {
    "x-request-id",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "content-length",
    "location",  # names the lead's id (checked against it below)
}
BROWSER_APP = "https://app.example.com"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {
        "rate_limits": "1000/minute",
        "cors_origins": BROWSER_APP,
        "max_header_count": 40,
        "max_header_bytes": 8192,
    }


@pytest.fixture
async def litestar_only(settings: Settings) -> AsyncIterator[InProcessClient]:
    async with running(create_app(settings.model_copy(update={"hot_paths": False}))) as client:
        yield client


class Spy:
    """Counts the requests the hot paths hand over to Litestar."""

    def __init__(self, app: Litestar) -> None:
        hot_paths = hot_paths_of(app)
        assert hot_paths is not None
        self.handed_over = 0
        inner = hot_paths.fallback

        async def fallback(scope: Any, receive: Any, send: Any) -> None:
            self.handed_over += 1
            await inner(scope, receive, send)

        hot_paths.fallback = fallback


def _comparable(response: httpx.Response) -> tuple[int, Any, dict[str, str]]:
    body = response.json() if response.content else None

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in VOLATILE_FIELDS}
        return value

    headers = {
        name: ("" if name in VOLATILE_HEADERS else value)
        for name, value in response.headers.items()
        if name != "date"
    }
    return response.status_code, strip(body), headers


async def test_reads_answer_alike(
    client: InProcessClient, litestar_only: InProcessClient, account: Account
) -> None:
    spy = Spy(client.app)  # type: ignore[arg-type]
    lead = await account.create_lead(tags=["a", "b"], custom_fields={"n": 1, "x": None})
    no_read = await account.key_with(Permission.LEADS_WRITE)
    cases: list[tuple[str, dict[str, str]]] = [
        (f"/leads/{lead['id']}", account.headers()),
        (f"/leads/{lead['id']}", {"authorization": f"Bearer {account.key}"}),
        # GET /leads/{id} takes no parameters: an unknown one is refused (400) on both paths.
        (f"/leads/{lead['id']}?unused=1", account.headers()),
        (f"/leads/{lead['id']}?unused=1&other", {}),
        ("/leads/lead_unknown", account.headers()),
        ("/leads/not%20an%20id", account.headers()),
        (f"/leads/{lead['id']}", {}),
        (f"/leads/{lead['id']}", {"x-api-key": "bna_" + "0" * 64}),
        (f"/leads/{lead['id']}", {"x-api-key": "garbage"}),
        (f"/leads/{lead['id']}", {"x-api-key": no_read}),
        (f"/leads/{lead['id']}", {**account.headers(), "origin": BROWSER_APP}),
        (f"/leads/{lead['id']}", {"origin": BROWSER_APP}),
        (f"/leads/{lead['id']}", {**account.headers(), "origin": "https://elsewhere.example"}),
        (f"/leads/{lead['id']}", {**account.headers(), "x-pad": "p" * 8192}),
        (f"/leads/{lead['id']}", {**account.headers(), **{f"x-{i}": "v" for i in range(40)}}),
    ]
    for method in ("GET", "HEAD"):
        spy.handed_over = 0
        for path, headers in cases:
            fast = await client.request(method, API + path, headers=headers)
            reference = await litestar_only.request(method, API + path, headers=headers)
            assert _comparable(fast) == _comparable(reference), (method, path, headers.keys())
            if method == "HEAD":
                assert fast.content == b""
        # The first two and the two from a browser with a key were answered by the hot path
        # itself; the last two by neither (431 before anything else).
        assert spy.handed_over == len(cases) - 4 - 2


async def test_creates_answer_alike(
    client: InProcessClient, litestar_only: InProcessClient, account: Account
) -> None:
    spy = Spy(client.app)  # type: ignore[arg-type]
    await account.create_lead(email="taken@example.com")
    spy.handed_over = 0
    no_write = await account.key_with(Permission.LEADS_READ)
    counter = itertools.count()
    json_headers = {**account.headers(), "content-type": "application/json"}

    def valid() -> bytes:
        return (
            b'{"first_name":"Ada","last_name":"Lovelace","email":"ada%d@example.com",'
            b'"tags":["x"],"custom_fields":{"k":"v"},"phone":"+1 415 555 0100"}'
        ) % next(counter)

    # (body, headers[, query string])
    cases: list[tuple[Any, ...]] = [
        (valid, json_headers),
        (valid, {**json_headers, "content-type": "application/vnd.api+json"}),
        (lambda: b'{"first_name":"A","last_name":"B","email":"TAKEN@example.com"}', json_headers),
        (lambda: b'{"first_name":"A","last_name":"B","email":"not-an-email"}', json_headers),
        (lambda: b'{"first_name":"A","last_name":"B"}', json_headers),
        (lambda: b'{"first_name":"A","last_name":"B","email":"a@b.io","x":1}', json_headers),
        (lambda: b'{"first_name":1,"last_name":"B","email":"a@b.io"}', json_headers),
        # Every structural error at once, alike on both paths.
        (lambda: b'{"first_name":1,"tags":["a",2],"zz":0,"custom_fields":[]}', json_headers),
        (valid, json_headers, "?unused=1"),
        (lambda: b"{not json", json_headers),
        (lambda: b"", json_headers),
        (lambda: b"   ", json_headers),
        (valid, account.headers()),
        (valid, {**account.headers(), "content-type": "text/plain"}),
        (valid, {"content-type": "application/json"}),
        (valid, {"x-api-key": no_write, "content-type": "application/json"}),
        (lambda: b'{"first_name":"' + b"x" * 2_000_000 + b'"}', json_headers),
        (valid, {**json_headers, "origin": BROWSER_APP}),
        (lambda: b'{"first_name":"A"}', {**json_headers, "origin": BROWSER_APP}),
        (valid, {**json_headers, "x-pad": "p" * 8192}),
    ]
    for make_body, headers, *query in cases:
        path = f"{API}/leads{''.join(query)}"
        fast = await client.post(path, content=make_body(), headers=headers)
        reference = await litestar_only.post(path, content=make_body(), headers=headers)
        fast_view, reference_view = _comparable(fast), _comparable(reference)
        if fast.status_code == 201:
            for created in (fast, reference):
                assert created.headers["location"] == f"{API}/leads/{created.json()['id']}"
            # Each created its own lead; only the e-mail address differs.
            fast_view[1].pop("email"), reference_view[1].pop("email")
        assert fast_view == reference_view, (headers, fast.text)
    # Answered by the hot path: the two valid ones and the one from a browser; the last by
    # neither (431).
    assert spy.handed_over == len(cases) - 3 - 1
    # Both paths created their leads once, and the counters agree with the rows.
    listed = (await client.get(f"{API}/leads?limit=100", headers=account.headers())).json()
    assert listed["total"] == len(listed["data"]) == 1 + 2 * 3


async def test_limits_are_counted_once_when_handed_over(
    client: InProcessClient, account: Account
) -> None:
    first = await client.get(f"{API}/leads/lead_unknown", headers=account.headers())
    second = await client.get(f"{API}/leads/lead_unknown", headers=account.headers())
    assert first.status_code == second.status_code == 404
    remaining = int(first.headers["x-ratelimit-remaining"])
    assert int(second.headers["x-ratelimit-remaining"]) == remaining - 1


async def test_failed_authentication_limits_answer_alike(settings: Settings) -> None:
    """Past BUENA_AUTH_FAILURE_LIMIT both paths answer the same 429, whichever request."""

    def view(response: httpx.Response) -> tuple[int, Any, dict[str, str]]:
        status, body, headers = _comparable(response)
        if status == 429:
            # Seconds left in the window: counted from each app's own first failure.
            assert int(headers.pop("retry-after")) == body["details"].pop("retry_after") > 0
        return status, body, headers

    answers: list[list[tuple[int, Any, dict[str, str]]]] = []
    for hot_paths in (True, False):
        own = settings.model_copy(
            update={
                "hot_paths": hot_paths,
                "auth_failure_limit": "3/minute",
                "redis_key_prefix": f"{settings.redis_key_prefix}-{hot_paths}",
            }
        )
        async with running(create_app(own)) as client:
            seen = []
            lead = {"first_name": "A", "last_name": "B", "email": "a@b.io"}
            for headers in ({"x-api-key": "bna_" + "0" * 64}, {}, {"x-api-key": "garbage"}):
                seen.append(view(await client.get(f"{API}/leads/lead_x", headers=headers)))
                seen.append(view(await client.post(f"{API}/leads", json=lead, headers=headers)))
            answers.append(seen)
    assert answers[0] == answers[1]
    assert [status for status, _, _ in answers[0]] == [401, 401, 401, 429, 429, 429]
