from buena_sdk.models.webhook import Webhook


class CreatedWebhook(Webhook):
    """``create_webhook``'s answer: the webhook and its signing ``secret`` (``whsec_...``),
    shown this once. Give it to ``buena_sdk.webhooks.construct_event`` in the receiver."""

    secret: str
