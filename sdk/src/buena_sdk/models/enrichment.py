from typing import Any, Optional

from pydantic import model_validator
from typing_extensions import Self

from buena_sdk.models._base import (
    NoNullRequestModel,
    RequestDatetime,
    ResponseModel,
    ServerDatetime,
)
from buena_sdk.models.literals import LeadStatusField

# Most leads ``enrich`` answers at once; more run as a job (``submit_enrichment_job``).
MAX_ENRICH_LEADS = 100
# Most leads one enrichment job takes (the server answers 422 beyond it).
MAX_ENRICHMENT_JOB_LEADS = 10_000


class EnrichLeadInput(NoNullRequestModel):
    """One lead to enrich: a stored lead's ``lead_id`` alone, or any of the other fields (a
    field given as None is left out: the server takes no null here)."""

    lead_id: Optional[str] = None
    email: Optional[str] = None
    first_name: Optional[str] = None
    last_name: Optional[str] = None
    full_name: Optional[str] = None
    company: Optional[str] = None
    phone: Optional[str] = None
    linkedin_url: Optional[str] = None


class EnrichmentOptions(NoNullRequestModel):
    """What to look for (the server takes each left out, or None, as true)."""

    include_personal_info: Optional[bool] = None
    include_company_info: Optional[bool] = None
    include_social_profiles: Optional[bool] = None
    include_contact_info: Optional[bool] = None


class EnrichFilter(NoNullRequestModel):
    """The stored leads an enrichment job enriches, chosen as ``list_leads``' filters choose
    them (an empty filter selects every lead): ``search`` (names and email), ``company``
    (substrings, any case), ``status``, ``tags`` (leads holding any of them), the time
    bounds (a naive datetime is local time) and ``has_email``. The leads it selects when
    the job is submitted are enriched; one created later is not."""

    search: Optional[str] = None
    company: Optional[str] = None
    status: Optional[LeadStatusField] = None
    tags: Optional[list[str]] = None
    created_after: Optional[RequestDatetime] = None
    created_before: Optional[RequestDatetime] = None
    updated_after: Optional[RequestDatetime] = None
    updated_before: Optional[RequestDatetime] = None
    has_email: Optional[bool] = None


class EnrichRequest(NoNullRequestModel):
    """Body of ``enrich`` and ``submit_enrichment_job``: either ``leads`` (``enrich``
    answers up to 100 at once; a job takes up to 10,000) or ``filter`` (the stored leads it
    selects, enriched by a job), not both; ``update_leads`` writes results to the stored
    leads' empty fields. A field given as None is left out."""

    leads: Optional[list[EnrichLeadInput]] = None
    filter: Optional[EnrichFilter] = None
    options: Optional[EnrichmentOptions] = None
    update_leads: Optional[bool] = None

    @model_validator(mode="after")
    def _leads_or_filter(self) -> Self:
        if (self.leads is None) == (self.filter is None):
            raise ValueError("give either leads or filter (one of them, not both)")
        return self


class CompanyInfo(ResponseModel):
    name: Optional[str] = None
    domain: Optional[str] = None
    website: Optional[str] = None
    industry: Optional[str] = None
    employee_count: Optional[int] = None
    location: Optional[str] = None
    linkedin_url: Optional[str] = None


class SocialProfiles(ResponseModel):
    linkedin: Optional[str] = None
    linkedin_public_identifier: Optional[str] = None
    twitter: Optional[str] = None
    github: Optional[str] = None
    facebook: Optional[str] = None


class EmailInfo(ResponseModel):
    normalized: Optional[str] = None
    domain: Optional[str] = None
    is_free: Optional[bool] = None
    is_disposable: Optional[bool] = None
    is_role: Optional[bool] = None
    # None unless the server checks mail servers (BUENA_ENRICHMENT_DNS).
    deliverable: Optional[bool] = None


class PhoneInfo(ResponseModel):
    e164: Optional[str] = None
    international: Optional[str] = None
    country: Optional[str] = None
    region: Optional[str] = None
    carrier: Optional[str] = None
    line_type: Optional[str] = None
    time_zones: list[str] = []
    valid: Optional[bool] = None


class NameInfo(ResponseModel):
    full_name: Optional[str] = None
    title: Optional[str] = None
    first_name: Optional[str] = None
    middle_name: Optional[str] = None
    last_name: Optional[str] = None
    suffix: Optional[str] = None


class EnrichedData(ResponseModel):
    first_name: Optional[str] = None
    last_name: Optional[str] = None
    email: Optional[str] = None
    alternative_emails: list[str] = []
    phone: Optional[str] = None
    linkedin_url: Optional[str] = None
    company: Optional[str] = None
    title: Optional[str] = None
    location: Optional[str] = None
    company_info: Optional[CompanyInfo] = None
    social_profiles: Optional[SocialProfiles] = None
    email_info: Optional[EmailInfo] = None
    phone_info: Optional[PhoneInfo] = None
    name_info: Optional[NameInfo] = None


class EnrichedLead(ResponseModel):
    """One lead enriched: its input as sent, what was found, how sure, and from where."""

    input: dict[str, Any]
    enriched_data: EnrichedData
    confidence: float
    sources: list[str]
    # The stored lead's fields written back (update_leads).
    updated_fields: list[str] = []


class FailedEnrichment(ResponseModel):
    """An input that was not enriched (and not charged): ``code`` is INVALID_INPUT,
    LEAD_NOT_FOUND, NOTHING_FOUND, PROVIDER_UNAVAILABLE (nothing found and a provider
    failed) or PROVIDER_ERROR."""

    input: dict[str, Any]
    code: str
    message: str


class EnrichResponse(ResponseModel):
    enriched: list[EnrichedLead]
    failed: list[FailedEnrichment]
    credits_used: int
    remaining_credits: int


class FieldProvenance(ResponseModel):
    value: Any = None
    sources: list[str]
    enriched_at: ServerDatetime


class LeadEnrichment(ResponseModel):
    """What enrichment wrote to a stored lead: its last run and each field it filled."""

    lead_id: str
    enriched_at: Optional[ServerDatetime] = None
    sources: list[str] = []
    confidence: Optional[float] = None
    fields: dict[str, FieldProvenance] = {}
