"""The event catalogue: every type an account's events can have (docs/api.md, "Events",
describes each payload). Systems that add events add their types here."""

from __future__ import annotations

LEAD_CREATED = "lead.created"
LEAD_UPDATED = "lead.updated"
LEAD_DELETED = "lead.deleted"
LEAD_ENRICHED = "lead.enriched"
API_KEY_CREATED = "api_key.created"
API_KEY_REVOKED = "api_key.revoked"
WEBHOOK_DISABLED = "webhook.disabled"
JOB_COMPLETED = "job.completed"
JOB_FAILED = "job.failed"
LINKEDIN_ACTION_COMPLETED = "linkedin.action.completed"
LINKEDIN_ACTION_FAILED = "linkedin.action.failed"
LINKEDIN_CONNECTION_ACCEPTED = "linkedin.connection.accepted"
LINKEDIN_MESSAGE_REPLIED = "linkedin.message.replied"
VOICE_CLONE_CREATED = "voice_clone.created"
VOICE_CLONE_READY = "voice_clone.ready"
VOICE_CLONE_FAILED = "voice_clone.failed"
VOICE_CLONE_UPDATED = "voice_clone.updated"
VOICE_CLONE_DELETED = "voice_clone.deleted"

EVENT_TYPES: tuple[str, ...] = (
    LEAD_CREATED,
    LEAD_UPDATED,
    LEAD_DELETED,
    LEAD_ENRICHED,
    API_KEY_CREATED,
    API_KEY_REVOKED,
    WEBHOOK_DISABLED,
    JOB_COMPLETED,
    JOB_FAILED,
    LINKEDIN_ACTION_COMPLETED,
    LINKEDIN_ACTION_FAILED,
    LINKEDIN_CONNECTION_ACCEPTED,
    LINKEDIN_MESSAGE_REPLIED,
    VOICE_CLONE_CREATED,
    VOICE_CLONE_READY,
    VOICE_CLONE_FAILED,
    VOICE_CLONE_UPDATED,
    VOICE_CLONE_DELETED,
)
