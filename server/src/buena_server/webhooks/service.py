"""Decisions about webhooks: the per-account cap, PATCH semantics, one-time secrets and their
rotation, the deliveries' listing.

A webhook's URL has passed the address check (``addresses``) before its request's
transaction began (``controller.check_webhook_url``): a lookup never holds a write lock.
"""

from __future__ import annotations

import dataclasses
import secrets
from datetime import timedelta
from typing import Any

import msgspec

from buena_server.accounts.repository import AccountRepository
from buena_server.errors import WebhookDeliveryNotFound, WebhookLimitReached, WebhookNotFound
from buena_server.kit.clock import utcnow
from buena_server.kit.driver import Connection
from buena_server.kit.ids import is_plausible_id, new_id
from buena_server.kit.validation import Context, validate
from buena_server.webhooks.jobs import enqueue_delivery
from buena_server.webhooks.repository import (
    DeliveryRecord,
    DeliveryRepository,
    WebhookRecord,
    WebhookRepository,
)
from buena_server.webhooks.schemas import (
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

SECRET_PREFIX = "whsec_"  # noqa: S105  # a prefix, not a secret


def generate_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def secret_preview(secret: str) -> str:
    return secret[: len(SECRET_PREFIX) + 4] + "..."


def public_webhook(record: WebhookRecord) -> Webhook:
    return Webhook(
        id=record.id,
        url=record.url,
        events=list(record.events),
        description=record.description,
        is_active=record.is_active,
        secret_preview=secret_preview(record.secret),
        disabled_reason=record.disabled_reason,
        disabled_at=record.disabled_at,
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


def public_delivery(record: DeliveryRecord) -> WebhookDelivery:
    return WebhookDelivery(
        id=record.id,
        webhook_id=record.webhook_id,
        event_id=record.event_id,
        event_type=record.event_type,
        status=record.status,  # type: ignore[arg-type]  # written from DELIVERY_STATUSES only
        attempts=record.attempts,
        last_status_code=record.last_status_code,
        last_error=record.last_error,
        next_attempt_at=record.next_attempt_at,
        delivered_at=record.delivered_at,
        created_at=record.created_at,
    )


def delivery_not_found(webhook_id: str, delivery_id: str) -> WebhookDeliveryNotFound:
    return WebhookDeliveryNotFound(
        f"Delivery {delivery_id!r} of webhook {webhook_id!r} not found",
        details={"webhook_id": webhook_id, "delivery_id": delivery_id},
    )


def not_found(webhook_id: str) -> WebhookNotFound:
    return WebhookNotFound(f"Webhook {webhook_id!r} not found", details={"webhook_id": webhook_id})


def _fields(webhook: Webhook) -> dict[str, Any]:
    return {name: getattr(webhook, name) for name in webhook.__struct_fields__}


class WebhookService:
    def __init__(
        self,
        repository: WebhookRepository,
        deliveries: DeliveryRepository,
        context: Context,
        *,
        accounts: AccountRepository,
        max_webhooks: int,
        default_overlap_seconds: int,
        conn: Connection,
    ) -> None:
        self.conn = conn
        self.repository = repository
        self.deliveries = deliveries
        self.context = context
        self.accounts = accounts
        self.max_webhooks = max_webhooks
        self.default_overlap_seconds = default_overlap_seconds

    async def list(self, account_id: str, *, limit: int, offset: int) -> ListWebhooksResponse:
        records, total = await self.repository.find_page(account_id, limit=limit, offset=offset)
        return ListWebhooksResponse(
            data=[public_webhook(r) for r in records], total=total, limit=limit, offset=offset
        )

    async def record(
        self, account_id: str, webhook_id: str, *, for_update: bool = False
    ) -> WebhookRecord:
        found = (
            await self.repository.get(account_id, webhook_id, for_update=for_update)
            if is_plausible_id(webhook_id)
            else None
        )
        if found is None:
            raise not_found(webhook_id)
        return found

    async def get(self, account_id: str, webhook_id: str) -> Webhook:
        return public_webhook(await self.record(account_id, webhook_id))

    async def create(self, account_id: str, request: CreateWebhookRequest) -> CreatedWebhook:
        request = validate(request, self.context)
        # Counted under a lock on the account's row: concurrent creates cannot pass the cap.
        await self.accounts.lock(account_id)
        count = await self.repository.count(account_id)
        if count >= self.max_webhooks:
            raise WebhookLimitReached(
                f"This account already has {count} webhooks, the most it may hold; delete one "
                "before creating another",
                details={"limit": self.max_webhooks, "count": count},
            )
        now = utcnow()
        secret = generate_secret()
        record = WebhookRecord(
            id=new_id("wh"),
            account_id=account_id,
            url=request.url,
            events=list(request.events),
            description=request.description,
            is_active=request.is_active,
            secret=secret,
            previous_secret=None,
            previous_secret_expires_at=None,
            failing_since=None,
            disabled_reason=None,
            disabled_at=None,
            created_at=now,
            updated_at=now,
        )
        await self.repository.insert(record)
        return CreatedWebhook(**_fields(public_webhook(record)), secret=secret)

    async def update(
        self, account_id: str, webhook_id: str, request: UpdateWebhookRequest
    ) -> Webhook:
        cleared = [
            {"field": name, "message": f"{name} cannot be null"}
            for name in ("events", "url")
            if getattr(request, name) is None
        ]
        request = validate(request, self.context, cleared)
        current = await self.record(account_id, webhook_id, for_update=True)
        changes: dict[str, Any] = {}
        for name in request.__struct_fields__:
            value = getattr(request, name)
            if value is not msgspec.UNSET and value != getattr(current, name):
                changes[name] = value
        if request.is_active is True:
            # Re-enabled: the reason it was disabled no longer holds, and it starts afresh.
            changes.update(disabled_reason=None, disabled_at=None, failing_since=None)
        if not changes:
            return public_webhook(current)
        changes["updated_at"] = utcnow()
        await self.repository.update(account_id, webhook_id, **changes)
        return public_webhook(_replaced(current, changes))

    async def delete(self, account_id: str, webhook_id: str) -> DeleteWebhookResponse:
        if not is_plausible_id(webhook_id) or not await self.repository.delete(
            account_id, webhook_id
        ):
            raise not_found(webhook_id)
        return DeleteWebhookResponse(
            success=True, message=f"Webhook {webhook_id} deleted", deleted_id=webhook_id
        )

    async def rotate_secret(
        self, account_id: str, webhook_id: str, request: RotateWebhookSecretRequest | None
    ) -> WebhookSecret:
        asked = validate(request, self.context).overlap_seconds if request is not None else None
        current = await self.record(account_id, webhook_id, for_update=True)
        overlap = self.default_overlap_seconds if asked is None else asked
        now = utcnow()
        secret = generate_secret()
        changes: dict[str, Any] = {
            "secret": secret,
            "previous_secret": current.secret if overlap > 0 else None,
            "previous_secret_expires_at": now + timedelta(seconds=overlap) if overlap else None,
            "updated_at": now,
        }
        await self.repository.update(account_id, webhook_id, **changes)
        rotated = _replaced(current, changes)
        return WebhookSecret(
            **_fields(public_webhook(rotated)),
            secret=secret,
            previous_secret_expires_at=rotated.previous_secret_expires_at,
        )

    async def list_deliveries(
        self, account_id: str, webhook_id: str, *, status: str | None, limit: int, offset: int
    ) -> ListWebhookDeliveriesResponse:
        await self.record(account_id, webhook_id)
        records, total = await self.deliveries.find_page(
            account_id, webhook_id, status=status, limit=limit, offset=offset
        )
        return ListWebhookDeliveriesResponse(
            data=[public_delivery(r) for r in records], total=total, limit=limit, offset=offset
        )

    async def redeliver(
        self, account_id: str, webhook_id: str, delivery_id: str
    ) -> WebhookDelivery:
        """A new attempt of the delivery, queued now; its attempts keep counting. The job it
        replaces (a retry still waiting) ends without sending."""
        await self.record(account_id, webhook_id)
        found = (
            await self.deliveries.get(
                account_id, delivery_id, webhook_id=webhook_id, for_update=True
            )
            if is_plausible_id(delivery_id)
            else None
        )
        if found is None:
            raise delivery_not_found(webhook_id, delivery_id)
        job_id = await enqueue_delivery(self.conn, account_id, delivery_id)
        changes: dict[str, Any] = {
            "status": "pending",
            "next_attempt_at": utcnow(),
            "job_id": job_id,
        }
        await self.deliveries.update(account_id, delivery_id, **changes)
        return public_delivery(dataclasses.replace(found, **changes))


def _replaced(record: WebhookRecord, changes: dict[str, Any]) -> WebhookRecord:
    return dataclasses.replace(record, **changes)
