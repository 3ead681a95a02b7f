from typing import Optional

from buena_sdk.models._base import ResponseModel, ServerDatetime


class ApiKey(ResponseModel):
    """An API key. ``key``, the secret itself, is only present in ``create_api_key``'s
    answer; store it then, it cannot be read again."""

    id: str
    name: str
    key: Optional[str] = None
    key_preview: str
    permissions: list[str]
    last_used: Optional[ServerDatetime] = None
    is_active: bool
    created_at: ServerDatetime
    expires_at: Optional[ServerDatetime] = None
    description: Optional[str] = None
