"""Every query on lead_enrichments: a stored lead's enrichment provenance."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from buena_server.kit.driver import Connection
from buena_server.tables import lead_enrichments

_COLUMNS = (
    lead_enrichments.c.enriched_at,
    lead_enrichments.c.sources,
    lead_enrichments.c.confidence,
    lead_enrichments.c.fields,
)
_UPSERT = {
    name: dialect.insert(lead_enrichments)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


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

    async def save(
        self,
        account_id: str,
        lead_id: str,
        *,
        enriched_at: datetime,
        sources: list[str],
        confidence: float,
        fields: dict[str, Any],
    ) -> None:
        """Write the lead's provenance (``fields`` already merged with what it held)."""
        values = {
            "enriched_at": enriched_at,
            "sources": sources,
            "confidence": confidence,
            "fields": fields,
        }
        insert = _UPSERT[self.conn.dialect.name]
        statement = insert.values(lead_id=lead_id, account_id=account_id, **values)
        await self.conn.execute(
            statement.on_conflict_do_update(
                index_elements=[lead_enrichments.c.lead_id], set_=values
            )
        )
