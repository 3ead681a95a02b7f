"""HTTP endpoints for webhooks: parse, authorise (guards), call the service, return."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.openapi.spec import OpenAPIType
from litestar.params import Body, Parameter

from buena_server.accounts.repository import AccountRepository
from buena_server.auth.guards import requires
from buena_server.auth.permissions import Permission
from buena_server.errors import ValidationFailed, WebhookUrlRefused
from buena_server.idempotency.model import NO_KEPT_ANSWERS
from buena_server.kit.dependencies import AuthenticatedRequest, validation_context
from buena_server.kit.driver import Connection
from buena_server.kit.http_hooks import (
    check_api_request,
    check_optional_body,
    refuse_lax_types,
)
from buena_server.kit.openapi_docs import (
    BASE_PATH,
    error_responses,
    location_header,
    query_schema,
)
from buena_server.kit.paging import Limit, Offset, choice_errors, page, page_errors
from buena_server.kit.validation import raise_invalid, validate
from buena_server.services import services_of
from buena_server.webhooks import examples
from buena_server.webhooks.repository import DeliveryRepository, WebhookRepository
from buena_server.webhooks.schemas import (
    DELIVERY_STATUSES,
    CreatedWebhook,
    CreateWebhookRequest,
    DeleteWebhookResponse,
    ListWebhookDeliveriesResponse,
    ListWebhooksResponse,
    RotateWebhookSecretRequest,
    UpdateWebhookRequest,
    Webhook,
    WebhookDelivery,
    WebhookSecret,
)
from buena_server.webhooks.service import WebhookService

WEBHOOKS_PATH = f"{BASE_PATH}/webhooks"
WebhookId = Annotated[str, Parameter(description="Webhook identifier (wh_...)")]


def provide_webhook_service(conn: NamedDependency[Connection], state: State) -> WebhookService:
    services = services_of(state)
    settings = services.settings
    return WebhookService(
        WebhookRepository(conn),
        DeliveryRepository(conn),
        validation_context(settings),
        accounts=AccountRepository(conn),
        max_webhooks=settings.max_webhooks_per_account,
        default_overlap_seconds=settings.webhooks_secret_overlap_seconds,
        conn=conn,
    )


async def check_webhook_url(request: Request[Any, Any, Any]) -> None:
    """``before_request`` of create and update: the API's checks and strict JSON types, then
    the URL's host resolved and judged (``addresses``) before the request's transaction
    begins, so that a slow lookup never holds the database's write lock. A body whose values
    fail their rules is left to the handler, which answers it with every error."""
    await check_api_request(request)
    kind: type[CreateWebhookRequest | UpdateWebhookRequest] = (
        CreateWebhookRequest if request.method == "POST" else UpdateWebhookRequest
    )
    refuse_lax_types(await request.body(), kind)
    services = services_of(request.app)
    try:
        body = msgspec.json.decode(await request.body(), type=kind)
        url = validate(body, validation_context(services.settings)).url
    except (msgspec.DecodeError, ValidationFailed):
        return
    if not isinstance(url, str):
        return
    reason = await services.webhook_sender.refusal(url)
    if reason is not None:
        message = f"url refused: {reason}"
        raise WebhookUrlRefused(
            message, details={"errors": [{"field": "url", "message": message}], "reason": reason}
        )


async def check_rotate_body(request: Request[Any, Any, Any]) -> None:
    """``before_request`` of rotate-secret, whose body may be left out: one given must be
    JSON, with strict types."""
    await check_optional_body(request)
    if (body := await request.body()).strip():
        refuse_lax_types(body, RotateWebhookSecretRequest)


class WebhookController(Controller):
    path = "/webhooks"
    tags = ["Webhooks"]
    dependencies = {"service": Provide(provide_webhook_service, sync_to_thread=False)}

    @get(
        operation_id="list_webhooks",
        summary="List webhooks",
        description="Requires `webhooks:read`. Newest first, paged like `GET /leads`. Never "
        "includes the signing secrets (only `secret_preview`).",
        guards=[requires(Permission.WEBHOOKS_READ)],
        responses={
            200: examples.answer(
                ListWebhooksResponse,
                "A page of webhooks",
                "One webhook",
                examples.page_of(examples.WEBHOOK),
            ),
            **error_responses(400, 403, 422),
        },
    )
    async def list_webhooks(
        self,
        service: NamedDependency[WebhookService],
        request: AuthenticatedRequest,
        limit: Limit = None,
        offset: Offset = None,
    ) -> ListWebhooksResponse:
        applied = page(limit, offset)
        return await service.list(
            request.user.account_id, limit=applied.limit, offset=applied.offset
        )

    @post(
        operation_id="create_webhook",
        summary="Create a webhook",
        description="Requires `webhooks:write`. Events of the listed types are POSTed to `url`, "
        "signed with the secret in this answer (`Buena-Signature`, docs/api.md). The secret "
        "is shown in this response only. An account holds at most "
        "`BUENA_MAX_WEBHOOKS_PER_ACCOUNT` webhooks (422 `WEBHOOK_LIMIT_REACHED`); a URL whose "
        "host is or resolves to a loopback, private, link-local, cloud-metadata or other "
        "non-public address is 422 `WEBHOOK_URL_REFUSED`.",
        guards=[requires(Permission.WEBHOOKS_WRITE)],
        before_request=check_webhook_url,
        responses={
            201: examples.answer(
                CreatedWebhook,
                "The webhook, with its signing secret: shown in this response only",
                "A new webhook",
                {**examples.WEBHOOK, "secret": examples.SECRET},
            ),
            **error_responses(403, 422, body=True),
        },
        response_headers=[location_header(WEBHOOKS_PATH, "webhook")],
        # The answer holds the secret: never kept for an Idempotency-Key (as POST /keys).
        opt=NO_KEPT_ANSWERS,
    )
    async def create_webhook(
        self,
        service: NamedDependency[WebhookService],
        request: AuthenticatedRequest,
        data: Annotated[
            CreateWebhookRequest, Body(examples=examples.example("CRM sync", examples.CREATE))
        ],
    ) -> Response[CreatedWebhook]:
        created = await service.create(request.user.account_id, data)
        return Response(
            created, status_code=201, headers={"location": f"{WEBHOOKS_PATH}/{created.id}"}
        )

    @get(
        "/{webhook_id:str}",
        operation_id="get_webhook",
        summary="Get a webhook",
        description="Requires `webhooks:read`.",
        guards=[requires(Permission.WEBHOOKS_READ)],
        responses={
            200: examples.answer(Webhook, "The webhook", "A webhook", examples.WEBHOOK),
            **error_responses(403, 404),
        },
    )
    async def get_webhook(
        self,
        service: NamedDependency[WebhookService],
        request: AuthenticatedRequest,
        webhook_id: WebhookId,
    ) -> Webhook:
        return await service.get(request.user.account_id, webhook_id)

    @patch(
        "/{webhook_id:str}",
        operation_id="update_webhook",
        summary="Update a webhook",
        description="Requires `webhooks:write`. Absent fields are unchanged; `description: "
        "null` clears it; `is_active: true` re-enables a webhook that was disabled (clearing "
        "`disabled_reason` and `disabled_at`).",
        guards=[requires(Permission.WEBHOOKS_WRITE)],
        before_request=check_webhook_url,
        responses={
            200: examples.answer(Webhook, "The webhook", "Every event", examples.WEBHOOK),
            **error_responses(403, 404, 422, body=True),
        },
    )
    async def update_webhook(
        self,
        service: NamedDependency[WebhookService],
        request: AuthenticatedRequest,
        webhook_id: WebhookId,
        data: Annotated[
            UpdateWebhookRequest, Body(examples=examples.example("Every event", examples.UPDATE))
        ],
    ) -> Webhook:
        return await service.update(request.user.account_id, webhook_id, data)

    @delete(
        "/{webhook_id:str}",
        operation_id="delete_webhook",
        summary="Delete a webhook",
        description="Requires `webhooks:write`. Permanent, with its deliveries; deliveries "
        "not yet sent are dropped.",
        status_code=200,
        guards=[requires(Permission.WEBHOOKS_WRITE)],
        responses=error_responses(403, 404),
    )
    async def delete_webhook(
        self,
        service: NamedDependency[WebhookService],
        request: AuthenticatedRequest,
        webhook_id: WebhookId,
    ) -> DeleteWebhookResponse:
        return await service.delete(request.user.account_id, webhook_id)

    @post(
        "/{webhook_id:str}/rotate-secret",
        operation_id="rotate_webhook_secret",
        summary="Rotate a webhook's signing secret",
        description="Requires `webhooks:write`. A new secret, shown in this response only; "
        "the previous one keeps signing beside it (a second `v1=` in `Buena-Signature`) "
        "until `previous_secret_expires_at`. The body may be left out.",
        status_code=200,
        guards=[requires(Permission.WEBHOOKS_WRITE)],
        before_request=check_rotate_body,
        responses={
            200: examples.answer(
                WebhookSecret,
                "The webhook with its new secret: shown in this response only",
                "Rotated, one day of overlap",
                {
                    **examples.WEBHOOK,
                    "secret": examples.SECRET,
                    "previous_secret_expires_at": "2026-12-06T09:30:00Z",
                },
            ),
            **error_responses(403, 404, 422, body=True),
        },
        opt=NO_KEPT_ANSWERS,
    )
    async def rotate_webhook_secret(
        self,
        service: NamedDependency[WebhookService],
        request: AuthenticatedRequest,
        webhook_id: WebhookId,
        data: Annotated[
            RotateWebhookSecretRequest | None,
            Body(examples=examples.example("One day of overlap", examples.ROTATE)),
        ] = None,
    ) -> WebhookSecret:
        return await service.rotate_secret(request.user.account_id, webhook_id, data)

    @get(
        "/{webhook_id:str}/deliveries",
        operation_id="list_webhook_deliveries",
        summary="List a webhook's deliveries",
        description="Requires `webhooks:read`. Newest first, paged like `GET /leads`; "
        "`status` keeps only deliveries in that state.",
        guards=[requires(Permission.WEBHOOKS_READ)],
        responses={
            200: examples.answer(
                ListWebhookDeliveriesResponse,
                "A page of deliveries",
                "A delivery being retried",
                examples.page_of(examples.DELIVERY),
            ),
            **error_responses(400, 403, 404, 422),
        },
    )
    async def list_webhook_deliveries(
        self,
        service: NamedDependency[WebhookService],
        request: AuthenticatedRequest,
        webhook_id: WebhookId,
        limit: Limit = None,
        offset: Offset = None,
        status: Annotated[
            str | None,
            Parameter(
                description="Only deliveries with this status (default: every status)",
                schema_extra=query_schema(OpenAPIType.STRING, enum=list(DELIVERY_STATUSES)),
            ),
        ] = None,
    ) -> ListWebhookDeliveriesResponse:
        errors = page_errors(limit, offset) + choice_errors("status", status, DELIVERY_STATUSES)
        if errors:
            raise_invalid(errors)
        applied = page(limit, offset)
        return await service.list_deliveries(
            request.user.account_id,
            webhook_id,
            status=status,
            limit=applied.limit,
            offset=applied.offset,
        )

    @post(
        "/{webhook_id:str}/deliveries/{delivery_id:str}/redeliver",
        operation_id="redeliver_webhook_delivery",
        summary="Send a delivery again",
        description="Requires `webhooks:write`. Queues a new attempt of the delivery now "
        "(whatever its status); its `attempts` keep counting, and a retry it was waiting for "
        "is replaced by this one. Answers 202 with the delivery, `pending`. No body.",
        status_code=202,
        guards=[requires(Permission.WEBHOOKS_WRITE)],
        before_request=check_optional_body,
        responses={
            202: examples.answer(
                WebhookDelivery,
                "The delivery, with its new attempt queued",
                "Queued again",
                {**examples.DELIVERY, "next_attempt_at": examples.DELIVERY["created_at"]},
            ),
            **error_responses(403, 404),
        },
    )
    async def redeliver_webhook_delivery(
        self,
        service: NamedDependency[WebhookService],
        request: AuthenticatedRequest,
        webhook_id: WebhookId,
        delivery_id: Annotated[str, Parameter(description="Delivery identifier (whd_...)")],
    ) -> WebhookDelivery:
        return await service.redeliver(request.user.account_id, webhook_id, delivery_id)
