from typing import Any, Optional

from buena_sdk.models._base import RequestModel, ResponseModel, ServerDatetime


class EnrichLeadInput(RequestModel):
    """One lead to enrich: a stored lead's ``lead_id`` alone, or any of the other fields."""

    lead_id: Optional[str] = None
    email: Optional[str] = None
    first_name: Optional[str] = None
    last_name: Optional[str] = None
    full_name: Optional[str] = None
    company: Optional[str] = None
    phone: Optional[str] = None
    linkedin_url: Optional[str] = None


class EnrichmentOptions(RequestModel):
    """What to look for (the server takes each left out as true)."""

    include_personal_info: Optional[bool] = None
    include_company_info: Optional[bool] = None
    include_social_profiles: Optional[bool] = None
    include_contact_info: Optional[bool] = None


class EnrichRequest(RequestModel):
    """Body of ``enrich``: 1 to 100 leads; ``update_leads`` writes results to the stored
    leads' empty fields."""

    leads: list[EnrichLeadInput]
    options: Optional[EnrichmentOptions] = None
    update_leads: Optional[bool] = None


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
    LEAD_NOT_FOUND, NOTHING_FOUND or PROVIDER_ERROR."""

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
