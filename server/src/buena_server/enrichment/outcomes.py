"""One input through the providers: what it reads (a stored lead or the fields given), what
they found (``Found``) or why not (``FailedLead``), in the order of the inputs. Shared by
the answer of POST /enrich and the chunks of an enrichment job."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
from msgspec import UNSET

from buena_server.enrichment.combine import Enrichment, ProvidersFailed, enrich_lead
from buena_server.enrichment.model import LeadInput
from buena_server.enrichment.registry import Registered
from buena_server.enrichment.schemas import EnrichedData, EnrichedLead, EnrichInput, FailedLead
from buena_server.kit.ids import is_plausible_id
from buena_server.leads.repository import LeadRepository
from buena_server.leads.schemas import Lead

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


async def stored_leads(
    repository: LeadRepository, account_id: str, lead_ids: Iterable[str], *, for_update: bool
) -> dict[str, Lead]:
    """The account's stored leads among ``lead_ids`` (locked in id order, ``for_update``);
    an id that cannot be a lead's is none."""
    plausible = [lead_id for lead_id in lead_ids if is_plausible_id(lead_id)]
    return await repository.get_many(account_id, plausible, for_update=for_update)


def lead_ids(items: Iterable[EnrichInput]) -> set[str]:
    return {item.lead_id for item in items if isinstance(item.lead_id, str)}


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
class Found:
    """An input the providers found something for."""

    item: EnrichInput
    found: Enrichment
    data: EnrichedData


Outcome = Found | FailedLead


async def run_providers(
    items: Sequence[EnrichInput], stored: dict[str, Lead], providers: list[Registered]
) -> list[Outcome]:
    """Each item through the providers, in order (``stored``: the leads its lead ids name)."""
    outcomes: list[Outcome] = []
    for item in items:
        # Other work of the event loop (a chunk being written, requests) runs between leads:
        # the providers' work is CPU-bound and would hold the loop for the whole list.
        await asyncio.sleep(0)
        try:
            found = await enrich_lead(_lead_input(item, stored), providers)
            if found is None:
                raise ItemFailed("NOTHING_FOUND", "No provider found anything for this lead")
            data = msgspec.convert(found.data, EnrichedData)
        except ProvidersFailed as failed:
            outcomes.append(
                FailedLead(input=as_sent(item), code="PROVIDER_UNAVAILABLE", message=str(failed))
            )
        except ItemFailed as failure:
            outcomes.append(
                FailedLead(input=as_sent(item), code=failure.code, message=failure.message)
            )
        except msgspec.ValidationError as wrong:
            message = f"A provider answered a value of the wrong type: {wrong}"
            outcomes.append(FailedLead(input=as_sent(item), code="PROVIDER_ERROR", message=message))
        else:
            outcomes.append(Found(item, found, data))
    return outcomes


def enriched_of(outcomes: Iterable[Outcome]) -> list[Found]:
    return [outcome for outcome in outcomes if isinstance(outcome, Found)]


def cost_of(outcomes: Iterable[Outcome]) -> int:
    return sum(outcome.found.cost for outcome in enriched_of(outcomes))


def answer_of(outcome: Found, written: list[str]) -> EnrichedLead:
    return EnrichedLead(
        input=as_sent(outcome.item),
        enriched_data=outcome.data,
        confidence=outcome.found.confidence,
        sources=outcome.found.sources,
        updated_fields=written,
    )
