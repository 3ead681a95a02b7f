"""Writing an enrichment back to its stored lead (``update_leads: true``): empty fields only,
through the lead's own PATCH rules and ``lead.updated`` event, with the provenance of each
field written and a ``lead.enriched`` event, all in the request's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from buena_server.enrichment.combine import Enrichment
from buena_server.enrichment.repository import LeadEnrichmentRepository
from buena_server.enrichment.schemas import EnrichedData
from buena_server.errors import ValidationFailed
from buena_server.events.catalogue import LEAD_ENRICHED
from buena_server.events.repository import EventRepository
from buena_server.events.service import new_event
from buena_server.leads.schemas import Lead, UpdateLeadRequest
from buena_server.leads.service import LeadService

# enriched_data's key → the lead's field it may fill. first_name, last_name and email are
# required on a lead, so never empty, so never written.
FILLABLE = {
    "company": "company",
    "phone": "phone",
    "linkedin_url": "linkedin_url",
    "title": "job_title",
    "location": "location",
}


def fills_for(lead: Lead, data: EnrichedData) -> dict[str, Any]:
    """What enrichment may write to ``lead``: the fields it left empty that ``data`` has."""
    return {
        field: value
        for key, field in FILLABLE.items()
        if (value := getattr(data, key)) and not getattr(lead, field)
    }


class WriteBack:
    def __init__(self, leads: LeadService) -> None:
        self.leads = leads
        self.conn = leads.repository.conn
        self.provenance = LeadEnrichmentRepository(self.conn)

    async def write(
        self,
        account_id: str,
        lead: Lead,
        found: Enrichment,
        data: EnrichedData,
        at: datetime,
    ) -> tuple[Lead, list[str]]:
        """Fill ``lead``'s empty fields from ``data``: the lead after, and the fields
        written (none when every one was set: its provenance still records the run)."""
        request = self._checked(fills_for(lead, data))
        planned = self.leads.planned_update(account_id, lead, request)
        written: list[str] = []
        if planned is not None:
            updated, event = planned
            await self.leads.repository.update(account_id, updated, previous=lead)
            await EventRepository(self.conn).insert(event)
            written = [f for f in Lead.__struct_fields__ if getattr(updated, f) != getattr(lead, f)]
            written.remove("updated_at")
            lead = updated
        await self._record(account_id, lead, found, written, at)
        return lead, written

    def _checked(self, fills: dict[str, Any]) -> UpdateLeadRequest:
        """The fills as a PATCH the lead's rules accept: a value they refuse (a location
        longer than a lead's 200 characters) is left out rather than failing the call."""
        try:
            return self.leads.checked_update(UpdateLeadRequest(**fills))
        except ValidationFailed as refused:
            bad = {error["field"] for error in refused.details["errors"]}
            kept = {k: v for k, v in fills.items() if k not in bad}
            return self.leads.checked_update(UpdateLeadRequest(**kept))

    async def _record(
        self, account_id: str, lead: Lead, found: Enrichment, written: list[str], at: datetime
    ) -> None:
        previous = await self.provenance.get(account_id, lead.id)
        fields: dict[str, Any] = dict(previous["fields"]) if previous else {}
        by_field = {field: key for key, field in FILLABLE.items()}
        for field in written:
            origin = found.origins.get(by_field[field])
            fields[field] = {
                "value": getattr(lead, field),
                "sources": [origin] if origin else found.sources,
                "enriched_at": at.isoformat().replace("+00:00", "Z"),
            }
        await self.provenance.save(
            account_id,
            lead.id,
            enriched_at=at,
            sources=found.sources,
            confidence=found.confidence,
            fields=fields,
        )
        data = {
            "object": msgspec.to_builtins(lead),
            "enrichment": {
                "enriched_at": at.isoformat().replace("+00:00", "Z"),
                "sources": found.sources,
                "confidence": found.confidence,
                "updated_fields": written,
            },
        }
        await EventRepository(self.conn).insert(new_event(account_id, LEAD_ENRICHED, data, at=at))
