"""Python SDK for the Buena.ai API v2.

Usage::

    import buena_sdk
    from buena_sdk.api.bulk_leads_api import BulkLeadsApi
from buena_sdk.api.bulk_leads_api import BulkLeadsApi
from buena_sdk.api.default_api import DefaultApi

    configuration = buena_sdk.Configuration(host="https://api.buena.ai/api/v2")
    configuration.api_key["ApiKeyAuth"] = "bna_..."
    with buena_sdk.ApiClient(configuration) as api_client:
        leads = DefaultApi(api_client).list_leads(limit=25)

A webhook receiver verifies each request with ``buena_sdk.webhooks.construct_event``.
"""

from buena_sdk import webhooks
from buena_sdk._version import __version__
from buena_sdk.api.bulk_leads_api import BulkLeadsApi
from buena_sdk.api.default_api import DefaultApi
from buena_sdk.api.events_api import EventsApi
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
    RateLimitException,
    ServiceException,
    SignatureVerificationError,
    UnauthorizedException,
    UnprocessableEntityException,
)
from buena_sdk.models import (
    EVENT_TYPES,
    MAX_BATCH_SIZE,
    PERMISSIONS,
    ApiKey,
    BatchLeadError,
    BatchLeadResult,
    BatchLeadsRequest,
    BatchLeadsResponse,
    CreateApiKeyRequest,
    CreatedWebhook,
    CreateLeadRequest,
    CreateWebhookRequest,
    Event,
    HealthCheck200Response,
    Lead,
    ListApiKeysResponse,
    ListEventsResponse,
    ListLeads200Response,
    ListWebhookDeliveriesResponse,
    ListWebhooksResponse,
    RotateWebhookSecretRequest,
    UpdateLeadRequest,
    UpdateWebhookRequest,
    Webhook,
    WebhookDelivery,
    WebhookSecret,
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

__all__ = [
    "EVENT_TYPES",
    "MAX_BATCH_SIZE",
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
    "Configuration",
    "ConflictException",
    "CreateApiKeyRequest",
    "CreateLeadRequest",
    "CreateWebhookRequest",
    "CreatedWebhook",
    "DefaultApi",
    "Event",
    "EventsApi",
    "ForbiddenException",
    "HealthCheck200Response",
    "Lead",
    "ListApiKeysResponse",
    "ListEventsResponse",
    "ListLeads200Response",
    "ListWebhookDeliveriesResponse",
    "ListWebhooksResponse",
    "NotFoundException",
    "RateLimitException",
    "RotateWebhookSecretRequest",
    "ServiceException",
    "SignatureVerificationError",
    "UnauthorizedException",
    "UnprocessableEntityException",
    "UpdateLeadRequest",
    "UpdateWebhookRequest",
    "Webhook",
    "WebhookDelivery",
    "WebhookSecret",
    "WebhooksApi",
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
