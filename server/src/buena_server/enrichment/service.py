"""Decisions about POST /enrich: the inputs and the providers the options choose, run before
the request's transaction (``EnrichmentPlanner``); then, in it, the charge (all or nothing:
402 takes nothing and writes nothing) and the write-back (``EnrichmentService``); and a
stored lead's enrichment provenance."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from msgspec import UNSET, UnsetType

from buena_server.credits.service import CreditService
from buena_server.enrichment.model import OPTIONS, Option
from buena_server.enrichment.outcomes import (
    Found,
    Outcome,
    answer_of,
    as_sent,
    cost_of,
    enriched_of,
    lead_ids,
    run_providers,
    stored_leads,
)
from buena_server.enrichment.registry import ProviderRegistry
from buena_server.enrichment.repository import LeadEnrichmentRepository
from buena_server.enrichment.schemas import (
    MAX_JOB_LEADS,
    MAX_SYNC_LEADS,
    MAX_TAG_LENGTH,
    MAX_TAGS,
    EnrichFilter,
    EnrichInput,
    EnrichOptions,
    EnrichRequest,
    EnrichResponse,
    FailedLead,
    LeadEnrichment,
    provenance_of,
)
from buena_server.enrichment.writeback import WriteBack
from buena_server.errors import ValidationFailed
from buena_server.jobs.schemas import Job
from buena_server.jobs.service import submit_job
from buena_server.kit import clock
from buena_server.kit.driver import Database
from buena_server.kit.validation import Context, raise_invalid, validate
from buena_server.leads.listing import LeadFilters
from buena_server.leads.parameters import lead_filters
from buena_server.leads.repository import LeadRepository
from buena_server.leads.service import LeadService

JOB_TYPE = "enrichment"


def too_many(count: int) -> ValidationFailed:
    """More leads than one job takes."""
    message = (
        f"leads holds {count} leads: at most {MAX_JOB_LEADS} are enriched by one request "
        f"(up to {MAX_SYNC_LEADS} at once, more by a job); send the rest in another request, "
        "or enrich stored leads with filter"
    )
    return ValidationFailed(message, details={"errors": [{"field": "leads", "message": message}]})


def leads_or_filter() -> ValidationFailed:
    message = "Give either leads or filter (one of them, not both)"
    return ValidationFailed(message, details={"errors": [{"field": "leads", "message": message}]})


@dataclass(frozen=True, slots=True)
class Prepared:
    """What the providers found for a request of up to 100 leads, before anything is
    charged or written."""

    count: int
    outcomes: list[Outcome]


@dataclass(frozen=True, slots=True)
class Submission:
    """A request that runs as a job: its inputs checked, or the filter that selects the
    stored leads."""

    inputs: list[EnrichInput] | None
    filters: LeadFilters | None


class EnrichmentPlanner:
    """Checks a request and, for up to 100 leads answered at once, runs the providers,
    outside the request's transaction: a provider may wait on the network (MX lookups, a
    plug-in's service), and must hold no write lock, pooled connection or lead row
    meanwhile. The stored leads are read, unlocked, first."""

    def __init__(self, providers: ProviderRegistry, database: Database, context: Context) -> None:
        self.providers = providers
        self.database = database
        self.context = context

    async def plan(
        self, account_id: str, request: EnrichRequest, *, as_job: bool
    ) -> Prepared | Submission:
        """A request with ``filter``, with more than 100 leads, or asked to run as a job
        (``as_job``) is a ``Submission``; the rest is answered at once (``Prepared``)."""
        if isinstance(request.filter, EnrichFilter):
            if not isinstance(request.leads, UnsetType):
                raise leads_or_filter()
            return Submission(inputs=None, filters=filters_of(request.filter))
        if isinstance(request.leads, UnsetType):
            raise leads_or_filter()
        if len(request.leads) > MAX_JOB_LEADS:
            raise too_many(len(request.leads))
        inputs = self._validated(request.leads)
        if as_job or len(inputs) > MAX_SYNC_LEADS:
            return Submission(inputs=inputs, filters=None)
        providers = self.providers.serving(chosen(request.options))
        async with self.database.transaction(write=False) as conn:
            stored = await stored_leads(
                LeadRepository(conn), account_id, lead_ids(inputs), for_update=False
            )
        return Prepared(count=len(inputs), outcomes=await run_providers(inputs, stored, providers))

    def _validated(self, leads: list[EnrichInput]) -> list[EnrichInput]:
        """Each input's values by their rules (422 naming every bad one, ``leads[i].x``)."""
        errors: list[dict[str, str]] = []
        inputs = []
        for index, item in enumerate(leads):
            try:
                inputs.append(validate(item, self.context))
            except ValidationFailed as invalid:
                for error in invalid.details["errors"]:
                    field = f"leads[{index}].{error['field']}"
                    errors.append({"field": field, "message": f"leads[{index}].{error['message']}"})
        if errors:
            raise_invalid(errors)
        return inputs


def chosen(options: EnrichOptions) -> list[Option]:
    """The options turned on."""
    return [option for option in OPTIONS if getattr(options, option)]


def until(filters: LeadFilters, moment: Any) -> LeadFilters:
    """``filters`` narrowed to leads created before ``moment``."""
    before = filters.created_before
    return replace(filters, created_before=moment if before is None else min(before, moment))


def filters_of(given: EnrichFilter) -> LeadFilters:
    """The filter's values by the rules of GET /leads' parameters (422, ``filter.x``)."""
    errors: list[dict[str, str]] = []
    plain = {
        name: value
        for name in EnrichFilter.__struct_fields__
        if (value := getattr(given, name)) is not UNSET
    }
    if isinstance(given.tags, list):
        plain["tags"] = ",".join(given.tags)
        if len(given.tags) > MAX_TAGS or any(
            len(tag) > MAX_TAG_LENGTH or "," in tag or "\x00" in tag for tag in given.tags
        ):
            message = (
                f"tags must be at most {MAX_TAGS} tags of at most {MAX_TAG_LENGTH} "
                "characters, without commas or NUL"
            )
            errors.append({"field": "tags", "message": message})
    if isinstance(given.has_email, bool):
        plain["has_email"] = "true" if given.has_email else "false"
    filters = lead_filters(errors, **plain)
    errors = list({error["field"]: error for error in errors}.values())  # tags: once
    if errors:
        raise_invalid(
            [{"field": f"filter.{e['field']}", "message": f"filter.{e['message']}"} for e in errors]
        )
    return filters


class EnrichmentService:
    """What runs in the request's transaction: the charge, then the write-back; or, for a
    job, its submission and the reservation of what it may cost."""

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
        enriched = enriched_of(prepared.outcomes)
        cost = cost_of(enriched)
        remaining = await self.credits.charge(
            account_id,
            cost,
            description=f"POST /enrich: {len(enriched)} of {prepared.count} leads enriched",
            request_id=request_id,
        )
        written = await self.write_back(account_id, enriched) if request.update_leads else {}
        return EnrichResponse(
            enriched=[answer_of(o, written.get(i, [])) for i, o in enumerate(enriched)],
            failed=[o for o in prepared.outcomes if isinstance(o, FailedLead)],
            credits_used=cost,
            remaining_credits=remaining,
        )

    async def submit(
        self,
        account_id: str,
        request: EnrichRequest,
        submission: Submission,
        providers: ProviderRegistry,
        *,
        request_id: str | None,
    ) -> Job:
        """The job, pending, with the credits it may cost reserved (402 when the balance
        cannot pay them: nothing is submitted then)."""
        options = chosen(request.options)
        params: dict[str, Any] = {
            "options": list(options),
            "update_leads": request.update_leads,
        }
        if submission.filters is not None:
            # The leads the filter selects now: one created later is not enriched.
            filters = until(submission.filters, clock.utcnow())
            total = await self.leads.repository.count(account_id, filters)
            params["filter"] = filters.bound()
        else:
            assert submission.inputs is not None
            total = len(submission.inputs)
            params["inputs"] = [as_sent(item) for item in submission.inputs]
        per_lead = sum(registered.cost for registered in providers.serving(options))
        params["reserved"] = reserved = per_lead * total
        job = await submit_job(
            self.leads.repository.conn, account_id, JOB_TYPE, total=total, params=params
        )
        await self.credits.charge(
            account_id,
            reserved,
            description=f"Enrichment job {job.id}: {total} lead(s), up to {per_lead} credits "
            "each reserved (what it does not use is refunded when it ends)",
            request_id=request_id,
        )
        return job

    async def write_back(self, account_id: str, enriched: Sequence[Found]) -> dict[int, list[str]]:
        """Each stored lead's empty fields filled: the fields written, by enriched item. The
        leads are read again, locked (in id order), so a value set since the providers read
        them is never replaced."""
        ids = lead_ids(outcome.item for outcome in enriched)
        current = await stored_leads(self.leads.repository, account_id, ids, for_update=True)
        indexed = [
            (index, (current[outcome.item.lead_id], outcome.found, outcome.data))
            for index, outcome in enumerate(enriched)
            if isinstance(outcome.item.lead_id, str) and outcome.item.lead_id in current
        ]
        answers = await WriteBack(self.leads).write_many(
            account_id, [found for _, found in indexed], clock.utcnow()
        )
        return {index: written for (index, _), (_, written) in zip(indexed, answers, strict=True)}

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
        return provenance_of(lead_id, row)
