"""Every query on lead_enrichments: a stored lead's enrichment provenance."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
from sqlalchemy import Text, any_, bindparam, cast, func, literal_column, select, text
from sqlalchemy.dialects import postgresql, sqlite

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
_GIVEN_IDS = {
    "postgresql": lead_enrichments.c.lead_id
    == any_(cast(bindparam("lead_ids"), postgresql.ARRAY(Text()))),
    "sqlite": lead_enrichments.c.lead_id.in_(
        select(literal_column("value")).select_from(func.json_each(bindparam("lead_ids")))
    ),
}
_GET_MANY = {
    dialect: select(lead_enrichments.c.lead_id, *_COLUMNS).where(
        lead_enrichments.c.account_id == bindparam("account_id"), given
    )
    for dialect, given in _GIVEN_IDS.items()
}
_SAVED = ("enriched_at", "sources", "confidence", "fields")
# SQLite: one row's upsert (run by executemany); PostgreSQL: the rows given as one JSON array
# of objects, in one statement.
_SAVE_ONE = (
    sqlite.insert(lead_enrichments)
    .values({column.name: bindparam(column.name) for column in lead_enrichments.c})
    .on_conflict_do_update(
        index_elements=[lead_enrichments.c.lead_id],
        set_={name: bindparam(name) for name in _SAVED},
    )
)
_SAVE_MANY = text(
    "INSERT INTO lead_enrichments (lead_id, account_id, enriched_at, sources, confidence, "
    "fields) SELECT * FROM json_to_recordset(CAST(:rows AS JSON)) AS given(lead_id TEXT, "
    "account_id TEXT, enriched_at TIMESTAMPTZ, sources JSON, confidence JSON, fields JSON) "
    "ORDER BY lead_id "
    "ON CONFLICT (lead_id) DO UPDATE SET enriched_at = excluded.enriched_at, "
    "sources = excluded.sources, confidence = excluded.confidence, fields = excluded.fields"
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

    async def get_many(self, account_id: str, lead_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The provenance rows of these leads that have one, by lead id."""
        if not lead_ids:
            return {}
        dialect = self.conn.dialect.name
        given: Any = list(lead_ids)
        if dialect == "sqlite":
            given = _rows_encoder.encode(given).decode()
        result = await self.conn.execute(
            _GET_MANY[dialect], {"account_id": account_id, "lead_ids": given}
        )
        return {row["lead_id"]: dict(row) for row in result.mappings()}

    async def save_many(self, rows: Sequence[dict[str, Any]]) -> None:
        """Write these leads' provenance: each row has ``lead_id``, ``account_id``,
        ``enriched_at``, ``sources``, ``confidence`` and ``fields`` (already merged with
        what the lead held)."""
        if not rows:
            return
        if self.conn.dialect.name == "postgresql":
            encoded = _rows_encoder.encode(list(rows)).decode()
            await self.conn.execute(_SAVE_MANY, {"rows": encoded})
        else:
            await self.conn.execute_many(_SAVE_ONE, rows)
