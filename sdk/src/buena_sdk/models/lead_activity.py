from typing import Optional

from buena_sdk.models._base import ResponseModel, ServerDatetime
from buena_sdk.models._page import Page
from buena_sdk.models.enrichment import LeadEnrichment
from buena_sdk.models.linkedin import LinkedInAction


class LeadStatusChange(ResponseModel):
    """A change of a lead's status, from its ``lead.updated`` event."""

    event_id: str
    previous_status: str
    status: str


class LeadActivity(ResponseModel):
    """One thing that happened to a lead. ``type`` (``linkedin_action``, ``enrichment``,
    ``status_change``) says which of ``action``, ``enrichment`` and ``status_change`` is
    set; ``at`` is when (for an action: when it finished, else started, else was
    scheduled)."""

    type: str
    at: ServerDatetime
    action: Optional[LinkedInAction] = None
    enrichment: Optional[LeadEnrichment] = None
    status_change: Optional[LeadStatusChange] = None


class ListLeadActivitiesResponse(Page[LeadActivity]):
    """One page of a lead's timeline, newest first."""
