from buena_sdk.models._page import Page
from buena_sdk.models.webhook import Webhook


class ListWebhooksResponse(Page[Webhook]):
    """One page of the account's webhooks, newest first."""
