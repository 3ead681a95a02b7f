"""Request and response bodies of /integrations/linkedin and /linkedin/actions.

A scheduled action's body is one of six shapes, told apart by ``action_type`` (a tagged
union): each takes exactly its own fields, so the OpenAPI document states every rule (a
connection note of 300 characters, a message of 8,000, a voice message's settings) and what
it admits the server accepts.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Annotated, Any, Literal, get_args
from zoneinfo import available_timezones

import msgspec

from buena_server.enrichment.linkedin import canonical_profile
from buena_server.kit.clock import utcnow
from buena_server.kit.validation import Context, Invalid, StringList, field, text
from buena_server.linkedin.schedule import DAYS

ActionType = Literal[
    "send_connection_request",
    "send_message",
    "send_voice_message",
    "view_profile",
    "withdraw_connection_request",
    "get_profile",
]
ActionStatus = Literal["scheduled", "running", "completed", "failed", "canceled"]
ACTION_TYPES: tuple[str, ...] = get_args(ActionType)
ACTION_STATUSES: tuple[str, ...] = get_args(ActionStatus)
# An action in one of these never changes again (but for the sandbox's later outcomes).
FINISHED: frozenset[str] = frozenset({"completed", "failed", "canceled"})
# The actions that contact the person: once one completes, its lead is "contacted".
CONTACTS: frozenset[str] = frozenset(
    {"send_connection_request", "send_message", "send_voice_message"}
)
CONNECTION_NOTE_MAX = 300
MESSAGE_MAX = 8000
VOICE_TEXT_MAX = 5000
MAX_DAILY_LIMIT = 1000
MAX_DELAY_SECONDS = 86_400
# How far ahead scheduled_at may be.
MAX_AHEAD = timedelta(days=365)

# The custom OpenAPI formats of the rules JSON Schema cannot state.
TIME_ZONE_FORMAT = "iana-time-zone"
SCHEDULE_FORMAT = "schedule-date-time"
# Every URL this admits is a member profile canonical_profile accepts (a subset: it also
# takes m./country hosts in any case, query strings, trailing paths and non-ASCII names).
PROFILE_URL_PATTERN = (
    r"^(https?://)?((www|m|[a-z]{2})\.)?linkedin\.com/in/"
    r"(?=[A-Za-z0-9_-]{3,100}/?$)[A-Za-z0-9_-]*[A-Za-z0-9][A-Za-z0-9_-]*/?$"
)
HH_MM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


@cache
def time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


class ProfileUrl:
    """A LinkedIn member profile URL, stored in its canonical form."""

    def apply(self, value: str, context: Context) -> str:
        if len(value) > 500:
            raise Invalid("must be at most 500 characters")
        found = canonical_profile(value)
        if found is None:
            raise Invalid(
                "must be a LinkedIn member profile URL, e.g. https://www.linkedin.com/in/jane-doe"
            )
        return found[0]


class TimeZone:
    def apply(self, value: str, context: Context) -> str:
        if value not in time_zones():
            raise Invalid("must be an IANA time zone name, e.g. Europe/Berlin")
        return value


class ClockTime:
    def apply(self, value: str, context: Context) -> str:
        if len(value) != 5 or not value[:2].isdigit() or value[2] != ":":
            raise Invalid('must be a local time "HH:MM", e.g. "09:00"')
        if not (value[3:].isdigit() and int(value[:2]) < 24 and int(value[3:]) < 60):
            raise Invalid('must be a local time "HH:MM", e.g. "09:00"')
        return value


class Whole:
    """A whole number between two bounds."""

    def __init__(self, low: int, high: int) -> None:
        self.low, self.high = low, high

    def apply(self, value: int, context: Context) -> int:
        if not self.low <= value <= self.high:
            raise Invalid(f"must be {self.low} to {self.high}")
        return value


class Fraction:
    def apply(self, value: float, context: Context) -> float:
        if not 0.0 <= value <= 1.0:
            raise Invalid("must be 0 to 1")
        return float(value)


class ScheduleTime:
    """An RFC 3339 date-time with an offset, at most a year ahead; a past one means "as soon
    as the rules allow". Returned in UTC."""

    def apply(self, value: str, context: Context) -> datetime:
        example = "e.g. 2027-01-04T09:30:00+01:00"
        try:
            moment = msgspec.json.decode(msgspec.json.encode(value), type=datetime)
        except msgspec.DecodeError:
            raise Invalid(f"must be an RFC 3339 date-time, {example}") from None
        if moment.utcoffset() is None:
            raise Invalid(f"must include a time zone offset, {example}")
        try:
            moment = moment.astimezone(UTC)
        except OverflowError:
            raise Invalid("is out of range") from None
        if moment > utcnow() + MAX_AHEAD:
            raise Invalid("must be at most 365 days ahead")
        return moment


def _whole(low: int, high: int, description: str) -> msgspec.Meta:
    return field(Whole(low, high), description=description, minimum=low, maximum=high)


def fraction(description: str) -> msgspec.Meta:
    return field(Fraction(), description=description, minimum=0, maximum=1)


ProfileUrlField = Annotated[
    str,
    field(
        ProfileUrl(),
        description="A LinkedIn member profile URL (linkedin.com/in/...); stored in its "
        "canonical form https://www.linkedin.com/in/<identifier>/",
        max_length=500,
        pattern=PROFILE_URL_PATTERN,
        non_null="string",
    ),
]
ClockTimeField = Annotated[
    str,
    field(ClockTime(), description='Local time "HH:MM"', pattern=HH_MM, non_null="string"),
]


class WorkingHours(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """When actions run, local time: from ``start`` (inclusive) to ``end`` (exclusive) on
    each of ``days``; an ``end`` at or before ``start`` runs past midnight (equal: all day)."""

    start: ClockTimeField = "09:00"
    end: ClockTimeField = "18:00"
    days: Annotated[
        list[str],
        field(
            StringList(max_items=7, item_max_length=3, allowed=DAYS, min_items=1),
            description="The working days (a window starts on these)",
            min_items=1,
            max_items=7,
            items={"type": "string", "enum": list(DAYS)},
            non_null="array",
        ),
    ] = msgspec.field(default_factory=lambda: list(DAYS[:5]))


class LinkedInIntegrationRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The whole integration (PUT): a field left out takes its default."""

    profile_url: ProfileUrlField
    name: Annotated[str, text(200, "The LinkedIn account's name")] | None = None
    daily_limit: Annotated[
        int, _whole(1, MAX_DAILY_LIMIT, "At most this many actions run per local day")
    ] = 100
    timezone: Annotated[
        str,
        field(
            TimeZone(),
            description="IANA time zone of the working hours and the daily limit's day "
            f"(the custom format `{TIME_ZONE_FORMAT}`)",
            max_length=64,
            # Every name this server's time zone database knows (~600): what the rule
            # accepts, so that a generated name the schema admits is never refused.
            enum=sorted(time_zones()),
            format=TIME_ZONE_FORMAT,
            non_null="string",
        ),
    ] = "UTC"
    working_hours: WorkingHours = msgspec.field(default_factory=WorkingHours)
    min_delay_seconds: Annotated[
        int, _whole(0, MAX_DELAY_SECONDS, "Shortest gap between two actions (seconds)")
    ] = 60
    max_delay_seconds: Annotated[
        int,
        _whole(
            0,
            MAX_DELAY_SECONDS,
            "Longest delay after the previous action (seconds; at least min_delay_seconds)",
        ),
    ] = 300
    executor: Annotated[
        str, text(64, "The executor that performs the actions (a registered name)")
    ] = "sandbox"


class LinkedInIntegration(msgspec.Struct, kw_only=True):
    """The integration; ``connected: false`` (and nulls) when there is none."""

    connected: bool
    profile_url: str | None
    name: str | None
    daily_limit: int | None
    timezone: str | None
    working_hours: WorkingHours | None
    min_delay_seconds: int | None
    max_delay_seconds: int | None
    executor: str | None
    actions_today: int
    last_activity: datetime | None
    created_at: datetime | None
    updated_at: datetime | None


class DisconnectResponse(msgspec.Struct, kw_only=True):
    success: bool
    message: str
    canceled_actions: int


# -- scheduling an action ---------------------------------------------------------------


class VoiceSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    voice_id: Annotated[
        str,
        text(
            100,
            "The voice clone to speak with (voice_...; 404 if the account has none by that id)",
            required=True,
        ),
    ]
    text: Annotated[str, text(VOICE_TEXT_MAX, "What the voice says", required=True)]
    stability: Annotated[float, fraction("Voice stability, 0 to 1")] = 0.5
    clarity: Annotated[float, fraction("Voice clarity, 0 to 1")] = 0.75
    use_speaker_boost: bool = True


LeadRef = Annotated[str, text(64, "A stored lead this action is about (lead_...)")]
ScheduledAt = Annotated[
    str,
    field(
        ScheduleTime(),
        description="Not before this RFC 3339 date-time (with an offset, at most 365 days "
        f"ahead; the custom format `{SCHEDULE_FORMAT}`); the rules may make it later",
        format=SCHEDULE_FORMAT,
    ),
]
Note = Annotated[str, text(CONNECTION_NOTE_MAX, "The invitation's note")]
Message = Annotated[str, text(MESSAGE_MAX, "The message", required=True)]


class _Action(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, tag_field="action_type"):
    profile_url: ProfileUrlField
    lead_id: LeadRef | None = None
    scheduled_at: ScheduledAt | None = None


class SendConnectionRequest(_Action, tag="send_connection_request"):
    message: Note | None = None


class SendMessage(_Action, tag="send_message"):
    message: Message


class SendVoiceMessage(_Action, tag="send_voice_message"):
    voice_settings: VoiceSettings
    message: Annotated[str, text(MESSAGE_MAX, "Text sent with the voice message")] | None = None


class ViewProfile(_Action, tag="view_profile"):
    pass


class WithdrawConnectionRequest(_Action, tag="withdraw_connection_request"):
    pass


class GetProfile(_Action, tag="get_profile"):
    pass


ScheduleActionRequest = (
    SendConnectionRequest
    | SendMessage
    | SendVoiceMessage
    | ViewProfile
    | WithdrawConnectionRequest
    | GetProfile
)
ACTION_REQUESTS: dict[str, type[_Action]] = {
    "send_connection_request": SendConnectionRequest,
    "send_message": SendMessage,
    "send_voice_message": SendVoiceMessage,
    "view_profile": ViewProfile,
    "withdraw_connection_request": WithdrawConnectionRequest,
    "get_profile": GetProfile,
}


class ActionError(msgspec.Struct, kw_only=True):
    code: str
    message: str
    retryable: bool


class LinkedInAction(msgspec.Struct, kw_only=True):
    id: str
    action_type: ActionType
    status: ActionStatus
    profile_url: str
    lead_id: str | None
    message: str | None
    voice_settings: VoiceSettings | None
    scheduled_at: datetime | None  # asked for
    scheduled_for: datetime  # when it runs (ran)
    attempts: int
    # What the executor answered; "simulated": true from the sandbox.
    result: dict[str, Any] | None
    error: ActionError | None
    executor: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    updated_at: datetime


class ListLinkedInActionsResponse(msgspec.Struct, kw_only=True):
    data: list[LinkedInAction]
    total: int
    limit: int
    offset: int
