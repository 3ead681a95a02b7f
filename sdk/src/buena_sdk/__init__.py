"""Python SDK for the Buena.ai API v2.

Usage::

    import buena_sdk
    from buena_sdk.api.default_api import DefaultApi

    configuration = buena_sdk.Configuration(host="https://api.buena.ai/api/v2")
    configuration.api_key["ApiKeyAuth"] = "bna_..."
    with buena_sdk.ApiClient(configuration) as api_client:
        leads = DefaultApi(api_client).list_leads(limit=25)

A webhook receiver verifies each request with ``buena_sdk.webhooks.construct_event``.

``import buena_sdk`` loads no model, transport or HTTP library: each name below is imported
on first use (PEP 562), so a program pays for what it touches (urllib3 for a sync client,
aiohttp only on the first ``*_async`` call). Type checkers see the plain imports.
"""

import importlib
from typing import TYPE_CHECKING

from buena_sdk._version import __version__

if TYPE_CHECKING:
    from buena_sdk import webhooks
    from buena_sdk.api.bulk_leads_api import BulkLeadsApi
    from buena_sdk.api.default_api import DefaultApi
    from buena_sdk.api.enrichment_api import EnrichmentApi
    from buena_sdk.api.events_api import EventsApi
    from buena_sdk.api.jobs_api import JobsApi
    from buena_sdk.api.lead_activities_api import LeadActivitiesApi
    from buena_sdk.api.linkedin_api import LinkedInApi
    from buena_sdk.api.webhooks_api import WebhooksApi
    from buena_sdk.api_client import ApiClient
    from buena_sdk.api_response import ApiResponse
    from buena_sdk.configuration import Configuration
    from buena_sdk.exceptions import (
        ApiConnectionError,
        ApiException,
        ApiResponseValidationError,
        ApiTimeoutError,
        BadRequestException,
        BuenaError,
        ConflictException,
        ForbiddenException,
        NotFoundException,
        PaymentRequiredException,
        RateLimitException,
        ServiceException,
        SignatureVerificationError,
        UnauthorizedException,
        UnprocessableEntityException,
    )
    from buena_sdk.models import (
        EVENT_TYPES,
        LINKEDIN_ACTION_TYPES,
        MAX_BATCH_SIZE,
        MAX_ENRICH_LEADS,
        MAX_ENRICHMENT_JOB_LEADS,
        PERMISSIONS,
        ApiKey,
        BatchLeadError,
        BatchLeadResult,
        BatchLeadsRequest,
        BatchLeadsResponse,
        CompanyInfo,
        CreateApiKeyRequest,
        CreatedWebhook,
        CreateLeadRequest,
        CreateWebhookRequest,
        CreditsResponse,
        DisconnectLinkedInResponse,
        EmailInfo,
        EnrichedData,
        EnrichedLead,
        EnrichFilter,
        EnrichLeadInput,
        EnrichmentOptions,
        EnrichRequest,
        EnrichResponse,
        ErrorResponse,
        Event,
        FailedEnrichment,
        FieldProvenance,
        HealthCheck200Response,
        HostedScheduleLinkedInActionRequest,
        HostedScheduleLinkedInActionResponse,
        Job,
        JobStatistics,
        Lead,
        LeadActivity,
        LeadEnrichment,
        LeadStatusChange,
        LedgerEntry,
        LinkedInAction,
        LinkedInActionError,
        LinkedInIntegration,
        LinkedInIntegrationRequest,
        LinkedInWorkingHours,
        ListApiKeysResponse,
        ListEventsResponse,
        ListJobsResponse,
        ListLeadActivitiesResponse,
        ListLeads200Response,
        ListLinkedInActionsResponse,
        ListWebhookDeliveriesResponse,
        ListWebhooksResponse,
        NameInfo,
        PhoneInfo,
        RotateWebhookSecretRequest,
        ScheduleLinkedInActionRequest,
        SocialProfiles,
        UpdateLeadRequest,
        UpdateWebhookRequest,
        VoiceSettings,
        Webhook,
        WebhookDelivery,
        WebhookSecret,
        WorkingHours,
    )
    from buena_sdk.pagination import (
        apaginate_api_keys,
        apaginate_events,
        apaginate_leads,
        apaginate_webhook_deliveries,
        apaginate_webhooks,
        paginate_api_keys,
        paginate_events,
        paginate_leads,
        paginate_webhook_deliveries,
        paginate_webhooks,
    )

# Where each public name lives, imported on first access.
_LAZY: dict[str, tuple[str, ...]] = {
    "buena_sdk.api.bulk_leads_api": ("BulkLeadsApi",),
    "buena_sdk.api.default_api": ("DefaultApi",),
    "buena_sdk.api.enrichment_api": ("EnrichmentApi",),
    "buena_sdk.api.events_api": ("EventsApi",),
    "buena_sdk.api.jobs_api": ("JobsApi",),
    "buena_sdk.api.lead_activities_api": ("LeadActivitiesApi",),
    "buena_sdk.api.linkedin_api": ("LinkedInApi",),
    "buena_sdk.api.webhooks_api": ("WebhooksApi",),
    "buena_sdk.api_client": ("ApiClient",),
    "buena_sdk.api_response": ("ApiResponse",),
    "buena_sdk.configuration": ("Configuration",),
    "buena_sdk.exceptions": (
        "ApiConnectionError",
        "ApiException",
        "ApiResponseValidationError",
        "ApiTimeoutError",
        "BadRequestException",
        "BuenaError",
        "ConflictException",
        "ForbiddenException",
        "NotFoundException",
        "PaymentRequiredException",
        "RateLimitException",
        "ServiceException",
        "SignatureVerificationError",
        "UnauthorizedException",
        "UnprocessableEntityException",
    ),
    "buena_sdk.models": (
        "EVENT_TYPES",
        "MAX_BATCH_SIZE",
        "MAX_ENRICH_LEADS",
        "MAX_ENRICHMENT_JOB_LEADS",
        "PERMISSIONS",
        "ApiKey",
        "BatchLeadError",
        "BatchLeadResult",
        "BatchLeadsRequest",
        "BatchLeadsResponse",
        "CreateApiKeyRequest",
        "CreatedWebhook",
        "CreateLeadRequest",
        "CreditsResponse",
        "CompanyInfo",
        "EmailInfo",
        "EnrichFilter",
        "EnrichLeadInput",
        "EnrichRequest",
        "EnrichResponse",
        "EnrichedData",
        "EnrichedLead",
        "EnrichmentOptions",
        "FailedEnrichment",
        "FieldProvenance",
        "LeadEnrichment",
        "NameInfo",
        "PhoneInfo",
        "SocialProfiles",
        "CreateWebhookRequest",
        "ErrorResponse",
        "Event",
        "HealthCheck200Response",
        "Job",
        "JobStatistics",
        "Lead",
        "LedgerEntry",
        "ListApiKeysResponse",
        "ListEventsResponse",
        "ListJobsResponse",
        "ListLeads200Response",
        "ListWebhookDeliveriesResponse",
        "ListWebhooksResponse",
        "RotateWebhookSecretRequest",
        "UpdateLeadRequest",
        "UpdateWebhookRequest",
        "Webhook",
        "WebhookDelivery",
        "WebhookSecret",
        "LINKEDIN_ACTION_TYPES",
        "DisconnectLinkedInResponse",
        "HostedScheduleLinkedInActionRequest",
        "HostedScheduleLinkedInActionResponse",
        "LinkedInAction",
        "LinkedInActionError",
        "LinkedInIntegration",
        "LinkedInIntegrationRequest",
        "LinkedInWorkingHours",
        "ListLinkedInActionsResponse",
        "ScheduleLinkedInActionRequest",
        "LeadActivity",
        "LeadStatusChange",
        "ListLeadActivitiesResponse",
        "VoiceSettings",
        "WorkingHours",
    ),
    "buena_sdk.pagination": (
        "apaginate_api_keys",
        "apaginate_events",
        "apaginate_leads",
        "apaginate_webhook_deliveries",
        "apaginate_webhooks",
        "paginate_api_keys",
        "paginate_events",
        "paginate_leads",
        "paginate_webhook_deliveries",
        "paginate_webhooks",
    ),
}
_SOURCE = {name: module for module, names in _LAZY.items() for name in names}
# Submodules reached as attributes (``buena_sdk.webhooks.construct_event``).
_SUBMODULES = frozenset(
    {"api", "api_client", "api_response", "configuration", "exceptions", "models"}
    | {"pagination", "rest", "webhooks"}
)

if not TYPE_CHECKING:  # mypy sees the imports above, and no catch-all attribute

    def __getattr__(name: str) -> object:
        if name in _SOURCE:
            value = getattr(importlib.import_module(_SOURCE[name]), name)
        elif name in _SUBMODULES:
            value = importlib.import_module(f"{__name__}.{name}")
        else:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        globals()[name] = value  # later accesses skip this function
        return value

    def __dir__() -> list[str]:
        return sorted(set(globals()) | set(__all__))


__all__ = [
    "EVENT_TYPES",
    "LINKEDIN_ACTION_TYPES",
    "MAX_BATCH_SIZE",
    "MAX_ENRICHMENT_JOB_LEADS",
    "MAX_ENRICH_LEADS",
    "PERMISSIONS",
    "ApiClient",
    "ApiConnectionError",
    "ApiException",
    "ApiKey",
    "ApiResponse",
    "ApiResponseValidationError",
    "ApiTimeoutError",
    "BadRequestException",
    "BatchLeadError",
    "BatchLeadResult",
    "BatchLeadsRequest",
    "BatchLeadsResponse",
    "BuenaError",
    "BulkLeadsApi",
    "CompanyInfo",
    "Configuration",
    "ConflictException",
    "CreateApiKeyRequest",
    "CreateLeadRequest",
    "CreateWebhookRequest",
    "CreatedWebhook",
    "CreditsResponse",
    "DefaultApi",
    "DisconnectLinkedInResponse",
    "EmailInfo",
    "EnrichFilter",
    "EnrichLeadInput",
    "EnrichRequest",
    "EnrichResponse",
    "EnrichedData",
    "EnrichedLead",
    "EnrichmentApi",
    "EnrichmentOptions",
    "ErrorResponse",
    "Event",
    "EventsApi",
    "FailedEnrichment",
    "FieldProvenance",
    "ForbiddenException",
    "HealthCheck200Response",
    "HostedScheduleLinkedInActionRequest",
    "HostedScheduleLinkedInActionResponse",
    "Job",
    "JobStatistics",
    "JobsApi",
    "Lead",
    "LeadActivitiesApi",
    "LeadActivity",
    "LeadEnrichment",
    "LeadStatusChange",
    "LedgerEntry",
    "LinkedInAction",
    "LinkedInActionError",
    "LinkedInApi",
    "LinkedInIntegration",
    "LinkedInIntegrationRequest",
    "LinkedInWorkingHours",
    "ListApiKeysResponse",
    "ListEventsResponse",
    "ListJobsResponse",
    "ListLeadActivitiesResponse",
    "ListLeads200Response",
    "ListLinkedInActionsResponse",
    "ListWebhookDeliveriesResponse",
    "ListWebhooksResponse",
    "NameInfo",
    "NotFoundException",
    "PaymentRequiredException",
    "PhoneInfo",
    "RateLimitException",
    "RotateWebhookSecretRequest",
    "ScheduleLinkedInActionRequest",
    "ServiceException",
    "SignatureVerificationError",
    "SocialProfiles",
    "UnauthorizedException",
    "UnprocessableEntityException",
    "UpdateLeadRequest",
    "UpdateWebhookRequest",
    "VoiceSettings",
    "Webhook",
    "WebhookDelivery",
    "WebhookSecret",
    "WebhooksApi",
    "WorkingHours",
    "__version__",
    "apaginate_api_keys",
    "apaginate_events",
    "apaginate_leads",
    "apaginate_webhook_deliveries",
    "apaginate_webhooks",
    "paginate_api_keys",
    "paginate_events",
    "paginate_leads",
    "paginate_webhook_deliveries",
    "paginate_webhooks",
    "webhooks",
]
