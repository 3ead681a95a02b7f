from typing import Any, Optional

from buena_sdk.models._base import ResponseModel, ServerDatetime


class ErrorResponse(ResponseModel):
    """The body of every error answer; ``ApiException.data`` holds it when it parses."""

    error: bool = True
    code: str
    message: str
    version: Optional[str] = None
    timestamp: Optional[ServerDatetime] = None
    request_id: Optional[str] = None
    details: Optional[dict[str, Any]] = None
