"""POST /prospect-lists/{id}/schedule: one action for every prospect, each scheduled by
the LinkedIn core (``LinkedInService.schedule``: its rules, limits and dedupe), each in its
own savepoint so that a refused one leaves nothing behind (its queue job included)."""

from __future__ import annotations

from typing import Any

import msgspec

from buena_server.errors import ApiError, InvalidRequest, ValidationFailed
from buena_server.kit.body_errors import structural_errors
from buena_server.leads.batch import item_error
from buena_server.linkedin.schemas import ACTION_REQUESTS, ScheduleActionRequest
from buena_server.linkedin.service import LinkedInService, not_connected
from buena_server.prospects.repository import ProspectRecord
from buena_server.prospects.schemas import (
    ScheduleItem,
    ScheduleProspectListRequest,
    ScheduleProspectListResponse,
)
from buena_server.prospects.service import ProspectService, matched


async def schedule_list(
    prospects: ProspectService,
    linkedin: LinkedInService,
    account_id: str,
    list_id: str,
    request: ScheduleProspectListRequest,
    granted: frozenset[str],
) -> ScheduleProspectListResponse:
    """Schedule the action for each prospect in list order; 409 ``LINKEDIN_NOT_CONNECTED``
    for the whole list without an integration."""
    found = await prospects.find(account_id, list_id)
    if await linkedin.integrations.get(account_id) is None:
        raise not_connected()
    records = await prospects.repository.prospects(found.id)
    keys = await prospects.keys(account_id, records)
    results: list[ScheduleItem] = []
    for record in records:
        lead_id = matched(record, keys).lead_id
        try:
            action = _action(record, request, lead_id)
            async with linkedin.conn.begin_nested():
                made = await linkedin.schedule(account_id, action, granted)
        except ApiError as exc:
            results.append(ScheduleItem(
                prospect_id=record.id, position=record.position, outcome="refused",
                lead_id=lead_id, error=item_error(exc),
            ))  # fmt: skip
            continue
        results.append(ScheduleItem(
            prospect_id=record.id, position=record.position, outcome="scheduled",
            action_id=made.id, scheduled_for=made.scheduled_for, lead_id=lead_id,
        ))  # fmt: skip
    scheduled = sum(1 for item in results if item.outcome == "scheduled")
    return ScheduleProspectListResponse(
        results=results, scheduled=scheduled, refused=len(results) - scheduled
    )


def _action(
    record: ProspectRecord, request: ScheduleProspectListRequest, lead_id: str | None
) -> ScheduleActionRequest:
    """The prospect's POST /linkedin/actions body; its error as that route would answer."""
    if record.linkedin_url is None:
        raise ValidationFailed(
            "The prospect has no linkedin_url",
            details={"errors": [{"field": "linkedin_url", "message": "linkedin_url is required"}]},
        )
    raw: dict[str, Any] = {
        name: value for name, value in msgspec.to_builtins(request).items() if value is not None
    }
    raw["profile_url"] = record.linkedin_url
    if lead_id is not None:
        raw["lead_id"] = lead_id
    try:
        action: ScheduleActionRequest = msgspec.convert(raw, ScheduleActionRequest, strict=True)
        return action
    except msgspec.ValidationError as exc:
        kind = ACTION_REQUESTS[request.action_type]
        errors = structural_errors(
            kind, {k: v for k, v in raw.items() if k != "action_type"}, strict=True
        ) or [{"field": "", "message": str(exc)}]
        raise InvalidRequest(errors[0]["message"], details={"errors": errors}) from None
