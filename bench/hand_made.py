"""Target 2 (`GET /leads/{id}` on SQLite, rate limits on) with each small hand-made part
swapped for the library it replaces, in turns with the server as it is. The figures and the
decisions: docs/decisions/rate-limits.md, docs/decisions/small-fast-paths.md.

    python -m bench.hand_made prepare                # bench/results/hand-made.db, 20k leads
    python -m bench.hand_made turns [SECONDS ROUNDS]  # throughput, one server a variant

Variants: ``ours``; ``lib-limiter`` (``limits``' fixed window on its ``MemoryStorage`` in
place of ``kit.ratelimit.MemoryFixedWindows``); ``lib-timestamps`` (SQLAlchemy's SQLite
``DATETIME`` result processor in place of ``tables.UTCDateTime``'s ``fromisoformat``);
``lib-both``. A primary-key read costs the same on 20k leads as on the full profile's 1M.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import statistics
import sys
from contextlib import ExitStack
from datetime import UTC
from typing import Any

from bench import datagen
from bench.load import Probe, free_port, in_turns, process
from bench.prepare import migrate_database
from bench.run import RESULTS
from buena_server.accounts.service import create_account
from buena_server.kit.db import open_database

VARIANTS = ("ours", "lib-limiter", "lib-timestamps", "lib-both")
DATABASE = RESULTS / "hand-made.db"
PREPARED = RESULTS / "hand-made.json"
LEADS = 20_000


def use_variant(name: str) -> None:
    """Swap the hand-made parts ``name`` names for their libraries, before the app is built."""
    assert name in VARIANTS, name
    if name in {"lib-limiter", "lib-both"}:
        from limits.aio.storage import MemoryStorage

        from buena_server.kit import ratelimit
        from buena_server.kit.ratelimit_rules import RateLimitStrategy

        def library_limiter(items: Any) -> Any:
            return ratelimit.KeyRateLimiter(items, MemoryStorage(), RateLimitStrategy.FIXED_WINDOW)

        ratelimit.MemoryFixedWindows = library_limiter  # type: ignore[misc,assignment]
    if name in {"lib-timestamps", "lib-both"}:
        from sqlalchemy.dialects.sqlite import DATETIME

        from buena_server import tables

        def processor(self: Any, dialect: Any, coltype: Any) -> Any:
            raw = DATETIME().result_processor(dialect, coltype)
            assert raw is not None
            return lambda value: None if value is None else raw(value).replace(tzinfo=UTC)

        tables.UTCDateTime.result_processor = processor  # type: ignore[method-assign]


async def prepare() -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    DATABASE.unlink(missing_ok=True)
    url = f"sqlite:///{DATABASE}"
    await migrate_database(url)
    database = open_database(url)
    async with database.transaction(write=True) as conn:
        account = await create_account(conn, "Bench")
    await database.close()
    datagen.insert_into_sqlite(str(DATABASE), account.account_id, LEADS)
    with sqlite3.connect(DATABASE) as db:
        (lead,) = db.execute("SELECT id FROM leads LIMIT 1").fetchone()
    PREPARED.write_text(json.dumps({"url": url, "key": account.key, "lead": lead}))


def serve(variant: str, port: int) -> None:
    from buena_server.cli import main

    use_variant(variant)
    main(["serve", "--port", str(port), "--quiet"])


def turns(seconds: float, rounds: int) -> None:
    """One server per variant (pinned to core 0, wrk on core 1), measured in turns:
    requests/s and the server's CPU time per request, medians and spread."""
    if not PREPARED.exists():
        raise SystemExit("run `python -m bench.hand_made prepare` first")
    db = json.loads(PREPARED.read_text())
    env = {
        "BUENA_DATABASE_URL": db["url"],
        "BUENA_RATE_LIMITS": "1000000000/minute",  # as bench/run.py: on, never reached
        "BUENA_ENV": "development",
    }
    log = RESULTS / "servers.log"
    with ExitStack() as stack:
        servers = {}
        for name in VARIANTS:
            port = free_port()
            base = f"http://127.0.0.1:{port}/api/v2"
            args = ["-m", "bench.hand_made", "serve", name, str(port)]
            proc = stack.enter_context(process(args, env, f"{base}/health", log))
            probe = Probe(f"{base}/leads/{db['lead']}", {"x-api-key": db["key"]})
            probe.run(max(1.0, seconds / 3))
            servers[name] = (proc.pid, probe)
        rps, cpu = in_turns(servers, seconds, rounds)
    for name in VARIANTS:
        print(
            f"{name}: {statistics.median(rps[name]):.0f} requests/s "
            f"({min(rps[name]):.0f}-{max(rps[name]):.0f}), "
            f"{statistics.median(cpu[name]):.0f} µs of server CPU a request"
        )
    for name in VARIANTS[1:]:
        paired = [lib / ours for ours, lib in zip(rps["ours"], rps[name], strict=True)]
        print(
            f"{name} / ours, round by round: median {statistics.median(paired):.3f} "
            f"({min(paired):.3f}-{max(paired):.3f})"
        )


def main() -> None:
    command, *args = sys.argv[1:] or ["turns"]
    if command == "prepare":
        asyncio.run(prepare())
    elif command == "turns":
        turns(float(args[0]) if args else 5.0, int(args[1]) if len(args) > 1 else 10)
    elif command == "serve":
        serve(args[0], int(args[1]))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
