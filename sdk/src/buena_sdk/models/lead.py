from typing import Any, Optional

from buena_sdk.models._base import ResponseModel, ServerDatetime


class Lead(ResponseModel):
    """A lead as the server stores it."""

    id: str
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
    # active, inactive or contacted
    status: str
    created_at: ServerDatetime
    updated_at: ServerDatetime
