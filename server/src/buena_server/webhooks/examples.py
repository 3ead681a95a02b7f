"""The OpenAPI examples of /webhooks: one value of each body, shown beside its schema."""

from __future__ import annotations

from typing import Any

from buena_server.kit.openapi_docs import answer, example

__all__ = ["answer", "example"]

WEBHOOK: dict[str, Any] = {
    "id": "wh_5f0c6b1e2a9d4c7e8b3a1f20",
    "url": "https://crm.example.com/buena/events",
    "events": ["lead.created", "lead.updated"],
    "description": "CRM sync",
    "is_active": True,
    "secret_preview": "whsec_Q2xh...",
    "disabled_reason": None,
    "disabled_at": None,
    "created_at": "2026-12-05T09:30:00Z",
    "updated_at": "2026-12-05T09:30:00Z",
}
SECRET = "whsec_Q2xhc3NpY1NlY3JldEJ1ZW5hV2ViaG9va3NFeGFtcGxl"  # noqa: S105  # an example
DELIVERY: dict[str, Any] = {
    "id": "whd_8e1d2c3b4a5f6e7d8c9b0a1f",
    "webhook_id": WEBHOOK["id"],
    "event_id": "evt_1a2b3c4d5e6f7a8b9c0d1e2f",
    "event_type": "lead.created",
    "status": "pending",
    "attempts": 2,
    "last_status_code": 503,
    "last_error": "HTTP 503: Service Unavailable",
    "next_attempt_at": "2026-12-05T09:31:10Z",
    "delivered_at": None,
    "created_at": "2026-12-05T09:30:00Z",
}
CREATE: dict[str, Any] = {
    "url": WEBHOOK["url"],
    "events": WEBHOOK["events"],
    "description": "CRM sync",
}
UPDATE: dict[str, Any] = {"events": ["*"], "is_active": True}
ROTATE: dict[str, Any] = {"overlap_seconds": 86_400}
# operationId -> the example of its success answer, for answers Litestar documents itself.
ANSWERS: dict[str, tuple[str, Any]] = {
    "delete_webhook": (
        "The webhook deleted",
        {
            "success": True,
            "message": f"Webhook {WEBHOOK['id']} deleted",
            "deleted_id": WEBHOOK["id"],
        },
    ),
}


def page_of(item: dict[str, Any]) -> dict[str, Any]:
    return {"data": [item], "total": 1, "limit": 50, "offset": 0}
