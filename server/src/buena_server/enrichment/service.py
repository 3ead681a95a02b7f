"""Decisions about POST /enrich: the inputs, the providers the options choose, the charge
(all or nothing: 402 takes nothing and writes nothing), the write-back; and a stored lead's
enrichment provenance."""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET

from buena_server.credits.service import CreditService
from buena_server.enrichment.combine import Enrichment, enrich_lead
from buena_server.enrichment.model import OPTIONS, LeadInput
from buena_server.enrichment.registry import ProviderRegistry
from buena_server.enrichment.repository import LeadEnrichmentRepository
from buena_server.enrichment.schemas import (
    MAX_JOB_LEADS,
    MAX_SYNC_LEADS,
    EnrichedData,
    EnrichedLead,
    EnrichInput,
    EnrichRequest,
    EnrichResponse,
    FailedLead,
    FieldProvenance,
    LeadEnrichment,
)
from buena_server.enrichment.writeback import WriteBack
from buena_server.errors import ValidationFailed
from buena_server.kit.clock import utcnow
from buena_server.kit.ids import is_plausible_id
from buena_server.kit.validation import Context, raise_invalid, validate
from buena_server.leads.schemas import Lead
from buena_server.leads.service import LeadService

# The input fields a provider reads (all of EnrichInput's but lead_id).
_GIVEN = tuple(name for name in EnrichInput.__struct_fields__ if name != "lead_id")


def as_sent(item: EnrichInput) -> dict[str, Any]:
    """The item's own fields, as the answer echoes them (after trimming)."""
    sent: dict[str, Any] = msgspec.to_builtins(item)
    return sent


class ItemFailed(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def too_many(count: int) -> ValidationFailed:
    """More leads than one answer holds. The job path (202, up to MAX_JOB_LEADS) will take
    them here once enrichment jobs exist."""
    message = (
        f"leads holds {count} leads: at most {MAX_SYNC_LEADS} are enriched in one answer. "
        f"Larger requests (up to {MAX_JOB_LEADS}) will run as an enrichment job (202) once "
        "jobs are available; until then, send them in batches of 100"
    )
    return ValidationFailed(message, details={"errors": [{"field": "leads", "message": message}]})


class EnrichmentService:
    def __init__(
        self,
        providers: ProviderRegistry,
        credits: CreditService,
        leads: LeadService,
        context: Context,
    ) -> None:
        self.providers = providers
        self.credits = credits
        self.leads = leads
        self.context = context

    async def enrich(
        self, account_id: str, request: EnrichRequest, *, request_id: str | None
    ) -> EnrichResponse:
        if len(request.leads) > MAX_SYNC_LEADS:
            raise too_many(len(request.leads))
        inputs = self._validated(request)
        providers = self.providers.serving(o for o in OPTIONS if getattr(request.options, o))
        stored = await self._stored(account_id, inputs, for_update=request.update_leads)
        enriched: list[tuple[EnrichInput, Enrichment, EnrichedData]] = []
        failed: list[FailedLead] = []
        for item in inputs:
            try:
                found = await enrich_lead(self._lead_input(item, stored), providers)
                if found is None:
                    raise ItemFailed("NOTHING_FOUND", "No provider found anything for this lead")
                data = msgspec.convert(found.data, EnrichedData)
            except ItemFailed as failure:
                failed.append(
                    FailedLead(input=as_sent(item), code=failure.code, message=failure.message)
                )
            except msgspec.ValidationError as wrong:
                message = f"A provider answered a value of the wrong type: {wrong}"
                failed.append(
                    FailedLead(input=as_sent(item), code="PROVIDER_ERROR", message=message)
                )
            else:
                enriched.append((item, found, data))
        cost = sum(found.cost for _, found, _ in enriched)
        remaining = await self.credits.charge(
            account_id,
            cost,
            description=f"POST /enrich: {len(enriched)} of {len(inputs)} leads enriched",
            request_id=request_id,
        )
        answers = []
        write_back = WriteBack(self.leads) if request.update_leads else None
        at = utcnow()
        for item, found, data in enriched:
            written: list[str] = []
            if write_back is not None and isinstance(item.lead_id, str):
                lead = stored[item.lead_id]
                stored[item.lead_id], written = await write_back.write(
                    account_id, lead, found, data, at
                )
            answers.append(
                EnrichedLead(
                    input=as_sent(item),
                    enriched_data=data,
                    confidence=found.confidence,
                    sources=found.sources,
                    updated_fields=written,
                )
            )
        return EnrichResponse(
            enriched=answers, failed=failed, credits_used=cost, remaining_credits=remaining
        )

    def _validated(self, request: EnrichRequest) -> list[EnrichInput]:
        """Each input's values by their rules (422 naming every bad one, ``leads[i].x``)."""
        errors: list[dict[str, str]] = []
        inputs = []
        for index, item in enumerate(request.leads):
            try:
                inputs.append(validate(item, self.context))
            except ValidationFailed as invalid:
                for error in invalid.details["errors"]:
                    field = f"leads[{index}].{error['field']}"
                    errors.append({"field": field, "message": f"leads[{index}].{error['message']}"})
        if errors:
            raise_invalid(errors)
        return inputs

    async def _stored(
        self, account_id: str, inputs: list[EnrichInput], *, for_update: bool
    ) -> dict[str, Lead]:
        """The stored leads the inputs name (locked until the transaction ends when they
        will be written to, so that no PATCH fills a field between the read and the write)."""
        found: dict[str, Lead] = {}
        for lead_id in sorted({i.lead_id for i in inputs if isinstance(i.lead_id, str)}):
            if is_plausible_id(lead_id):
                lead = await self.leads.repository.get(account_id, lead_id, for_update=for_update)
                if lead is not None:
                    found[lead_id] = lead
        return found

    @staticmethod
    def _lead_input(item: EnrichInput, stored: dict[str, Lead]) -> LeadInput:
        given = {name: getattr(item, name) for name in _GIVEN if getattr(item, name) is not UNSET}
        if not isinstance(item.lead_id, str):
            if not given:
                raise ItemFailed("INVALID_INPUT", "An input needs lead_id or at least one field")
            return LeadInput(**given)
        if given:
            names = ", ".join(sorted(given))
            raise ItemFailed(
                "INVALID_INPUT",
                f"lead_id comes alone: its lead's fields are the input (also given: {names})",
            )
        lead = stored.get(item.lead_id)
        if lead is None:
            raise ItemFailed("LEAD_NOT_FOUND", f"Lead {item.lead_id!r} not found")
        return LeadInput(
            email=lead.email,
            first_name=lead.first_name,
            last_name=lead.last_name,
            company=lead.company,
            phone=lead.phone,
            linkedin_url=lead.linkedin_url,
        )

    async def provenance(self, account_id: str, lead_id: str) -> LeadEnrichment:
        """What enrichment wrote to the lead (404 for an unknown lead; a lead never enriched
        has ``enriched_at`` null and no fields)."""
        await self.leads.get(account_id, lead_id)
        row: dict[str, Any] | None = await LeadEnrichmentRepository(self.leads.repository.conn).get(
            account_id, lead_id
        )
        if row is None:
            return LeadEnrichment(
                lead_id=lead_id, enriched_at=None, sources=[], confidence=None, fields={}
            )
        return LeadEnrichment(
            lead_id=lead_id,
            enriched_at=row["enriched_at"],
            sources=list(row["sources"]),
            confidence=row["confidence"],
            fields=msgspec.convert(row["fields"], dict[str, FieldProvenance], strict=False),
        )
