"""Writing an enrichment back to its stored lead (``update_leads: true``): empty fields only,
through the lead's own PATCH rules and ``lead.updated`` event, with the provenance of each
field written and a ``lead.enriched`` event, all in the request's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec

from buena_server.enrichment.combine import Enrichment
from buena_server.enrichment.repository import LeadEnrichmentRepository
from buena_server.enrichment.schemas import EnrichedData
from buena_server.errors import ValidationFailed
from buena_server.events.catalogue import LEAD_ENRICHED
from buena_server.events.repository import EventRepository, NewEvent
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

    async def write_many(
        self,
        account_id: str,
        found: Sequence[tuple[Lead, Enrichment, EnrichedData]],
        at: datetime,
    ) -> list[tuple[Lead, list[str]]]:
        """Fill each lead's empty fields from its data: each lead after, and the fields
        written (none when every one was set: its provenance still records the run). A
        lead named twice is written by its first finding, then completed by the next. The
        provenance rows are written (merged into what they held by the database), and the
        events inserted, a statement each."""
        events: list[NewEvent] = []
        saved: dict[str, dict[str, Any]] = {}
        current: dict[str, Lead] = {}
        answers: list[tuple[Lead, list[str]]] = []
        for given, enrichment, data in found:
            lead = current.get(given.id, given)
            request = self._checked(fills_for(lead, data))
            planned = self.leads.planned_update(account_id, lead, request)
            written: list[str] = []
            if planned is not None:
                updated, event = planned
                await self.leads.repository.update(account_id, updated, previous=lead)
                events.append(event)
                written = [
                    f for f in Lead.__struct_fields__ if getattr(updated, f) != getattr(lead, f)
                ]
                written.remove("updated_at")
                lead = updated
            current[lead.id] = lead
            row = saved.get(lead.id)
            saved[lead.id] = self._provenance(account_id, lead, row, enrichment, written, at)
            events.append(_enriched_event(account_id, lead, enrichment, written, at))
            answers.append((lead, written))
        await self.provenance.save_many(list(saved.values()))
        await EventRepository(self.conn).insert_many(events)
        return answers

    def _checked(self, fills: dict[str, Any]) -> UpdateLeadRequest:
        """The fills as a PATCH the lead's rules accept: a value they refuse (a location
        longer than a lead's 200 characters) is left out rather than failing the call."""
        try:
            return self.leads.checked_update(UpdateLeadRequest(**fills))
        except ValidationFailed as refused:
            bad = {error["field"] for error in refused.details["errors"]}
            kept = {k: v for k, v in fills.items() if k not in bad}
            return self.leads.checked_update(UpdateLeadRequest(**kept))

    @staticmethod
    def _provenance(
        account_id: str,
        lead: Lead,
        previous: dict[str, Any] | None,
        found: Enrichment,
        written: list[str],
        at: datetime,
    ) -> dict[str, Any]:
        """The lead's provenance row of this run: the fields written now (added to
        ``previous``'s, the same lead's row earlier in this run), for the database to merge
        into those it held."""
        fields: dict[str, Any] = dict(previous["fields"]) if previous else {}
        by_field = {field: key for key, field in FILLABLE.items()}
        for field in written:
            origin = found.origins.get(by_field[field])
            fields[field] = {
                "value": getattr(lead, field),
                "sources": [origin] if origin else found.sources,
                "enriched_at": _timestamp(at),
            }
        return {
            "lead_id": lead.id,
            "account_id": account_id,
            "enriched_at": at,
            "sources": found.sources,
            "confidence": found.confidence,
            "fields": fields,
        }


def _timestamp(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def _enriched_event(
    account_id: str, lead: Lead, found: Enrichment, written: list[str], at: datetime
) -> NewEvent:
    data = {
        "object": msgspec.to_builtins(lead),
        "enrichment": {
            "enriched_at": _timestamp(at),
            "sources": found.sources,
            "confidence": found.confidence,
            "updated_fields": written,
        },
    }
    return new_event(account_id, LEAD_ENRICHED, data, at=at)
