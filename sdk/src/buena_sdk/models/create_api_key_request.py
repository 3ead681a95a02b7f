from typing import Optional

from buena_sdk.models._base import RequestDatetime, RequestModel

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
    "linkedin:read",
    "linkedin:schedule",
    "linkedin:upload",
    "linkedin:voice",
)


class CreateApiKeyRequest(RequestModel):
    """Body of ``create_api_key``.

    ``expires_at`` may be naive, as in ``datetime.now() + timedelta(days=365)``: it is then
    taken as local time and converted to an aware datetime, because the server requires an
    explicit offset.
    """

    name: str
    permissions: list[str]
    expires_at: Optional[RequestDatetime] = None
    description: Optional[str] = None
