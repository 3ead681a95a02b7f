"""The queue tasks of LinkedIn actions.

"linkedin.run_action" runs one action when it falls due, in three steps:

1. One write transaction, holding the action's and the integration's row locks (so that
   two processes decide one at a time): an action that is no longer scheduled, or whose
   queue job is not this one (it was moved), is left alone. The rules are checked again
   (working hours, today's limit among the actions that started, the shortest gap after
   the last one): the integration may have changed, or the worker may come late after an
   outage. If they do not hold now, the action moves to the next time they do (a new queue
   job). Otherwise it becomes ``running``.
2. The executor runs, outside any transaction.
3. One write transaction records the outcome, its event, the lead's status and the
   executor's follow-ups (queue jobs of their own), and completes this queue job: a crash
   before that commit runs the action again (``attempt`` tells the executor), one after it
   cannot.

A retryable executor error schedules the action again after a backoff (seeded by the
action, doubling from BUENA_LINKEDIN_RETRY_SECONDS up to an hour) until
BUENA_LINKEDIN_MAX_ATTEMPTS runs; then, or at once for any other error, it fails.

"linkedin.follow_up" records what an executor said would happen later (an invitation
accepted, a reply) as its event, and adds it to the action's ``result.follow_ups``.
"""

from __future__ import annotations

import contextlib
import logging
import random
from datetime import datetime, timedelta
from typing import Any

import msgspec

from buena_server.errors import LeadNotFound
from buena_server.events.catalogue import LINKEDIN_ACTION_COMPLETED, LINKEDIN_ACTION_FAILED
from buena_server.events.service import record_event
from buena_server.kit.dependencies import validation_context
from buena_server.kit.driver import Connection
from buena_server.leads.repository import LeadRepository
from buena_server.leads.schemas import UpdateLeadRequest
from buena_server.leads.service import LeadService
from buena_server.linkedin.executors import (
    FOLLOW_UP_TYPES,
    ActionInput,
    ExecutorError,
    LinkedInExecutor,
    Outcome,
)
from buena_server.linkedin.repository import ActionRecord, ActionRepository, IntegrationRepository
from buena_server.linkedin.schedule import Planner, action_delay, local_day, may_run_now
from buena_server.linkedin.schemas import CONTACTS
from buena_server.linkedin.service import (
    DISCONNECTED,
    FOLLOW_UP_TASK,
    QUEUE_ATTEMPTS,
    RUN_TASK,
    public,
    rules_of,
)
from buena_server.queue import Job, JobContext, TaskRegistry, enqueue

logger = logging.getLogger("buena_server.linkedin")
MAX_RETRY_SECONDS = 3600.0


def retry_delay(action_id: str, attempt: int, base: float) -> float:
    """Seconds before the next run after failed run ``attempt``: doubling from ``base`` up
    to an hour, half of it jittered (seeded by the action, so each action's are fixed)."""
    ceiling = min(MAX_RETRY_SECONDS, base * 2.0 ** (attempt - 1))
    jitter = random.Random(f"linkedin-retry:{action_id}:{attempt}").uniform(0.5, 1)
    return round(float(ceiling) * jitter, 3)


def _error(error: ExecutorError) -> dict[str, Any]:
    return {"code": error.code, "message": error.message, "retryable": error.retryable}


def _payload(action: ActionRecord) -> dict[str, Any]:
    return {"account_id": action.account_id, "action_id": action.id}


async def run_action(job: Job, context: JobContext) -> None:
    account_id = str(job.payload["account_id"])
    action_id = str(job.payload["action_id"])
    started = await _start(job, context, account_id, action_id)
    if started is None:
        return
    action, executor, sender = started
    attempt = action.attempts
    try:
        outcome: Outcome | ExecutorError = await executor.execute(
            ActionInput(
                id=action.id,
                account_id=account_id,
                action_type=action.action_type,
                profile_url=action.profile_url,
                profile_id=action.profile_id,
                message=action.message,
                voice_settings=action.voice_settings,
                lead_id=action.lead_id,
                attempt=attempt,
                sender_profile_url=sender,
            )
        )
    except ExecutorError as error:
        outcome = error
    except Exception as exc:  # an executor's bug or outage: tried again like a retryable error
        logger.warning("LinkedIn executor %r raised on %s", executor.name, action.id, exc_info=True)
        outcome = ExecutorError("EXECUTOR_ERROR", f"{type(exc).__name__}: {exc}", retryable=True)
    async with context.database.transaction(write=True) as conn:
        if isinstance(outcome, ExecutorError):
            await _failed_run(conn, context, action, outcome)
        else:
            await _completed(conn, context, action, outcome)
        await context.complete_in(conn)


async def _start(
    job: Job, context: JobContext, account_id: str, action_id: str
) -> tuple[ActionRecord, LinkedInExecutor, str] | None:
    """Step 1: the action as it starts running, its executor and the sender's profile; None
    when it does not run now (this queue job is then completed)."""
    now = context.clock.now()
    async with context.database.transaction(write=True) as conn:
        actions = ActionRepository(conn)
        action = await actions.get(account_id, action_id, for_update=True)
        if (
            action is None
            or action.job_id != job.id
            or action.status not in {"scheduled", "running"}
        ):
            await context.complete_in(conn)
            return None
        integration = await IntegrationRepository(conn).get(account_id, for_update=True)
        executor = None
        if integration is not None:
            executor = context.services.linkedin_executors.find(integration.executor)
        if integration is None or executor is None:
            error = DISCONNECTED
            if integration is not None:
                message = f"The executor {integration.executor!r} is not installed on this server"
                error = {"code": "EXECUTOR_UNAVAILABLE", "message": message, "retryable": False}
            await _fail(conn, action, error, now)
            await context.complete_in(conn)
            return None
        if action.status == "scheduled":
            rules = rules_of(integration)
            since = min(local_day(rules, now)[0], now - rules.min_delay)
            ran = await actions.started_from(account_id, since, excluding=action.id)
            if not may_run_now(rules, now, ran):
                await _move(conn, actions, action, rules, ran, now)
                await context.complete_in(conn)
                return None
        running = await actions.change(
            account_id,
            action_id,
            (action.status,),
            status="running",
            attempts=action.attempts + 1,
            started_at=action.started_at or now,
            scheduled_for=action.scheduled_for if action.started_at else now,
            updated_at=now,
        )
        assert running is not None  # its row is locked
        return running, executor, integration.profile_url


async def _move(
    conn: Connection,
    actions: ActionRepository,
    action: ActionRecord,
    rules: Any,
    ran: list[datetime],
    now: datetime,
) -> None:
    """The rules do not hold now: the action moves to the first time they do, among the
    actions that ran and those still to run."""
    ahead = [t for t in await actions.times_from(action.account_id, now, excluding=action.id)
             if t > now]  # fmt: skip
    when = Planner(rules, [*ran, *ahead]).place(now, action_delay(rules, action.id))
    job_id = await enqueue(
        conn, RUN_TASK, _payload(action), run_at=when, max_attempts=QUEUE_ATTEMPTS
    )
    await actions.change(
        action.account_id, action.id, ("scheduled",), scheduled_for=when, job_id=job_id,
        updated_at=now,
    )  # fmt: skip


async def _fail(
    conn: Connection, action: ActionRecord, error: dict[str, Any], now: datetime
) -> None:
    failed = await ActionRepository(conn).change(
        action.account_id,
        action.id,
        ("scheduled", "running"),
        status="failed",
        error=error,
        connection_key=None,
        job_id=None,
        finished_at=now,
        updated_at=now,
    )
    if failed is not None:
        data = {"object": msgspec.to_builtins(public(failed))}
        await record_event(conn, action.account_id, LINKEDIN_ACTION_FAILED, data)


async def _failed_run(
    conn: Connection, context: JobContext, action: ActionRecord, error: ExecutorError
) -> None:
    now = context.clock.now()
    settings = context.services.settings
    if not error.retryable or action.attempts >= settings.linkedin_max_attempts:
        await _fail(conn, action, _error(error), now)
        return
    again = now + timedelta(
        seconds=retry_delay(action.id, action.attempts, settings.linkedin_retry_seconds)
    )
    job_id = await enqueue(
        conn, RUN_TASK, _payload(action), run_at=again, max_attempts=QUEUE_ATTEMPTS
    )
    await ActionRepository(conn).change(
        action.account_id, action.id, ("running",), status="scheduled", scheduled_for=again,
        error=_error(error), job_id=job_id, updated_at=now,
    )  # fmt: skip


async def _completed(
    conn: Connection, context: JobContext, action: ActionRecord, outcome: Outcome
) -> None:
    now = context.clock.now()
    actions = ActionRepository(conn)
    done = await actions.change(
        action.account_id, action.id, ("running",), status="completed", result=outcome.result,
        error=None, job_id=None, finished_at=now, updated_at=now,
    )  # fmt: skip
    if done is None:
        return
    await record_event(
        conn, action.account_id, LINKEDIN_ACTION_COMPLETED,
        {"object": msgspec.to_builtins(public(done))},
    )  # fmt: skip
    if action.action_type == "withdraw_connection_request":
        await actions.release_connection(action.account_id, action.profile_id, now)
    for follow_up in outcome.follow_ups:
        if follow_up.type not in FOLLOW_UP_TYPES:
            logger.warning("LinkedIn executor follow-up of unknown type %r ignored", follow_up.type)
            continue
        payload = {**_payload(action), "type": follow_up.type, "data": follow_up.data}
        await enqueue(
            conn, FOLLOW_UP_TASK, payload, run_at=now + timedelta(seconds=follow_up.after_seconds)
        )
    if action.action_type in CONTACTS and action.lead_id is not None:
        leads = LeadService(LeadRepository(conn), validation_context(context.services.settings))
        with contextlib.suppress(LeadNotFound):  # deleted since: the action's history stays
            await leads.apply_update(
                action.account_id, action.lead_id, UpdateLeadRequest(status="contacted")
            )


async def follow_up(job: Job, context: JobContext) -> None:
    account_id = str(job.payload["account_id"])
    action_id = str(job.payload["action_id"])
    kind = str(job.payload["type"])
    data: dict[str, Any] = dict(job.payload.get("data") or {})
    now = context.clock.now()
    async with context.database.transaction(write=True) as conn:
        actions = ActionRepository(conn)
        action = await actions.get(account_id, action_id, for_update=True)
        if action is not None:
            result = dict(action.result or {})
            stamp = now.isoformat().replace("+00:00", "Z")
            result["follow_ups"] = [
                *result.get("follow_ups", []),
                {"type": kind, "at": stamp, **data},
            ]
            action = (
                await actions.change(
                    account_id, action_id, ("completed",), result=result, updated_at=now
                )
                or action
            )
            event = {"object": msgspec.to_builtins(public(action)), **data}
            await record_event(conn, account_id, kind, event)
        await context.complete_in(conn)


def register_tasks(registry: TaskRegistry) -> None:
    registry.register(RUN_TASK, run_action)
    registry.register(FOLLOW_UP_TASK, follow_up)
