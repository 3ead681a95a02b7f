"""The bodies of ``batch_leads``: up to 1000 leads in, one outcome per lead out."""

from typing import Literal, Optional

from buena_sdk.models._base import RequestModel, ResponseModel
from buena_sdk.models.create_lead_request import CreateLeadRequest

# Most leads one batch may carry; the server answers 400 beyond it.
MAX_BATCH_SIZE = 1000


class BatchLeadsRequest(RequestModel):
    """Body of ``batch_leads``. ``mode="create"`` (the server's default) reports a lead
    whose email exists as an error (409 ``LEAD_EMAIL_EXISTS``, also for a repeat within the
    batch); ``mode="upsert"`` updates the lead of that email instead (case-insensitively;
    fields left out are untouched, ``custom_fields`` merged as PATCH does)."""

    mode: Optional[Literal["create", "upsert"]] = None
    leads: list[CreateLeadRequest]


class BatchLeadError(ResponseModel):
    """Why one lead of a batch failed: its HTTP-like ``status`` and ``code``, and the
    ``field`` at fault when there is one (``email`` for a duplicate)."""

    status: int
    code: str
    message: str
    field: Optional[str] = None


class BatchLeadResult(ResponseModel):
    """The outcome of the lead at ``index`` of the batch: ``created``, ``updated``,
    ``unchanged`` (an upsert that changed nothing) or ``error`` (then ``error`` says why
    and ``id`` is None)."""

    index: int
    outcome: str
    id: Optional[str] = None
    error: Optional[BatchLeadError] = None


class BatchLeadsResponse(ResponseModel):
    """Every lead's outcome, in the order sent, and the count of each outcome. The server
    answers 200 when every lead succeeded and 207 when at least one is an error."""

    results: list[BatchLeadResult]
    created: int
    updated: int
    unchanged: int
    errors: int
