"""Targets 6 and 6b: the generated SDK, sync and async, against bare clients of the same
URL."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections.abc import Awaitable, Callable

import aiohttp
import urllib3

import buena_sdk
from buena_sdk.api.default_api import DefaultApi


def sdk_sync(base: str, key: str, lead_id: str, calls: int) -> tuple[float, float]:
    """Seconds per call: the SDK's get_lead, and urllib3 GET + json.loads of the same URL."""
    pool = urllib3.PoolManager()
    headers = {"x-api-key": key}

    def bare() -> None:
        json.loads(pool.request("GET", f"{base}/leads/{lead_id}", headers=headers).data)

    configuration = buena_sdk.Configuration(host=base, api_key={"ApiKeyAuth": key})
    with buena_sdk.ApiClient(configuration) as client:
        api = DefaultApi(client)

        def sdk() -> None:
            api.get_lead(lead_id)

        timings = {"sdk": [], "bare": []}  # type: dict[str, list[float]]
        for _ in range(3):  # interleaved rounds so drift hits both alike
            for name, call in (("sdk", sdk), ("bare", bare)):
                started = time.perf_counter()
                for _ in range(calls):
                    call()
                timings[name].append((time.perf_counter() - started) / calls)
    pool.clear()
    return statistics.median(timings["sdk"]), statistics.median(timings["bare"])


async def sdk_async(base: str, key: str, lead_id: str, calls: int) -> tuple[float, float]:
    """Calls per second with 32 in flight: the async SDK, and bare aiohttp + json, each
    with 32 connections (the SDK's default pool holds 10: with 32 calls in flight, 22 would
    queue for a connection, which compares pool sizes, not clients)."""
    headers = {"x-api-key": key}

    async def run(call: Callable[[], Awaitable[None]]) -> float:
        semaphore = asyncio.Semaphore(32)

        async def one() -> None:
            async with semaphore:
                await call()

        started = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(calls)))
        return calls / (time.perf_counter() - started)

    configuration = buena_sdk.Configuration(
        host=base, api_key={"ApiKeyAuth": key}, connection_pool_maxsize=32
    )
    connector = aiohttp.TCPConnector(limit=32)
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        buena_sdk.ApiClient(configuration) as client,
    ):
        api = DefaultApi(client)

        async def bare() -> None:
            async with session.get(f"{base}/leads/{lead_id}", headers=headers) as response:
                json.loads(await response.read())

        async def sdk() -> None:
            await api.get_lead_async(lead_id)

        rates: dict[str, list[float]] = {"sdk": [], "bare": []}
        for _ in range(3):
            for name, call in (("sdk", sdk), ("bare", bare)):
                rates[name].append(await run(call))
    return statistics.median(rates["sdk"]), statistics.median(rates["bare"])
