"""Every query on lead_enrichments: a stored lead's enrichment provenance."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
from sqlalchemy import bindparam, func, select, text
from sqlalchemy.dialects import sqlite

from buena_server.kit.driver import Connection
from buena_server.tables import lead_enrichments

_COLUMNS = (
    lead_enrichments.c.enriched_at,
    lead_enrichments.c.sources,
    lead_enrichments.c.confidence,
    lead_enrichments.c.fields,
)


# Several leads' provenance rows: the lead ids given as one value (an array on PostgreSQL,
# looked up in the primary key by ``= ANY``; a JSON array on SQLite).
# The provenance of several leads written by one statement (SQLite: one executemany): each
# row's ``fields`` are merged into those the lead held, key by key (a field enriched again
# replaces its entry; the others stay), by the database, so nothing is read first.
_SAVE_ONE = (
    sqlite.insert(lead_enrichments)
    .values({column.name: bindparam(column.name) for column in lead_enrichments.c})
    .on_conflict_do_update(
        index_elements=[lead_enrichments.c.lead_id],
        set_={
            "enriched_at": bindparam("enriched_at"),
            "sources": bindparam("sources"),
            "confidence": bindparam("confidence"),
            "fields": func.json_patch(lead_enrichments.c.fields, bindparam("fields")),
        },
    )
)
_SAVE_MANY = text(
    "INSERT INTO lead_enrichments (lead_id, account_id, enriched_at, sources, confidence, "
    "fields) SELECT * FROM json_to_recordset(CAST(:rows AS JSON)) AS given(lead_id TEXT, "
    "account_id TEXT, enriched_at TIMESTAMPTZ, sources JSON, confidence JSON, fields JSON) "
    "ORDER BY lead_id "
    "ON CONFLICT (lead_id) DO UPDATE SET enriched_at = excluded.enriched_at, "
    "sources = excluded.sources, confidence = excluded.confidence, "
    "fields = CAST(CAST(lead_enrichments.fields AS JSONB) || CAST(excluded.fields AS JSONB) "
    "AS JSON)"
)
_rows_encoder = msgspec.json.Encoder()


class LeadEnrichmentRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def get(self, account_id: str, lead_id: str) -> dict[str, Any] | None:
        """The lead's provenance row (enriched_at, sources, confidence, fields), or None."""
        result = await self.conn.execute(
            select(*_COLUMNS).where(
                lead_enrichments.c.account_id == account_id,
                lead_enrichments.c.lead_id == lead_id,
            )
        )
        return result.mappings().first()

    async def save_many(self, rows: Sequence[dict[str, Any]]) -> None:
        """Write these leads' provenance: each row has ``lead_id``, ``account_id``,
        ``enriched_at``, ``sources``, ``confidence`` and ``fields`` (the fields written by
        this run, merged into those the lead's provenance held)."""
        if not rows:
            return
        if self.conn.dialect.name == "postgresql":
            encoded = _rows_encoder.encode(list(rows)).decode()
            await self.conn.execute(_SAVE_MANY, {"rows": encoded})
        else:
            await self.conn.execute_many(_SAVE_ONE, rows)
