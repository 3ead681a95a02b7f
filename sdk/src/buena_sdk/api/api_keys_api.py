"""The API key operations (``api_keys:read`` to list, ``api_keys:write`` to create and
revoke), in the same six forms as every operation (see ``default_api``); all of them are
also methods of ``DefaultApi``.
"""

from typing import Any, Optional, Union

import urllib3
from typing_extensions import Unpack

from buena_sdk._call_options import CallOptions
from buena_sdk._raw import AsyncRawResponse
from buena_sdk._request import RequestOptions
from buena_sdk.api._base import ApiBase, as_model, path_param
from buena_sdk.api_response import ApiResponse
from buena_sdk.models import ApiKey, CreateApiKeyRequest, ListApiKeysResponse


class ApiKeysApi(ApiBase):
    """List, create and revoke API keys."""

    # -- list_api_keys ------------------------------------------------------------------

    def list_api_keys(
        self,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        cursor: Optional[str] = None,
        **call: Unpack[CallOptions],
    ) -> ListApiKeysResponse:
        """One page of the account's API keys, without the secrets: ``limit`` defaults to 50
        on the server and is capped at 100; ``cursor`` is the previous page's
        ``next_cursor`` (``paginate_api_keys`` walks every page)."""
        return self.list_api_keys_with_http_info(limit, offset, cursor, **call).data

    def list_api_keys_with_http_info(
        self,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        cursor: Optional[str] = None,
        **call: Unpack[CallOptions],
    ) -> ApiResponse[ListApiKeysResponse]:
        options = _list_api_keys(limit, offset, cursor)
        return self.api_client.call_api(options, ListApiKeysResponse, **call)

    async def list_api_keys_async(
        self,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        cursor: Optional[str] = None,
        **call: Unpack[CallOptions],
    ) -> ListApiKeysResponse:
        return (await self.list_api_keys_with_http_info_async(limit, offset, cursor, **call)).data

    async def list_api_keys_with_http_info_async(
        self,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        cursor: Optional[str] = None,
        **call: Unpack[CallOptions],
    ) -> ApiResponse[ListApiKeysResponse]:
        options = _list_api_keys(limit, offset, cursor)
        return await self.api_client.call_api_async(options, ListApiKeysResponse, **call)

    def list_api_keys_without_preload_content(
        self,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        cursor: Optional[str] = None,
        **call: Unpack[CallOptions],
    ) -> urllib3.BaseHTTPResponse:
        options = _list_api_keys(limit, offset, cursor)
        return self.api_client.call_api_raw(options, **call)

    async def list_api_keys_without_preload_content_async(
        self,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        cursor: Optional[str] = None,
        **call: Unpack[CallOptions],
    ) -> AsyncRawResponse:
        options = _list_api_keys(limit, offset, cursor)
        return await self.api_client.call_api_raw_async(options, **call)

    # -- create_api_key -----------------------------------------------------------------

    def create_api_key(
        self, create_api_key_request: CreateApiKeyRequest, **call: Unpack[CallOptions]
    ) -> ApiKey:
        """Create a key; the answer's ``key`` is the secret, shown this once only."""
        return self.create_api_key_with_http_info(create_api_key_request, **call).data

    def create_api_key_with_http_info(
        self, create_api_key_request: CreateApiKeyRequest, **call: Unpack[CallOptions]
    ) -> ApiResponse[ApiKey]:
        return self.api_client.call_api(_create_api_key(create_api_key_request), ApiKey, **call)

    async def create_api_key_async(
        self, create_api_key_request: CreateApiKeyRequest, **call: Unpack[CallOptions]
    ) -> ApiKey:
        return (await self.create_api_key_with_http_info_async(create_api_key_request, **call)).data

    async def create_api_key_with_http_info_async(
        self, create_api_key_request: CreateApiKeyRequest, **call: Unpack[CallOptions]
    ) -> ApiResponse[ApiKey]:
        options = _create_api_key(create_api_key_request)
        return await self.api_client.call_api_async(options, ApiKey, **call)

    def create_api_key_without_preload_content(
        self, create_api_key_request: CreateApiKeyRequest, **call: Unpack[CallOptions]
    ) -> urllib3.BaseHTTPResponse:
        return self.api_client.call_api_raw(_create_api_key(create_api_key_request), **call)

    async def create_api_key_without_preload_content_async(
        self, create_api_key_request: CreateApiKeyRequest, **call: Unpack[CallOptions]
    ) -> AsyncRawResponse:
        options = _create_api_key(create_api_key_request)
        return await self.api_client.call_api_raw_async(options, **call)

    # -- revoke_api_key -----------------------------------------------------------------

    def revoke_api_key(self, key_id: str, **call: Unpack[CallOptions]) -> dict[str, Any]:
        """Revoke a key at once: ``{"success": True, "message": ..., "revoked_id": ...}``."""
        return self.revoke_api_key_with_http_info(key_id, **call).data

    def revoke_api_key_with_http_info(
        self, key_id: str, **call: Unpack[CallOptions]
    ) -> ApiResponse[dict[str, Any]]:
        return self.api_client.call_api(_revoke_api_key(key_id), dict, **call)

    async def revoke_api_key_async(
        self, key_id: str, **call: Unpack[CallOptions]
    ) -> dict[str, Any]:
        return (await self.revoke_api_key_with_http_info_async(key_id, **call)).data

    async def revoke_api_key_with_http_info_async(
        self, key_id: str, **call: Unpack[CallOptions]
    ) -> ApiResponse[dict[str, Any]]:
        return await self.api_client.call_api_async(_revoke_api_key(key_id), dict, **call)

    def revoke_api_key_without_preload_content(
        self, key_id: str, **call: Unpack[CallOptions]
    ) -> urllib3.BaseHTTPResponse:
        return self.api_client.call_api_raw(_revoke_api_key(key_id), **call)

    async def revoke_api_key_without_preload_content_async(
        self, key_id: str, **call: Unpack[CallOptions]
    ) -> AsyncRawResponse:
        return await self.api_client.call_api_raw_async(_revoke_api_key(key_id), **call)


# -- request descriptions, shared by every form -------------------------------------------


def _list_api_keys(
    limit: Optional[int], offset: Optional[int], cursor: Optional[str]
) -> RequestOptions:
    query = {"limit": limit, "offset": offset, "cursor": cursor}
    return RequestOptions("GET", "/keys", query=query)


def _create_api_key(body: Union[CreateApiKeyRequest, dict[str, Any]]) -> RequestOptions:
    # The server keeps no answer for a new key (its secret is never stored), so a key would
    # not make a retry safe: a retry after a lost answer could create a second key.
    return RequestOptions("POST", "/keys", body=as_model(CreateApiKeyRequest, body), keyed=False)


def _revoke_api_key(key_id: str) -> RequestOptions:
    return RequestOptions("DELETE", f"/keys/{path_param('key_id', key_id)}")
