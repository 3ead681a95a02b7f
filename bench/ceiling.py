"""Ceiling apps: the least an HTTP server can do to answer GET /api/v2/leads/{id}.

Raw ASGI (no framework, no auth, no rate limit) doing the same primary-key lookup, served by
the same ASGI server as Buena. Buena's throughput is reported as a ratio of these.

    BENCH_DSN=postgresql://... uvicorn bench.ceiling:postgres_app
    BENCH_SQLITE=/path/db.sqlite uvicorn bench.ceiling:sqlite_app
"""

from __future__ import annotations

import json
import os
import sqlite3
from typing import Any

import asyncpg

_QUERY = (
    "SELECT id, first_name, last_name, email, company, phone, linkedin_url, job_title,"
    " location, notes, tags, custom_fields, status, created_at, updated_at FROM leads"
    " WHERE id = {}"
)
_NOT_FOUND = b'{"error":true}'


def _lead_id(scope: dict[str, Any]) -> str:
    return str(scope["path"]).rsplit("/", 1)[-1]


async def _send(send: Any, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Any, send: Any, startup: Any, shutdown: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await startup()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await shutdown()
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _reset(conn: asyncpg.Connection) -> None:
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


class _Postgres:
    pool: asyncpg.Pool | None = None

    async def start(self) -> None:
        # No RESET ALL round trip per release: Buena's pool (driver.ConnectionPool) resets nothing.
        self.pool = await asyncpg.create_pool(
            os.environ["BENCH_DSN"], min_size=4, max_size=10, reset=_reset
        )

    async def stop(self) -> None:
        if self.pool is not None:
            await self.pool.close()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send, self.start, self.stop)
            return
        assert self.pool is not None
        row = await self.pool.fetchrow(_QUERY.format("$1"), _lead_id(scope))
        if row is None:
            await _send(send, 404, _NOT_FOUND)
            return
        lead = dict(row)
        for stamp in ("created_at", "updated_at"):
            lead[stamp] = lead[stamp].isoformat()
        await _send(send, 200, json.dumps(lead).encode())


class _Sqlite:
    db: sqlite3.Connection | None = None

    async def start(self) -> None:
        self.db = sqlite3.connect(os.environ["BENCH_SQLITE"], check_same_thread=False)
        self.db.row_factory = sqlite3.Row

    async def stop(self) -> None:
        if self.db is not None:
            self.db.close()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send, self.start, self.stop)
            return
        assert self.db is not None
        row = self.db.execute(_QUERY.format("?"), (_lead_id(scope),)).fetchone()
        if row is None:
            await _send(send, 404, _NOT_FOUND)
            return
        await _send(send, 200, json.dumps(dict(row)).encode())


postgres_app = _Postgres()
sqlite_app = _Sqlite()
