"""The connected LinkedIn account (``linkedin:read`` to read it, ``linkedin:schedule`` to
connect, change or disconnect it): ``get_linkedin_integration``,
``update_linkedin_integration`` and ``delete_linkedin_integration``.

Each operation comes in the same six forms as every other (see ``default_api``); all are
methods of ``LinkedInApi`` and ``DefaultApi``, which inherit this class.
"""

from typing import Any, Union

import urllib3
from typing_extensions import Unpack

from buena_sdk._call_options import CallOptions
from buena_sdk._raw import AsyncRawResponse
from buena_sdk._request import RequestOptions
from buena_sdk.api._base import ApiBase, as_model
from buena_sdk.api_response import ApiResponse
from buena_sdk.models import (
    DisconnectLinkedInResponse,
    LinkedInIntegration,
    LinkedInIntegrationRequest,
)

Integration = Union[LinkedInIntegrationRequest, dict[str, Any]]
_INTEGRATION = "/integrations/linkedin"


class LinkedInIntegrationApi(ApiBase):
    """The connected LinkedIn account (``linkedin:read``, ``linkedin:schedule``)."""

    # -- get_linkedin_integration ---------------------------------------------------

    def get_linkedin_integration(self, **call: Unpack[CallOptions]) -> LinkedInIntegration:
        """The connected LinkedIn account and its rules (``connected`` False when there is none)."""
        return self.get_linkedin_integration_with_http_info(**call).data

    def get_linkedin_integration_with_http_info(
        self, **call: Unpack[CallOptions]
    ) -> ApiResponse[LinkedInIntegration]:
        return self.api_client.call_api(_get_integration(), LinkedInIntegration, **call)

    async def get_linkedin_integration_async(
        self, **call: Unpack[CallOptions]
    ) -> LinkedInIntegration:
        return (await self.get_linkedin_integration_with_http_info_async(**call)).data

    async def get_linkedin_integration_with_http_info_async(
        self, **call: Unpack[CallOptions]
    ) -> ApiResponse[LinkedInIntegration]:
        return await self.api_client.call_api_async(_get_integration(), LinkedInIntegration, **call)

    def get_linkedin_integration_without_preload_content(
        self, **call: Unpack[CallOptions]
    ) -> urllib3.BaseHTTPResponse:
        return self.api_client.call_api_raw(_get_integration(), **call)

    async def get_linkedin_integration_without_preload_content_async(
        self, **call: Unpack[CallOptions]
    ) -> AsyncRawResponse:
        return await self.api_client.call_api_raw_async(_get_integration(), **call)

    # -- update_linkedin_integration ------------------------------------------------

    def update_linkedin_integration(
        self, linkedin_integration_request: Integration, **call: Unpack[CallOptions]
    ) -> LinkedInIntegration:
        """Connect (or reconfigure) the LinkedIn account: the whole integration, a field left out
        takes its default. ``UnprocessableEntityException`` names each invalid value."""
        return self.update_linkedin_integration_with_http_info(
            linkedin_integration_request, **call
        ).data

    def update_linkedin_integration_with_http_info(
        self, linkedin_integration_request: Integration, **call: Unpack[CallOptions]
    ) -> ApiResponse[LinkedInIntegration]:
        return self.api_client.call_api(
            _update_integration(linkedin_integration_request), LinkedInIntegration, **call
        )

    async def update_linkedin_integration_async(
        self, linkedin_integration_request: Integration, **call: Unpack[CallOptions]
    ) -> LinkedInIntegration:
        return (
            await self.update_linkedin_integration_with_http_info_async(
                linkedin_integration_request, **call
            )
        ).data

    async def update_linkedin_integration_with_http_info_async(
        self, linkedin_integration_request: Integration, **call: Unpack[CallOptions]
    ) -> ApiResponse[LinkedInIntegration]:
        return await self.api_client.call_api_async(
            _update_integration(linkedin_integration_request), LinkedInIntegration, **call
        )

    def update_linkedin_integration_without_preload_content(
        self, linkedin_integration_request: Integration, **call: Unpack[CallOptions]
    ) -> urllib3.BaseHTTPResponse:
        return self.api_client.call_api_raw(
            _update_integration(linkedin_integration_request), **call
        )

    async def update_linkedin_integration_without_preload_content_async(
        self, linkedin_integration_request: Integration, **call: Unpack[CallOptions]
    ) -> AsyncRawResponse:
        return await self.api_client.call_api_raw_async(
            _update_integration(linkedin_integration_request), **call
        )

    # -- delete_linkedin_integration ------------------------------------------------

    def delete_linkedin_integration(
        self, **call: Unpack[CallOptions]
    ) -> DisconnectLinkedInResponse:
        """Disconnect: its scheduled actions are canceled; ``ConflictException``
        (``LINKEDIN_NOT_CONNECTED``) when none is connected."""
        return self.delete_linkedin_integration_with_http_info(**call).data

    def delete_linkedin_integration_with_http_info(
        self, **call: Unpack[CallOptions]
    ) -> ApiResponse[DisconnectLinkedInResponse]:
        return self.api_client.call_api(_delete_integration(), DisconnectLinkedInResponse, **call)

    async def delete_linkedin_integration_async(
        self, **call: Unpack[CallOptions]
    ) -> DisconnectLinkedInResponse:
        return (await self.delete_linkedin_integration_with_http_info_async(**call)).data

    async def delete_linkedin_integration_with_http_info_async(
        self, **call: Unpack[CallOptions]
    ) -> ApiResponse[DisconnectLinkedInResponse]:
        return await self.api_client.call_api_async(
            _delete_integration(), DisconnectLinkedInResponse, **call
        )

    def delete_linkedin_integration_without_preload_content(
        self, **call: Unpack[CallOptions]
    ) -> urllib3.BaseHTTPResponse:
        return self.api_client.call_api_raw(_delete_integration(), **call)

    async def delete_linkedin_integration_without_preload_content_async(
        self, **call: Unpack[CallOptions]
    ) -> AsyncRawResponse:
        return await self.api_client.call_api_raw_async(_delete_integration(), **call)


# -- request descriptions, shared by the sync and async forms --------------------------


def _get_integration() -> RequestOptions:
    return RequestOptions("GET", _INTEGRATION)


def _update_integration(request: Integration) -> RequestOptions:
    return RequestOptions("PUT", _INTEGRATION, body=as_model(LinkedInIntegrationRequest, request))


def _delete_integration() -> RequestOptions:
    return RequestOptions("DELETE", _INTEGRATION)
