"""Request and response models (pydantic v2), one per module."""

from buena_sdk.models.api_key import ApiKey
from buena_sdk.models.batch_leads import (
    MAX_BATCH_SIZE,
    BatchLeadError,
    BatchLeadResult,
    BatchLeadsRequest,
    BatchLeadsResponse,
)
from buena_sdk.models.create_api_key_request import PERMISSIONS, CreateApiKeyRequest
from buena_sdk.models.create_lead_request import CreateLeadRequest
from buena_sdk.models.create_webhook_request import CreateWebhookRequest
from buena_sdk.models.created_webhook import CreatedWebhook
from buena_sdk.models.credits import CreditsResponse, LedgerEntry
from buena_sdk.models.enrichment import (
    MAX_ENRICH_LEADS,
    MAX_ENRICHMENT_JOB_LEADS,
    CompanyInfo,
    EmailInfo,
    EnrichedData,
    EnrichedLead,
    EnrichFilter,
    EnrichLeadInput,
    EnrichmentOptions,
    EnrichRequest,
    EnrichResponse,
    FailedEnrichment,
    FieldProvenance,
    LeadEnrichment,
    NameInfo,
    PhoneInfo,
    SocialProfiles,
)
from buena_sdk.models.error_response import ErrorResponse
from buena_sdk.models.event import EVENT_TYPES, Event
from buena_sdk.models.health_check200_response import HealthCheck200Response
from buena_sdk.models.job import Job, JobStatistics, ListJobsResponse
from buena_sdk.models.lead import Lead
from buena_sdk.models.lead_activity import (
    LeadActivity,
    LeadStatusChange,
    ListLeadActivitiesResponse,
)
from buena_sdk.models.linkedin import (
    LINKEDIN_ACTION_TYPES,
    DisconnectLinkedInResponse,
    HostedScheduleLinkedInActionRequest,
    HostedScheduleLinkedInActionResponse,
    LinkedInAction,
    LinkedInActionError,
    LinkedInIntegration,
    LinkedInIntegrationRequest,
    LinkedInWorkingHours,
    ListLinkedInActionsResponse,
    ScheduleLinkedInActionRequest,
    VoiceSettings,
    WorkingHours,
)
from buena_sdk.models.list_api_keys_response import ListApiKeysResponse
from buena_sdk.models.list_events_response import ListEventsResponse
from buena_sdk.models.list_leads200_response import ListLeads200Response
from buena_sdk.models.list_webhook_deliveries_response import ListWebhookDeliveriesResponse
from buena_sdk.models.list_webhooks_response import ListWebhooksResponse
from buena_sdk.models.literals import (
    DeliveryStatus,
    JobStatus,
    LeadSort,
    LeadStatus,
    SortOrder,
    VoiceCloneStatus,
)
from buena_sdk.models.prospect_list import (
    MAX_PROSPECTS,
    ConvertedProspect,
    ConvertProspectListResponse,
    CreateProspectListRequest,
    ListProspectListsResponse,
    ListProspectsResponse,
    Prospect,
    ProspectInput,
    ProspectList,
    ScheduledProspect,
    ScheduleProspectListRequest,
    ScheduleProspectListResponse,
)
from buena_sdk.models.rotate_webhook_secret_request import RotateWebhookSecretRequest
from buena_sdk.models.update_lead_request import UpdateLeadRequest
from buena_sdk.models.update_webhook_request import UpdateWebhookRequest
from buena_sdk.models.voice_clone import (
    MAX_PREVIEW_TEXT,
    MAX_VOICE_SAMPLES,
    VoiceClone,
    VoiceCloneList,
    VoiceCloneSettings,
    VoiceCloneSettingsInput,
    VoiceCloneUpdate,
    VoicePreviewRequest,
    VoiceProfile,
    VoiceSample,
)
from buena_sdk.models.webhook import Webhook
from buena_sdk.models.webhook_delivery import WebhookDelivery
from buena_sdk.models.webhook_secret import WebhookSecret

__all__ = [
    "EVENT_TYPES",
    "LINKEDIN_ACTION_TYPES",
    "MAX_BATCH_SIZE",
    "MAX_ENRICHMENT_JOB_LEADS",
    "MAX_ENRICH_LEADS",
    "MAX_PREVIEW_TEXT",
    "MAX_PROSPECTS",
    "MAX_VOICE_SAMPLES",
    "PERMISSIONS",
    "ApiKey",
    "BatchLeadError",
    "BatchLeadResult",
    "BatchLeadsRequest",
    "BatchLeadsResponse",
    "CompanyInfo",
    "ConvertProspectListResponse",
    "ConvertedProspect",
    "CreateApiKeyRequest",
    "CreateLeadRequest",
    "CreateProspectListRequest",
    "CreateWebhookRequest",
    "CreatedWebhook",
    "CreditsResponse",
    "DeliveryStatus",
    "DisconnectLinkedInResponse",
    "EmailInfo",
    "EnrichFilter",
    "EnrichLeadInput",
    "EnrichRequest",
    "EnrichResponse",
    "EnrichedData",
    "EnrichedLead",
    "EnrichmentOptions",
    "ErrorResponse",
    "Event",
    "FailedEnrichment",
    "FieldProvenance",
    "HealthCheck200Response",
    "HostedScheduleLinkedInActionRequest",
    "HostedScheduleLinkedInActionResponse",
    "Job",
    "JobStatistics",
    "JobStatus",
    "Lead",
    "LeadActivity",
    "LeadEnrichment",
    "LeadSort",
    "LeadStatus",
    "LeadStatusChange",
    "LedgerEntry",
    "LinkedInAction",
    "LinkedInActionError",
    "LinkedInIntegration",
    "LinkedInIntegrationRequest",
    "LinkedInWorkingHours",
    "ListApiKeysResponse",
    "ListEventsResponse",
    "ListJobsResponse",
    "ListLeadActivitiesResponse",
    "ListLeads200Response",
    "ListLinkedInActionsResponse",
    "ListProspectListsResponse",
    "ListProspectsResponse",
    "ListWebhookDeliveriesResponse",
    "ListWebhooksResponse",
    "NameInfo",
    "PhoneInfo",
    "Prospect",
    "ProspectInput",
    "ProspectList",
    "RotateWebhookSecretRequest",
    "ScheduleLinkedInActionRequest",
    "ScheduleProspectListRequest",
    "ScheduleProspectListResponse",
    "ScheduledProspect",
    "SocialProfiles",
    "SortOrder",
    "UpdateLeadRequest",
    "UpdateWebhookRequest",
    "VoiceClone",
    "VoiceCloneList",
    "VoiceCloneSettings",
    "VoiceCloneSettingsInput",
    "VoiceCloneStatus",
    "VoiceCloneUpdate",
    "VoicePreviewRequest",
    "VoiceProfile",
    "VoiceSample",
    "VoiceSettings",
    "Webhook",
    "WebhookDelivery",
    "WebhookSecret",
    "WorkingHours",
]
