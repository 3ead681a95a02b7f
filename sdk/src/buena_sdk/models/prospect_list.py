from typing import Optional

from buena_sdk.models._base import (
    NoNullRequestModel,
    RequestDatetime,
    ResponseModel,
    ServerDatetime,
)
from buena_sdk.models._page import Page
from buena_sdk.models.batch_leads import BatchLeadError

# How many prospects one list holds at most.
MAX_PROSPECTS = 10_000


class ProspectInput(NoNullRequestModel):
    """One prospect of a new list: every field optional, each with the lead's rule;
    ``linkedin_url`` a member profile (stored canonical). Converting it needs what a lead
    needs (first and last name, email)."""

    first_name: Optional[str] = None
    last_name: Optional[str] = None
    email: Optional[str] = None
    company: Optional[str] = None
    job_title: Optional[str] = None
    linkedin_url: Optional[str] = None


class CreateProspectListRequest(NoNullRequestModel):
    """Body of ``create_prospect_list``: a name and 1 to ``MAX_PROSPECTS`` prospects."""

    name: str
    prospects: list[ProspectInput]


class ProspectList(ResponseModel):
    id: str
    name: str
    prospect_count: int
    created_at: ServerDatetime


class ListProspectListsResponse(Page[ProspectList]):
    """One page of the account's prospect lists, newest first."""


class Prospect(ResponseModel):
    """A prospect and what it matches now: ``match`` ``"lead"`` with ``lead_id`` and
    ``matched_by`` (``"email"`` or ``"linkedin_url"``), or ``"new"``."""

    id: str
    position: int
    first_name: Optional[str] = None
    last_name: Optional[str] = None
    email: Optional[str] = None
    company: Optional[str] = None
    job_title: Optional[str] = None
    linkedin_url: Optional[str] = None
    match: str
    lead_id: Optional[str] = None
    matched_by: Optional[str] = None


class ListProspectsResponse(Page[Prospect]):
    """One page of a list's prospects, in their upload order."""


class ConvertedProspect(ResponseModel):
    """A prospect's outcome: ``created`` (a new lead), ``existing`` (it matched one) or
    ``error`` (as a batch item's)."""

    prospect_id: str
    position: int
    outcome: str
    lead_id: Optional[str] = None
    error: Optional[BatchLeadError] = None


class ConvertProspectListResponse(ResponseModel):
    results: list[ConvertedProspect]
    created: int
    existing: int
    errors: int


class ScheduleProspectListRequest(NoNullRequestModel):
    """Body of ``schedule_prospect_list``: one action for every prospect. ``action_type``
    any of ``LINKEDIN_ACTION_TYPES`` but ``send_voice_message``; ``message`` as that type
    takes it (a field it does not take refuses each prospect); ``scheduled_at`` the
    earliest time (a naive datetime is local time)."""

    action_type: str
    message: Optional[str] = None
    scheduled_at: Optional[RequestDatetime] = None


class ScheduledProspect(ResponseModel):
    """A prospect's outcome: ``scheduled`` (``action_id``, ``scheduled_for``) or
    ``refused`` (``error``, e.g. ``LINKEDIN_DUPLICATE_ACTION``)."""

    prospect_id: str
    position: int
    outcome: str
    action_id: Optional[str] = None
    scheduled_for: Optional[ServerDatetime] = None
    lead_id: Optional[str] = None
    error: Optional[BatchLeadError] = None


class ScheduleProspectListResponse(ResponseModel):
    results: list[ScheduledProspect]
    scheduled: int
    refused: int
