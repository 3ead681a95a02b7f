from datetime import datetime
from typing import Optional

from pydantic import field_validator

from buena_sdk.models._base import RequestModel

# The permissions a key can hold; a key may only grant permissions it holds itself.
PERMISSIONS = (
    "leads:read",
    "leads:write",
    "leads:delete",
    "api_keys:read",
    "api_keys:write",
    "webhooks:read",
    "webhooks:write",
    "leads:enrich",
    "jobs:read",
    "jobs:update",
)


class CreateApiKeyRequest(RequestModel):
    """Body of ``create_api_key``.

    ``expires_at`` may be naive, as in ``datetime.now() + timedelta(days=365)``: it is then
    taken as local time and converted to an aware datetime, because the server requires an
    explicit offset.
    """

    name: str
    permissions: list[str]
    expires_at: Optional[datetime] = None
    description: Optional[str] = None

    @field_validator("expires_at")
    @classmethod
    def _make_aware(cls, value: Optional[datetime]) -> Optional[datetime]:
        if value is None or value.tzinfo is not None:
            return value
        return value.astimezone()
