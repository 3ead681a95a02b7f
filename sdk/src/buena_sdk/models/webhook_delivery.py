from typing import Optional

from buena_sdk.models._base import ResponseModel, ServerDatetime


class WebhookDelivery(ResponseModel):
    """One event on its way to one webhook. ``status`` is ``pending`` (an attempt is due
    at ``next_attempt_at``), ``delivered`` (the endpoint answered 2xx at ``delivered_at``)
    or ``failed`` (retries ran out). ``last_status_code`` is None when the last attempt got
    no HTTP answer (timeout, refused connection); ``last_error`` then says what happened."""

    id: str
    webhook_id: str
    event_id: str
    event_type: str
    status: str
    attempts: int
    last_status_code: Optional[int] = None
    last_error: Optional[str] = None
    next_attempt_at: Optional[ServerDatetime] = None
    delivered_at: Optional[ServerDatetime] = None
    created_at: ServerDatetime
