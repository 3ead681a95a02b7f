"""Request and response models (pydantic v2), one per module."""

from buena_sdk.models.api_key import ApiKey
from buena_sdk.models.create_api_key_request import PERMISSIONS, CreateApiKeyRequest
from buena_sdk.models.create_lead_request import CreateLeadRequest
from buena_sdk.models.health_check200_response import HealthCheck200Response
from buena_sdk.models.lead import Lead
from buena_sdk.models.list_api_keys_response import ListApiKeysResponse
from buena_sdk.models.list_leads200_response import ListLeads200Response
from buena_sdk.models.update_lead_request import UpdateLeadRequest

__all__ = [
    "PERMISSIONS",
    "ApiKey",
    "CreateApiKeyRequest",
    "CreateLeadRequest",
    "HealthCheck200Response",
    "Lead",
    "ListApiKeysResponse",
    "ListLeads200Response",
    "UpdateLeadRequest",
]
