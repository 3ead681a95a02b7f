from typing import Optional

from buena_sdk.models._base import RequestModel


class UpdateWebhookRequest(RequestModel):
    """Body of ``update_webhook`` (a PATCH).

    Only the fields you pass are sent: an omitted field stays as it is, while
    ``description=None`` is sent as null and clears the description. ``events`` replaces
    the whole list. ``is_active=True`` re-enables a webhook the server disabled (and clears
    ``disabled_reason`` / ``disabled_at``).
    """

    url: Optional[str] = None
    events: Optional[list[str]] = None
    description: Optional[str] = None
    is_active: Optional[bool] = None
