"""Every read of the leads table (``LeadRepository`` adds the writes). All of them are
scoped to one account."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
from sqlalchemy import bindparam, select

from buena_server.kit.driver import Connection
from buena_server.leads.grouped import (
    BY_EMAILS,
    BY_EMAILS_FOR_UPDATE,
    BY_IDS,
    BY_IDS_FOR_UPDATE,
    HELD_EMAILS,
    emails_value,
)
from buena_server.leads.listing import (
    LEAD_COLUMNS,
    LeadFilters,
    LeadQuery,
    Shape,
    custom_keys_statement,
    export_statement,
    list_values,
    page_statement,
    shape_of,
    total_statement,
)
from buena_server.leads.schemas import Lead
from buena_server.tables import leads

_ENCODER = msgspec.json.Encoder()

# The statements every create and read runs, built once with named parameters: building a
# statement and computing its cache key costs more than running it on an indexed row.
_GET = select(*LEAD_COLUMNS).where(
    leads.c.account_id == bindparam("account_id"), leads.c.id == bindparam("lead_id")
)
_GET_FOR_UPDATE = _GET.with_for_update()
_ID_BY_EMAIL = select(leads.c.id).where(
    leads.c.account_id == bindparam("account_id"), leads.c.email_lower == bindparam("email_lower")
)


# A lead as an export encodes it: ``Lead``'s fields in its order, the JSON columns the text
# stored (``Raw``, not decoded), the times the API's text (``exported_time``), so that its
# JSON is the lead's as ``GET /leads/{id}`` writes it. (msgspec encodes a value by what it
# is; the types matter only for decoding, which this struct never does.)
StoredLead = msgspec.defstruct(
    "StoredLead", [(name, Any) for name in Lead.__struct_fields__], module=__name__
)


# What completes PostgreSQL's UTC text of a time ("2024-01-02T03:04:05", the fraction's
# trailing zeros left out) into the API's: six fraction digits when there is a fraction, "Z".
_TIME_ENDS = {19: "Z", **{length: "0" * (26 - length) + "Z" for length in range(21, 27)}}


def exported_time(text: str) -> str:
    return text + _TIME_ENDS[len(text)]


def _stored_leads(rows: Sequence[Sequence[Any]]) -> list[msgspec.Struct]:
    """The rows of ``export_statement`` (PostgreSQL), in ``Lead``'s field order."""
    raw, ends = msgspec.Raw, _TIME_ENDS
    # fmt: off
    return [
        StoredLead(
            r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], raw(r[10]), raw(r[11]),
            r[12], r[13] + ends[len(r[13])], r[14] + ends[len(r[14])],
        )
        for r in rows
    ]
    # fmt: on


class ExportedRows:
    """A chunk of an export as read: its lines are made apart from the read (``lines``), so
    that the next chunk's read can start first (``leads/export.py``)."""

    __slots__ = ("_encoded", "rows")

    def __init__(self, rows: list[tuple[Any, ...]], *, encoded: bool) -> None:
        self.rows = rows
        self._encoded = encoded  # PostgreSQL's rows are encoded here, SQLite's are lines

    def lines(self) -> bytes:
        """Each lead's JSON on a line of its own."""
        if not self.rows:
            return b""
        if self._encoded:
            return _ENCODER.encode_lines(_stored_leads(self.rows))
        return b"\n".join([row[0] for row in self.rows] + [b""])

    def last(self) -> Lead | None:
        """The chunk's last lead (where the next chunk starts after), from its line alone."""
        if not self.rows:
            return None
        if self._encoded:
            line = _ENCODER.encode(_stored_leads(self.rows[-1:])[0])
        else:
            line = self.rows[-1][0]
        return msgspec.json.decode(line, type=Lead)


def _lead(row: Sequence[Any]) -> Lead:
    # The columns are selected in the Struct's field order (_LEAD_COLUMNS).
    return Lead(*row)


class LeadReads:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def get(self, account_id: str, lead_id: str, *, for_update: bool = False) -> Lead | None:
        query = _GET_FOR_UPDATE if for_update else _GET
        result = await self.conn.execute(query, {"account_id": account_id, "lead_id": lead_id})
        row = result.first()
        return _lead(row) if row else None

    async def find_id_by_email(self, account_id: str, email_lower: str) -> str | None:
        result = await self.conn.execute(
            _ID_BY_EMAIL, {"account_id": account_id, "email_lower": email_lower}
        )
        found: str | None = result.scalar_one_or_none()
        return found

    async def find_by_emails(
        self, account_id: str, emails_lower: Sequence[str], *, for_update: bool = False
    ) -> dict[str, Lead]:
        """The leads holding these (lower-cased) emails, by lower-cased email; with
        ``for_update``, locked in email order."""
        if not emails_lower:
            return {}
        dialect = self.conn.dialect.name
        query = (BY_EMAILS_FOR_UPDATE if for_update else BY_EMAILS)[dialect]
        emails = emails_value(dialect, sorted(set(emails_lower)))
        result = await self.conn.execute(query, {"account_id": account_id, "emails": emails})
        found = [_lead(row) for row in result.all()]
        return {lead.email.lower(): lead for lead in found}

    async def get_many(
        self, account_id: str, lead_ids: Sequence[str], *, for_update: bool = False
    ) -> dict[str, Lead]:
        """The account's leads among ``lead_ids``, by id; with ``for_update``, locked in id
        order."""
        if not lead_ids:
            return {}
        dialect = self.conn.dialect.name
        query = (BY_IDS_FOR_UPDATE if for_update else BY_IDS)[dialect]
        ids = emails_value(dialect, sorted(set(lead_ids)))
        result = await self.conn.execute(query, {"account_id": account_id, "emails": ids})
        return {lead.id: lead for lead in map(_lead, result.all())}

    async def held_emails(self, account_id: str, emails_lower: Sequence[str]) -> set[str]:
        """Which of these (lower-cased) emails leads of the account hold, read unlocked."""
        return await self._held(account_id, emails_lower)

    async def _held(self, account_id: str, emails_lower: Sequence[str]) -> set[str]:
        if not emails_lower:
            return set()
        dialect = self.conn.dialect.name
        found = await self.conn.execute(
            HELD_EMAILS[dialect],
            {"account_id": account_id, "emails": emails_value(dialect, emails_lower)},
        )
        return set(found.scalars())

    async def find_page(
        self, account_id: str, query: LeadQuery, *, total: bool = True
    ) -> tuple[Sequence[Lead], int | None, bool]:
        """A page of leads, how many leads the list holds in all (unless ``total`` is
        false), and whether more follow the page."""
        dialect = self.conn.dialect.name
        shape = shape_of(query.filters)
        values = list_values(account_id, query.filters)
        page = page_statement(
            shape,
            dialect,
            query.sort,
            query.order == "asc",
            query.after is not None,
            bool(query.offset),
        )
        # One row beyond the page says whether another page follows.
        given = {**values, "limit": query.limit + 1}
        if query.offset:
            given["offset"] = query.offset
        if query.after is not None:
            given["after_value"], given["after_id"] = query.after
        rows = (await self.conn.execute(page, given)).all()
        more = len(rows) > query.limit
        counted = await self._total(shape, dialect, values) if total else None
        return [_lead(row) for row in rows[: query.limit]], counted, more

    async def count(self, account_id: str, filters: LeadFilters) -> int:
        """How many of the account's leads ``filters`` select."""
        dialect = self.conn.dialect.name
        return await self._total(shape_of(filters), dialect, list_values(account_id, filters))

    async def _total(self, shape: Shape, dialect: str, values: dict[str, Any]) -> int:
        """The count of a list whose shape and values the caller has at hand."""
        statement = total_statement(shape, dialect)
        return int((await self.conn.execute(statement, values)).scalar_one())

    async def exported_rows(self, account_id: str, query: LeadQuery) -> ExportedRows:
        """Up to ``query.limit`` leads of the list ``query`` selects, past ``query.after``,
        as rows that ``ExportedRows.lines`` makes into each lead's JSON (as
        ``GET /leads/{id}`` answers it) on a line of its own.

        No JSON column is decoded (``leads/encoded.py`` says why the stored text is the
        API's encoding): SQLite writes the whole line; PostgreSQL's leads are encoded here,
        the JSON columns as they come (msgspec writes a ``Raw`` value as it is), which costs
        less than PostgreSQL building the line (docs/design.md)."""
        dialect = self.conn.dialect.name
        statement = export_statement(
            shape_of(query.filters),
            dialect,
            query.sort,
            query.order == "asc",
            query.after is not None,
        )
        given = {**list_values(account_id, query.filters), "limit": query.limit}
        if query.after is not None:
            given["after_value"], given["after_id"] = query.after
        rows = (await self.conn.execute(statement, given)).all()
        return ExportedRows(rows, encoded=dialect == "postgresql")

    async def custom_field_keys(self, account_id: str, filters: LeadFilters) -> list[str]:
        """Every custom field key among the leads ``filters`` select, sorted."""
        dialect = self.conn.dialect.name
        statement = custom_keys_statement(shape_of(filters), dialect)
        result = await self.conn.execute(statement, list_values(account_id, filters))
        return [str(key) for key in result.scalars()]
