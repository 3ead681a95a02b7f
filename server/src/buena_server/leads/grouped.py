"""The statements of lead writes that go together (``LeadRepository`` runs them). On
PostgreSQL: the creates that arrive together, each column's values given as one array, and
a batch's creates and updates, the leads given as JSON rows, each run as one statement with
their counters and events (driver ``StatementGroups``; the events as arrays). A batch's
reads by email, and on SQLite its updates of the columns that changed."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Select,
    String,
    Text,
    any_,
    bindparam,
    cast,
    func,
    literal_column,
    select,
    text,
    true,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.elements import TextClause

from buena_server.events.repository import GROUPED_CTES
from buena_server.kit.db import encode_json_text
from buena_server.leads.listing import LEAD_COLUMNS
from buena_server.tables import COUNTER_SLOTS, UTCDateTime, leads

# PostgreSQL, in a single-write block: the creates that arrive together inserted and counted
# by one statement (driver StatementGroups), each column's values given as one array. Rows
# go in ordered by (account, email), and counters by (account, status), so that two groups
# never wait for each other's rows in opposite orders; the leads are all inserted before
# any counter is touched (the GROUP BY reads every inserted row first). A second create of
# an email in the same group, like one of an email already taken, inserts nothing and
# returns no row. JSON travels as text (or, in JSON rows, as JSON), serialized as the JSON
# columns' own bind processor does (encode_json_text). Each inserted lead's lead.created
# event and its deliveries are written by the same statement (events/repository.py,
# GROUPED_CTES): none for a lead not inserted.
JSON_COLUMNS = tuple(column.name for column in leads.c if isinstance(column.type, JSON))


def _kind(column: Column[Any]) -> str:
    if isinstance(column.type, UTCDateTime):
        return "TIMESTAMPTZ"
    return "JSON" if column.name in JSON_COLUMNS else "TEXT"


def _given(columns: list[Column[Any]], json_rows: bool) -> str:
    """The relation ``given`` of these columns' values: each column's values as one array
    (what StatementGroups binds, by column name), or, ``json_rows``, one JSON array of
    objects keyed by column name (``:rows``: a batch's, which asyncpg would otherwise encode
    element by element, ~0.4 µs each: docs/decisions/batch-writes.md). JSON values arrive
    as JSON in the rows (json keeps their text verbatim: the bytes msgspec wrote, as
    ``encode_json_text`` writes them), as text in the arrays."""
    names = ", ".join(column.name for column in columns)
    if json_rows:
        typed = ", ".join(f"{column.name} {_kind(column)}" for column in columns)
        return f"json_to_recordset(CAST(:rows AS JSON)) AS given({typed})"
    arrays = []
    for column in columns:
        kind = "TIMESTAMPTZ" if isinstance(column.type, UTCDateTime) else "TEXT"
        arrays.append(f"CAST(:{column.name} AS {kind}[])")
    return f"unnest({', '.join(arrays)}) AS given({names})"


def _insert_together(json_rows: bool, counted: bool = True) -> TextClause:
    columns = list(leads.c)
    names = [column.name for column in columns]
    selected = [
        f"CAST(given.{name} AS JSON)" if name in JSON_COLUMNS else f"given.{name}" for name in names
    ]
    counting = (
        f"""counted AS (
    INSERT INTO lead_counts (account_id, status, slot, count)
    SELECT account_id, status, CAST(floor(random() * {COUNTER_SLOTS}) AS SMALLINT), count(*)
    FROM inserted
    GROUP BY account_id, status
    ORDER BY account_id, status
    ON CONFLICT (account_id, status, slot) DO UPDATE SET count = lead_counts.count + excluded.count
), """  # noqa: S608
        if counted
        else ""
    )
    # Built from the table's own column names; every value is a bound parameter.
    return text(
        f"""WITH inserted AS (
    INSERT INTO leads ({", ".join(names)})
    SELECT {", ".join(selected)}
    FROM {_given(columns, json_rows)}
    ORDER BY given.account_id, given.email_lower
    ON CONFLICT (account_id, email_lower) DO NOTHING
    RETURNING id, account_id, status, created_at
), {counting}{GROUPED_CTES("inserted")}
SELECT id{"" if counted else ", status"} FROM inserted"""  # noqa: S608
    )


# The grouped creates' (arrays, by column name) and a batch's (``:rows``, a JSON array of
# objects, and its events' arrays); and a batch's a part at a time, counted by the caller
# once all its parts are in (``LeadBatch``: several statements of one transaction that each
# took a random counter slot could lock two slots in opposite orders to another batch's).
INSERT_TOGETHER = _insert_together(json_rows=False)
INSERT_MANY = _insert_together(json_rows=True)
INSERT_MANY_UNCOUNTED = _insert_together(json_rows=True, counted=False)


def _update_many() -> TextClause:
    """PostgreSQL: a batch's leads written over (``:rows``, a JSON array of the leads'
    columns, the account's id in each: each lead is found by its primary key, whatever the
    statistics believe of the account; with the account as a constant beside the ids, an
    account imported minutes ago, "about one lead" to PostgreSQL, had its every lead read
    and matched to the rows: 12 ms of a 1000-lead statement in an account of 20,000), and
    the events the changes made (any number per lead, each
    with its own time: ``:noted``, objects of lead_id, event_id and created_at; ``:events``
    as ``GROUPED_CTES``), by one statement; an event is written only with its lead's row."""
    columns = list(leads.c)
    assigned = [
        f"{column.name} = "
        + (
            f"CAST(given.{column.name} AS JSON)"
            if column.name in JSON_COLUMNS
            else f"given.{column.name}"
        )
        for column in columns
        if column.name not in ("id", "account_id")
    ]
    noted = (
        "unnest(CAST(:noted_lead AS TEXT[]), CAST(:noted_event AS TEXT[]), "
        "CAST(:noted_at AS TIMESTAMPTZ[])) AS noted(lead_id, event_id, created_at)"
    )
    # Built from the table's own column names; every value is a bound parameter.
    return text(
        f"""WITH updated AS (
    UPDATE leads SET {", ".join(assigned)}
    FROM {_given(columns, json_rows=True)}
    WHERE leads.id = given.id AND leads.account_id = given.account_id
    RETURNING leads.id, leads.account_id
), noted AS (
    SELECT noted.event_id AS id, updated.account_id, noted.created_at
    FROM updated JOIN {noted} ON noted.lead_id = updated.id
), {GROUPED_CTES("noted")}
SELECT count(*) FROM updated"""  # noqa: S608
    )


UPDATE_MANY = _update_many()


# Some emails (lower-cased) given as one value, an array on PostgreSQL (``_PG_EMAILS``) and a
# JSON array on SQLite (``_SQLITE_EMAILS``); one value spares SQLAlchemy's expansion of a
# list on every call. A list of bound values (``IN ($2, $3, ...)``) let PostgreSQL plan 1000
# emails of a large account on the email trigram index (seconds, not milliseconds;
# test_postgres_plans.py).
_SQLITE_EMAILS: Select[Any] = select(literal_column("value")).select_from(
    func.json_each(bindparam("emails"))
)
# PostgreSQL looks each email up in the (account_id, email_lower) index, one at a time,
# whatever it believes of the account. An account whose leads came in minutes ago is not
# in its statistics yet ("about one lead"): with the account as a constant and the emails
# as a set it read every lead of the account through another of its indexes and matched
# them (17 ms for 1000 emails in an account of 20,000, against ~4; each batch of an import
# into a new account reading every lead the import had made so far). So the account's id
# comes from a subquery the planner may not merge (``OFFSET 0``: to it, any one account)
# and each email is looked up by a ``LATERAL`` subquery it may not merge either (``OFFSET
# 0``, or the row lock), where the unique index is the one that matches both conditions
# (test_postgres_plans.py).
_PG_ACCOUNT = (
    select(cast(bindparam("account_id"), String()).label("id"))
    .offset(literal_column("0"))
    .subquery("account")
)
_PG_EMAILS = (
    func.unnest(cast(bindparam("emails"), postgresql.ARRAY(Text())))
    .table_valued("email")
    .render_derived()
    .alias("given")
)


def _by_emails_postgres(columns: Sequence[Column[Any]], for_update: bool) -> Select[Any]:
    """PostgreSQL: these columns of the leads holding the emails, in the emails' order
    (callers give them sorted: with ``for_update``, the order the rows are locked in)."""
    lookup = select(*columns).where(
        leads.c.account_id == _PG_ACCOUNT.c.id, leads.c.email_lower == _PG_EMAILS.c.email
    )
    held = (lookup.with_for_update() if for_update else lookup.offset(literal_column("0"))).lateral(
        "held"
    )
    return (
        select(*(held.c[column.name] for column in columns))
        .select_from(_PG_ACCOUNT.join(_PG_EMAILS, true()).join(held, true()))
        .order_by(_PG_EMAILS.c.email)
    )


def _by_emails_sqlite(columns: Sequence[Column[Any]]) -> Select[Any]:
    return (
        select(*columns)
        .where(
            leads.c.account_id == bindparam("account_id"),
            leads.c.email_lower.in_(_SQLITE_EMAILS),
        )
        .order_by(leads.c.email_lower)
    )


# Which of the emails leads of the account hold; the leads holding them, and the same locked
# for update in email order (two batches lock alike).
HELD_EMAILS = {
    "postgresql": _by_emails_postgres([leads.c.email_lower], for_update=False),
    "sqlite": _by_emails_sqlite([leads.c.email_lower]),
}
BY_EMAILS = {
    "postgresql": _by_emails_postgres(LEAD_COLUMNS, for_update=False),
    "sqlite": _by_emails_sqlite(LEAD_COLUMNS),
}
BY_EMAILS_FOR_UPDATE = {
    "postgresql": _by_emails_postgres(LEAD_COLUMNS, for_update=True),
    "sqlite": BY_EMAILS["sqlite"],  # SQLite: the write lock is held; no row locks
}


def emails_value(dialect: str, emails_lower: Sequence[str]) -> Any:
    """The emails as ``_PG_EMAILS`` and ``_SQLITE_EMAILS`` take them (or the ids as ``BY_IDS``
    does)."""
    return list(emails_lower) if dialect == "postgresql" else encode_json_text(emails_lower)


# Leads by id (the ids given as one value, as the emails above: ``:emails``), in id order;
# and the same locked for update, in that order. Each id is looked up in the primary key,
# whatever the planner believes of the account: an account's leads imported a minute ago are
# not in PostgreSQL's statistics yet, and with the account's condition beside the ids it
# read the account's every lead through an account index instead (30 ms for 100 ids among
# 20,000, against 0.9; SQLite did the same: 16 ms for 100 among 100,000, against 0.1). So
# PostgreSQL finds the ids in a subquery it may not merge (``OFFSET 0``) and keeps the
# account's rows; SQLite joins the ids to the leads. (Locking, PostgreSQL locks the rows of
# the ids before the account's condition: callers pass ids they read from the account.)
_PG_IDS = (
    select(*LEAD_COLUMNS, leads.c.account_id)
    .where(leads.c.id == any_(cast(bindparam("emails"), postgresql.ARRAY(Text()))))
    .order_by(leads.c.id)  # locked in id order: two write-backs never wait for each other
    .offset(literal_column("0"))
)
_SQLITE_IDS = func.json_each(bindparam("emails")).table_valued("value").alias("given")


def _by_ids(dialect: str, for_update: bool) -> Select[Any]:
    if dialect == "sqlite":
        return (
            select(*LEAD_COLUMNS)
            .select_from(_SQLITE_IDS.join(leads, leads.c.id == _SQLITE_IDS.c.value))
            .where(leads.c.account_id == bindparam("account_id"))
            .order_by(leads.c.id)
        )
    found = (_PG_IDS.with_for_update() if for_update else _PG_IDS).subquery("found")
    return (
        select(*(found.c[column.name] for column in LEAD_COLUMNS))
        .where(found.c.account_id == bindparam("account_id"))
        .order_by(found.c.id)
    )


BY_IDS = {dialect: _by_ids(dialect, for_update=False) for dialect in ("postgresql", "sqlite")}
BY_IDS_FOR_UPDATE = {dialect: _by_ids(dialect, for_update=True) for dialect in BY_IDS}


@lru_cache(maxsize=64)
def update_of(names: tuple[str, ...]) -> Any:
    """SQLite: a lead's row written over, these columns only (``updated_account``,
    ``updated_id``, and ``set_<column>`` for each)."""
    return (
        update(leads)
        .where(
            leads.c.account_id == bindparam("updated_account"),
            leads.c.id == bindparam("updated_id"),
        )
        .values(
            {leads.c[name]: bindparam(f"set_{name}", type_=leads.c[name].type) for name in names}
        )
    )
