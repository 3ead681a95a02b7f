"""Webhooks delivered by real ``buena-server serve`` processes to a receiver on 127.0.0.1: a
server killed with SIGKILL in the middle of a delivery delivers after its restart, and two
servers on one PostgreSQL deliver each event exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from sqlalchemy import func, select

from buena_server.auth.tokens import generate_key
from buena_server.kit.db import open_database
from buena_server.tables import jobs

from backends import ON_POSTGRES, fresh_database
from live_server import LiveServer, live_server
from webhook_receivers import Receiver, as_json, header_of, receiving, signatures_valid

LEASE_SECONDS = "2"


def server_env(admin_key: str, lease_seconds: str = LEASE_SECONDS) -> dict[str, str]:
    return {
        "BUENA_BOOTSTRAP_KEY": admin_key,
        "BUENA_WEBHOOKS_ALLOW_PRIVATE": "true",
        "BUENA_QUEUE_LEASE_SECONDS": lease_seconds,
        "BUENA_QUEUE_POLL_SECONDS": "0.2",
        "BUENA_ENV": "test",
    }


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    with fresh_database(str(tmp_path / "live-webhooks.db")) as url:
        yield url


async def subscribe(base_url: str, key: str, url: str) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(
            f"{base_url}/webhooks",
            json={"url": url, "events": ["lead.created"]},
            headers={"x-api-key": key},
        )
    assert response.status_code == 201, response.text
    hook: dict[str, Any] = response.json()
    return hook


async def create_lead(client: httpx.AsyncClient, base_url: str, key: str, n: int) -> str:
    response = await client.post(
        f"{base_url}/leads",
        json={"first_name": "Live", "last_name": f"N{n}", "email": f"live{n}@example.com"},
        headers={"x-api-key": key},
    )
    assert response.status_code == 201, response.text
    lead_id: str = response.json()["id"]
    return lead_id


async def jobs_left(url: str) -> int:
    database = open_database(url)
    try:
        async with database.transaction(write=False) as conn:
            result = await conn.execute(select(func.count()).select_from(jobs))
            return int(result.scalar_one())
    finally:
        await database.close()


async def test_a_server_killed_mid_delivery_delivers_after_restart(
    database_url: str, tmp_path: Path
) -> None:
    admin_key = generate_key()
    held = asyncio.Event()

    async def hold_forever(_request: web.Request) -> web.StreamResponse:
        await held.wait()  # the server is killed while it waits for this answer
        return web.Response(text="too late")

    async with receiving(Receiver(answers=[hold_forever])) as receiver:
        with live_server(database_url, tmp_path, server_env(admin_key)) as first:
            hook = await subscribe(first.base_url, admin_key, receiver.url)
            async with httpx.AsyncClient(timeout=30) as client:
                lead_id = await create_lead(client, first.base_url, admin_key, 1)
            await receiver.wait_for(1, seconds=20)
            os.kill(first.process.pid, signal.SIGKILL)
            first.process.wait(timeout=10)
        held.set()
        # Restarted: the job's lease runs out and the delivery is made again.
        with live_server(database_url, tmp_path, server_env(admin_key)) as second:
            await receiver.wait_for(2, seconds=30)
            first_try, retry = receiver.received
            assert retry.body == first_try.body
            assert as_json(retry)["data"]["object"]["id"] == lead_id
            assert signatures_valid(header_of(retry, "Buena-Signature"), retry.body, hook["secret"])
            deadline = time.monotonic() + 20
            async with httpx.AsyncClient(timeout=30) as client:
                while True:
                    listed = await client.get(
                        f"{second.base_url}/webhooks/{hook['id']}/deliveries",
                        headers={"x-api-key": admin_key},
                    )
                    [delivery] = listed.json()["data"]
                    if delivery["status"] == "delivered":
                        break
                    assert time.monotonic() < deadline, delivery
                    await asyncio.sleep(0.1)
            assert delivery["attempts"] >= 1
            assert delivery["last_status_code"] == 200


@pytest.mark.skipif(not ON_POSTGRES, reason="several server processes share PostgreSQL")
async def test_two_servers_deliver_each_event_exactly_once(
    database_url: str, tmp_path: Path
) -> None:
    admin_key = generate_key()
    events = 80
    async with receiving() as receiver:
        with ExitStack() as stack:
            with ThreadPoolExecutor(2) as pool:
                servers: list[LiveServer] = list(
                    pool.map(
                        lambda _: stack.enter_context(
                            # The default lease: a loaded machine must not end one early.
                            live_server(database_url, tmp_path, server_env(admin_key, "30"))
                        ),
                        range(2),
                    )
                )
            hook = await subscribe(servers[0].base_url, admin_key, receiver.url)
            async with httpx.AsyncClient(timeout=30) as client:
                lead_ids = await asyncio.gather(
                    *(
                        create_lead(client, servers[n % 2].base_url, admin_key, n)
                        for n in range(events)
                    )
                )
            await receiver.wait_for(events, seconds=60)
            deadline = time.monotonic() + 30
            while await jobs_left(database_url):  # every job done: nothing more will be sent
                assert time.monotonic() < deadline, "jobs left over"
                await asyncio.sleep(0.1)
            per_event = Counter(header_of(r, "Buena-Event-Id") for r in receiver.received)
            assert len(per_event) == events
            assert set(per_event.values()) == {1}, per_event.most_common(3)
            assert {as_json(r)["data"]["object"]["id"] for r in receiver.received} == set(lead_ids)
            for got in receiver.received:
                assert signatures_valid(header_of(got, "Buena-Signature"), got.body, hook["secret"])
