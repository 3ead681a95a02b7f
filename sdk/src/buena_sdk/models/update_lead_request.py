from typing import Any, Optional

from buena_sdk.models._base import RequestModel
from buena_sdk.models.literals import LeadStatusField


class UpdateLeadRequest(RequestModel):
    """Body of ``update_lead`` (a PATCH).

    Only the fields you pass are sent: an omitted field stays as it is on the server, while
    a field passed as ``None`` is sent as null and clears it. ``tags`` replaces the whole
    list; ``custom_fields`` is merged key by key, and a key set to ``None`` is removed.
    """

    first_name: Optional[str] = None
    last_name: Optional[str] = None
    email: Optional[str] = None
    company: Optional[str] = None
    phone: Optional[str] = None
    linkedin_url: Optional[str] = None
    job_title: Optional[str] = None
    location: Optional[str] = None
    notes: Optional[str] = None
    tags: Optional[list[str]] = None
    custom_fields: Optional[dict[str, Any]] = None
    status: Optional[LeadStatusField] = None
