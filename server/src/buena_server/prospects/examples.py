"""The OpenAPI examples of /prospect-lists."""

from __future__ import annotations

from typing import Any

LIST_ID = "pl_3a9c1e5b7d2f4a6c8e0b1d3f"
CREATE_REQUEST: dict[str, Any] = {
    "name": "London fintech founders",
    "prospects": [
        {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com",
         "company": "Analytical Engines", "linkedin_url": "linkedin.com/in/ada-lovelace"},
        {"first_name": "Grace", "last_name": "Hopper",
         "linkedin_url": "https://uk.linkedin.com/in/grace-hopper"},
    ],
}  # fmt: skip
LIST: dict[str, Any] = {
    "id": LIST_ID,
    "name": "London fintech founders",
    "prospect_count": 2,
    "created_at": "2026-12-06T10:00:00Z",
}
LISTS: dict[str, Any] = {"data": [LIST], "total": 1, "limit": 50, "offset": 0}
PROSPECTS: dict[str, Any] = {
    "data": [
        {"id": "pr_1b2c3d4e5f6a7b8c9d0e1f2a", "position": 0, "first_name": "Ada",
         "last_name": "Lovelace", "email": "ada@example.com", "company": "Analytical Engines",
         "job_title": None, "linkedin_url": "https://www.linkedin.com/in/ada-lovelace/",
         "match": "lead", "lead_id": "lead_5f031a78d1255a6efee725c6", "matched_by": "email"},
        {"id": "pr_2c3d4e5f6a7b8c9d0e1f2a3b", "position": 1, "first_name": "Grace",
         "last_name": "Hopper", "email": None, "company": None, "job_title": None,
         "linkedin_url": "https://www.linkedin.com/in/grace-hopper/", "match": "new",
         "lead_id": None, "matched_by": None},
    ],
    "total": 2,
    "limit": 50,
    "offset": 0,
}  # fmt: skip
CONVERTED: dict[str, Any] = {
    "results": [
        {"prospect_id": "pr_1b2c3d4e5f6a7b8c9d0e1f2a", "position": 0, "outcome": "existing",
         "lead_id": "lead_5f031a78d1255a6efee725c6", "error": None},
        {"prospect_id": "pr_2c3d4e5f6a7b8c9d0e1f2a3b", "position": 1, "outcome": "error",
         "lead_id": None, "error": {"status": 400, "code": "INVALID_REQUEST",
                                    "message": "Object missing required field `email`",
                                    "field": "email"}},
    ],
    "created": 0,
    "existing": 1,
    "errors": 1,
}  # fmt: skip
SCHEDULE_REQUEST: dict[str, Any] = {
    "action_type": "send_connection_request",
    "message": "Hi, I enjoyed your talk at the fintech meetup. Let's connect!",
}
SCHEDULED: dict[str, Any] = {
    "results": [
        {"prospect_id": "pr_1b2c3d4e5f6a7b8c9d0e1f2a", "position": 0, "outcome": "scheduled",
         "action_id": "lia_4c2e8a1b9d3f5e7a6b0c1d2e", "scheduled_for": "2026-12-07T09:02:15Z",
         "lead_id": "lead_5f031a78d1255a6efee725c6", "error": None},
        {"prospect_id": "pr_2c3d4e5f6a7b8c9d0e1f2a3b", "position": 1, "outcome": "refused",
         "action_id": None, "scheduled_for": None, "lead_id": None,
         "error": {"status": 409, "code": "LINKEDIN_DUPLICATE_ACTION",
                   "message": "A connection request to https://www.linkedin.com/in/grace-hopper/ "
                   "is already scheduled, running or completed", "field": None}},
    ],
    "scheduled": 1,
    "refused": 1,
}  # fmt: skip
CSV = (
    "First Name,Last Name,E-mail,Company,LinkedIn URL\n"
    "Ada,Lovelace,ada@example.com,Analytical Engines,linkedin.com/in/ada-lovelace\n"
    "Grace,Hopper,,,https://uk.linkedin.com/in/grace-hopper\n"
)
