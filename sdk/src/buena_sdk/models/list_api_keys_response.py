from typing import Optional

from buena_sdk.models._base import ResponseModel
from buena_sdk.models.api_key import ApiKey


class ListApiKeysResponse(ResponseModel):
    """One page of the account's API keys, newest first (``key`` itself is never included).
    ``total`` counts every key of the account; ``limit`` (what the server applied: values
    above 100 become 100) and ``offset`` are absent from servers that do not page keys;
    ``next_cursor`` (the ``cursor`` of the next page) is None on the last page."""

    data: list[ApiKey]
    total: int
    limit: Optional[int] = None
    offset: Optional[int] = None
    next_cursor: Optional[str] = None
