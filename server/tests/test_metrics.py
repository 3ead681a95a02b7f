"""GET /metrics: requests by route template and status (whichever path answers them), the
database pool, the rate limiter and its Redis fallback, in the Prometheus text format."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from buena_server.app import create_app
from buena_server.config import Settings
from buena_server.kit.access_log import AccessLog
from buena_server.kit.front import FrontDoor
from buena_server.kit.http_limits import HeaderLimits
from buena_server.services import services_of

from backends import ON_POSTGRES
from live_server import free_port
from server_testing import API, Account, InProcessClient, assert_error, running

DURATION = "buena_http_request_duration_seconds"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition, by name and sorted labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(text: str, name: str, **labels: str) -> float | None:
    return samples(text).get((name, tuple(sorted(labels.items()))))


def request_counts(text: str) -> dict[tuple[str, str, str], float]:
    """(method, route, status) -> requests answered."""
    return {
        (labels["method"], labels["route"], labels["status"]): count
        for (name, label_items), count in samples(text).items()
        if name == f"{DURATION}_count"
        for labels in [dict(label_items)]
    }


async def scrape(client: InProcessClient) -> str:
    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    assert response.headers["content-type"].count("charset") == 1
    return response.text


@pytest.fixture
async def litestar_only(settings: Settings) -> AsyncIterator[InProcessClient]:
    async with running(create_app(settings.model_copy(update={"hot_paths": False}))) as client:
        yield client


async def test_requests_are_counted_by_route_template_on_either_path(
    client: InProcessClient, litestar_only: InProcessClient, account: Account
) -> None:
    """The hot paths answer GET /leads/{id} and POST /leads themselves; their requests count
    under the same template as Litestar's route does, and the raw path never becomes a label."""
    counts = []
    for each in (client, litestar_only):
        headers = account.headers()
        created = await each.post(
            f"{API}/leads",
            json={"first_name": "Ada", "last_name": "L", "email": f"ada{id(each)}@x.io"},
            headers=headers,
        )
        assert created.status_code == 201
        lead_id = created.json()["id"]
        for _ in range(2):
            assert (await each.get(f"{API}/leads/{lead_id}", headers=headers)).status_code == 200
        assert (await each.get(f"{API}/leads/lead_unknown", headers=headers)).status_code == 404
        assert (await each.get(f"{API}/leads/{lead_id}")).status_code == 401
        assert (await each.get(f"{API}/no/such/{lead_id}")).status_code == 404
        text = await scrape(each)
        assert lead_id not in text
        counts.append(request_counts(text))

    assert counts[0] == counts[1]
    assert counts[0] == {
        ("POST", f"{API}/leads", "201"): 1,
        ("GET", f"{API}/leads/{{lead_id}}", "200"): 2,
        ("GET", f"{API}/leads/{{lead_id}}", "404"): 1,
        ("GET", f"{API}/leads/{{lead_id}}", "401"): 1,
        ("GET", "unmatched", "404"): 1,
    }


async def test_latency_histogram_is_cumulative(client: InProcessClient, account: Account) -> None:
    await client.get(f"{API}/leads", headers=account.headers())
    text = await scrape(client)
    labels = {"method": "GET", "route": f"{API}/leads", "status": "200"}
    buckets = sorted(
        (float(dict(items)["le"]), count)
        for (name, items), count in samples(text).items()
        if name == f"{DURATION}_bucket" and {k: v for k, v in items if k != "le"} == labels
    )
    assert buckets[-1] == (float("inf"), 1)
    assert [count for _, count in buckets] == sorted(count for _, count in buckets)
    assert (value(text, f"{DURATION}_sum", **labels) or 0) > 0
    assert value(text, "buena_http_requests_in_progress") == 1  # the scrape itself


class TestTurnedOff:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"metrics": False}

    async def test_metrics_answer_404(self, client: InProcessClient) -> None:
        assert_error(await client.get("/metrics"), 404, "NOT_FOUND")


class TestOwnListener:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"metrics_port": free_port()}

    async def test_served_on_its_port_and_not_beside_the_api(
        self, app: Any, settings: Settings
    ) -> None:
        url = f"http://127.0.0.1:{settings.metrics_port}/metrics"
        async with running(app) as client:
            assert_error(await client.get("/metrics"), 404, "NOT_FOUND")
            await client.get(f"{API}/health")
            async with httpx.AsyncClient() as outside:
                response = await outside.get(url)
            assert response.status_code == 200
            assert request_counts(response.text)[("GET", f"{API}/health", "200")] == 1
        # Closed with the app.
        async with httpx.AsyncClient() as outside:
            with pytest.raises(httpx.ConnectError):
                await outside.get(url)


class TestRateLimits:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"rate_limits": "2/minute"}

    async def test_refusals_are_counted(self, client: InProcessClient, account: Account) -> None:
        statuses = [
            (await client.get(f"{API}/leads", headers=account.headers())).status_code
            for _ in range(4)
        ]
        assert statuses == [200, 200, 429, 429]
        text = await scrape(client)
        assert value(text, "buena_rate_limit_refusals_total") == 2
        assert request_counts(text)[("GET", f"{API}/leads", "429")] == 2


class TestRedisUnreachable:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"redis_url": "redis://127.0.0.1:1/0", "rate_limits": "100/minute"}

    async def test_fallback_is_reported(self, client: InProcessClient, account: Account) -> None:
        text = await scrape(client)
        assert value(text, "buena_redis_fallback") == 0
        assert value(text, "buena_redis_fallbacks_total") == 0
        assert (await client.get(f"{API}/leads", headers=account.headers())).status_code == 200
        text = await scrape(client)
        assert value(text, "buena_redis_fallback") == 1
        assert value(text, "buena_redis_fallbacks_total") == 1


class TestDatabasePool:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        # PostgreSQL: at most 2 connections (twice the pool size); SQLite: one writer. No
        # queue worker: its claims would take connections at moments the test cannot see.
        return {"database_pool_size": 1, "worker_in_serve": False}

    async def test_connections_in_use_and_waiting(self, client: InProcessClient) -> None:
        database = services_of(client.app).database
        holding = 2 if ON_POSTGRES else 1
        release = asyncio.Event()

        async def hold() -> None:
            async with database.transaction(write=True):  # takes a connection up front
                await release.wait()

        holders = [asyncio.create_task(hold()) for _ in range(holding)]
        await _until(lambda: database.pool_usage()[0] == holding)
        waiter = asyncio.create_task(hold())
        await _until(lambda: database.pool_usage()[1] == 1)

        text = await scrape(client)
        assert value(text, "buena_database_connections_in_use") == holding
        assert value(text, "buena_database_connections_waiting") == 1

        release.set()
        await asyncio.gather(*holders, waiter)
        text = await scrape(client)
        assert value(text, "buena_database_connections_in_use") == 0
        assert value(text, "buena_database_connections_waiting") == 0


async def _until(condition: Any) -> None:
    """Let other tasks run until ``condition()`` holds (no clock involved)."""
    for _ in range(10_000):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("the condition never held")


async def test_an_error_escaping_the_app_counts_as_the_500_it_answers(settings: Settings) -> None:
    """An exception escaping everything behind the front door is answered (the one JSON
    500) and counted as that 500; if even that answer cannot be sent, the ASGI server
    answers 500, and the request is counted as 500 all the same."""
    app = create_app(settings)
    metrics = services_of(app).metrics

    async def failing(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("escaped")

    async def nothing(*_: Any) -> Any:
        return {"type": "http.disconnect"}

    sent: list[dict[str, Any]] = []

    async def collect(message: dict[str, Any]) -> None:
        sent.append(message)

    async def refuse(message: dict[str, Any]) -> None:
        raise OSError("connection lost")

    front = FrontDoor(
        failing,
        others=failing,
        limits=HeaderLimits(16384, 100),
        cors=None,
        metrics=metrics,
        access_log=AccessLog(),
    )
    scope = {"type": "http", "method": "GET", "path": "/x", "headers": [], "state": {}}
    await front({**scope, "path_template": f"{API}/leads"}, nothing, collect)
    assert sent[0]["status"] == 500
    assert json.loads(sent[1]["body"])["code"] == "INTERNAL_ERROR"
    with pytest.raises(RuntimeError):
        await front({**scope, "path_template": f"{API}/leads"}, nothing, refuse)
    text = generate_latest(metrics.registry).decode()
    assert request_counts(text) == {("GET", f"{API}/leads", "500"): 2}
    assert value(text, "buena_http_requests_in_progress") == 0
