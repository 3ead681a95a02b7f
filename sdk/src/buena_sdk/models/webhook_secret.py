from typing import Optional

from buena_sdk.models._base import ServerDatetime
from buena_sdk.models.webhook import Webhook


class WebhookSecret(Webhook):
    """``rotate_webhook_secret``'s answer: the webhook, its new ``secret`` (shown this once),
    and when the previous secret stops being valid. Until ``previous_secret_expires_at``
    every delivery is signed with both secrets, so a receiver can switch at its own pace;
    None when the previous secret ended at once (``overlap_seconds=0``)."""

    secret: str
    previous_secret_expires_at: Optional[ServerDatetime] = None
