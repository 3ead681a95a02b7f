"""Every query on the leads table. All of them are scoped to one account."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy import (
    BigInteger,
    bindparam,
    delete,
    insert,
    literal_column,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.sql.dml import ReturningInsert
from sqlalchemy.types import SmallInteger

from buena_server.events.repository import (
    EventRepository,
    NewEvent,
    grouped_arrays,
    grouped_values,
)
from buena_server.kit.db import encode_json_text
from buena_server.leads.grouped import (
    INSERT_MANY,
    INSERT_MANY_UNCOUNTED,
    INSERT_TOGETHER,
    JSON_COLUMNS,
    UPDATE_MANY,
    update_of,
)
from buena_server.leads.listing import LEAD_COLUMNS
from buena_server.leads.reads import LeadReads
from buena_server.leads.schemas import LEAD_STATUSES, Lead
from buena_server.table_types import sqlite_time_text
from buena_server.tables import COUNTER_SLOTS, lead_counts, leads


class DuplicateEmail(Exception):
    def __init__(self, existing_id: str) -> None:
        super().__init__(existing_id)
        self.existing_id = existing_id


_LEAD_COLUMNS = LEAD_COLUMNS

_DELETE = (
    delete(leads)
    .where(leads.c.account_id == bindparam("account_id"), leads.c.id == bindparam("lead_id"))
    .returning(*_LEAD_COLUMNS)
)
_UPDATE = (
    update(leads)
    .where(
        leads.c.account_id == bindparam("updated_account"), leads.c.id == bindparam("updated_id")
    )
    .values(
        {
            column: bindparam(f"set_{column.name}", type_=column.type)
            for column in leads.c
            if column.name not in ("id", "account_id")
        }
    )
)


# INSERT ... ON CONFLICT (account_id, email_lower) DO NOTHING RETURNING id: a duplicate email
# inserts nothing and returns no row, without a savepoint around the insert.
_INSERT: ReturningInsert[Any] = (
    sqlite.insert(leads)
    .on_conflict_do_nothing(index_elements=[leads.c.account_id, leads.c.email_lower])
    .returning(literal_column("1"))
)
# A counter row (account, status, slot) takes what a new row would have set, added to it.
_COUNTER_KEY = [lead_counts.c.account_id, lead_counts.c.status, lead_counts.c.slot]
_ADD_TO_COUNT = {"count": lead_counts.c.count + literal_column("excluded.count")}
# Adds ``delta`` to one slot of the counter, creating the slot's row on first use.
_COUNT = {
    name: dialect.insert(lead_counts)
    .values(
        account_id=bindparam("counted_account"),
        status=bindparam("counted_status"),
        slot=bindparam("counted_slot"),
        count=bindparam("delta"),
    )
    .on_conflict_do_update(index_elements=_COUNTER_KEY, set_=_ADD_TO_COUNT)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}
# PostgreSQL: the insert and its counter in one statement (one round trip instead of two);
# a row comes back when the lead was inserted.
_INSERTED = (
    postgresql.insert(leads)
    .values({column.name: bindparam(f"new_{column.name}") for column in leads.c})
    .on_conflict_do_nothing(index_elements=[leads.c.account_id, leads.c.email_lower])
    .returning(leads.c.account_id, leads.c.status)
    .cte("inserted")
)
_INSERT_COUNTED: ReturningInsert[Any] = (
    postgresql.insert(lead_counts)
    .from_select(
        ["account_id", "status", "slot", "count"],
        select(
            _INSERTED.c.account_id,
            _INSERTED.c.status,
            bindparam("counted_slot", type_=SmallInteger()),
            literal_column("1", BigInteger()),
        ),
    )
    .on_conflict_do_update(index_elements=_COUNTER_KEY, set_=_ADD_TO_COUNT)
    .returning(literal_column("1"))
    .add_cte(_INSERTED)
)


_INSERT_ROW = insert(leads)  # SQLite: a lead's row as it is written


class LeadRepository(LeadReads):
    """The reads (``LeadReads``, leads/reads.py) and every write."""

    async def create_counters(self, account_id: str) -> None:
        """Zero counters for a new account, one per status."""
        await self.conn.execute(
            lead_counts.insert().values(
                [{"account_id": account_id, "status": s, "count": 0} for s in LEAD_STATUSES]
            )
        )

    async def _count(self, account_id: str, changes: dict[str, int]) -> None:
        # A fixed order (by status) so that two transactions never wait on each other's
        # counter rows in opposite orders.
        for status, delta in sorted(changes.items()):
            if delta:
                await self.conn.execute(
                    _COUNT[self.conn.dialect.name],
                    {
                        "counted_account": account_id,
                        "counted_status": status,
                        "counted_slot": random.randrange(COUNTER_SLOTS),
                        "delta": delta,
                    },
                )

    async def insert(self, account_id: str, lead: Lead, event: NewEvent) -> None:
        """Insert and count the lead, and write ``event`` (its lead.created) with it."""
        values = {**_values(lead), "id": lead.id, "account_id": account_id}
        for _attempt in range(3):
            if await self._insert_counted(values, event):
                return
            existing = await self.find_id_by_email(account_id, values["email_lower"])
            if existing is not None:
                raise DuplicateEmail(existing)
            # The conflicting lead was deleted since: insert again.
        raise IntegrityError("INSERT INTO leads", None, Exception("email conflict kept moving"))

    async def _insert_counted(self, values: dict[str, Any], event: NewEvent) -> bool:
        """Insert the lead and count it, and write its event, unless its email is taken;
        whether it was."""
        if self.conn.runs_together:
            given = {
                **values,
                **{name: encode_json_text(values[name]) for name in JSON_COLUMNS},
                **grouped_values(event, subject=values["id"]),
            }
            lead_id = values["id"]
            try:
                result = await self.conn.execute_together(INSERT_TOGETHER, given)
            except OperationalError as exc:
                # The connection was lost after the statement went out: it may have committed
                # (a timeout cancels it). The database says which; otherwise the error stands.
                if isinstance(exc.orig, TimeoutError):
                    raise
                if await self.find_id_by_email(values["account_id"], values["email_lower"]) != (
                    lead_id
                ):
                    raise
                return True
            return result.row_starting(lead_id) is not None
        if self.conn.dialect.name == "postgresql":
            parameters = {f"new_{name}": value for name, value in values.items()}
            parameters["counted_slot"] = random.randrange(COUNTER_SLOTS)
            if (await self.conn.execute(_INSERT_COUNTED, parameters)).first() is None:
                return False
        else:
            if (await self.conn.execute(_INSERT, values)).first() is None:
                return False
            await self._count(values["account_id"], {values["status"]: 1})
        await EventRepository(self.conn).insert(event)
        return True

    async def insert_many(
        self,
        account_id: str,
        new: Sequence[tuple[Lead, NewEvent]],
        *,
        held: set[str] | None = None,
    ) -> set[str]:
        """Insert and count the leads whose email is free, each with its event; the ids of
        those inserted. Rows go in ordered by email, so that two calls never wait for each
        other's rows in opposite orders. SQLite: ``held``, the (lower-cased) emails of these
        leads that the account's leads hold, as read in this transaction (``held_emails``:
        under the write lock, so still true); read here when not given."""
        if not new:  # every item of the batch was refused: nothing to write
            return set()
        ordered = sorted(new, key=lambda pair: pair[0].email.lower())
        if self.conn.dialect.name != "postgresql":
            return await self._insert_free(account_id, ordered, held)
        # PostgreSQL: every lead, counter, event and job in one statement, as a group of
        # single creates runs.
        result = await self.conn.execute(INSERT_MANY, insert_rows(account_id, ordered))
        return {row[0] for row in result.all()}

    async def insert_uncounted(self, given: dict[str, Any]) -> dict[str, str]:
        """PostgreSQL: the leads of ``insert_rows`` whose email is free inserted, each with
        its event, but not counted (``move_counts``); the status of each, by id."""
        result = await self.conn.execute(INSERT_MANY_UNCOUNTED, given)
        return {row[0]: row[1] for row in result.all()}

    async def move_counts(self, account_id: str, changes: dict[str, int]) -> None:
        """Move the account's counters by these changes (status: delta)."""
        await self._count(account_id, changes)

    async def _insert_free(
        self, account_id: str, new: Sequence[tuple[Lead, NewEvent]], held: set[str] | None
    ) -> set[str]:
        """SQLite: the leads whose email is free, inserted by one ``executemany``, counted,
        their events written by another; their ids. The write lock (``BEGIN IMMEDIATE``)
        is held from the read of the taken emails to the insert: free when read is free."""
        taken = (
            set(held)  # the caller's: added to below
            if held is not None
            else await self._held(account_id, [lead.email.lower() for lead, _event in new])
        )
        free = []
        for lead, event in new:
            email_lower = lead.email.lower()
            if email_lower not in taken:
                taken.add(email_lower)  # a second lead of the email is refused
                free.append((lead, event))
        await self.conn.execute_many_stored(
            _INSERT_ROW, _STORED_NAMES, [_stored_row(lead, account_id) for lead, _event in free]
        )
        await self._count(account_id, Counter(lead.status for lead, _event in free))
        await EventRepository(self.conn).insert_many([event for _lead, event in free])
        return {lead.id for lead, _event in free}

    async def update(self, account_id: str, lead: Lead, previous: Lead) -> None:
        """Write the lead's new values over ``previous`` (the row as read for update)."""
        given = {f"set_{name}": value for name, value in _values(lead).items()}
        given.update(updated_account=account_id, updated_id=lead.id)
        if lead.email.lower() == previous.email.lower():
            # The unique email cannot conflict: no savepoint (two round trips) around it.
            await self.conn.execute(_UPDATE, given)
        else:
            await self._write_unique_email(account_id, lead.email, _UPDATE, given)
        if lead.status != previous.status:
            await self._count(account_id, {previous.status: -1, lead.status: 1})

    async def update_many(
        self,
        account_id: str,
        changed: Sequence[tuple[Lead, Lead]],
        new_events: Sequence[tuple[str, NewEvent]],
    ) -> None:
        """Write each lead over its ``previous`` (as read for update; the same email but for
        case), the events the changes made (each with its lead's id), and the counters'
        moves: one statement, then one per status whose count moved, on PostgreSQL (a batch
        in parts writes its own uncounted: ``updates_of``, ``write_updates``)."""
        if self.conn.dialect.name == "postgresql":
            deltas = await self.write_updates(updates_of(account_id, changed, new_events))
        else:
            deltas = status_moves(changed)
            # SQLite (the write lock held): one executemany per set of changed columns, as
            # SQLite rewrites the index entries of every column an UPDATE sets (~60 against
            # ~20 µs a row for a changed job title); the events by one more.
            written: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
            for lead, previous in changed:
                values = _changed_columns(lead, previous)
                stored = (_STORED.get(name, _as_is)(value) for name, value in values.items())
                written.setdefault(tuple(values), []).append((*stored, account_id, lead.id))
            for names, rows in written.items():
                bound = (*(f"set_{name}" for name in names), "updated_account", "updated_id")
                await self.conn.execute_many_stored(update_of(names), bound, rows)
            await EventRepository(self.conn).insert_many([event for _id, event in new_events])
        await self._count(account_id, deltas)

    async def write_updates(self, updates: Updates) -> dict[str, int]:
        """PostgreSQL: write ``updates`` (``updates_of``) by one statement, uncounted; the
        counters' moves they make, by status."""
        if updates.given is not None:
            await self.conn.execute(UPDATE_MANY, updates.given)
        return updates.deltas

    async def _write_unique_email(
        self, account_id: str, email: str, statement: Any, given: dict[str, Any]
    ) -> None:
        """Run a write guarded by the (account, email) unique index, never check-then-insert."""
        try:
            async with self.conn.begin_nested():
                await self.conn.execute(statement, given)
        except IntegrityError:
            existing = await self.find_id_by_email(account_id, email.lower())
            if existing is None:
                raise
            raise DuplicateEmail(existing) from None

    async def delete(self, account_id: str, lead_id: str) -> Lead | None:
        """Delete the lead; the lead as it was (read by the delete itself), or None."""
        row = (
            await self.conn.execute(_DELETE, {"account_id": account_id, "lead_id": lead_id})
        ).first()
        if row is None:
            return None
        lead = Lead(*row)
        await self._count(account_id, {lead.status: -1})
        return lead


def derived_values(
    first_name: str, last_name: str, email: str, company: str | None
) -> dict[str, Any]:
    """The lower-cased copies stored beside a lead (see tables.py)."""
    return {
        "email_lower": email.lower(),
        "first_name_lower": first_name.lower(),
        "last_name_lower": last_name.lower(),
        "full_name_lower": f"{first_name} {last_name}".lower(),
        "company_lower": company.lower() if company is not None else None,
    }


# SQLite: a lead's row as the batch binds it, values as stored (``execute_many_stored``):
# the JSON columns as their processor writes them (``encode_json_text``), the times as
# ``sqlite_time_text``. test_leads_batch.py holds a row written so equal, value for value
# and type for type, to one ``POST /leads`` wrote through the processors.
_STORED: dict[str, Callable[[Any], Any]] = {
    **dict.fromkeys(JSON_COLUMNS, encode_json_text),
    "created_at": sqlite_time_text,
    "updated_at": sqlite_time_text,
}
_STORED_NAMES = tuple(column.name for column in leads.c)  # the insert's own order


# The fields the lower-cased copies (derived_values) are made of.
_NAMED_BY = frozenset({"first_name", "last_name", "email", "company"})


def _changed_columns(lead: Lead, previous: Lead) -> dict[str, Any]:
    """The columns whose values differ between the two leads' rows, with the new values
    (the lead's fields, then the lower-cased copies of those that changed: ~3 against ~5 µs
    for comparing the two rows' every column)."""
    values = {
        name: value
        for name, value, old in zip(
            Lead.__struct_fields__,
            msgspec.structs.astuple(lead),
            msgspec.structs.astuple(previous),
            strict=True,
        )
        if value != old
    }
    if not _NAMED_BY.isdisjoint(values):
        derived = derived_values(lead.first_name, lead.last_name, lead.email, lead.company)
        before = derived_values(
            previous.first_name, previous.last_name, previous.email, previous.company
        )
        values.update((name, value) for name, value in derived.items() if value != before[name])
    return values


def _as_is(value: Any) -> Any:
    return value


def _stored_row(lead: Lead, account_id: str) -> tuple[Any, ...]:
    """The new lead's row in ``_STORED_NAMES`` order, as stored."""
    created = sqlite_time_text(lead.created_at)
    updated = created if lead.updated_at is lead.created_at else sqlite_time_text(lead.updated_at)
    return (
        lead.id,
        account_id,
        lead.first_name,
        lead.last_name,
        lead.email,
        lead.company,
        lead.phone,
        lead.linkedin_url,
        lead.job_title,
        lead.location,
        lead.notes,
        encode_json_text(lead.tags),
        encode_json_text(lead.custom_fields),
        lead.status,
        created,
        updated,
        *derived_values(lead.first_name, lead.last_name, lead.email, lead.company).values(),
    )


def _values(lead: Lead) -> dict[str, Any]:
    return {
        **derived_values(lead.first_name, lead.last_name, lead.email, lead.company),
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "email": lead.email,
        "company": lead.company,
        "phone": lead.phone,
        "linkedin_url": lead.linkedin_url,
        "job_title": lead.job_title,
        "location": lead.location,
        "notes": lead.notes,
        "tags": lead.tags,
        "custom_fields": lead.custom_fields,
        "status": lead.status,
        "created_at": lead.created_at,
        "updated_at": lead.updated_at,
    }


@dataclass(frozen=True, slots=True)
class Updates:
    """Leads' changes as PostgreSQL's ``UPDATE_MANY`` takes them (``given``; None when no
    lead changed), made before their turn on the connection comes (``LeadBatch``), and the
    counters' moves they make."""

    given: dict[str, Any] | None
    deltas: dict[str, int]


def updates_of(
    account_id: str,
    changed: Sequence[tuple[Lead, Lead]],
    new_events: Sequence[tuple[str, NewEvent]],
) -> Updates:
    """PostgreSQL: each lead written over its ``previous`` (``update_many``) and the events
    the changes made, as one statement's values."""
    deltas = status_moves(changed)
    if not changed:
        return Updates(None, deltas)
    given = {
        "rows": _json_rows(account_id, [lead for lead, _previous in changed]),
        "noted_lead": [lead_id for lead_id, _event in new_events],
        "noted_event": [event.id for _id, event in new_events],
        "noted_at": [event.created_at for _id, event in new_events],
        **grouped_arrays([(event.id, event) for _id, event in new_events]),
    }
    return Updates(given, deltas)


def status_moves(changed: Sequence[tuple[Lead, Lead]]) -> dict[str, int]:
    """The counters' moves of these leads written over their ``previous`` (by status);
    refused when one changes its email (case aside): a batch's writes keep each email."""
    deltas: dict[str, int] = {}
    for lead, previous in changed:
        if lead.email.lower() != previous.email.lower():
            raise ValueError("update_many keeps every lead's email (case aside)")
        if lead.status != previous.status:
            deltas[previous.status] = deltas.get(previous.status, 0) - 1
            deltas[lead.status] = deltas.get(lead.status, 0) + 1
    return deltas


def _json_rows(account_id: str, written: Sequence[Lead]) -> str:
    """PostgreSQL: the leads' rows as a batch's statements take them (``rows``: one JSON
    array of objects keyed by column name)."""
    return encode_json_text(
        [{**_values(lead), "id": lead.id, "account_id": account_id} for lead in written]
    )


def insert_rows(account_id: str, new: Sequence[tuple[Lead, NewEvent]]) -> dict[str, Any]:
    """PostgreSQL: the leads (in email order) and their events as the batch inserts take
    them."""
    return {
        "rows": _json_rows(account_id, [lead for lead, _event in new]),
        **grouped_arrays([(lead.id, event) for lead, event in new]),
    }
