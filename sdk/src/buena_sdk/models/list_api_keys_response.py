from buena_sdk.models._base import ResponseModel
from buena_sdk.models.api_key import ApiKey


class ListApiKeysResponse(ResponseModel):
    """Every API key of the account (``key`` itself is never included)."""

    data: list[ApiKey]
    total: int
