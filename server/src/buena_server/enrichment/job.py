"""The enrichment job (type ``enrichment``): the leads of a large ``POST /enrich``, or the
stored leads its ``filter`` selected, 100 a chunk.

A chunk reads its leads and runs the providers with no write transaction held (``prepare``);
then, in the chunk's transaction (``apply``), writes the results back (``update_leads``),
counts the credits the chunk used against what the submission reserved, and gives one
result line per lead, in order: ``{"status": "enriched", "input", "enriched_data",
"confidence", "sources", "updated_fields", "credits"}`` or ``{"status": "failed", "input",
"code", "message"}``. When the job ends, completed, failed or canceled, what it reserved and
did not use is refunded (``finish``).

Where the next chunk starts is the job's state: the index of the next input, or the
(created_at, id) of the last lead read, the leads being read in that order.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import msgspec

from buena_server.credits.repository import CreditRepository
from buena_server.credits.service import CreditService
from buena_server.enrichment.model import Option
from buena_server.enrichment.outcomes import (
    Found,
    Outcome,
    answer_of,
    cost_of,
    enriched_of,
    lead_ids,
    run_providers,
    stored_leads,
)
from buena_server.enrichment.schemas import EnrichInput
from buena_server.enrichment.service import JOB_TYPE, EnrichmentService
from buena_server.errors import InsufficientCredits
from buena_server.jobs.kinds import ChunkOutcome, JobRecord
from buena_server.kit.cursor import Position
from buena_server.kit.dependencies import validation_context
from buena_server.leads.listing import LeadFilters, LeadQuery
from buena_server.leads.repository import LeadRepository
from buena_server.leads.service import LeadService

if TYPE_CHECKING:
    from buena_server.kit.driver import Connection, Database
    from buena_server.services import Services

logger = logging.getLogger("buena_server.enrichment")
CHUNK_LEADS = 100
_TIMES = ("created_after", "created_before", "updated_after", "updated_before")


def filters_from(bound: dict[str, Any]) -> LeadFilters:
    """The filters a job was submitted with, from ``LeadFilters.bound()``'s plain values."""
    values = dict(bound)
    for name in _TIMES:
        if values.get(name) is not None:
            values[name] = datetime.fromisoformat(values[name])
    values["tags"] = tuple(values.get("tags") or ())
    return LeadFilters(**values)


@dataclass(frozen=True, slots=True)
class ChunkWork:
    outcomes: list[Outcome]
    state: dict[str, Any]
    done: bool


def _line(outcome: Outcome, written: dict[int, list[str]], index: int) -> dict[str, Any]:
    if isinstance(outcome, Found):
        line: dict[str, Any] = msgspec.to_builtins(answer_of(outcome, written.get(index, [])))
        return {"status": "enriched", **line, "credits": outcome.found.cost}
    failed: dict[str, Any] = msgspec.to_builtins(outcome)
    return {"status": "failed", **failed}


def _services(conn: Connection, services: Services) -> EnrichmentService:
    settings = services.settings
    return EnrichmentService(
        CreditService(CreditRepository(conn), default_credits=settings.default_credits),
        LeadService(LeadRepository(conn), validation_context(settings)),
    )


def _retrieved(task: asyncio.Task[ChunkWork]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.debug("a chunk prepared ahead failed", exc_info=task.exception())


def _cursor(state: dict[str, Any]) -> tuple[Any, Any]:
    """Where a chunk starts (the state but what the chunks count)."""
    return state.get("index"), state.get("after")


class EnrichmentJob:
    """The ``JobKind`` of enrichment jobs.

    The next chunk is read and run through the providers while this one is written (its
    database statements leave the process's core free): ``prepare`` starts it, for this
    process, as soon as it knows where it starts, and the next chunk's ``prepare`` takes
    it when the job is where it was started (the same cursor); otherwise (another process
    ran a chunk meanwhile, a retry) it is dropped and the chunk prepared afresh. What it
    reads is what a fresh preparation would read then: leads not locked, written back under
    their lock by ``apply`` as always."""

    type = JOB_TYPE
    # The chunks prepared ahead, by job id: at most this many jobs' (oldest dropped).
    AHEAD = 32

    def __init__(self) -> None:
        self._ahead: dict[str, tuple[tuple[Any, Any], asyncio.Task[ChunkWork]]] = {}

    async def prepare(self, database: Database, services: Services, job: JobRecord) -> ChunkWork:
        work = await self._taken_ahead(job)
        if work is None:
            work = await self._prepared(database, services, job)
        if not work.done:
            self._start_next(database, services, dataclasses.replace(job, state=work.state))
        return work

    async def _taken_ahead(self, job: JobRecord) -> ChunkWork | None:
        ahead = self._ahead.pop(job.id, None)
        if ahead is None:
            return None
        cursor, task = ahead
        if cursor != _cursor(job.state):
            task.cancel()
            return None
        try:
            return await task
        except Exception:
            return None  # prepared afresh: its own failure, if any, is the one that counts

    def _start_next(self, database: Database, services: Services, job: JobRecord) -> None:
        while len(self._ahead) >= self.AHEAD:
            _, (_, dropped) = self._ahead.popitem()
            dropped.cancel()
        task = asyncio.create_task(self._prepared(database, services, job))
        task.add_done_callback(_retrieved)  # a chunk never taken may have failed: said once
        self._ahead[job.id] = (_cursor(job.state), task)

    def _drop_ahead(self, job_id: str) -> None:
        ahead = self._ahead.pop(job_id, None)
        if ahead is not None:
            ahead[1].cancel()

    async def _prepared(self, database: Database, services: Services, job: JobRecord) -> ChunkWork:
        options: list[Option] = job.params["options"]
        providers = services.enrichment_providers.serving(options)
        if "filter" in job.params:
            items, stored, state, done = await self._next_stored(database, job)
        else:
            index = int(job.state.get("index", 0))
            given = job.params["inputs"]
            items = [msgspec.convert(item, EnrichInput) for item in given[index:][:CHUNK_LEADS]]
            async with database.transaction(write=False) as conn:
                stored = await stored_leads(
                    LeadRepository(conn), job.account_id, lead_ids(items), for_update=False
                )
            state = {**job.state, "index": index + len(items)}
            done = index + len(items) >= len(given)
        outcomes = await run_providers(items, stored, providers)
        return ChunkWork(outcomes, state, done)

    @staticmethod
    async def _next_stored(
        database: Database, job: JobRecord
    ) -> tuple[list[EnrichInput], dict[str, Any], dict[str, Any], bool]:
        after = job.state.get("after")
        query = LeadQuery(
            filters=filters_from(job.params["filter"]),
            sort="created_at",
            order="asc",
            limit=CHUNK_LEADS,
            after=None if after is None else Position(datetime.fromisoformat(after[0]), after[1]),
        )
        async with database.transaction(write=False) as conn:
            leads, _, more = await LeadRepository(conn).find_page(
                job.account_id, query, total=False
            )
        state = dict(job.state)
        if leads:
            state["after"] = [leads[-1].created_at.isoformat(), leads[-1].id]
        items = [EnrichInput(lead_id=lead.id) for lead in leads]
        return items, {lead.id: lead for lead in leads}, state, not more

    async def apply(
        self, conn: Connection, services: Services, job: JobRecord, work: ChunkWork
    ) -> ChunkOutcome:
        service = _services(conn, services)
        reserved = int(job.params["reserved"])
        used_before = int(job.state.get("credits_used", 0))
        used = used_before + cost_of(work.outcomes)
        # Costs raised since the submission (BUENA_ENRICHMENT_COSTS, a new plug-in): what
        # the reservation does not cover is charged now, or the job stops here.
        beyond = max(0, used - reserved) - max(0, used_before - reserved)
        try:
            await service.credits.charge(
                job.account_id,
                beyond,
                description=f"Enrichment job {job.id}: provider costs beyond its reservation",
                request_id=None,
            )
        except InsufficientCredits as refused:
            return ChunkOutcome(
                lines=[],
                succeeded=0,
                failed=0,
                state=job.state,
                failure=f"INSUFFICIENT_CREDITS: {refused.message}",
            )
        enriched = enriched_of(work.outcomes)
        written: dict[int, list[str]] = {}
        if job.params["update_leads"]:
            written = await service.write_back(job.account_id, enriched)
        lines = []
        position = 0
        for outcome in work.outcomes:
            lines.append(_line(outcome, written, position))
            position += isinstance(outcome, Found)
        state = {**work.state, "credits_used": used}
        done_message = None
        if work.done:
            done_message = (
                f"Enriched {job.succeeded + len(enriched)} of "
                f"{job.processed + len(work.outcomes)} leads; {used} credits used"
            )
        return ChunkOutcome(
            lines=lines,
            succeeded=len(enriched),
            failed=len(work.outcomes) - len(enriched),
            state=state,
            done=work.done,
            message=done_message,
        )

    async def finish(self, conn: Connection, services: Services, job: JobRecord) -> None:
        """Refund what the job reserved and did not use."""
        self._drop_ahead(job.id)
        reserved = int(job.params["reserved"])
        used = min(reserved, int(job.state.get("credits_used", 0)))
        await _services(conn, services).credits.refund(
            job.account_id,
            reserved - used,
            description=f"Enrichment job {job.id} {job.status}: {used} of the {reserved} "
            "credits reserved used",
        )
