"""Where a lead lives: the URL a create answers in its Location header (both paths)."""

from __future__ import annotations

from buena_server.kit.openapi_docs import BASE_PATH

LEADS_PATH = f"{BASE_PATH}/leads"


def lead_location(lead_id: str) -> str:
    return f"{LEADS_PATH}/{lead_id}"
