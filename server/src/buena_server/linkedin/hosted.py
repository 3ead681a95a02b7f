"""The hosted Buena API's path for scheduling, ``POST /linkedin/scheduleLinkedInAction``: its
camelCase body (``actionType`` in camelCase, ``voiceSettings`` with ``voiceId``,
``voiceText`` and ``voiceParams``), turned into our request, and its answer
``{"success": true, "message": "<actionType> action scheduled successfully with delay of
<ms> ms."}`` (plus the action's ``actionId`` and ``scheduledFor``). ``participantName`` and
``threadId`` are taken and not used (no conversation-level actions here)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

from buena_server.kit import clock
from buena_server.kit.validation import text
from buena_server.linkedin.schemas import (
    ACTION_REQUESTS,
    LeadRef,
    LinkedInAction,
    Message,
    Note,
    ProfileUrlField,
    ScheduleActionRequest,
    ScheduledAt,
    VoiceSettings,
    fraction,
)
from buena_server.linkedin.service import delay_ms

Unused = Annotated[str, text(200, "Taken for the hosted API's sake; not used")]


class HostedVoiceParams(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    stability: Annotated[float, fraction("Voice stability, 0 to 1")] = 0.5
    clarity: Annotated[float, fraction("Voice clarity, 0 to 1")] = 0.75
    use_speaker_boost: bool = True


class HostedVoiceSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, rename="camel"):
    voice_id: Annotated[str, text(100, "The voice to speak with", required=True)]
    voice_text: Annotated[str, text(5000, "What the voice says", required=True)]
    voice_params: HostedVoiceParams = msgspec.field(default_factory=HostedVoiceParams)


class _Hosted(
    msgspec.Struct,
    kw_only=True,
    forbid_unknown_fields=True,
    tag_field="actionType",
    rename="camel",
):
    profile_url: ProfileUrlField
    lead_id: LeadRef | None = None
    scheduled_at: ScheduledAt | None = None
    participant_name: Unused | None = None
    thread_id: Unused | None = None


class HostedSendConnectionRequest(_Hosted, tag="sendConnectionRequest"):
    message: Note | None = None


class HostedSendMessage(_Hosted, tag="sendMessage"):
    message: Message


class HostedSendVoiceMessage(_Hosted, tag="sendVoiceMessage"):
    voice_settings: HostedVoiceSettings
    message: Annotated[str, text(8000, "Text sent with the voice message")] | None = None


class HostedViewProfile(_Hosted, tag="viewProfile"):
    pass


class HostedWithdrawConnectionRequest(_Hosted, tag="withdrawConnectionRequest"):
    pass


class HostedGetProfile(_Hosted, tag="getProfile"):
    pass


HostedScheduleRequest = (
    HostedSendConnectionRequest
    | HostedSendMessage
    | HostedSendVoiceMessage
    | HostedViewProfile
    | HostedWithdrawConnectionRequest
    | HostedGetProfile
)
REQUESTS: dict[str, type[_Hosted]] = {
    "sendConnectionRequest": HostedSendConnectionRequest,
    "sendMessage": HostedSendMessage,
    "sendVoiceMessage": HostedSendVoiceMessage,
    "viewProfile": HostedViewProfile,
    "withdrawConnectionRequest": HostedWithdrawConnectionRequest,
    "getProfile": HostedGetProfile,
}
# "sendConnectionRequest" -> "send_connection_request"
_OURS = dict(zip(REQUESTS, ACTION_REQUESTS, strict=True))


class HostedScheduleResponse(msgspec.Struct, kw_only=True, rename="camel"):
    success: bool
    message: str
    action_id: str
    scheduled_for: datetime


def ours(request: HostedScheduleRequest) -> ScheduleActionRequest:
    """The same request in our own shape."""
    tag = str(type(request).__struct_config__.tag)
    fields: dict[str, Any] = {
        "profile_url": request.profile_url,
        "lead_id": request.lead_id,
        "scheduled_at": request.scheduled_at,
    }
    if isinstance(request, HostedSendVoiceMessage):
        settings = request.voice_settings
        fields["voice_settings"] = VoiceSettings(
            voice_id=settings.voice_id,
            text=settings.voice_text,
            stability=settings.voice_params.stability,
            clarity=settings.voice_params.clarity,
            use_speaker_boost=settings.voice_params.use_speaker_boost,
        )
    if isinstance(
        request, HostedSendConnectionRequest | HostedSendMessage | HostedSendVoiceMessage
    ):
        fields["message"] = request.message
    made: ScheduleActionRequest = ACTION_REQUESTS[_OURS[tag]](**fields)  # type: ignore[assignment]
    return made


def answer_of(request: HostedScheduleRequest, action: LinkedInAction) -> HostedScheduleResponse:
    tag = str(type(request).__struct_config__.tag)
    wait = delay_ms(action.scheduled_for, clock.utcnow())
    return HostedScheduleResponse(
        success=True,
        message=f"{tag} action scheduled successfully with delay of {wait} ms.",
        action_id=action.id,
        scheduled_for=action.scheduled_for,
    )
