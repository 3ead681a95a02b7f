from typing import Optional

from buena_sdk.models._base import RequestModel


class RotateWebhookSecretRequest(RequestModel):
    """Body of ``rotate_webhook_secret``. ``overlap_seconds`` (0 to 604800, one week) is how
    long the previous secret stays valid; the server's default applies when it is not set
    (``BUENA_WEBHOOKS_SECRET_OVERLAP_SECONDS``, 86400 unless configured). 0 ends the
    previous secret at once."""

    overlap_seconds: Optional[int] = None
