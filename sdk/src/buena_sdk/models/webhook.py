from typing import Optional

from buena_sdk.models._base import ResponseModel, ServerDatetime


class Webhook(ResponseModel):
    """An endpoint that receives the account's events. ``events`` holds event types (see
    ``EVENT_TYPES``) or ``["*"]`` for every type. ``secret_preview`` shows the start of the
    signing secret; the secret itself is only in the answers of ``create_webhook``
    (``CreatedWebhook``) and ``rotate_webhook_secret`` (``WebhookSecret``).

    An endpoint that failed every delivery for days is disabled by the server:
    ``is_active`` becomes False and ``disabled_reason`` / ``disabled_at`` say why and when;
    setting ``is_active`` back to True clears both.
    """

    id: str
    url: str
    events: list[str]
    description: Optional[str] = None
    is_active: bool
    secret_preview: str
    disabled_reason: Optional[str] = None
    disabled_at: Optional[ServerDatetime] = None
    created_at: ServerDatetime
    updated_at: ServerDatetime
