"""How PostgreSQL plans Buena's prepared statements: searches for the pattern they are given,
everything else once (a cached generic plan), and no setting outlives its request."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from buena_server.kit.cursor import Position
from buena_server.kit.db import open_database
from buena_server.kit.driver import PostgresConnection
from buena_server.leads.grouped import BY_EMAILS_FOR_UPDATE, HELD_EMAILS, UPDATE_MANY
from buena_server.leads.listing import (
    LeadFilters,
    LeadQuery,
    Shape,
    list_values,
    page_statement,
    shape_of,
)
from buena_server.leads.repository import LeadRepository, updates_of

from backends import ON_POSTGRES

pytestmark = pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL's plan cache")

RUNS = 12  # PostgreSQL considers a generic plan after 5 custom ones


async def _plans(conn: PostgresConnection) -> dict[str, tuple[int, int]]:
    """(generic plans, custom plans) of each statement prepared on this connection."""
    rows = await (await conn.driver_connection()).fetch(
        "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements"
    )
    return {row["statement"]: (row["generic_plans"], row["custom_plans"]) for row in rows}


async def test_searches_are_planned_per_pattern_and_lookups_once(database_url: str) -> None:
    database = open_database(database_url, pool_size=1)
    try:
        async with database.transaction(write=True) as conn:
            assert isinstance(conn, PostgresConnection)
            await (await conn.driver_connection()).execute(
                "INSERT INTO accounts VALUES ('acct_1', 'A', now())"
            )
            await (await conn.driver_connection()).execute(
                "INSERT INTO leads (id, account_id, first_name, last_name, email, tags,"
                " custom_fields, status, created_at, updated_at, email_lower, first_name_lower,"
                " last_name_lower, full_name_lower)"
                " SELECT 'lead_' || i, 'acct_1', 'John', 'Doe' || i, 'j' || i || '@corp.com',"
                " '[]', '{}', 'new', now(), now(), 'j' || i || '@corp.com', 'john',"
                " 'doe' || i, 'john doe' || i FROM generate_series(1, 200) AS i"
            )
        pids = set()
        for _ in range(RUNS):
            async with database.transaction(write=False) as conn:
                assert isinstance(conn, PostgresConnection)
                pids.add((await conn.driver_connection()).get_server_pid())
                assert await LeadRepository(conn).get("acct_1", "lead_7") is not None
        for term in ["john", "doe1", "zzz"] * (RUNS // 3):
            async with database.transaction(write=False) as conn:
                assert isinstance(conn, PostgresConnection)
                pids.add((await conn.driver_connection()).get_server_pid())
                await LeadRepository(conn).find_page("acct_1", LeadQuery(LeadFilters(search=term)))
        async with database.transaction(write=False) as conn:
            assert isinstance(conn, PostgresConnection)
            pids.add((await conn.driver_connection()).get_server_pid())
            # Each search ran in a transaction of its own that ended with its block: the
            # connection came back to the pool as it went, with the default plan mode.
            assert not (await conn.driver_connection()).is_in_transaction()
            assert await (await conn.driver_connection()).fetchval("SHOW plan_cache_mode") == "auto"
            plans = await _plans(conn)
        assert len(pids) == 1, "one connection, reused (never dropped for a dirty state)"
    finally:
        await database.close()

    def of(fragment: str) -> list[tuple[int, int]]:
        found = [counts for statement, counts in plans.items() if fragment in statement]
        assert found, (fragment, list(plans))
        return found

    # The primary-key read: planned a few times, then its cached generic plan.
    [(generic, _custom)] = of("leads.id = $2")
    assert generic > 0
    # The search's page and its count: every run planned for its own pattern.
    searches: list[Any] = of("LIKE")
    assert len(searches) == 2
    for generic, custom in searches:
        assert generic == 0
        assert custom == RUNS


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [plan, *(node for child in plan.get("Plans", []) for node in _nodes(child))]


@pytest.mark.parametrize("sort", ["created_at", "updated_at", "first_name", "last_name"])
@pytest.mark.parametrize("ascending", [True, False])
async def test_keyset_pages_read_their_index_at_any_depth(
    database_url: str, sort: str, ascending: bool
) -> None:
    """A cursor page deep in a large account is an index range scan of its limit's rows:
    no sort, no rows read and thrown away (docs/api.md, "Cursor paging")."""
    # The set-up inserts 60,000 leads with every index: past the default 5 s statement
    # timeout on a machine loaded by the rest of the suite (the plans are what is tested).
    database = open_database(database_url, pool_size=1, timeout=60.0)
    try:
        async with database.transaction(write=True) as conn:
            assert isinstance(conn, PostgresConnection)
            await (await conn.driver_connection()).execute(
                "INSERT INTO accounts VALUES ('acct_1', 'A', now()), ('acct_2', 'B', now())"
            )
            await (await conn.driver_connection()).execute(
                "INSERT INTO leads (id, account_id, first_name, last_name, email, tags,"
                " custom_fields, status, created_at, updated_at, email_lower, first_name_lower,"
                " last_name_lower, full_name_lower)"
                " SELECT 'lead_' || i, 'acct_' || (1 + i % 2), 'F' || (i % 97), 'L' || (i % 89),"
                " 'j' || i || '@corp.com', '[]', '{}', 'active',"
                " now() - i * interval '1 second', now() - (i % 1000) * interval '1 second',"
                " 'j' || i || '@corp.com', 'f' || (i % 97), 'l' || (i % 89), 'f l'"
                " FROM generate_series(1, 60000) AS i"
            )
            await (await conn.driver_connection()).execute("ANALYZE leads")
        async with database.transaction(write=False) as conn:
            assert isinstance(conn, PostgresConnection)
            column = {"first_name": "first_name_lower", "last_name": "last_name_lower"}.get(
                sort, sort
            )
            direction = "ASC" if ascending else "DESC"
            deep = await (await conn.driver_connection()).fetchrow(
                f"SELECT {column}, id FROM leads WHERE account_id = 'acct_1'"
                f" ORDER BY {column} {direction}, id {direction} OFFSET 28000 LIMIT 1"
            )
            assert deep is not None
            shape: Shape = shape_of(LeadFilters())
            statement = page_statement(shape, "postgresql", sort, ascending, True, False)
            prepared, values = conn.compiler.bind(
                statement,
                {
                    **list_values("acct_1", LeadFilters()),
                    "limit": 51,
                    "after_value": deep[0],
                    "after_id": deep[1],
                },
            )
            plan = await (await conn.driver_connection()).fetchval(
                "EXPLAIN (ANALYZE, FORMAT JSON) " + prepared.sql, *values
            )
            nodes = _nodes((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"])
            kinds = [node["Node Type"] for node in nodes]
            assert "Sort" not in kinds, kinds
            scans = [node for node in nodes if "Index" in node["Node Type"]]
            assert scans, nodes
            assert column in scans[0]["Index Name"], nodes
            # The rows of one page (and the one beyond it), not the 28,000 before them.
            assert scans[0]["Actual Rows"] <= 51, nodes
            # The repository's own page agrees with the plain query.
            rows, _total, more = await LeadRepository(conn).find_page(
                "acct_1",
                LeadQuery(
                    sort=sort, order=direction.lower(), limit=3, after=Position(deep[0], deep[1])
                ),
                total=False,
            )
            assert more
            assert len(rows) == 3
    finally:
        await database.close()


@pytest.mark.parametrize("read", ["held", "for_update"])
async def test_a_batchs_emails_are_looked_up_in_the_email_index(
    database_url: str, read: str
) -> None:
    """A batch's emails in a large account are never looked up through the email
    trigram index (as a list of 1000 bound values was planned: seconds instead of
    milliseconds: on 1000 emails of an account of 5000, 12 s against ~5 ms), whether
    planned for the values given or generically."""
    database = open_database(database_url, pool_size=1)
    try:
        async with database.transaction(write=True) as conn:
            assert isinstance(conn, PostgresConnection)
            raw = await conn.driver_connection()
            await raw.execute("INSERT INTO accounts VALUES ('acct_1', 'A', now())")
            # Emails as people have them (names, a number, a few domains): their trigrams are
            # selective enough for the planner to consider the trigram index.
            await raw.execute(
                "INSERT INTO leads (id, account_id, first_name, last_name, email, tags,"
                " custom_fields, status, created_at, updated_at, email_lower, first_name_lower,"
                " last_name_lower, full_name_lower)"
                " SELECT 'lead_' || i, 'acct_1', 'F', 'L', e, '[]', '{}', 'active', now(),"
                " now(), e, 'f', 'l', 'f l' FROM generate_series(1, 5000) AS i, LATERAL ("
                "  SELECT (ARRAY['alice', 'bob', 'carol', 'david', 'emma', 'frank', 'grace',"
                "   'hugo', 'ines', 'jack', 'karen', 'liam', 'maria'])[1 + i % 13] || '.'"
                "   || (ARRAY['smith', 'brown', 'garcia', 'miller', 'davis', 'lopez', 'wilson',"
                "   'taylor', 'moore', 'martin', 'lee'])[1 + i % 11] || '.' || i || '@'"
                "   || (ARRAY['example.com', 'mail.test', 'corp.example'])[1 + i % 3] AS e"
                " ) AS made"
            )
            await raw.execute("ANALYZE leads")
            emails = [
                str(row[0])
                for row in await raw.fetch("SELECT email_lower FROM leads WHERE id LIKE '%7'")
            ]
        assert len(emails) == 500
        async with database.transaction(write=True) as conn:
            assert isinstance(conn, PostgresConnection)
            repository = LeadRepository(conn)
            if read == "held":
                statement: Any = HELD_EMAILS["postgresql"]
                assert await repository.held_emails("acct_1", emails) == set(emails)
            else:
                statement = BY_EMAILS_FOR_UPDATE["postgresql"]
                found = await repository.find_by_emails("acct_1", emails, for_update=True)
                assert set(found) == set(emails)
            prepared, values = conn.compiler.bind(
                statement, {"account_id": "acct_1", "emails": emails}
            )
            raw = await conn.driver_connection()
            for mode in ("force_custom_plan", "force_generic_plan"):
                await raw.execute(f"SET LOCAL plan_cache_mode = {mode}")
                plan = await raw.fetchval("EXPLAIN (FORMAT JSON) " + prepared.sql, *values)
                nodes = _nodes((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"])
                indexes = {node["Index Name"] for node in nodes if "Index Name" in node}
                assert not [name for name in indexes if "trgm" in name], (mode, indexes)
    finally:
        await database.close()


_LEADS_OF = (
    "INSERT INTO leads (id, account_id, first_name, last_name, email, tags, custom_fields,"
    " status, created_at, updated_at, email_lower, first_name_lower, last_name_lower,"
    " full_name_lower)"
    " SELECT $1 || '_' || i, $1, 'F', 'L', e, '[]', '{}', 'active', now(), now(), e, 'f',"
    " 'l', 'f l' FROM generate_series(1, $2) AS i, LATERAL (SELECT 'p.' || i || '@' || $1"
    " || '.test' AS e) AS made"
)


@pytest.mark.parametrize("statement", ["held", "for_update", "update_many"])
async def test_a_batch_finds_each_lead_by_its_index_in_an_account_new_to_the_statistics(
    database_url: str, statement: str
) -> None:
    """An account whose leads came in after the last ANALYZE is "about one lead" to the
    planner: a batch's reads by email and its update still look each lead up by the
    unique email index or the primary key (they read the account's every lead through
    another index and matched them, ~15 ms a batch of 1000 in an account of 20,000, and
    growing with each batch of an import), planned for the values given or generically."""
    database = open_database(database_url, pool_size=1)
    try:
        async with database.transaction(write=True) as conn:
            assert isinstance(conn, PostgresConnection)
            raw = await conn.driver_connection()
            for account in ("acct_old", "acct_a", "acct_b", "acct_new"):
                await raw.execute(f"INSERT INTO accounts VALUES ('{account}', 'A', now())")
            await raw.execute(_LEADS_OF, "acct_old", 20_000)
            for account in ("acct_a", "acct_b"):
                await raw.execute(_LEADS_OF, account, 1000)
            await raw.execute("ANALYZE leads")
            await raw.execute(_LEADS_OF, "acct_new", 5_000)  # after the statistics
        emails = [f"p.{i}@acct_new.test" for i in range(1, 1001)]
        async with database.transaction(write=True) as conn:
            assert isinstance(conn, PostgresConnection)
            repository = LeadRepository(conn)
            found = await repository.find_by_emails("acct_new", emails, for_update=True)
            assert len(found) == len(emails)
            if statement == "update_many":
                changed = [
                    (msgspec.structs.replace(lead, job_title="CTO"), lead)
                    for lead in found.values()
                ]
                await repository.update_many("acct_new", changed, [])
                query: Any = UPDATE_MANY
                given = updates_of("acct_new", changed, []).given
                wanted = "pk_leads"
            else:
                reads = {"held": HELD_EMAILS, "for_update": BY_EMAILS_FOR_UPDATE}
                query = reads[statement]["postgresql"]
                given = {"account_id": "acct_new", "emails": sorted(emails)}
                wanted = "uq_leads_account_id_email_lower"
            prepared, values = conn.compiler.bind(query, given)
            raw = await conn.driver_connection()
            # A table this small is read whole cheaper than looked up 1000 times; in a large
            # one it is not. Without that way out, which index the planner takes is the test.
            await raw.execute("SET LOCAL enable_seqscan = off")
            for mode in ("force_custom_plan", "force_generic_plan"):
                await raw.execute(f"SET LOCAL plan_cache_mode = {mode}")
                plan = await raw.fetchval("EXPLAIN (FORMAT JSON) " + prepared.sql, *values)
                nodes = _nodes((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"])
                indexes = {
                    node["Index Name"]
                    for node in nodes
                    if node.get("Relation Name") == "leads" and "Index Name" in node
                }
                assert indexes == {wanted}, (mode, indexes)
    finally:
        await database.close()
