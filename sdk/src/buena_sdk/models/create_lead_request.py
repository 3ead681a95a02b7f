from typing import Any, Optional

from buena_sdk.models._base import RequestModel
from buena_sdk.models.literals import LeadStatusField


class CreateLeadRequest(RequestModel):
    """Body of ``create_lead``. ``status`` (active, inactive, contacted) is an extension of
    the reference; the server defaults it to ``active``."""

    first_name: str
    last_name: str
    email: str
    company: Optional[str] = None
    phone: Optional[str] = None
    linkedin_url: Optional[str] = None
    job_title: Optional[str] = None
    location: Optional[str] = None
    notes: Optional[str] = None
    tags: Optional[list[str]] = None
    custom_fields: Optional[dict[str, Any]] = None
    status: Optional[LeadStatusField] = None
