"""A lead's timeline, merged from where each kind of activity is kept: its LinkedIn actions
(linkedin_actions), its enrichment (lead_enrichments: the last run) and its status changes
(its lead.updated events, kept BUENA_EVENTS_RETENTION_DAYS).

A page at ``offset`` needs at most ``offset + limit`` items of each source, each read newest
first through an index of the lead's own rows; they are merged here. A lead's timeline is
short (tens of items), so this costs a few index reads whatever the account's size
(docs/design.md, "A lead's timeline").
"""

from __future__ import annotations

from datetime import datetime

from buena_server.activities.schemas import LeadActivity, ListLeadActivitiesResponse, StatusChange
from buena_server.enrichment.repository import LeadEnrichmentRepository
from buena_server.enrichment.schemas import provenance_of
from buena_server.events.repository import EventRepository
from buena_server.events.schemas import Event
from buena_server.kit.driver import Connection
from buena_server.kit.ids import is_plausible_id
from buena_server.kit.paging import Page
from buena_server.leads.repository import LeadRepository
from buena_server.leads.service import lead_not_found
from buena_server.linkedin.repository import ActionRecord, ActionRepository
from buena_server.linkedin.service import public


def _action(record: ActionRecord) -> LeadActivity:
    at = record.finished_at or record.started_at or record.created_at
    return LeadActivity(type="linkedin_action", at=at, action=public(record))


def _status_change(event: Event) -> LeadActivity:
    data = event.data
    change = StatusChange(
        event_id=event.id,
        previous_status=data["previous_attributes"]["status"],
        status=data["object"]["status"],
    )
    return LeadActivity(type="status_change", at=event.created_at, status_change=change)


def _order(activity: LeadActivity) -> tuple[datetime, str, str]:
    """Sorted by this, descending: newest first, ties by type, then by the item's own id
    (descending, as each source's query reads them), so pages never overlap."""
    if activity.action is not None:
        return (activity.at, activity.type, activity.action.id)
    if activity.status_change is not None:
        return (activity.at, activity.type, activity.status_change.event_id)
    return (activity.at, activity.type, "")


class ActivityService:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def timeline(
        self, account_id: str, lead_id: str, page: Page
    ) -> ListLeadActivitiesResponse:
        """A page of the lead's timeline, newest first (404 for a lead the account has not)."""
        if (
            not is_plausible_id(lead_id)
            or await LeadRepository(self.conn).get(account_id, lead_id) is None
        ):
            raise lead_not_found(lead_id)
        needed = page.offset + page.limit
        actions, action_count = await ActionRepository(self.conn).latest_of_lead(
            account_id, lead_id, needed
        )
        changes, change_count = await EventRepository(self.conn).status_changes_of_lead(
            account_id, lead_id, needed
        )
        row = await LeadEnrichmentRepository(self.conn).get(account_id, lead_id)
        enrichment: list[LeadActivity] = []
        if row is not None:
            enriched = provenance_of(lead_id, row)
            enrichment.append(
                LeadActivity(type="enrichment", at=row["enriched_at"], enrichment=enriched)
            )
        merged = sorted(
            [*map(_action, actions), *map(_status_change, changes), *enrichment],
            key=_order,
            reverse=True,
        )
        return ListLeadActivitiesResponse(
            data=merged[page.offset : needed],
            total=action_count + change_count + len(enrichment),
            limit=page.limit,
            offset=page.offset,
        )
