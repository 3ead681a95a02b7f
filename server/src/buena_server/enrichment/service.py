"""Decisions about POST /enrich: the inputs and the providers the options choose, run before
the request's transaction (``EnrichmentPlanner``); then, in it, the charge (all or nothing:
402 takes nothing and writes nothing) and the write-back (``EnrichmentService``); and a
stored lead's enrichment provenance."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
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
from buena_server.kit.driver import Database
from buena_server.kit.ids import is_plausible_id
from buena_server.kit.validation import Context, raise_invalid, validate
from buena_server.leads.repository import LeadRepository
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


async def _stored(
    repository: LeadRepository, account_id: str, lead_ids: Iterable[str], *, for_update: bool
) -> dict[str, Lead]:
    """The account's stored leads among ``lead_ids`` (read in id order)."""
    found: dict[str, Lead] = {}
    for lead_id in sorted(lead_ids):
        if is_plausible_id(lead_id):
            lead = await repository.get(account_id, lead_id, for_update=for_update)
            if lead is not None:
                found[lead_id] = lead
    return found


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


@dataclass(frozen=True, slots=True)
class Prepared:
    """What the providers found for a request, before anything is charged or written."""

    count: int
    enriched: list[tuple[EnrichInput, Enrichment, EnrichedData]]
    failed: list[FailedLead]


class EnrichmentPlanner:
    """Runs the providers, outside the request's transaction: a provider may wait on the
    network (MX lookups, a plug-in's service), and must hold no write lock, pooled
    connection or lead row meanwhile. The stored leads are read, unlocked, first."""

    def __init__(self, providers: ProviderRegistry, database: Database, context: Context) -> None:
        self.providers = providers
        self.database = database
        self.context = context

    async def prepare(self, account_id: str, request: EnrichRequest) -> Prepared:
        if len(request.leads) > MAX_SYNC_LEADS:
            raise too_many(len(request.leads))
        inputs = self._validated(request)
        providers = self.providers.serving(o for o in OPTIONS if getattr(request.options, o))
        async with self.database.transaction(write=False) as conn:
            ids = {i.lead_id for i in inputs if isinstance(i.lead_id, str)}
            stored = await _stored(LeadRepository(conn), account_id, ids, for_update=False)
        enriched: list[tuple[EnrichInput, Enrichment, EnrichedData]] = []
        failed: list[FailedLead] = []
        for item in inputs:
            try:
                found = await enrich_lead(_lead_input(item, stored), providers)
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
        return Prepared(count=len(inputs), enriched=enriched, failed=failed)

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


class EnrichmentService:
    """What runs in the request's transaction: the charge, then the write-back."""

    def __init__(self, credits: CreditService, leads: LeadService) -> None:
        self.credits = credits
        self.leads = leads

    async def enrich(
        self,
        account_id: str,
        request: EnrichRequest,
        prepared: Prepared,
        *,
        request_id: str | None,
    ) -> EnrichResponse:
        cost = sum(found.cost for _, found, _ in prepared.enriched)
        remaining = await self.credits.charge(
            account_id,
            cost,
            description=f"POST /enrich: {len(prepared.enriched)} of {prepared.count} leads "
            "enriched",
            request_id=request_id,
        )
        written = await self._write_back(account_id, prepared) if request.update_leads else {}
        answers = [
            EnrichedLead(
                input=as_sent(item),
                enriched_data=data,
                confidence=found.confidence,
                sources=found.sources,
                updated_fields=written.get(index, []),
            )
            for index, (item, found, data) in enumerate(prepared.enriched)
        ]
        return EnrichResponse(
            enriched=answers,
            failed=prepared.failed,
            credits_used=cost,
            remaining_credits=remaining,
        )

    async def _write_back(self, account_id: str, prepared: Prepared) -> dict[int, list[str]]:
        """Each stored lead's empty fields filled: the fields written, by enriched item. The
        leads are read again, locked (in id order), so a value set since the providers read
        them is never replaced."""
        ids = {item.lead_id for item, _, _ in prepared.enriched if isinstance(item.lead_id, str)}
        current = await _stored(self.leads.repository, account_id, ids, for_update=True)
        write_back = WriteBack(self.leads)
        at = utcnow()
        written: dict[int, list[str]] = {}
        for index, (item, found, data) in enumerate(prepared.enriched):
            lead = current.get(item.lead_id) if isinstance(item.lead_id, str) else None
            if lead is not None:
                current[lead.id], written[index] = await write_back.write(
                    account_id, lead, found, data, at
                )
        return written

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
