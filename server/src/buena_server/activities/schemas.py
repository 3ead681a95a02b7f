"""The body of GET /leads/{id}/activities: a lead's timeline, newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from buena_server.enrichment.schemas import LeadEnrichment
from buena_server.leads.schemas import LeadStatusName
from buena_server.linkedin.schemas import LinkedInAction

ActivityType = Literal["linkedin_action", "enrichment", "status_change"]


class StatusChange(msgspec.Struct, kw_only=True):
    """A change of the lead's status, as its ``lead.updated`` event recorded it."""

    event_id: str
    previous_status: LeadStatusName
    status: LeadStatusName


class LeadActivity(msgspec.Struct, kw_only=True):
    """One thing that happened to the lead. ``type`` says which of ``action``,
    ``enrichment`` and ``status_change`` is set (the others are null); ``at`` is when:
    for an action, when it finished, else started, else was scheduled."""

    type: ActivityType
    at: datetime
    action: LinkedInAction | None = None
    enrichment: LeadEnrichment | None = None
    status_change: StatusChange | None = None


class ListLeadActivitiesResponse(msgspec.Struct, kw_only=True):
    data: list[LeadActivity]
    total: int
    limit: int
    offset: int
