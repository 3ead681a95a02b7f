"""The rate-limit script through our client (redis_script.py) or through a library, on target 1
(`GET /leads/{id}` on PostgreSQL + Redis, rate limits on). The figures and the decision:
docs/decisions/redis-client.md.

    python -m bench.redis_clients prepare             # database buena_bench_redis, 20k leads
    python -m bench.redis_clients turns [SECONDS RUNS] # throughput, one server a client, in turns
    python -m bench.redis_clients callgrind requests  # instructions per request, in-process
    python -m bench.redis_clients callgrind calls     # instructions per script call

Clients: ``ours``; ``redis-py`` (redis.asyncio with hiredis: EVALSHA, the script loaded on
NOSCRIPT by redis-py's AsyncScript, the timeout as the pool's socket timeout); ``coredis``
(script calls only). hiredis and coredis are not dependencies: ``pip install hiredis coredis``.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from typing import Any

import asyncpg
import uvloop
from redis.asyncio import Redis
from redis.utils import HIREDIS_AVAILABLE
from sqlalchemy.engine import make_url

from bench import datagen
from bench.load import Probe, free_port, in_turns, process
from bench.prepare import admin, migrate_database, pg_url
from bench.run import RESULTS
from buena_server import app as app_module
from buena_server.accounts.service import create_account
from buena_server.kit.db import open_database
from buena_server.kit.ratelimit import FIXED_WINDOWS_SCRIPT
from buena_server.kit.redis_connection import RedisEndpoint
from buena_server.kit.redis_script import Call, RedisLink, ScriptClient
from buena_server.services import services_of

REDIS_URL = "redis://127.0.0.1:6379/0"
DATABASE = "buena_bench_redis"
PREPARED = RESULTS / "redis-clients.json"
IN_FLIGHT = 32  # as wrk's 32 connections keep in flight
CLIENTS = ("ours", "redis-py")


class RedisPyScript(ScriptClient):
    """The script through redis-py's asyncio client, in place of ours."""

    def __init__(self, link: RedisLink | RedisEndpoint, script: str) -> None:
        super().__init__(link, script)
        self.pool = self.link.endpoint.pool()
        self.lua = Redis(connection_pool=self.pool).register_script(script)

    async def send(self, call: Call) -> Any:
        count, *rest = call.keys_and_args
        return await self.lua(rest[:count], rest[count:])

    async def close(self) -> None:
        await self.pool.aclose()


def use_client(name: str) -> None:
    """Make the app built after this run its rate-limit script through ``name``."""
    assert name in CLIENTS, name
    if name == "redis-py":
        assert HIREDIS_AVAILABLE, "pip install hiredis: the library is measured with its C parser"
        app_module.ScriptClient = RedisPyScript  # type: ignore[misc]


# -- the database -------------------------------------------------------------------------


async def prepare() -> None:
    await admin(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    await admin(f"CREATE DATABASE {DATABASE}")
    url = pg_url(DATABASE)
    await migrate_database(url)
    database = open_database(url)
    async with database.transaction(write=True) as conn:
        account = await create_account(conn, "Bench")
    await database.close()
    dsn = make_url(url).set(drivername="postgresql").render_as_string(False)
    conn = await asyncpg.connect(dsn)
    try:
        await datagen.copy_into_postgres(conn, account.account_id, 20_000)
        for statement in datagen.RECOUNT:
            await conn.execute(statement)
        await conn.execute("VACUUM ANALYZE leads")
        lead = await conn.fetchval("SELECT id FROM leads LIMIT 1")
    finally:
        await conn.close()
    RESULTS.mkdir(parents=True, exist_ok=True)
    PREPARED.write_text(json.dumps({"url": url, "key": account.key, "lead": lead}))


def prepared() -> dict[str, str]:
    if not PREPARED.exists():
        raise SystemExit("run `python -m bench.redis_clients prepare` first")
    result: dict[str, str] = json.loads(PREPARED.read_text())
    return result


def server_env(db: dict[str, str]) -> dict[str, str]:
    """As bench/run.py's ``buena(..., redis=True)``."""
    return {
        "BUENA_DATABASE_URL": db["url"],
        "BUENA_RATE_LIMITS": "1000000000/minute",
        "BUENA_ENV": "development",
        "BUENA_REDIS_URL": REDIS_URL,
        "BUENA_REDIS_KEY_PREFIX": f"bench-{secrets.token_hex(4)}",
    }


# -- in-process loops (run under callgrind) -----------------------------------------------


async def _rounds(one: Callable[[int], Awaitable[Any]], rounds: int) -> None:
    for _ in range(3):  # connections opened, the script loaded
        await asyncio.gather(*(one(i) for i in range(IN_FLIGHT)))
    for _ in range(rounds):
        await asyncio.gather(*(one(i) for i in range(IN_FLIGHT)))


async def calls(client: str, rounds: int) -> None:
    """``rounds`` times ``IN_FLIGHT`` script calls at once, each for a key of its own."""
    args = [1_000_000_000, 60_000]
    keys = [[f"bench-calls:{{k{i}}}:minute", f"bench-calls:{{k{i}}}:version"] for i in range(32)]
    if client == "coredis":
        import coredis

        redis = coredis.Redis.from_url(REDIS_URL, stream_timeout=0.5, connect_timeout=0.5)
        async with redis:
            sha = await redis.script_load(FIXED_WINDOWS_SCRIPT)
            await _rounds(lambda i: redis.evalsha(sha, keys[i], args), rounds)
        return
    use_client(client)
    script = app_module.ScriptClient(RedisEndpoint.from_url(REDIS_URL, 0.5), FIXED_WINDOWS_SCRIPT)
    packed = [script.call(key, args) for key in keys]
    await _rounds(lambda i: script.send(packed[i]), rounds)
    await script.close()


async def requests(client: str, rounds: int) -> None:
    """Target 1 through the app's ASGI callable (no HTTP parsing: the same for both)."""
    from buena_server.config import Settings

    use_client(client)
    db = prepared()
    env = server_env(db)
    settings = Settings(**{name.removeprefix("BUENA_").lower(): v for name, v in env.items()})
    app = app_module.create_app(settings)
    path = f"/api/v2/leads/{db['lead']}"
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    headers = [(b"host", b"127.0.0.1"), (b"x-api-key", db["key"].encode())]
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    async def one(_i: int) -> None:
        await app({**scope, "headers": list(headers), "state": {}}, receive, send)

    async with app.lifespan():
        await _rounds(one, rounds)
        limiter = services_of(app).rate_limiter
        assert limiter.fallbacks == 0, "Redis failed: the figure would be the fallback's"
    assert set(statuses) == {200}, set(statuses)


def callgrind(kind: str) -> None:
    """Instructions per unit: two runs of different lengths, so start-up cancels out."""
    clients = ("ours", "redis-py", "coredis") if kind == "calls" else CLIENTS
    short, long = 20, 100
    for client in clients:
        totals = []
        for rounds in (short, long):
            out = subprocess.run(
                [
                    "valgrind",
                    "--tool=callgrind",
                    "--callgrind-out-file=/dev/null",
                    sys.executable,
                    "-m",
                    "bench.redis_clients",
                    kind,
                    client,
                    str(rounds),
                ],
                env={**os.environ, "PYTHONHASHSEED": "0"},
                capture_output=True,
                text=True,
                check=True,
            ).stderr
            totals.append(int(re.search(r"Collected : (\d+)", out).group(1)))  # type: ignore[union-attr]
        per = (totals[1] - totals[0]) / ((long - short) * IN_FLIGHT)
        print(f"{kind} {client}: {per / 1000:.0f}k instructions each", flush=True)


# -- whole servers, in turns ----------------------------------------------------------------


def serve(client: str, port: int) -> None:
    from buena_server.cli import main

    use_client(client)
    main(["serve", "--port", str(port), "--quiet"])


def turns(seconds: float, rounds: int) -> None:
    """One server per client (pinned to core 0, wrk on core 1), measured ours, redis-py,
    ours, ...: requests/s and the server's CPU time per request, medians and spread."""
    db = prepared()
    log = RESULTS / "servers.log"
    with ExitStack() as stack:
        servers = {}
        for name in CLIENTS:
            port = free_port()
            base = f"http://127.0.0.1:{port}/api/v2"
            args = ["-m", "bench.redis_clients", "serve", name, str(port)]
            proc = stack.enter_context(process(args, server_env(db), f"{base}/health", log))
            probe = Probe(f"{base}/leads/{db['lead']}", {"x-api-key": db["key"]})
            probe.run(max(1.0, seconds / 3))
            servers[name] = (proc.pid, probe)
        rps, cpu = in_turns(servers, seconds, rounds)
    for name in CLIENTS:
        print(
            f"{name}: {statistics.median(rps[name]):.0f} requests/s "
            f"({min(rps[name]):.0f}-{max(rps[name]):.0f}), "
            f"{statistics.median(cpu[name]):.0f} µs of server CPU a request "
            f"({min(cpu[name]):.0f}-{max(cpu[name]):.0f})"
        )
    paired = [theirs / ours for ours, theirs in zip(rps["ours"], rps["redis-py"], strict=True)]
    print(
        f"redis-py / ours, round by round: median {statistics.median(paired):.3f} "
        f"({min(paired):.3f}-{max(paired):.3f})"
    )


def main() -> None:
    command, *args = sys.argv[1:] or ["turns"]
    if command == "prepare":
        asyncio.run(prepare())
    elif command == "turns":
        turns(float(args[0]) if args else 5.0, int(args[1]) if len(args) > 1 else 10)
    elif command == "callgrind":
        callgrind(args[0])
    elif command == "serve":
        serve(args[0], int(args[1]))
    elif command in {"calls", "requests"}:
        loop = calls if command == "calls" else requests
        started = time.perf_counter()
        uvloop.run(loop(args[0], int(args[1])))
        print(f"{time.perf_counter() - started:.1f}s", file=sys.stderr)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
