"""The OpenAPI examples of /jobs."""

from __future__ import annotations

from typing import Any

JOB_ID = "job_7c1e9a2b3d4f5e6a7b8c9d0e"
JOB: dict[str, Any] = {
    "id": JOB_ID,
    "type": "enrichment",
    "status": "running",
    "progress": 40,
    "total": 5000,
    "processed": 2000,
    "succeeded": 1987,
    "failed": 13,
    "message": None,
    "result_url": f"/api/v2/jobs/{JOB_ID}/result",
    "created_at": "2026-12-05T10:00:00.123456Z",
    "started_at": "2026-12-05T10:00:00.250000Z",
    "finished_at": None,
    "updated_at": "2026-12-05T10:00:41.5Z",
}
CANCELED: dict[str, Any] = {
    **JOB,
    "status": "canceled",
    "message": "Canceled by request",
    "finished_at": "2026-12-05T10:00:42Z",
    "updated_at": "2026-12-05T10:00:42Z",
}
PAGE: dict[str, Any] = {
    "data": [JOB],
    "total": 1,
    "limit": 50,
    "offset": 0,
    "statistics": {
        "total": 12,
        "pending": 0,
        "running": 1,
        "completed": 10,
        "failed": 1,
        "canceled": 0,
        "success_rate": 0.9091,
    },
}
RESULT = (
    '{"input":{"email":"ada@example.com"},"status":"enriched"}\n'
    '{"input":{"email":"not-an-email"},"status":"failed","code":"INVALID_INPUT"}\n'
)
