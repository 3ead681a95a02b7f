"""The grouped statements of lead writes on PostgreSQL: the creates (and the batch's
updates) that arrive together, each column's values given as one array, run as one statement
with their counters and events (driver ``StatementGroups``; ``LeadRepository`` runs them)."""

from __future__ import annotations

from sqlalchemy import JSON, text
from sqlalchemy.sql.elements import TextClause

from buena_server.events.repository import GROUPED_CTES
from buena_server.tables import COUNTER_SLOTS, UTCDateTime, leads

# PostgreSQL, in a single-write block: the creates that arrive together inserted and counted
# by one statement (driver StatementGroups), each column's values given as one array. Rows
# go in ordered by (account, email), and counters by (account, status), so that two groups
# never wait for each other's rows in opposite orders; the leads are all inserted before
# any counter is touched (the GROUP BY reads every inserted row first). A second create of
# an email in the same group, like one of an email already taken, inserts nothing and
# returns no row. JSON travels as text, serialized as the JSON columns' own bind processor
# does (encode_json_text). Each inserted lead's lead.created event and its deliveries are
# written by the same statement (events/repository.py, GROUPED_CTES): none for a lead not
# inserted.
JSON_COLUMNS = tuple(column.name for column in leads.c if isinstance(column.type, JSON))


def _insert_together() -> TextClause:
    names = [column.name for column in leads.c]
    arrays, selected = [], []
    for column in leads.c:
        kind = "TIMESTAMPTZ" if isinstance(column.type, UTCDateTime) else "TEXT"
        arrays.append(f"CAST(:{column.name} AS {kind}[])")
        given = f"given.{column.name}"
        selected.append(f"CAST({given} AS JSON)" if column.name in JSON_COLUMNS else given)
    # Built from the table's own column names; every value is a bound parameter.
    return text(
        f"""WITH inserted AS (
    INSERT INTO leads ({", ".join(names)})
    SELECT {", ".join(selected)}
    FROM unnest({", ".join(arrays)}) AS given({", ".join(names)})
    ORDER BY given.account_id, given.email_lower
    ON CONFLICT (account_id, email_lower) DO NOTHING
    RETURNING id, account_id, status, created_at
), counted AS (
    INSERT INTO lead_counts (account_id, status, slot, count)
    SELECT account_id, status, CAST(floor(random() * {COUNTER_SLOTS}) AS SMALLINT), count(*)
    FROM inserted
    GROUP BY account_id, status
    ORDER BY account_id, status
    ON CONFLICT (account_id, status, slot) DO UPDATE SET count = lead_counts.count + excluded.count
), {GROUPED_CTES("inserted")}
SELECT id FROM inserted"""  # noqa: S608
    )


INSERT_TOGETHER = _insert_together()


def _update_together() -> TextClause:
    """PostgreSQL: leads written over (each column's values one array), and the events the
    changes made (any number per lead, in ``noted_*`` arrays, each with its own time), by
    one statement; an event is written only with its lead's row."""
    names = [column.name for column in leads.c if column.name != "account_id"]
    arrays, assigned = [], []
    for column in leads.c:
        if column.name == "account_id":
            continue
        kind = "TIMESTAMPTZ" if isinstance(column.type, UTCDateTime) else "TEXT"
        arrays.append(f"CAST(:{column.name} AS {kind}[])")
        given = f"given.{column.name}"
        if column.name != "id":
            value = f"CAST({given} AS JSON)" if column.name in JSON_COLUMNS else given
            assigned.append(f"{column.name} = {value}")
    noted = (
        "unnest(CAST(:noted_lead AS TEXT[]), CAST(:noted_event AS TEXT[]), "
        "CAST(:noted_at AS TIMESTAMPTZ[])) AS noted(lead_id, event_id, created_at)"
    )
    # Built from the table's own column names; every value is a bound parameter.
    return text(
        f"""WITH updated AS (
    UPDATE leads SET {", ".join(assigned)}
    FROM unnest({", ".join(arrays)}) AS given({", ".join(names)})
    WHERE leads.account_id = :updated_account AND leads.id = given.id
    RETURNING leads.id, leads.account_id
), noted AS (
    SELECT noted.event_id AS id, updated.account_id, noted.created_at
    FROM updated JOIN {noted} ON noted.lead_id = updated.id
), {GROUPED_CTES("noted")}
SELECT count(*) FROM updated"""  # noqa: S608
    )


UPDATE_TOGETHER = _update_together()
