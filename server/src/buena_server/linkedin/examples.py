"""The OpenAPI examples of /integrations/linkedin and /linkedin/actions."""

from __future__ import annotations

from typing import Any

ACTION_ID = "lia_4c2e8a1b9d3f5e7a6b0c1d2e"
PROFILE = "https://www.linkedin.com/in/ada-lovelace/"
HOURS: dict[str, Any] = {
    "start": "09:00",
    "end": "18:00",
    "days": ["mon", "tue", "wed", "thu", "fri"],
}
INTEGRATION_REQUEST: dict[str, Any] = {
    "profile_url": "https://www.linkedin.com/in/grace-hopper/",
    "name": "Grace Hopper",
    "daily_limit": 80,
    "timezone": "Europe/Berlin",
    "working_hours": HOURS,
    "min_delay_seconds": 90,
    "max_delay_seconds": 420,
    "executor": "sandbox",
}
INTEGRATION: dict[str, Any] = {
    "connected": True,
    **INTEGRATION_REQUEST,
    "actions_today": 12,
    "last_activity": "2026-12-07T14:30:05.120000Z",
    "created_at": "2026-12-01T08:00:00Z",
    "updated_at": "2026-12-01T08:00:00Z",
}
DISCONNECTED: dict[str, Any] = {
    "success": True,
    "message": "LinkedIn integration disconnected; 2 scheduled action(s) canceled",
    "canceled_actions": 2,
}
CONNECT_REQUEST: dict[str, Any] = {
    "action_type": "send_connection_request",
    "profile_url": "https://linkedin.com/in/ada-lovelace",
    "message": "Hi Ada, I enjoyed your notes on the Analytical Engine. Let's connect!",
    "lead_id": "lead_3f9c2a7b1e4d5c6b7a8f9e0d",
}
MESSAGE_REQUEST: dict[str, Any] = {
    "action_type": "send_message",
    "profile_url": PROFILE,
    "message": "Thanks for connecting, Ada! Would a short call next week suit you?",
    "scheduled_at": "2026-12-08T10:00:00+01:00",
}
ACTION: dict[str, Any] = {
    "id": ACTION_ID,
    "action_type": "send_connection_request",
    "status": "scheduled",
    "profile_url": PROFILE,
    "lead_id": CONNECT_REQUEST["lead_id"],
    "message": CONNECT_REQUEST["message"],
    "voice_settings": None,
    "scheduled_at": None,
    "scheduled_for": "2026-12-07T14:36:12.120000Z",
    "attempts": 0,
    "result": None,
    "error": None,
    "executor": "sandbox",
    "created_at": "2026-12-07T14:31:00.5Z",
    "started_at": None,
    "finished_at": None,
    "updated_at": "2026-12-07T14:31:00.5Z",
}
COMPLETED: dict[str, Any] = {
    **ACTION,
    "status": "completed",
    "attempts": 1,
    "result": {"simulated": True, "profile_url": PROFILE, "invitation": "sent", "note": True},
    "started_at": ACTION["scheduled_for"],
    "finished_at": "2026-12-07T14:36:12.3Z",
    "updated_at": "2026-12-07T14:36:12.3Z",
}
CANCELED: dict[str, Any] = {
    **ACTION,
    "status": "canceled",
    "finished_at": "2026-12-07T14:32:00Z",
    "updated_at": "2026-12-07T14:32:00Z",
}
PAGE: dict[str, Any] = {"data": [ACTION], "total": 1, "limit": 50, "offset": 0}
HOSTED_REQUEST: dict[str, Any] = {
    "actionType": "sendConnectionRequest",
    "profileUrl": "https://linkedin.com/in/ada-lovelace",
    "message": "Hi Ada, let's connect!",
}
HOSTED_ANSWER: dict[str, Any] = {
    "success": True,
    "message": "sendConnectionRequest action scheduled successfully with delay of 75000 ms.",
    "actionId": ACTION_ID,
    "scheduledFor": "2026-12-07T14:32:15.5Z",
}
