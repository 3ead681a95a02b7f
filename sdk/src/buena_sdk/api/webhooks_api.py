"""The webhook operations: endpoints, their signing secrets, their deliveries.

Each operation comes in the same four forms as every other (see ``default_api``); all of
them are also methods of ``DefaultApi``.
"""

from typing import Any, Optional, Union

import urllib3
from typing_extensions import Unpack

from buena_sdk._call_options import CallOptions
from buena_sdk._raw import AsyncRawResponse
from buena_sdk._request import RequestOptions
from buena_sdk.api._base import ApiBase, EmptyBody, as_model, path_param
from buena_sdk.api_response import ApiResponse
from buena_sdk.models import (
    CreatedWebhook,
    CreateWebhookRequest,
    ListWebhookDeliveriesResponse,
    ListWebhooksResponse,
    RotateWebhookSecretRequest,
    UpdateWebhookRequest,
    Webhook,
    WebhookDelivery,
    WebhookSecret,
)
from buena_sdk.models.literals import DeliveryStatus


class WebhooksApi(ApiBase):
    """Webhooks (``webhooks:read`` to list and read, ``webhooks:write`` for the rest)."""

    # -- list_webhooks ------------------------------------------------------------------

    def list_webhooks(
        self, limit: Optional[int] = None, offset: Optional[int] = None, **call: Unpack[CallOptions]
    ) -> ListWebhooksResponse:
        """One page of the account's webhooks, newest first (``paginate_webhooks`` walks
        every page)."""
        return self.list_webhooks_with_http_info(limit, offset, **call).data

    def list_webhooks_with_http_info(
        self, limit: Optional[int] = None, offset: Optional[int] = None, **call: Unpack[CallOptions]
    ) -> ApiResponse[ListWebhooksResponse]:
        return self.api_client.call_api(_list_webhooks(limit, offset), ListWebhooksResponse, **call)

    async def list_webhooks_async(
        self, limit: Optional[int] = None, offset: Optional[int] = None, **call: Unpack[CallOptions]
    ) -> ListWebhooksResponse:
        return (await self.list_webhooks_with_http_info_async(limit, offset, **call)).data

    async def list_webhooks_with_http_info_async(
        self, limit: Optional[int] = None, offset: Optional[int] = None, **call: Unpack[CallOptions]
    ) -> ApiResponse[ListWebhooksResponse]:
        options = _list_webhooks(limit, offset)
        return await self.api_client.call_api_async(options, ListWebhooksResponse, **call)

    def list_webhooks_without_preload_content(
        self, limit: Optional[int] = None, offset: Optional[int] = None, **call: Unpack[CallOptions]
    ) -> urllib3.BaseHTTPResponse:
        return self.api_client.call_api_raw(_list_webhooks(limit, offset), **call)

    async def list_webhooks_without_preload_content_async(
        self, limit: Optional[int] = None, offset: Optional[int] = None, **call: Unpack[CallOptions]
    ) -> AsyncRawResponse:
        options = _list_webhooks(limit, offset)
        return await self.api_client.call_api_raw_async(options, **call)

    # -- create_webhook -----------------------------------------------------------------

    def create_webhook(
        self, create_webhook_request: CreateWebhookRequest, **call: Unpack[CallOptions]
    ) -> CreatedWebhook:
        """Create a webhook; the answer's ``secret`` signs its deliveries, shown this once.
        422 ``WEBHOOK_URL_REFUSED`` for a URL the server will not call (a private address,
        say), ``WEBHOOK_LIMIT_REACHED`` when the account has the most webhooks allowed."""
        return self.create_webhook_with_http_info(create_webhook_request, **call).data

    def create_webhook_with_http_info(
        self, create_webhook_request: CreateWebhookRequest, **call: Unpack[CallOptions]
    ) -> ApiResponse[CreatedWebhook]:
        options = _create_webhook(create_webhook_request)
        return self.api_client.call_api(options, CreatedWebhook, **call)

    async def create_webhook_async(
        self, create_webhook_request: CreateWebhookRequest, **call: Unpack[CallOptions]
    ) -> CreatedWebhook:
        return (await self.create_webhook_with_http_info_async(create_webhook_request, **call)).data

    async def create_webhook_with_http_info_async(
        self, create_webhook_request: CreateWebhookRequest, **call: Unpack[CallOptions]
    ) -> ApiResponse[CreatedWebhook]:
        options = _create_webhook(create_webhook_request)
        return await self.api_client.call_api_async(options, CreatedWebhook, **call)

    def create_webhook_without_preload_content(
        self, create_webhook_request: CreateWebhookRequest, **call: Unpack[CallOptions]
    ) -> urllib3.BaseHTTPResponse:
        options = _create_webhook(create_webhook_request)
        return self.api_client.call_api_raw(options, **call)

    async def create_webhook_without_preload_content_async(
        self, create_webhook_request: CreateWebhookRequest, **call: Unpack[CallOptions]
    ) -> AsyncRawResponse:
        options = _create_webhook(create_webhook_request)
        return await self.api_client.call_api_raw_async(options, **call)

    # -- get_webhook --------------------------------------------------------------------

    def get_webhook(self, webhook_id: str, **call: Unpack[CallOptions]) -> Webhook:
        """One webhook by id (without its secret); ``NotFoundException`` otherwise."""
        return self.get_webhook_with_http_info(webhook_id, **call).data

    def get_webhook_with_http_info(
        self, webhook_id: str, **call: Unpack[CallOptions]
    ) -> ApiResponse[Webhook]:
        return self.api_client.call_api(_webhook("GET", webhook_id), Webhook, **call)

    async def get_webhook_async(self, webhook_id: str, **call: Unpack[CallOptions]) -> Webhook:
        return (await self.get_webhook_with_http_info_async(webhook_id, **call)).data

    async def get_webhook_with_http_info_async(
        self, webhook_id: str, **call: Unpack[CallOptions]
    ) -> ApiResponse[Webhook]:
        return await self.api_client.call_api_async(_webhook("GET", webhook_id), Webhook, **call)

    def get_webhook_without_preload_content(
        self, webhook_id: str, **call: Unpack[CallOptions]
    ) -> urllib3.BaseHTTPResponse:
        return self.api_client.call_api_raw(_webhook("GET", webhook_id), **call)

    async def get_webhook_without_preload_content_async(
        self, webhook_id: str, **call: Unpack[CallOptions]
    ) -> AsyncRawResponse:
        return await self.api_client.call_api_raw_async(_webhook("GET", webhook_id), **call)

    # -- update_webhook -----------------------------------------------------------------

    def update_webhook(
        self,
        webhook_id: str,
        update_webhook_request: UpdateWebhookRequest,
        **call: Unpack[CallOptions],
    ) -> Webhook:
        """Change the fields set in ``update_webhook_request``; the others stay as they are."""
        return self.update_webhook_with_http_info(webhook_id, update_webhook_request, **call).data

    def update_webhook_with_http_info(
        self,
        webhook_id: str,
        update_webhook_request: UpdateWebhookRequest,
        **call: Unpack[CallOptions],
    ) -> ApiResponse[Webhook]:
        options = _update_webhook(webhook_id, update_webhook_request)
        return self.api_client.call_api(options, Webhook, **call)

    async def update_webhook_async(
        self,
        webhook_id: str,
        update_webhook_request: UpdateWebhookRequest,
        **call: Unpack[CallOptions],
    ) -> Webhook:
        answer = await self.update_webhook_with_http_info_async(
            webhook_id, update_webhook_request, **call
        )
        return answer.data

    async def update_webhook_with_http_info_async(
        self,
        webhook_id: str,
        update_webhook_request: UpdateWebhookRequest,
        **call: Unpack[CallOptions],
    ) -> ApiResponse[Webhook]:
        options = _update_webhook(webhook_id, update_webhook_request)
        return await self.api_client.call_api_async(options, Webhook, **call)

    def update_webhook_without_preload_content(
        self,
        webhook_id: str,
        update_webhook_request: UpdateWebhookRequest,
        **call: Unpack[CallOptions],
    ) -> urllib3.BaseHTTPResponse:
        options = _update_webhook(webhook_id, update_webhook_request)
        return self.api_client.call_api_raw(options, **call)

    async def update_webhook_without_preload_content_async(
        self,
        webhook_id: str,
        update_webhook_request: UpdateWebhookRequest,
        **call: Unpack[CallOptions],
    ) -> AsyncRawResponse:
        options = _update_webhook(webhook_id, update_webhook_request)
        return await self.api_client.call_api_raw_async(options, **call)

    # -- delete_webhook -----------------------------------------------------------------

    def delete_webhook(self, webhook_id: str, **call: Unpack[CallOptions]) -> dict[str, Any]:
        """Delete a webhook and stop its deliveries:
        ``{"success": True, "message": ..., "deleted_id": ...}``."""
        return self.delete_webhook_with_http_info(webhook_id, **call).data

    def delete_webhook_with_http_info(
        self, webhook_id: str, **call: Unpack[CallOptions]
    ) -> ApiResponse[dict[str, Any]]:
        return self.api_client.call_api(_webhook("DELETE", webhook_id), dict, **call)

    async def delete_webhook_async(
        self, webhook_id: str, **call: Unpack[CallOptions]
    ) -> dict[str, Any]:
        return (await self.delete_webhook_with_http_info_async(webhook_id, **call)).data

    async def delete_webhook_with_http_info_async(
        self, webhook_id: str, **call: Unpack[CallOptions]
    ) -> ApiResponse[dict[str, Any]]:
        return await self.api_client.call_api_async(_webhook("DELETE", webhook_id), dict, **call)

    def delete_webhook_without_preload_content(
        self, webhook_id: str, **call: Unpack[CallOptions]
    ) -> urllib3.BaseHTTPResponse:
        return self.api_client.call_api_raw(_webhook("DELETE", webhook_id), **call)

    async def delete_webhook_without_preload_content_async(
        self, webhook_id: str, **call: Unpack[CallOptions]
    ) -> AsyncRawResponse:
        return await self.api_client.call_api_raw_async(_webhook("DELETE", webhook_id), **call)

    # -- rotate_webhook_secret ----------------------------------------------------------

    def rotate_webhook_secret(
        self,
        webhook_id: str,
        rotate_webhook_secret_request: Optional[RotateWebhookSecretRequest] = None,
        **call: Unpack[CallOptions],
    ) -> WebhookSecret:
        """A new signing secret, shown this once. The previous one stays valid until the
        answer's ``previous_secret_expires_at``; meanwhile deliveries carry both signatures."""
        return self.rotate_webhook_secret_with_http_info(
            webhook_id, rotate_webhook_secret_request, **call
        ).data

    def rotate_webhook_secret_with_http_info(
        self,
        webhook_id: str,
        rotate_webhook_secret_request: Optional[RotateWebhookSecretRequest] = None,
        **call: Unpack[CallOptions],
    ) -> ApiResponse[WebhookSecret]:
        options = _rotate_webhook_secret(webhook_id, rotate_webhook_secret_request)
        return self.api_client.call_api(options, WebhookSecret, **call)

    async def rotate_webhook_secret_async(
        self,
        webhook_id: str,
        rotate_webhook_secret_request: Optional[RotateWebhookSecretRequest] = None,
        **call: Unpack[CallOptions],
    ) -> WebhookSecret:
        answer = await self.rotate_webhook_secret_with_http_info_async(
            webhook_id, rotate_webhook_secret_request, **call
        )
        return answer.data

    async def rotate_webhook_secret_with_http_info_async(
        self,
        webhook_id: str,
        rotate_webhook_secret_request: Optional[RotateWebhookSecretRequest] = None,
        **call: Unpack[CallOptions],
    ) -> ApiResponse[WebhookSecret]:
        options = _rotate_webhook_secret(webhook_id, rotate_webhook_secret_request)
        return await self.api_client.call_api_async(options, WebhookSecret, **call)

    def rotate_webhook_secret_without_preload_content(
        self,
        webhook_id: str,
        rotate_webhook_secret_request: Optional[RotateWebhookSecretRequest] = None,
        **call: Unpack[CallOptions],
    ) -> urllib3.BaseHTTPResponse:
        options = _rotate_webhook_secret(webhook_id, rotate_webhook_secret_request)
        return self.api_client.call_api_raw(options, **call)

    async def rotate_webhook_secret_without_preload_content_async(
        self,
        webhook_id: str,
        rotate_webhook_secret_request: Optional[RotateWebhookSecretRequest] = None,
        **call: Unpack[CallOptions],
    ) -> AsyncRawResponse:
        options = _rotate_webhook_secret(webhook_id, rotate_webhook_secret_request)
        return await self.api_client.call_api_raw_async(options, **call)

    # -- list_webhook_deliveries --------------------------------------------------------

    def list_webhook_deliveries(
        self,
        webhook_id: str,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        status: Optional[DeliveryStatus] = None,
        **call: Unpack[CallOptions],
    ) -> ListWebhookDeliveriesResponse:
        """One page of a webhook's deliveries, newest first; ``status`` (pending, delivered,
        failed) filters them."""
        return self.list_webhook_deliveries_with_http_info(
            webhook_id, limit, offset, status, **call
        ).data

    def list_webhook_deliveries_with_http_info(
        self,
        webhook_id: str,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        status: Optional[DeliveryStatus] = None,
        **call: Unpack[CallOptions],
    ) -> ApiResponse[ListWebhookDeliveriesResponse]:
        options = _list_webhook_deliveries(webhook_id, limit, offset, status)
        return self.api_client.call_api(options, ListWebhookDeliveriesResponse, **call)

    async def list_webhook_deliveries_async(
        self,
        webhook_id: str,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        status: Optional[DeliveryStatus] = None,
        **call: Unpack[CallOptions],
    ) -> ListWebhookDeliveriesResponse:
        answer = await self.list_webhook_deliveries_with_http_info_async(
            webhook_id, limit, offset, status, **call
        )
        return answer.data

    async def list_webhook_deliveries_with_http_info_async(
        self,
        webhook_id: str,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        status: Optional[DeliveryStatus] = None,
        **call: Unpack[CallOptions],
    ) -> ApiResponse[ListWebhookDeliveriesResponse]:
        options = _list_webhook_deliveries(webhook_id, limit, offset, status)
        return await self.api_client.call_api_async(options, ListWebhookDeliveriesResponse, **call)

    def list_webhook_deliveries_without_preload_content(
        self,
        webhook_id: str,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        status: Optional[DeliveryStatus] = None,
        **call: Unpack[CallOptions],
    ) -> urllib3.BaseHTTPResponse:
        options = _list_webhook_deliveries(webhook_id, limit, offset, status)
        return self.api_client.call_api_raw(options, **call)

    async def list_webhook_deliveries_without_preload_content_async(
        self,
        webhook_id: str,
        limit: Optional[int] = None,
        offset: Optional[int] = None,
        status: Optional[DeliveryStatus] = None,
        **call: Unpack[CallOptions],
    ) -> AsyncRawResponse:
        options = _list_webhook_deliveries(webhook_id, limit, offset, status)
        return await self.api_client.call_api_raw_async(options, **call)

    # -- redeliver_webhook_delivery -----------------------------------------------------

    def redeliver_webhook_delivery(
        self, webhook_id: str, delivery_id: str, **call: Unpack[CallOptions]
    ) -> WebhookDelivery:
        """Queue a new attempt of a delivery now (it becomes ``pending``; ``attempts`` keeps
        counting). ``NotFoundException`` for a delivery not of this webhook."""
        return self.redeliver_webhook_delivery_with_http_info(webhook_id, delivery_id, **call).data

    def redeliver_webhook_delivery_with_http_info(
        self, webhook_id: str, delivery_id: str, **call: Unpack[CallOptions]
    ) -> ApiResponse[WebhookDelivery]:
        options = _redeliver(webhook_id, delivery_id)
        return self.api_client.call_api(options, WebhookDelivery, **call)

    async def redeliver_webhook_delivery_async(
        self, webhook_id: str, delivery_id: str, **call: Unpack[CallOptions]
    ) -> WebhookDelivery:
        answer = await self.redeliver_webhook_delivery_with_http_info_async(
            webhook_id, delivery_id, **call
        )
        return answer.data

    async def redeliver_webhook_delivery_with_http_info_async(
        self, webhook_id: str, delivery_id: str, **call: Unpack[CallOptions]
    ) -> ApiResponse[WebhookDelivery]:
        options = _redeliver(webhook_id, delivery_id)
        return await self.api_client.call_api_async(options, WebhookDelivery, **call)

    def redeliver_webhook_delivery_without_preload_content(
        self, webhook_id: str, delivery_id: str, **call: Unpack[CallOptions]
    ) -> urllib3.BaseHTTPResponse:
        options = _redeliver(webhook_id, delivery_id)
        return self.api_client.call_api_raw(options, **call)

    async def redeliver_webhook_delivery_without_preload_content_async(
        self, webhook_id: str, delivery_id: str, **call: Unpack[CallOptions]
    ) -> AsyncRawResponse:
        options = _redeliver(webhook_id, delivery_id)
        return await self.api_client.call_api_raw_async(options, **call)


# -- request descriptions, shared by the sync and async forms --------------------------


def _webhook_path(webhook_id: str) -> str:
    return f"/webhooks/{path_param('webhook_id', webhook_id)}"


def _list_webhooks(limit: Optional[int], offset: Optional[int]) -> RequestOptions:
    return RequestOptions("GET", "/webhooks", query={"limit": limit, "offset": offset})


def _create_webhook(body: Union[CreateWebhookRequest, dict[str, Any]]) -> RequestOptions:
    # The answer holds the signing secret: a server may keep no answer to replay for it (as
    # for a new API key), and a blind retry could then create a second webhook that
    # delivers every event twice. So no Idempotency-Key, and no retry once sent.
    request = as_model(CreateWebhookRequest, body)
    return RequestOptions("POST", "/webhooks", body=request, keyed=False)


def _webhook(method: str, webhook_id: str) -> RequestOptions:
    return RequestOptions(method, _webhook_path(webhook_id))


def _update_webhook(
    webhook_id: str, body: Union[UpdateWebhookRequest, dict[str, Any]]
) -> RequestOptions:
    request = as_model(UpdateWebhookRequest, body)
    return RequestOptions("PATCH", _webhook_path(webhook_id), body=request)


def _rotate_webhook_secret(
    webhook_id: str, body: Union[RotateWebhookSecretRequest, dict[str, Any], None]
) -> RequestOptions:
    # As for create: the answer holds a secret. Rotating twice would moreover end the
    # secret the receivers still use as soon as the first rotation's overlap ends.
    request = as_model(RotateWebhookSecretRequest, body if body is not None else {})
    path = f"{_webhook_path(webhook_id)}/rotate-secret"
    return RequestOptions("POST", path, body=request, keyed=False)


def _list_webhook_deliveries(
    webhook_id: str, limit: Optional[int], offset: Optional[int], status: Optional[DeliveryStatus]
) -> RequestOptions:
    query = {"limit": limit, "offset": offset, "status": status}
    return RequestOptions("GET", f"{_webhook_path(webhook_id)}/deliveries", query=query)


def _redeliver(webhook_id: str, delivery_id: str) -> RequestOptions:
    delivery = path_param("delivery_id", delivery_id)
    path = f"{_webhook_path(webhook_id)}/deliveries/{delivery}/redeliver"
    return RequestOptions("POST", path, body=EmptyBody())
