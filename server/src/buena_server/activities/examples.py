"""The OpenAPI example of GET /leads/{id}/activities."""

from __future__ import annotations

from typing import Any

from buena_server.leads.examples import LEAD_ID
from buena_server.linkedin.examples import COMPLETED

TIMELINE: dict[str, Any] = {
    "data": [
        {
            "type": "status_change",
            "at": "2026-12-07T14:36:12.3Z",
            "action": None,
            "enrichment": None,
            "status_change": {
                "event_id": "evt_7d1e2f3a4b5c6d7e8f9a0b1c",
                "previous_status": "active",
                "status": "contacted",
            },
        },
        {
            "type": "linkedin_action",
            "at": "2026-12-07T14:36:12.3Z",
            "action": {**COMPLETED, "lead_id": LEAD_ID},
            "enrichment": None,
            "status_change": None,
        },
        {
            "type": "enrichment",
            "at": "2026-12-06T09:15:00Z",
            "action": None,
            "enrichment": {
                "lead_id": LEAD_ID,
                "enriched_at": "2026-12-06T09:15:00Z",
                "sources": ["offline"],
                "confidence": 0.9,
                "fields": {
                    "first_name": {
                        "value": "Ada",
                        "sources": ["offline"],
                        "enriched_at": "2026-12-06T09:15:00Z",
                    }
                },
            },
            "status_change": None,
        },
    ],
    "total": 3,
    "limit": 50,
    "offset": 0,
}
