"""Decisions about the LinkedIn integration and its actions, in the request's transaction:
connecting and disconnecting, scheduling an action (its time by the rules of
``schedule.py``, its queue job enqueued with it), listing, reading and canceling."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import msgspec

from buena_server.auth.guards import permission_denied
from buena_server.auth.permissions import Permission
from buena_server.enrichment.linkedin import canonical_profile
from buena_server.errors import (
    LinkedInActionNotCancelable,
    LinkedInActionNotFound,
    LinkedInDuplicateAction,
    LinkedInNotConnected,
    ValidationFailed,
    voice_clone_not_found,
)
from buena_server.kit import clock
from buena_server.kit.driver import Connection
from buena_server.kit.ids import is_plausible_id, new_id
from buena_server.kit.validation import Context, raise_invalid, validate
from buena_server.leads.repository import LeadRepository
from buena_server.leads.service import lead_not_found
from buena_server.linkedin.registry import ExecutorRegistry
from buena_server.linkedin.repository import (
    ActionQuery,
    ActionRecord,
    ActionRepository,
    DuplicateConnection,
    IntegrationRecord,
    IntegrationRepository,
)
from buena_server.linkedin.schedule import Planner, Rules, action_delay, local_day
from buena_server.linkedin.schemas import (
    ActionError,
    DisconnectResponse,
    LinkedInAction,
    LinkedInIntegration,
    LinkedInIntegrationRequest,
    ListLinkedInActionsResponse,
    ScheduleActionRequest,
    SendConnectionRequest,
    SendVoiceMessage,
    VoiceSettings,
    WorkingHours,
)
from buena_server.queue import enqueue
from buena_server.voice.repository import VoiceCloneRepository

RUN_TASK = "linkedin.run_action"
FOLLOW_UP_TASK = "linkedin.follow_up"
# A queue job of an action fails (raises) only when the database does; the executor's
# failures are the action's own retries (BUENA_LINKEDIN_MAX_ATTEMPTS).
QUEUE_ATTEMPTS = 10
DISCONNECTED = {
    "code": "LINKEDIN_NOT_CONNECTED",
    "message": "The LinkedIn integration was disconnected",
    "retryable": False,
}


def rules_of(integration: IntegrationRecord) -> Rules:
    hours = integration.working_hours
    return Rules.of(
        integration.timezone,
        hours["start"],
        hours["end"],
        hours["days"],
        integration.daily_limit,
        integration.min_delay_seconds,
        integration.max_delay_seconds,
    )


def public(record: ActionRecord) -> LinkedInAction:
    voice = record.voice_settings
    return LinkedInAction(
        id=record.id,
        action_type=record.action_type,  # type: ignore[arg-type]  # one of ACTION_TYPES
        status=record.status,  # type: ignore[arg-type]  # one of ACTION_STATUSES
        profile_url=record.profile_url,
        lead_id=record.lead_id,
        message=record.message,
        voice_settings=None if voice is None else msgspec.convert(voice, VoiceSettings),
        scheduled_at=record.scheduled_at,
        scheduled_for=record.scheduled_for,
        attempts=record.attempts,
        result=record.result,
        error=None if record.error is None else msgspec.convert(record.error, ActionError),
        executor=record.executor,
        created_at=record.created_at,
        started_at=record.started_at,
        finished_at=record.finished_at,
        updated_at=record.updated_at,
    )


def not_connected() -> LinkedInNotConnected:
    return LinkedInNotConnected(
        "No LinkedIn account is connected: PUT /integrations/linkedin connects one"
    )


def duplicate_action(profile_url: str, existing_id: str | None) -> LinkedInDuplicateAction:
    return LinkedInDuplicateAction(
        f"A connection request to {profile_url} is already scheduled, running or completed",
        details={"existing_id": existing_id, "profile_url": profile_url},
    )


def action_not_found(action_id: str) -> LinkedInActionNotFound:
    return LinkedInActionNotFound(
        f"LinkedIn action {action_id!r} not found", details={"action_id": action_id}
    )


def not_cancelable(action_id: str, status: str) -> LinkedInActionNotCancelable:
    return LinkedInActionNotCancelable(
        f"LinkedIn action {action_id!r} is {status}: only a scheduled action can be canceled",
        details={"action_id": action_id, "status": status},
    )


def nested(struct: Any, prefix: str, context: Context) -> Any:
    """``validate`` for a struct inside the body: its errors named ``prefix.field``."""
    try:
        return validate(struct, context)
    except ValidationFailed as invalid:
        errors = [
            {"field": f"{prefix}.{e['field']}", "message": f"{prefix}.{e['message']}"}
            for e in invalid.details["errors"]
        ]
    raise_invalid(errors)
    raise AssertionError  # pragma: no cover  (raise_invalid raises)


async def plan_time(
    actions: ActionRepository, integration: IntegrationRecord, action_id: str, earliest: datetime
) -> datetime:
    """The first time from ``earliest`` at which the action keeps every rule among the
    account's other actions."""
    rules = rules_of(integration)
    since = min(local_day(rules, earliest)[0], earliest - rules.max_delay)
    taken = await actions.times_from(integration.account_id, since, excluding=action_id)
    return Planner(rules, taken).place(earliest, action_delay(rules, action_id))


class LinkedInService:
    def __init__(self, conn: Connection, executors: ExecutorRegistry, context: Context) -> None:
        self.conn = conn
        self.executors = executors
        self.context = context
        self.integrations = IntegrationRepository(conn)
        self.actions = ActionRepository(conn)

    # -- the integration ------------------------------------------------------------------

    async def integration(self, account_id: str) -> LinkedInIntegration:
        record = await self.integrations.get(account_id)
        if record is None:
            return LinkedInIntegration(
                connected=False, profile_url=None, name=None, daily_limit=None, timezone=None,
                working_hours=None, min_delay_seconds=None, max_delay_seconds=None,
                executor=None, actions_today=0, last_activity=None, created_at=None,
                updated_at=None,
            )  # fmt: skip
        today = local_day(rules_of(record), clock.utcnow())
        return LinkedInIntegration(
            connected=True,
            profile_url=record.profile_url,
            name=record.name,
            daily_limit=record.daily_limit,
            timezone=record.timezone,
            working_hours=msgspec.convert(record.working_hours, WorkingHours),
            min_delay_seconds=record.min_delay_seconds,
            max_delay_seconds=record.max_delay_seconds,
            executor=record.executor,
            actions_today=await self.actions.count_started(account_id, *today),
            last_activity=await self.actions.last_started(account_id),
            created_at=record.created_at,
            updated_at=record.updated_at,
        )

    async def connect(
        self, account_id: str, request: LinkedInIntegrationRequest
    ) -> LinkedInIntegration:
        """Connect (or reconfigure) the account's LinkedIn account. Actions already
        scheduled keep their times; each is checked against the new rules when it falls
        due."""
        errors: list[dict[str, str]] = []
        if request.executor.strip() not in self.executors.names():
            names = ", ".join(self.executors.names())
            errors.append({"field": "executor", "message": f"executor must be one of: {names}"})
        if request.max_delay_seconds < request.min_delay_seconds:
            message = "max_delay_seconds must be at least min_delay_seconds"
            errors.append({"field": "max_delay_seconds", "message": message})
        hours = None
        try:
            hours = nested(request.working_hours, "working_hours", self.context)
        except ValidationFailed as invalid:
            errors.extend(invalid.details["errors"])
        request = validate(request, self.context, errors)
        assert hours is not None
        now = clock.utcnow()
        await self.integrations.save(
            IntegrationRecord(
                account_id=account_id,
                profile_url=request.profile_url,
                name=request.name,
                daily_limit=request.daily_limit,
                timezone=request.timezone,
                working_hours=msgspec.to_builtins(hours),
                min_delay_seconds=request.min_delay_seconds,
                max_delay_seconds=request.max_delay_seconds,
                executor=request.executor.strip(),
                created_at=now,
                updated_at=now,
            )
        )
        return await self.integration(account_id)

    async def disconnect(self, account_id: str) -> DisconnectResponse:
        """Remove the integration; its scheduled actions are canceled (those running finish)."""
        if not await self.integrations.delete(account_id):
            raise not_connected()
        canceled = await self.actions.cancel_scheduled(account_id, DISCONNECTED, clock.utcnow())
        return DisconnectResponse(
            success=True,
            message=f"LinkedIn integration disconnected; {canceled} scheduled action(s) canceled",
            canceled_actions=canceled,
        )

    # -- actions --------------------------------------------------------------------------

    async def _check_voice(self, account_id: str, voice_id: str) -> None:
        """404 unless ``voice_id`` names one of the account's voice clones; its row lock
        (shared) is held to the commit, so a delete of the clone waits and then sees this
        action."""
        clone = None
        if is_plausible_id(voice_id):
            clone = await VoiceCloneRepository(self.conn).get(account_id, voice_id, lock="share")
        if clone is None:
            raise voice_clone_not_found(voice_id)

    async def schedule(
        self, account_id: str, request: ScheduleActionRequest, granted: frozenset[str]
    ) -> LinkedInAction:
        """Write the action, at the first time the rules allow, and its queue job."""
        voice: dict[str, Any] | None = None
        if isinstance(request, SendVoiceMessage):
            if Permission.LINKEDIN_VOICE not in granted:
                raise permission_denied(Permission.LINKEDIN_VOICE, granted)
            voice = msgspec.to_builtins(
                nested(request.voice_settings, "voice_settings", self.context)
            )
        request = validate(request, self.context)
        integration = await self.integrations.get(account_id, for_update=True)
        if integration is None:
            raise not_connected()
        lead_id = request.lead_id
        if lead_id is not None and not (
            is_plausible_id(lead_id) and await LeadRepository(self.conn).get(account_id, lead_id)
        ):
            raise lead_not_found(lead_id)
        if voice is not None:
            await self._check_voice(account_id, str(voice["voice_id"]))
        now = clock.utcnow()
        asked: datetime | None = request.scheduled_at  # type: ignore[assignment]  # validated
        action_id = new_id("lia")
        when = await plan_time(self.actions, integration, action_id, max(now, asked or now))
        found = canonical_profile(request.profile_url)
        assert found is not None  # canonical already (validated)
        profile_id = found[1]
        job_id = await enqueue(
            self.conn,
            RUN_TASK,
            {"account_id": account_id, "action_id": action_id},
            run_at=when,
            max_attempts=QUEUE_ATTEMPTS,
        )
        record = ActionRecord(
            id=action_id,
            account_id=account_id,
            lead_id=lead_id,
            action_type=type(request).__struct_config__.tag,  # type: ignore[arg-type]
            profile_url=request.profile_url,
            profile_id=profile_id,
            message=getattr(request, "message", None),
            voice_settings=voice,
            status="scheduled",
            scheduled_at=asked,
            scheduled_for=when,
            attempts=0,
            result=None,
            error=None,
            executor=integration.executor,
            connection_key=profile_id if isinstance(request, SendConnectionRequest) else None,
            job_id=job_id,
            created_at=now,
            started_at=None,
            finished_at=None,
            updated_at=now,
        )
        try:
            await self.actions.insert(record)
        except DuplicateConnection as duplicate:
            raise duplicate_action(record.profile_url, duplicate.existing_id) from None
        return public(record)

    async def list(self, account_id: str, query: ActionQuery) -> ListLinkedInActionsResponse:
        records, total = await self.actions.find_page(account_id, query)
        return ListLinkedInActionsResponse(
            data=[public(record) for record in records],
            total=total,
            limit=query.limit,
            offset=query.offset,
        )

    async def get(self, account_id: str, action_id: str) -> LinkedInAction:
        return public(await self._find(account_id, action_id))

    async def cancel(self, account_id: str, action_id: str) -> LinkedInAction:
        """Cancel a scheduled action (its queue job then ends without running it); 409 once
        it is running or finished."""
        now = clock.utcnow()
        canceled = None
        if is_plausible_id(action_id):
            canceled = await self.actions.change(
                account_id,
                action_id,
                ("scheduled",),
                status="canceled",
                connection_key=None,
                job_id=None,
                finished_at=now,
                updated_at=now,
            )
        if canceled is not None:
            return public(canceled)
        current = await self._find(account_id, action_id)
        raise not_cancelable(action_id, current.status)

    async def _find(self, account_id: str, action_id: str) -> ActionRecord:
        record = (
            await self.actions.get(account_id, action_id) if is_plausible_id(action_id) else None
        )
        if record is None:
            raise action_not_found(action_id)
        return record


def delay_ms(scheduled_for: datetime, now: datetime) -> int:
    """Milliseconds from ``now`` until the action runs (0 when due)."""
    return max(0, round((scheduled_for - now) / timedelta(milliseconds=1)))
