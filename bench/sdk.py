"""Targets 6 and 6b: the generated SDK, sync and async, against bare clients of the same
URL; target 11: what ``import buena_sdk`` costs against ``import pydantic``."""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable

import aiohttp
import urllib3

import buena_sdk
from bench.targets import Target, ratio_target
from buena_sdk.api.default_api import DefaultApi

# Fresh interpreters per measured statement; the median is kept.
IMPORT_RUNS = 9
# What a sync program imports before its first call.
FIRST_SYNC_CLIENT = (
    "import buena_sdk; from buena_sdk.api.default_api import DefaultApi; "
    "DefaultApi(buena_sdk.ApiClient(buena_sdk.Configuration()))"
)


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


def import_micros(statement: str, startup: frozenset[str]) -> tuple[int, int, bool]:
    """Microseconds of the imports ``statement`` makes in a fresh interpreter, how many
    modules are loaded then, and whether aiohttp is among them. The time is the sum of
    ``-X importtime``'s cumulative figures of the top-level imports, leaving out those the
    interpreter makes at start-up (``startup``)."""
    probe = f"{statement}; import sys; print(len(sys.modules), 'aiohttp' in sys.modules)"
    answer = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", probe],
        capture_output=True,
        text=True,
        check=True,
    )
    total = 0
    for name, cumulative in _top_level(answer.stderr):
        if name not in startup:
            total += cumulative
    count, aiohttp_loaded = answer.stdout.split()
    return total, int(count), aiohttp_loaded == "True"


def _top_level(importtime: str) -> list[tuple[str, int]]:
    entries = []
    for line in importtime.splitlines():
        # "import time:       221 |      31730 | pydantic": nested imports are indented.
        parts = line.split("|")
        if len(parts) == 3 and parts[2].startswith(" ") and not parts[2].startswith("  "):
            cumulative = parts[1].strip()
            if cumulative.isdigit():
                entries.append((parts[2].strip(), int(cumulative)))
    return entries


def import_target(runs: int = IMPORT_RUNS) -> tuple[Target, dict[str, float]]:
    """Target 11: median import time of ``import buena_sdk`` vs ``import pydantic``, each
    in ``runs`` fresh interpreters taken in turns; the note gives what a sync program loads
    before its first call (the package's names are imported on first use)."""
    startup = frozenset(
        name
        for name, _ in _top_level(
            subprocess.run(
                [sys.executable, "-X", "importtime", "-c", "pass"],
                capture_output=True,
                text=True,
                check=True,
            ).stderr
        )
    )
    statements = {
        "sdk": "import buena_sdk",
        "pydantic": "import pydantic",
        "first_client": FIRST_SYNC_CLIENT,
    }
    micros: dict[str, list[int]] = {name: [] for name in statements}
    modules: dict[str, int] = {}
    aiohttp_loaded = False
    for _ in range(runs):
        for name, statement in statements.items():
            spent, loaded, with_aiohttp = import_micros(statement, startup)
            aiohttp_loaded |= name != "pydantic" and with_aiohttp
            micros[name].append(spent)
            modules[name] = loaded
    ms = {name: statistics.median(values) / 1000 for name, values in micros.items()}
    figures = {**{f"{name}_ms": value for name, value in ms.items()}}
    figures.update({f"{name}_modules": float(count) for name, count in modules.items()})
    target = ratio_target(
        "11. `import buena_sdk` vs `import pydantic` (-X importtime, median of "
        f"{runs} fresh interpreters)",
        ms["sdk"],
        ms["pydantic"],
        at_most=1.3,
        unit="ms",
        note=f"names load on first use: a sync client before its first call imports "
        f"{ms['first_client']:.0f} ms ({ms['first_client'] / ms['pydantic']:.1f}x), "
        f"{modules['first_client']} modules" + ("" if aiohttp_loaded else ", no aiohttp"),
    )
    return target, figures
