"""GET /leads/export: every lead a list's filters select, as NDJSON or CSV, streamed.

The leads are read chunk by chunk in keyset order (each chunk one indexed query in its own
read transaction, after the last lead of the one before), and each chunk is sent whole:
server memory stays at a chunk or two whatever the account's size, and no connection is
held while the client reads. Like cursor paging, a lead present throughout the export is
sent exactly once; one created or deleted meanwhile may or may not be.

NDJSON lines come from ``LeadRepository.exported_rows`` (no JSON column decoded and encoded
again), and the next chunk's read goes out before a chunk is encoded: the database reads
one chunk while the server encodes and sends the other. CSV rows are encoded here from the
leads, a chunk read, then sent.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator, Sequence
from typing import Any

import msgspec

from buena_server.kit.cursor import Position
from buena_server.kit.driver import Database
from buena_server.leads.listing import LeadFilters, LeadQuery, sort_value
from buena_server.leads.reads import ExportedRows
from buena_server.leads.repository import LeadRepository
from buena_server.leads.schemas import Lead

EXPORT_FORMATS = ("ndjson", "csv")
# Litestar adds "; charset=utf-8" to text/ types.
MEDIA_TYPES = {"ndjson": "application/x-ndjson", "csv": "text/csv"}
CSV_COLUMNS = (
    "id",
    "first_name",
    "last_name",
    "email",
    "company",
    "phone",
    "linkedin_url",
    "job_title",
    "location",
    "notes",
    "tags",
    "status",
    "created_at",
    "updated_at",
)
CUSTOM_PREFIX = "custom_fields."
TAG_SEPARATOR = "|"
_ENCODER = msgspec.json.Encoder()


async def custom_field_keys(database: Database, account_id: str, filters: LeadFilters) -> list[str]:
    async with database.transaction(write=False) as conn:
        return await LeadRepository(conn).custom_field_keys(account_id, filters)


async def exported_leads(
    database: Database, account_id: str, query: LeadQuery, chunk_size: int
) -> AsyncIterator[Sequence[Lead]]:
    """The leads ``query`` selects, in its order, ``chunk_size`` at a time."""
    after: Position | None = None
    while True:
        chunk = LeadQuery(query.filters, query.sort, query.order, chunk_size, after=after)
        async with database.transaction(write=False) as conn:
            leads, _total, more = await LeadRepository(conn).find_page(
                account_id, chunk, total=False
            )
        if leads:
            yield leads
        if not more:
            return
        last = leads[-1]
        after = Position(sort_value(last, query.sort), last.id)


async def ndjson_lines(
    database: Database, account_id: str, query: LeadQuery, chunk_size: int
) -> AsyncIterator[bytes]:
    """The leads ``query`` selects, in its order, as NDJSON, ``chunk_size`` leads a piece:
    the database reads the next chunk while the server encodes and sends this one (two in
    memory at most)."""
    reading = asyncio.ensure_future(_rows(database, account_id, query, chunk_size, None))
    try:
        while (last := (chunk := await asyncio.shield(reading)).last()) is not None:
            # The next chunk starts after the last lead of this one: its read goes out
            # before this chunk is encoded.
            after = Position(sort_value(last, query.sort), last.id)
            reading = asyncio.ensure_future(_rows(database, account_id, query, chunk_size, after))
            await asyncio.sleep(0)  # the read's first step: its statement goes out
            yield chunk.lines()
    finally:
        # A client gone mid-export: the chunk being read finishes (a SQLite read in a worker
        # thread cannot be stopped, and its connection must not go back to the pool first),
        # and nothing waits for it.
        if not reading.done():
            await asyncio.wait([reading])
        if not reading.cancelled():
            reading.exception()


async def _rows(
    database: Database, account_id: str, query: LeadQuery, size: int, after: Position | None
) -> ExportedRows:
    chunk = LeadQuery(query.filters, query.sort, query.order, size, after=after)
    async with database.transaction(write=False) as conn:
        return await LeadRepository(conn).exported_rows(account_id, chunk)


async def csv_rows(
    chunks: AsyncIterator[Sequence[Lead]], custom_keys: Sequence[str]
) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([*CSV_COLUMNS, *(CUSTOM_PREFIX + key for key in custom_keys)])
    async for leads in chunks:
        for lead in leads:
            writer.writerow(csv_row(lead, custom_keys))
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():  # the header of an empty export
        yield buffer.getvalue().encode("utf-8")


def csv_row(lead: Lead, custom_keys: Sequence[str]) -> list[str]:
    """One lead's CSV cells: null as empty, tags joined by "|", times as in JSON, custom
    field values that are not strings JSON-encoded."""
    plain: dict[str, Any] = msgspec.to_builtins(lead)
    cells = []
    for name in CSV_COLUMNS:
        value = plain[name]
        if name == "tags":
            cells.append(TAG_SEPARATOR.join(value))
        else:
            cells.append("" if value is None else str(value))
    custom = lead.custom_fields
    for key in custom_keys:
        if key not in custom:
            cells.append("")
        else:
            value = custom[key]
            cells.append(value if isinstance(value, str) else _ENCODER.encode(value).decode())
    return cells
