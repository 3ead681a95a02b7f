from typing import Any, Optional

from buena_sdk.models._base import (
    NoNullRequestModel,
    RequestDatetime,
    ResponseModel,
    ServerDatetime,
)
from buena_sdk.models._page import Page

# What POST /linkedin/actions schedules.
LINKEDIN_ACTION_TYPES = (
    "send_connection_request",
    "send_message",
    "send_voice_message",
    "view_profile",
    "withdraw_connection_request",
    "get_profile",
)


class WorkingHours(NoNullRequestModel):
    """When actions run, local time in the integration's time zone: ``start`` ("09:00",
    inclusive) to ``end`` (exclusive) on each of ``days`` ("mon" ... "sun"); an ``end`` at or
    before ``start`` runs past midnight (equal: all day)."""

    start: Optional[str] = None
    end: Optional[str] = None
    days: Optional[list[str]] = None


class LinkedInIntegrationRequest(NoNullRequestModel):
    """Body of ``update_linkedin_integration``: the whole integration; a field left out
    (or None) takes the server's default (daily_limit 100, timezone UTC, 09:00-18:00 Monday
    to Friday, 60-300 s between actions, the ``sandbox`` executor)."""

    profile_url: str
    name: Optional[str] = None
    daily_limit: Optional[int] = None
    timezone: Optional[str] = None
    working_hours: Optional[WorkingHours] = None
    min_delay_seconds: Optional[int] = None
    max_delay_seconds: Optional[int] = None
    executor: Optional[str] = None


class LinkedInWorkingHours(ResponseModel):
    start: str
    end: str
    days: list[str]


class LinkedInIntegration(ResponseModel):
    """The connected LinkedIn account (``connected`` false, and None elsewhere, when there
    is none), with ``actions_today`` (started in its local day) and ``last_activity``."""

    connected: bool
    profile_url: Optional[str] = None
    name: Optional[str] = None
    daily_limit: Optional[int] = None
    timezone: Optional[str] = None
    working_hours: Optional[LinkedInWorkingHours] = None
    min_delay_seconds: Optional[int] = None
    max_delay_seconds: Optional[int] = None
    executor: Optional[str] = None
    actions_today: int
    last_activity: Optional[ServerDatetime] = None
    created_at: Optional[ServerDatetime] = None
    updated_at: Optional[ServerDatetime] = None


class DisconnectLinkedInResponse(ResponseModel):
    success: bool
    message: str
    canceled_actions: int


class VoiceSettings(NoNullRequestModel):
    """What a voice message says and how: ``voice_id`` (taken as given until voice clones
    exist), ``text``, ``stability`` and ``clarity`` (0 to 1), ``use_speaker_boost``."""

    voice_id: str
    text: str
    stability: Optional[float] = None
    clarity: Optional[float] = None
    use_speaker_boost: Optional[bool] = None


class ScheduleLinkedInActionRequest(NoNullRequestModel):
    """Body of ``schedule_linkedin_action``. ``action_type`` is one of
    ``LINKEDIN_ACTION_TYPES``; each takes its own fields: ``message`` (a connection note of
    up to 300 characters, or a message of up to 8,000, which ``send_message`` requires),
    ``voice_settings`` (``send_voice_message`` only). ``scheduled_at`` is the earliest time
    (a naive datetime is local time); the server's rules may make it later."""

    action_type: str
    profile_url: str
    lead_id: Optional[str] = None
    message: Optional[str] = None
    voice_settings: Optional[VoiceSettings] = None
    scheduled_at: Optional[RequestDatetime] = None


class LinkedInActionError(ResponseModel):
    code: str
    message: str
    retryable: bool


class LinkedInAction(ResponseModel):
    """A scheduled LinkedIn action. ``status`` is ``scheduled``, ``running``, ``completed``,
    ``failed`` or ``canceled``; ``scheduled_for`` is when it runs (or ran); ``result`` is
    what the executor answered (the sandbox's says ``"simulated": True``), ``error`` why it
    failed (or why its last run did, while it waits for a retry)."""

    id: str
    action_type: str
    status: str
    profile_url: str
    lead_id: Optional[str] = None
    message: Optional[str] = None
    voice_settings: Optional[dict[str, Any]] = None
    scheduled_at: Optional[ServerDatetime] = None
    scheduled_for: ServerDatetime
    attempts: int
    result: Optional[dict[str, Any]] = None
    error: Optional[LinkedInActionError] = None
    executor: str
    created_at: ServerDatetime
    started_at: Optional[ServerDatetime] = None
    finished_at: Optional[ServerDatetime] = None
    updated_at: ServerDatetime


class ListLinkedInActionsResponse(Page[LinkedInAction]):
    """One page of the account's LinkedIn actions, by ``scheduled_for``."""


class HostedScheduleLinkedInActionRequest(NoNullRequestModel):
    """The hosted Buena API's body for ``POST /linkedin/scheduleLinkedInAction``, in its
    camelCase: ``actionType`` (``sendConnectionRequest``, ``sendMessage``,
    ``sendVoiceMessage``, ``viewProfile``, ``withdrawConnectionRequest``, ``getProfile``),
    ``profileUrl``, ``message``, ``voiceSettings`` (``voiceId``, ``voiceText``,
    ``voiceParams``); ``participantName`` and ``threadId`` are taken and not used."""

    actionType: str
    profileUrl: str
    message: Optional[str] = None
    voiceSettings: Optional[dict[str, Any]] = None
    leadId: Optional[str] = None
    scheduledAt: Optional[RequestDatetime] = None
    participantName: Optional[str] = None
    threadId: Optional[str] = None


class HostedScheduleLinkedInActionResponse(ResponseModel):
    """The hosted answer: ``message`` says the action and its delay in milliseconds."""

    success: bool
    message: str
    actionId: str
    scheduledFor: ServerDatetime
