"""One migration history for both dialects: it builds exactly the models' schema, runs
backwards and forwards, and carries existing rows through."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from buena_server.config import get_settings
from buena_server.events.repository import EventRepository
from buena_server.kit.db import create_engine
from buena_server.leads.listing import LeadFilters, LeadQuery
from buena_server.leads.repository import LeadRepository
from buena_server.migrate import alembic_config, migrate

from backends import ON_POSTGRES, fresh_database, fresh_database_async


@pytest.fixture
async def empty_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    async with fresh_database_async(str(tmp_path / "migrations.db")) as url:
        engine = create_engine(url)
        yield engine
        await engine.dispose()


async def alembic(engine: AsyncEngine, name: str, *args: str) -> None:
    def run(connection: Connection) -> None:
        getattr(command, name)(alembic_config(connection), *args)

    async with engine.begin() as conn:
        await conn.run_sync(run)


async def test_migrations_build_exactly_the_models(empty_engine: AsyncEngine) -> None:
    await migrate(empty_engine)
    await alembic(empty_engine, "check")  # raises when autogenerate finds a difference


async def test_downgrade_and_upgrade_again(empty_engine: AsyncEngine) -> None:
    await migrate(empty_engine)
    await alembic(empty_engine, "downgrade", "base")
    await alembic(empty_engine, "upgrade", "head")
    await alembic(empty_engine, "check")


def test_alembics_own_command_line_migrates_buena_database_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Alembic run on its own (``revision --autogenerate`` for a new migration), with no
    connection handed over: env.py works on the database BUENA_DATABASE_URL names."""
    with fresh_database(str(tmp_path / "alembic.db")) as url:
        monkeypatch.setenv("BUENA_DATABASE_URL", url)
        get_settings.cache_clear()
        try:
            command.upgrade(alembic_config(), "head")
            command.check(alembic_config())  # raises unless that database has the models
        finally:
            get_settings.cache_clear()
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        assert asyncio.run(stored_revision(url)) == head


async def stored_revision(url: str) -> Any:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    finally:
        await engine.dispose()


async def test_existing_leads_get_their_search_columns(empty_engine: AsyncEngine) -> None:
    await alembic(empty_engine, "upgrade", "0001")
    now = datetime.now(UTC).replace(tzinfo=None)
    async with empty_engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO accounts (id, name, created_at) VALUES ('acct_1', 'A', :now)"),
            {"now": now},
        )
        await conn.execute(
            text(
                "INSERT INTO leads (id, account_id, first_name, last_name, email, email_lower,"
                " company, tags, custom_fields, status, created_at, updated_at) VALUES"
                " ('lead_1', 'acct_1', 'Émile', 'ZOLA', 'E@x.fr', 'e@x.fr', 'Les Éditions',"
                " '[]', '{}', 'active', :now, :now)"
            ),
            {"now": now},
        )
    await migrate(empty_engine)
    async with empty_engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT first_name_lower, last_name_lower, full_name_lower, company_lower"
                    " FROM leads"
                )
            )
        ).one()
        assert tuple(row) == ("émile", "zola", "émile zola", "les éditions")
        page, total, _more = await LeadRepository(conn).find_page(
            "acct_1", LeadQuery(LeadFilters(search="ÉMILE Z"), sort="last_name")
        )
        assert total == 1
        assert page[0].id == "lead_1"
        # The counters were backfilled.
        _page, total, _more = await LeadRepository(conn).find_page("acct_1", LeadQuery())
        assert total == 1
        _page, total, _more = await LeadRepository(conn).find_page(
            "acct_1", LeadQuery(LeadFilters(status="inactive"))
        )
        assert total == 0


@pytest.mark.skipif(not ON_POSTGRES, reason="trigram indexes exist on PostgreSQL only")
async def test_search_and_company_filters_use_trigram_indexes(empty_engine: AsyncEngine) -> None:
    await migrate(empty_engine)
    # 50,000 leads of one account, 1 in 1,000 named John at Acme; generated by PostgreSQL.
    name = "CASE WHEN i % 1000 = 0 THEN 'John' ELSE 'Person' || i END"
    company = "CASE WHEN i % 1000 = 0 THEN 'Acme' ELSE 'Company ' || (i % 200) END"
    email = "'p' || i || '@corp' || (i % 50) || '.com'"
    async with empty_engine.begin() as conn:
        await conn.execute(text("INSERT INTO accounts VALUES ('acct_1', 'A', now())"))
        await conn.execute(
            text(
                "INSERT INTO leads (id, account_id, first_name, last_name, email, company, tags,"
                " custom_fields, status, created_at, updated_at, email_lower, first_name_lower,"
                " last_name_lower, full_name_lower, company_lower)"
                f" SELECT 'lead_' || i, 'acct_1', {name}, 'Doe', {email}, {company}, '[]', '{{}}',"
                " 'active', now() - i * interval '1 second', now(),"
                f" {email}, lower({name}), 'doe', lower({name}) || ' doe', lower({company})"
                " FROM generate_series(1, 50000) AS i"
            )
        )
        await conn.execute(text("ANALYZE leads"))

    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, parameters))

    async with empty_engine.connect() as conn:
        # A table this small is cheaper to scan whole; the question here is whether the
        # indexes *can* serve these predicates (a mismatch between the indexed expression
        # and the query's would make them unusable), so sequential scans are taken away.
        await conn.execute(text("SET enable_seqscan = off"))
        event.listen(conn.sync_connection, "before_cursor_execute", capture)
        _page, total, _more = await LeadRepository(conn).find_page(
            "acct_1", LeadQuery(LeadFilters(search="john", company="acme"))
        )
        event.remove(conn.sync_connection, "before_cursor_execute", capture)
        assert total == 50
        plans = []
        for statement, parameters in statements:
            result = await conn.exec_driver_sql(f"EXPLAIN {statement}", parameters)
            plans.append("\n".join(row[0] for row in result))
    for plan in plans:  # the page and its total
        assert "ix_leads_company_lower_trgm" in plan or (
            "ix_leads_full_name_lower_trgm" in plan and "ix_leads_email_lower_trgm" in plan
        ), plan


async def test_existing_status_changes_stay_in_their_leads_timelines(
    empty_engine: AsyncEngine,
) -> None:
    """Migration 0018 stores the lead of each status change that exists (and of nothing
    else) in ``status_change_of``, which the timeline now reads."""
    await alembic(empty_engine, "upgrade", "0017")
    at = datetime(2026, 12, 1, tzinfo=UTC).replace(tzinfo=None)
    changed = {"status": "active", "updated_at": "2026-11-30T00:00:00Z"}
    rows = [
        ("evt_1", "lead.updated", {"object": {"id": "lead_1"}, "previous_attributes": changed}),
        ("evt_2", "lead.updated", {"object": {"id": "lead_1"}, "previous_attributes": {}}),
        ("evt_3", "lead.created", {"object": {"id": "lead_1", "status": "active"}}),
        ("evt_4", "lead.updated", {"object": {"id": "lead_2"}, "previous_attributes": changed}),
    ]
    async with empty_engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO accounts (id, name, created_at) VALUES ('acct_1', 'A', :at)"),
            {"at": at},
        )
        for event_id, event_type, data in rows:
            await conn.execute(
                text(
                    "INSERT INTO events (id, account_id, type, data, created_at)"
                    " VALUES (:id, 'acct_1', :type, :data, :at)"
                ),
                {"id": event_id, "type": event_type, "data": json.dumps(data), "at": at},
            )
    await migrate(empty_engine)
    async with empty_engine.connect() as conn:
        stored = await conn.execute(text("SELECT id, status_change_of FROM events ORDER BY id"))
        assert [tuple(row) for row in stored] == [
            ("evt_1", "lead_1"), ("evt_2", None), ("evt_3", None), ("evt_4", "lead_2")
        ]  # fmt: skip
        page, total = await EventRepository(conn).status_changes_of_lead("acct_1", "lead_1", 10)
        assert ([event.id for event in page], total) == (["evt_1"], 1)
