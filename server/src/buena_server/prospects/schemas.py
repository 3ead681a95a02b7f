"""Request and response bodies of /prospect-lists."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

from buena_server.kit.validation import text
from buena_server.leads.schemas import BatchItemError, Company, EmailAddress, JobTitle
from buena_server.linkedin.schemas import ProfileUrlField, ScheduledAt

MAX_PROSPECTS = 10_000
ProspectMatch = Literal["new", "lead"]
MatchedBy = Literal["email", "linkedin_url"]
ConvertOutcome = Literal["created", "existing", "error"]


class ProspectInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One prospect: every field optional, each with the lead's rule; ``linkedin_url`` a
    member profile, stored canonical. Converting needs what a lead needs (first and last
    name, email); scheduling needs ``linkedin_url``."""

    first_name: Annotated[str, text(100, "First name")] | None = None
    last_name: Annotated[str, text(100, "Last name")] | None = None
    # Left out when unknown, never null (their rules admit no null, as the lead's).
    email: EmailAddress | UnsetType = UNSET
    company: Company | None = None
    job_title: JobTitle | None = None
    linkedin_url: ProfileUrlField | UnsetType = UNSET


class CreateProspectListRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Annotated[str, text(200, "The list's name", required=True)]
    prospects: Annotated[
        list[ProspectInput],
        msgspec.Meta(
            min_length=1,
            max_length=MAX_PROSPECTS,
            description=f"1 to {MAX_PROSPECTS} prospects, in their order",
        ),
    ]


class ProspectList(msgspec.Struct, kw_only=True):
    id: str
    name: str
    prospect_count: int
    created_at: datetime


class ListProspectListsResponse(msgspec.Struct, kw_only=True):
    data: list[ProspectList]
    total: int
    limit: int
    offset: int


class Prospect(msgspec.Struct, kw_only=True):
    """A prospect and what it matches now: ``match`` ``lead`` with ``lead_id`` and
    ``matched_by`` (an email first, then a LinkedIn URL), or ``new``."""

    id: str
    position: int
    first_name: str | None
    last_name: str | None
    email: str | None
    company: str | None
    job_title: str | None
    linkedin_url: str | None
    match: ProspectMatch
    lead_id: str | None
    matched_by: MatchedBy | None


class ListProspectsResponse(msgspec.Struct, kw_only=True):
    data: list[Prospect]
    total: int
    limit: int
    offset: int


class ConvertItem(msgspec.Struct, kw_only=True):
    """A prospect's outcome: ``created`` (a new lead), ``existing`` (it matched a lead
    already: nothing written) or ``error`` (as POST /leads/batch reports an item's)."""

    prospect_id: str
    position: int
    outcome: ConvertOutcome
    lead_id: str | None = None
    error: BatchItemError | None = None


class ConvertProspectListResponse(msgspec.Struct, kw_only=True):
    results: list[ConvertItem]
    created: int
    existing: int
    errors: int


ScheduleOutcome = Literal["scheduled", "refused"]
# Every action type but the voice message (its settings are one prospect's, not a list's).
LIST_ACTION_TYPES = (
    "send_connection_request", "send_message", "view_profile",
    "withdraw_connection_request", "get_profile",
)  # fmt: skip


class ScheduleProspectListRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One action for every prospect of the list, as POST /linkedin/actions takes it for
    each (with the prospect's ``linkedin_url`` and its lead, if it matches one): a
    ``message`` the type does not take, or one it needs and lacks, refuses every
    prospect, each with its own error."""

    action_type: Literal[
        "send_connection_request", "send_message", "view_profile",
        "withdraw_connection_request", "get_profile",
    ]  # fmt: skip
    message: Annotated[str, text(8000, "The note (up to 300) or message")] | None = None
    scheduled_at: ScheduledAt | None = None


class ScheduleItem(msgspec.Struct, kw_only=True):
    """A prospect's outcome: ``scheduled`` (``action_id``, ``scheduled_for``) or ``refused``
    (``error``: status, code, message, field; e.g. 409 ``LINKEDIN_DUPLICATE_ACTION``)."""

    prospect_id: str
    position: int
    outcome: ScheduleOutcome
    action_id: str | None = None
    scheduled_for: datetime | None = None
    lead_id: str | None = None
    error: BatchItemError | None = None


class ScheduleProspectListResponse(msgspec.Struct, kw_only=True):
    results: list[ScheduleItem]
    scheduled: int
    refused: int
