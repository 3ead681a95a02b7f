from typing import Any

from buena_sdk.models._base import ResponseModel, ServerDatetime

# The event types the server emits (newer servers may add more: a webhook subscribed to
# ["*"] receives those too, so code should ignore types it does not know).
EVENT_TYPES = (
    "lead.created",
    "lead.updated",
    "lead.deleted",
    "lead.enriched",
    "api_key.created",
    "api_key.revoked",
    "webhook.disabled",
    "job.completed",
    "job.failed",
    "linkedin.action.completed",
    "linkedin.action.failed",
    "linkedin.connection.accepted",
    "linkedin.message.replied",
)


class Event(ResponseModel):
    """Something that happened in the account: exactly the JSON body a webhook receives,
    and what ``list_events`` / ``get_event`` return.

    ``data["object"]`` is the object concerned as the API returns it (a lead, an API key
    without its secret, a webhook, a job); ``lead.updated`` adds ``data["previous_attributes"]``
    (each changed field's previous value), ``webhook.disabled`` adds ``data["reason"]``.
    Deliveries are at least once: use ``id`` to skip an event already handled.
    """

    id: str
    type: str
    created_at: ServerDatetime
    data: dict[str, Any]
