"""The bench's databases: PostgreSQL (with and without trigram indexes) and SQLite, each
holding one large account of generated leads (``datagen``)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from bench import datagen
from buena_server.accounts.service import create_account
from buena_server.kit.db import create_engine, open_database
from buena_server.migrate import migrate

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"


async def admin(statement: str) -> None:
    conn = await asyncpg.connect(ADMIN_URL)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


async def migrate_database(url: str) -> None:
    engine = create_engine(url)
    try:
        await migrate(engine)
    finally:
        await engine.dispose()


def pg_url(database: str) -> str:
    return make_url(ADMIN_URL).set(database=database).render_as_string(False)


async def prepare_postgres(profile: str, leads: int) -> tuple[str, str, str, str]:
    """Databases buena_bench_<profile> (with indexes) and buena_bench_<profile>_noindex (no
    trigram indexes): one pair per profile, so that the quick run `make test` ends with never
    drops the databases of a full run going on beside it."""
    name = f"buena_bench_{profile}"
    for database in (name, f"{name}_noindex"):
        await admin(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    await admin(f"CREATE DATABASE {name}")
    url = pg_url(name)
    await migrate_database(url)
    database = open_database(url)
    async with database.transaction(write=True) as conn:
        main = await create_account(conn, "Bench")
        small = [await create_account(conn, f"Small {i}") for i in range(3)]
    await database.close()
    conn = await asyncpg.connect(make_url(url).set(drivername="postgresql").render_as_string(False))
    try:
        await datagen.copy_into_postgres(conn, main.account_id, leads)
        for index, account in enumerate(small):
            await datagen.copy_into_postgres(conn, account.account_id, 1000, seed=index)
        for statement in datagen.RECOUNT:
            await conn.execute(statement)
        await conn.execute("VACUUM ANALYZE leads")
        lead_id = await conn.fetchval(
            "SELECT id FROM leads WHERE account_id = $1 LIMIT 1", main.account_id
        )
    finally:
        await conn.close()
    await admin(f"CREATE DATABASE {name}_noindex TEMPLATE {name}")
    noindex = pg_url(f"{name}_noindex")
    conn = await asyncpg.connect(noindex)
    try:
        for column in ("full_name_lower", "email_lower", "company_lower"):
            await conn.execute(f"DROP INDEX ix_leads_{column}_trgm")
    finally:
        await conn.close()
    return url, noindex, main.key, lead_id


async def prepare_sqlite(leads: int, path: Path) -> tuple[str, str, str]:
    url = f"sqlite:///{path}"
    await migrate_database(url)
    database = open_database(url)
    async with database.transaction(write=True) as conn:
        main = await create_account(conn, "Bench")
    await database.close()
    datagen.insert_into_sqlite(str(path), main.account_id, leads)
    with sqlite3.connect(path) as db:
        (lead_id,) = db.execute("SELECT id FROM leads LIMIT 1").fetchone()
    return url, main.key, lead_id
