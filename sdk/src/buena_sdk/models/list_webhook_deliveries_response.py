from buena_sdk.models._page import Page
from buena_sdk.models.webhook_delivery import WebhookDelivery


class ListWebhookDeliveriesResponse(Page[WebhookDelivery]):
    """One page of a webhook's deliveries, newest first."""
