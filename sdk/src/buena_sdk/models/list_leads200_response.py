from typing import Optional

from buena_sdk.models._base import ResponseModel
from buena_sdk.models.lead import Lead


class ListLeads200Response(ResponseModel):
    """One page of leads. ``limit`` is what the server applied (values above 100 become
    100), so advance pagination by it rather than by the limit you asked for.
    ``next_cursor`` (pass it as ``cursor`` for the next page) is None on the last page, and
    from servers without cursor paging."""

    data: list[Lead]
    total: int
    limit: int
    offset: int
    next_cursor: Optional[str] = None
