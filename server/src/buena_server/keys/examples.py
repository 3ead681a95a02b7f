"""The OpenAPI examples of /keys: the reference's create_api_key example and what the server
answers to it."""

from __future__ import annotations

from typing import Any

KEY_ID = "key_907332a6591dfd6f2f09c8e5"
CREATE_KEY: dict[str, Any] = {
    "name": "Integration API Key",
    "permissions": ["leads:read", "leads:write"],
    "description": "For CRM integration",
    "expires_at": "2027-12-31T23:59:59Z",
}
KEY: dict[str, Any] = {
    "id": KEY_ID,
    **CREATE_KEY,
    "key_preview": "bna_1e73...",
    "last_used": None,
    "is_active": True,
    "created_at": "2026-12-05T10:00:00.123456Z",
}
# A key is shown whole once, in the answer that creates it (an example, not a real key).
SECRET = "bna_1e73e1aa48631a27c04fac1ba8b193c0b0f94794f74d8ce6192e99efd042409a"  # noqa: S105
REQUESTS: dict[str, tuple[str, Any]] = {
    "create_api_key": ("The reference's key", CREATE_KEY),
}
ANSWERS: dict[str, tuple[str, Any]] = {
    "create_api_key": ("The key created, its secret shown this once", {**KEY, "key": SECRET}),
    "list_api_keys": (
        "A page of one key",
        {"data": [KEY], "total": 1, "limit": 50, "offset": 0, "next_cursor": None},
    ),
    "revoke_api_key": (
        "The key revoked",
        {"success": True, "message": f"API key {KEY_ID} revoked", "revoked_id": KEY_ID},
    ),
}
