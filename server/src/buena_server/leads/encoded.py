"""A lead's JSON as the API encodes it (``GET /leads/{id}``), built by SQLite.

An NDJSON export on SQLite sends every lead's line as SQLite writes it, so that no row is
decoded into Python objects and encoded again. The expression follows the API's encoder
(msgspec, on the ``Lead`` Struct) exactly: the fields in the Struct's order, compact
separators, text escaped by ``json_quote`` as msgspec escapes it (``\\"``, ``\\\\``,
``\\b \\f \\n \\r \\t``, other control characters as lower-case ``\\u00XX``, everything else
as it is, UTF-8), null as ``null``, times (stored as UTC ``YYYY-MM-DD HH:MM:SS.ffffff``) as
``YYYY-MM-DDTHH:MM:SS[.ffffff]Z`` (the fraction only when it is not zero), and the JSON
columns as they are stored: every write stores them as ``encode_json_text`` (the same
encoder) writes them, which a value decoded and encoded again reproduces byte for byte.
``tests/test_leads_export.py`` holds the two encodings equal, byte for byte.

PostgreSQL is not asked to do the same: its expressions cost more than the server's own
decoding and encoding (docs/design.md, "Bulk import and export").
"""

from __future__ import annotations

from sqlalchemy import JSON, ColumnElement, Text, literal_column

from buena_server.leads.schemas import Lead
from buena_server.tables import UTCDateTime, leads


def _value(name: str) -> str:
    column = leads.c[name]
    stored = f"leads.{name}"
    if isinstance(column.type, JSON):
        return stored  # as the API encodes it (the module docstring)
    if isinstance(column.type, UTCDateTime):
        # "2026-01-02 03:04:05.000000" -> "2026-01-02T03:04:05Z", else the fraction is kept.
        clock = (
            f"CASE WHEN substr({stored}, 20) = '.000000' THEN substr({stored}, 12, 8) "
            f"ELSE substr({stored}, 12) END"
        )
        return f"'\"' || substr({stored}, 1, 10) || 'T' || {clock} || 'Z\"'"
    return f"json_quote({stored})"  # null as null


def _lead_json() -> ColumnElement[str]:
    pieces: list[str] = []
    for index, name in enumerate(Lead.__struct_fields__):
        key = ("{" if index == 0 else ",") + f'"{name}":'
        pieces.extend((f"'{key}'", _value(name)))
    pieces.append("'}'")
    # || rather than concat(), which SQLite has only from 3.44; no piece is ever null.
    return literal_column(" || ".join(pieces), Text()).label("line")


# One expression over a ``leads`` row: the lead's JSON, without a line break.
LEAD_JSON = _lead_json()
