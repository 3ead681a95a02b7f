"""Python SDK for the Buena.ai API v2.

Usage::

    import buena_sdk
    from buena_sdk.api.default_api import DefaultApi

    configuration = buena_sdk.Configuration(host="https://api.buena.ai/api/v2")
    configuration.api_key["ApiKeyAuth"] = "bna_..."
    with buena_sdk.ApiClient(configuration) as api_client:
        leads = DefaultApi(api_client).list_leads(limit=25)
"""

from buena_sdk._version import __version__
from buena_sdk.api.default_api import DefaultApi
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
    UnauthorizedException,
    UnprocessableEntityException,
)
from buena_sdk.models import (
    PERMISSIONS,
    ApiKey,
    CreateApiKeyRequest,
    CreateLeadRequest,
    HealthCheck200Response,
    Lead,
    ListApiKeysResponse,
    ListLeads200Response,
    UpdateLeadRequest,
)
from buena_sdk.pagination import (
    apaginate_api_keys,
    apaginate_leads,
    paginate_api_keys,
    paginate_leads,
)

__all__ = [
    "PERMISSIONS",
    "ApiClient",
    "ApiConnectionError",
    "ApiException",
    "ApiKey",
    "ApiResponse",
    "ApiResponseValidationError",
    "ApiTimeoutError",
    "BadRequestException",
    "BuenaError",
    "Configuration",
    "ConflictException",
    "CreateApiKeyRequest",
    "CreateLeadRequest",
    "DefaultApi",
    "ForbiddenException",
    "HealthCheck200Response",
    "Lead",
    "ListApiKeysResponse",
    "ListLeads200Response",
    "NotFoundException",
    "RateLimitException",
    "ServiceException",
    "UnauthorizedException",
    "UnprocessableEntityException",
    "UpdateLeadRequest",
    "__version__",
    "apaginate_api_keys",
    "apaginate_leads",
    "paginate_api_keys",
    "paginate_leads",
]
