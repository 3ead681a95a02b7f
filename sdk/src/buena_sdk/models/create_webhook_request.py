from typing import Optional

from buena_sdk.models._base import RequestModel


class CreateWebhookRequest(RequestModel):
    """Body of ``create_webhook``. ``url`` must be absolute ``https`` (the server may allow
    ``http`` and private addresses when configured to); ``events`` lists event types (see
    ``EVENT_TYPES``) or is ``["*"]`` for every type. ``is_active`` defaults to True on the
    server."""

    url: str
    events: list[str]
    description: Optional[str] = None
    is_active: Optional[bool] = None
