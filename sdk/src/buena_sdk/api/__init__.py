from buena_sdk.api.api_keys_api import ApiKeysApi
from buena_sdk.api.bulk_leads_api import BulkLeadsApi
from buena_sdk.api.default_api import DefaultApi
from buena_sdk.api.enrichment_api import EnrichmentApi
from buena_sdk.api.events_api import EventsApi
from buena_sdk.api.jobs_api import JobsApi
from buena_sdk.api.lead_activities_api import LeadActivitiesApi
from buena_sdk.api.linkedin_api import LinkedInApi
from buena_sdk.api.prospect_lists_api import ProspectListsApi
from buena_sdk.api.voice_clones_api import VoiceClonesApi
from buena_sdk.api.voice_preview_api import VoicePreviewApi
from buena_sdk.api.webhooks_api import WebhooksApi

__all__ = [
    "ApiKeysApi",
    "BulkLeadsApi",
    "DefaultApi",
    "EnrichmentApi",
    "EventsApi",
    "JobsApi",
    "LeadActivitiesApi",
    "LinkedInApi",
    "ProspectListsApi",
    "VoiceClonesApi",
    "VoicePreviewApi",
    "WebhooksApi",
]
