"""The permission scopes of the Buena API."""

from enum import StrEnum


class Permission(StrEnum):
    LEADS_READ = "leads:read"
    LEADS_WRITE = "leads:write"
    LEADS_DELETE = "leads:delete"
    API_KEYS_READ = "api_keys:read"
    API_KEYS_WRITE = "api_keys:write"
    WEBHOOKS_READ = "webhooks:read"
    WEBHOOKS_WRITE = "webhooks:write"
    # The hosted API's names for the Enrichment & Prospecting group.
    LEADS_ENRICH = "leads:enrich"
    JOBS_READ = "jobs:read"
    JOBS_UPDATE = "jobs:update"
    # The hosted API's names for the LinkedIn Automation group.
    LINKEDIN_READ = "linkedin:read"
    LINKEDIN_SCHEDULE = "linkedin:schedule"
    LINKEDIN_UPLOAD = "linkedin:upload"
    LINKEDIN_VOICE = "linkedin:voice"
    # The hosted API's names for the Voice Cloning group.
    VOICE_READ = "voice:read"
    VOICE_CREATE = "voice:create"
    VOICE_UPDATE = "voice:update"
    VOICE_DELETE = "voice:delete"
    VOICE_PREVIEW = "voice:preview"


ALL_PERMISSIONS: tuple[str, ...] = tuple(p.value for p in Permission)
