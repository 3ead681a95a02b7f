"""Request and response bodies of /webhooks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

from buena_server.events.catalogue import EVENT_TYPES
from buena_server.kit.validation import (
    HTTP_URL,
    Context,
    HttpUrl,
    Invalid,
    StringList,
    field,
    text,
)

# "*" subscribes to every type of the catalogue (events/catalogue.py), present and future.
ALL_EVENTS = "*"
DELIVERY_STATUSES = ("pending", "delivered", "failed")
DeliveryStatus = Literal["pending", "delivered", "failed"]
MAX_OVERLAP_SECONDS = 604_800
# The custom OpenAPI format of a webhook URL: JSON Schema cannot say where a host resolves.
WEBHOOK_URL_FORMAT = "webhook-url"
# An https URL that HttpUrl accepts as it is (HTTP_URL with the scheme narrowed): the schema
# documents the production rule; BUENA_WEBHOOKS_ALLOW_PRIVATE accepts http besides.
HTTPS_URL = HTTP_URL.replace("[Hh][Tt][Tt][Pp][Ss]?", "[Hh][Tt][Tt][Pp][Ss]", 1)


@dataclass(frozen=True, slots=True)
class Seconds:
    """A whole number of seconds from 0 to ``maximum`` (422 outside)."""

    maximum: int

    def apply(self, value: int, context: Context) -> int:
        if not 0 <= value <= self.maximum:
            raise Invalid(f"must be 0 to {self.maximum}")
        return value


WebhookUrl = Annotated[
    str,
    field(
        HttpUrl(max_length=2048),
        description="Where events are POSTed: an https URL (http only where the server allows "
        "private receivers); hosts that are or resolve to loopback, private, link-local, "
        "cloud-metadata and other non-public addresses are refused (422 WEBHOOK_URL_REFUSED)",
        max_length=2048,
        pattern=HTTPS_URL,
        format=WEBHOOK_URL_FORMAT,
        non_null="string",
    ),
]
EventTypes = Annotated[
    list[str],
    field(
        StringList(
            max_items=len(EVENT_TYPES) + 1,
            item_max_length=64,
            allowed=(*EVENT_TYPES, ALL_EVENTS),
            min_items=1,
        ),
        description='Event types to receive: one or more of the catalogue, or ["*"] for every '
        f"type. The catalogue: {', '.join(EVENT_TYPES)}",
        min_items=1,
        max_items=len(EVENT_TYPES) + 1,
        items={"type": "string", "enum": [*EVENT_TYPES, ALL_EVENTS]},
        non_null="array",
    ),
]
Description = Annotated[str, text(500, "What the endpoint is for")]


class CreateWebhookRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    url: WebhookUrl
    events: EventTypes
    description: Description | None = None
    is_active: bool = True


class UpdateWebhookRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Absent = unchanged; ``description: null`` clears it; ``is_active: true`` re-enables a
    disabled endpoint."""

    url: WebhookUrl | UnsetType | None = UNSET
    events: EventTypes | UnsetType | None = UNSET
    description: Description | UnsetType | None = UNSET
    is_active: bool | UnsetType = UNSET


OverlapSeconds = Annotated[
    int,
    field(
        Seconds(MAX_OVERLAP_SECONDS),
        description="How long the previous secret keeps signing (seconds, default "
        "BUENA_WEBHOOKS_SECRET_OVERLAP_SECONDS, 86400); 0 retires it at once",
        minimum=0,
        maximum=MAX_OVERLAP_SECONDS,
    ),
]


class RotateWebhookSecretRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    overlap_seconds: OverlapSeconds | None = None


class Webhook(msgspec.Struct, kw_only=True):
    id: str
    url: str
    events: list[str]
    description: str | None
    is_active: bool
    secret_preview: str
    disabled_reason: str | None
    disabled_at: datetime | None
    created_at: datetime
    updated_at: datetime


class CreatedWebhook(Webhook, kw_only=True):
    """The one answer carrying the signing secret: keep it, it is never shown again."""

    secret: str


class WebhookSecret(Webhook, kw_only=True):
    """The answer to a rotation: the new secret, shown once, and when the previous one stops
    signing."""

    secret: str
    previous_secret_expires_at: datetime | None


class ListWebhooksResponse(msgspec.Struct, kw_only=True):
    data: list[Webhook]
    total: int
    limit: int
    offset: int


class DeleteWebhookResponse(msgspec.Struct, kw_only=True):
    success: bool
    message: str
    deleted_id: str


class WebhookDelivery(msgspec.Struct, kw_only=True):
    id: str
    webhook_id: str
    event_id: str
    event_type: str
    status: DeliveryStatus
    attempts: int
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime


class ListWebhookDeliveriesResponse(msgspec.Struct, kw_only=True):
    data: list[WebhookDelivery]
    total: int
    limit: int
    offset: int
