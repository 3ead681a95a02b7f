"""Request and response bodies of POST /enrich and GET /leads/{id}/enrichment.

``enriched_data`` has the hosted API's shape in snake_case, plus what the built-in
providers know (``email_info``, ``phone_info``, ``name_info``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar.openapi.spec import OpenAPIFormat, OpenAPIType
from msgspec import UNSET, UnsetType

from buena_server.kit.validation import NO_NUL, text
from buena_server.leads.schemas import LEAD_STATUSES, MAX_FILTER_LENGTH

MAX_SYNC_LEADS = 100
MAX_JOB_LEADS = 10_000
# A filter's tags: as many and as long as GET /leads' comma-separated parameter takes.
MAX_TAGS = 50
MAX_TAG_LENGTH = 50
NO_COMMA_NO_NUL = r"^[^\x00,]*$"


class EnrichInput(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """One lead to enrich: a stored lead's id, or what is known of a lead. A field left out
    is unknown (null is not taken: leave it out)."""

    lead_id: (
        Annotated[str, text(64, "A stored lead's id: its fields are the input")] | UnsetType
    ) = UNSET
    email: Annotated[str, text(320, "Email address")] | UnsetType = UNSET
    first_name: Annotated[str, text(100, "First name")] | UnsetType = UNSET
    last_name: Annotated[str, text(100, "Last name")] | UnsetType = UNSET
    full_name: Annotated[str, text(300, "Full name, e.g. 'Dr. Jane Q. Doe Jr.'")] | UnsetType = (
        UNSET
    )
    company: Annotated[str, text(200, "Company name")] | UnsetType = UNSET
    phone: Annotated[str, text(50, "Phone number, as typed")] | UnsetType = UNSET
    linkedin_url: Annotated[str, text(500, "LinkedIn profile URL")] | UnsetType = UNSET


class EnrichOptions(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """What to look for; each option turns on the providers that serve it."""

    include_personal_info: Annotated[
        bool, msgspec.Meta(description="Names: split, titles, suffixes, capitalisation")
    ] = True
    include_company_info: Annotated[
        bool, msgspec.Meta(description="The company of a corporate email domain")
    ] = True
    include_social_profiles: Annotated[
        bool, msgspec.Meta(description="Social profiles (the canonical LinkedIn profile)")
    ] = True
    include_contact_info: Annotated[bool, msgspec.Meta(description="Email and phone details")] = (
        True
    )


def _documented(description: str, **keywords: Any) -> msgspec.Meta:
    """A filter value's rule as GET /leads states it: documented here (Litestar's schema
    keywords, as ``kit.validation.field`` gives them), enforced (422) by that list's own
    checks (``leads.parameters.lead_filters``) and ``filters_of``."""
    return msgspec.Meta(
        description=description,
        extra_json_schema={"description": description, "extra": keywords},
    )


_TEXT_FILTER = {"max_length": MAX_FILTER_LENGTH, "pattern": NO_NUL}
_TIME_FILTER = {"format": OpenAPIFormat.DATE_TIME}


class EnrichFilter(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """Stored leads to enrich, chosen by the filters of ``GET /leads`` (the same rules; an
    empty filter selects every lead). The leads it selects when the job is submitted are
    enriched: one created later is not."""

    search: (
        Annotated[str, _documented("Substring of name or email", **_TEXT_FILTER)] | UnsetType
    ) = UNSET
    company: Annotated[str, _documented("Substring of the company", **_TEXT_FILTER)] | UnsetType = (
        UNSET
    )
    status: (
        Annotated[str, _documented("Only leads with this status", enum=list(LEAD_STATUSES))]
        | UnsetType
    ) = UNSET
    tags: (
        Annotated[
            list[str],
            _documented(
                "Leads holding any of these tags",
                type=OpenAPIType.ARRAY,
                one_of=None,
                max_items=MAX_TAGS,
                items={"type": "string", "maxLength": MAX_TAG_LENGTH, "pattern": NO_COMMA_NO_NUL},
            ),
        ]
        | UnsetType
    ) = UNSET
    created_after: (
        Annotated[str, _documented("Created strictly after (RFC 3339)", **_TIME_FILTER)] | UnsetType
    ) = UNSET
    created_before: (
        Annotated[str, _documented("Created strictly before (RFC 3339)", **_TIME_FILTER)]
        | UnsetType
    ) = UNSET
    updated_after: (
        Annotated[str, _documented("Updated strictly after (RFC 3339)", **_TIME_FILTER)] | UnsetType
    ) = UNSET
    updated_before: (
        Annotated[str, _documented("Updated strictly before (RFC 3339)", **_TIME_FILTER)]
        | UnsetType
    ) = UNSET
    has_email: bool | UnsetType = UNSET


class EnrichRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    leads: (
        Annotated[
            list[EnrichInput],
            msgspec.Meta(
                min_length=1,
                description=f"1 to {MAX_JOB_LEADS} leads, each a stored lead's id or what is "
                f"known of it. Up to {MAX_SYNC_LEADS} are answered at once (200); more run "
                "as an enrichment job (202).",
            ),
        ]
        | UnsetType
    ) = UNSET
    filter: (
        Annotated[
            EnrichFilter,
            msgspec.Meta(
                description="Instead of leads: the stored leads these list filters select, "
                "enriched by a job (202)"
            ),
        ]
        | UnsetType
    ) = UNSET
    options: EnrichOptions = msgspec.field(default_factory=EnrichOptions)
    update_leads: Annotated[
        bool,
        msgspec.Meta(
            description="Write results back to the stored leads named by lead_id (or selected "
            "by filter): empty fields only, never overwriting a value; provenance on "
            "GET /leads/{id}/enrichment"
        ),
    ] = False


class CompanyInfo(msgspec.Struct, kw_only=True):
    name: str | None = None
    domain: str | None = None
    website: str | None = None
    industry: str | None = None
    employee_count: int | None = None
    location: str | None = None
    linkedin_url: str | None = None


class SocialProfiles(msgspec.Struct, kw_only=True):
    linkedin: str | None = None
    linkedin_public_identifier: str | None = None
    twitter: str | None = None
    github: str | None = None
    facebook: str | None = None


class EmailInfo(msgspec.Struct, kw_only=True):
    normalized: str | None = None
    domain: str | None = None
    is_free: bool | None = None
    is_disposable: bool | None = None
    is_role: bool | None = None
    # null unless BUENA_ENRICHMENT_DNS is on (then: whether the domain has mail servers).
    deliverable: bool | None = None


class PhoneInfo(msgspec.Struct, kw_only=True):
    e164: str | None = None
    international: str | None = None
    country: str | None = None
    region: str | None = None
    carrier: str | None = None
    line_type: str | None = None
    time_zones: list[str] = msgspec.field(default_factory=list)
    valid: bool | None = None


class NameInfo(msgspec.Struct, kw_only=True):
    full_name: str | None = None
    title: str | None = None
    first_name: str | None = None
    middle_name: str | None = None
    last_name: str | None = None
    suffix: str | None = None


class EnrichedData(msgspec.Struct, kw_only=True):
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    alternative_emails: list[str] = msgspec.field(default_factory=list)
    phone: str | None = None
    linkedin_url: str | None = None
    company: str | None = None
    title: str | None = None
    location: str | None = None
    company_info: CompanyInfo | None = None
    social_profiles: SocialProfiles | None = None
    email_info: EmailInfo | None = None
    phone_info: PhoneInfo | None = None
    name_info: NameInfo | None = None


# An answer's ``input``: the item as sent (an object with the item's own fields), echoed
# as it is rather than as a typed EnrichInput: the server vouches for none of its values.
InputAsSent = Annotated[
    dict[str, Any], msgspec.Meta(description="The input as sent: lead_id, or its fields")
]


class EnrichedLead(msgspec.Struct, kw_only=True):
    input: InputAsSent
    enriched_data: EnrichedData
    confidence: Annotated[float, msgspec.Meta(ge=0, le=1)]
    sources: list[str]
    # The lead's fields written back (update_leads), in the order of the lead's fields.
    updated_fields: list[str] = msgspec.field(default_factory=list)


class FailedLead(msgspec.Struct, kw_only=True):
    input: InputAsSent
    code: str
    message: str


class EnrichResponse(msgspec.Struct, kw_only=True):
    enriched: list[EnrichedLead]
    failed: list[FailedLead]
    credits_used: int
    remaining_credits: int


class FieldProvenance(msgspec.Struct, kw_only=True):
    """Where a lead's field written by enrichment came from."""

    value: Any
    sources: list[str]
    enriched_at: datetime


class LeadEnrichment(msgspec.Struct, kw_only=True):
    """A stored lead's enrichment: the last run, and each field enrichment wrote."""

    lead_id: str
    enriched_at: datetime | None
    sources: list[str]
    confidence: float | None
    fields: dict[str, FieldProvenance]


def provenance_of(lead_id: str, row: Mapping[str, Any]) -> LeadEnrichment:
    """A lead's stored provenance row (``LeadEnrichmentRepository.get``) as answered."""
    return LeadEnrichment(
        lead_id=lead_id,
        enriched_at=row["enriched_at"],
        sources=list(row["sources"]),
        confidence=row["confidence"],
        fields=msgspec.convert(row["fields"], dict[str, FieldProvenance], strict=False),
    )
