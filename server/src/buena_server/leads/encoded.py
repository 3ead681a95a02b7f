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

PostgreSQL is not asked to write the line: escaping text per column costs it more than
the server's encoding (docs/design.md, the export); there the server writes the line around
the stored JSON, sent as it is too (``LeadRepository.exported_rows``).
"""

from __future__ import annotations

from sqlalchemy import JSON, ColumnElement, literal_column

from buena_server.leads.schemas import Lead
from buena_server.tables import UTCDateTime, leads


def _value(name: str) -> tuple[str, str, str]:
    """(text before, the value's expression, text after) of one field's value."""
    column = leads.c[name]
    stored = f"leads.{name}"
    if isinstance(column.type, JSON):
        return "", stored, ""  # as the API encodes it (the module docstring)
    if isinstance(column.type, UTCDateTime):
        # "2026-01-02 03:04:05.000000" -> "2026-01-02T03:04:05Z"; a fraction that is not
        # zero is kept. The stored text has one space and at most one fraction.
        return '"', f"replace(replace({stored}, ' ', 'T'), '.000000', '')", 'Z"'
    return "", f"json_quote({stored})", ""  # null as null


def _lead_json() -> ColumnElement[bytes]:
    pieces: list[str] = []
    text = "{"  # the literal text since the last value
    for index, name in enumerate(Lead.__struct_fields__):
        before, value, after = _value(name)
        pieces.extend((f"'{text}{',' if index else ''}\"{name}\":{before}'", value))
        text = after
    pieces.append(f"'{text}}}'")
    # || rather than concat(), which SQLite has only from 3.44; no piece is ever null. As a
    # BLOB: sqlite3 hands over its UTF-8 bytes as they are, with no str made and encoded.
    return literal_column(f"CAST({' || '.join(pieces)} AS BLOB)").label("line")


# One expression over a ``leads`` row: the lead's JSON in UTF-8, without a line break.
LEAD_JSON = _lead_json()
