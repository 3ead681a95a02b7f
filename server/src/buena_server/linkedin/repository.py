"""Every query on linkedin_integrations and linkedin_actions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from buena_server.kit.driver import Connection
from buena_server.tables import linkedin_actions, linkedin_integrations


@dataclass(frozen=True, slots=True)
class IntegrationRecord:
    account_id: str
    profile_url: str
    name: str | None
    daily_limit: int
    timezone: str
    working_hours: dict[str, Any]
    min_delay_seconds: int
    max_delay_seconds: int
    executor: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ActionRecord:
    id: str
    account_id: str
    lead_id: str | None
    action_type: str
    profile_url: str
    profile_id: str
    message: str | None
    voice_settings: dict[str, Any] | None
    status: str
    scheduled_at: datetime | None
    scheduled_for: datetime
    attempts: int
    result: dict[str, Any] | None
    error: dict[str, Any] | None
    executor: str
    connection_key: str | None
    job_id: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ActionQuery:
    status: str | None
    action_type: str | None
    lead_id: str | None
    scheduled_after: datetime | None
    scheduled_before: datetime | None
    order: str
    limit: int
    offset: int


class DuplicateConnection(Exception):
    """A connection request to this profile is already scheduled, running or completed."""

    def __init__(self, existing_id: str | None) -> None:
        super().__init__(existing_id)
        self.existing_id = existing_id


_INTEGRATION = tuple(linkedin_integrations.c[name] for name in IntegrationRecord.__slots__)
_ACTION = tuple(linkedin_actions.c[name] for name in ActionRecord.__slots__)
_A = linkedin_actions.c
# When an action last changed in a lead's timeline: its end, else its start, else its creation.
LATEST_AT = func.coalesce(_A.finished_at, _A.started_at, _A.created_at)
# The actions that hold a time in the schedule: those still to run, and those that ran.
_HOLDS_A_TIME = or_(_A.status.in_(("scheduled", "running")), _A.started_at.is_not(None))


def _action(row: Mapping[str, Any]) -> ActionRecord:
    return ActionRecord(**row)


class IntegrationRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def get(self, account_id: str, *, for_update: bool = False) -> IntegrationRecord | None:
        """The account's integration; ``for_update`` also takes its row lock, so that the
        account's scheduling decisions happen one at a time (SQLite's write transactions are
        one at a time anyway)."""
        statement = select(*_INTEGRATION).where(linkedin_integrations.c.account_id == account_id)
        if for_update:
            statement = statement.with_for_update()
        row = (await self.conn.execute(statement)).mappings().first()
        return None if row is None else IntegrationRecord(**row)

    async def save(self, record: IntegrationRecord) -> IntegrationRecord:
        """Insert or replace the account's integration (its created_at kept); as saved."""
        values = {name: getattr(record, name) for name in IntegrationRecord.__slots__}
        changed = {k: v for k, v in values.items() if k not in {"account_id", "created_at"}}
        result = await self.conn.execute(
            update(linkedin_integrations)
            .where(linkedin_integrations.c.account_id == record.account_id)
            .values(changed)
            .returning(*_INTEGRATION)
        )
        row = result.mappings().first()
        if row is not None:
            return IntegrationRecord(**row)
        await self.conn.execute(linkedin_integrations.insert().values(values))
        return record

    async def delete(self, account_id: str) -> bool:
        result = await self.conn.execute(
            delete(linkedin_integrations)
            .where(linkedin_integrations.c.account_id == account_id)
            .returning(linkedin_integrations.c.account_id)
        )
        return result.first() is not None


class ActionRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def insert(self, record: ActionRecord) -> None:
        """Insert the action; DuplicateConnection when its connection key is taken (the
        unique index decides, never a read first)."""
        values = {name: getattr(record, name) for name in ActionRecord.__slots__}
        try:
            async with self.conn.begin_nested():
                await self.conn.execute(linkedin_actions.insert().values(values))
        except IntegrityError:
            if record.connection_key is None:
                raise
            existing = await self.conn.execute(
                select(_A.id).where(
                    _A.account_id == record.account_id,
                    _A.connection_key == record.connection_key,
                )
            )
            raise DuplicateConnection(existing.scalar_one_or_none()) from None

    async def get(
        self, account_id: str, action_id: str, *, for_update: bool = False
    ) -> ActionRecord | None:
        statement = select(*_ACTION).where(_A.id == action_id, _A.account_id == account_id)
        if for_update:
            statement = statement.with_for_update()
        row = (await self.conn.execute(statement)).mappings().first()
        return None if row is None else _action(row)

    async def pending_voice_messages(self, account_id: str, voice_id: str) -> list[str]:
        """The ids of the account's voice messages, scheduled or running, that speak with
        ``voice_id``, oldest first."""
        rows = await self.conn.execute(
            select(_A.id)
            .where(
                _A.account_id == account_id,
                _A.action_type == "send_voice_message",
                _A.status.in_(("scheduled", "running")),
                _A.voice_settings["voice_id"].as_string() == voice_id,
            )
            .order_by(_A.created_at, _A.id)
        )
        return [row[0] for row in rows.all()]

    async def change(
        self, account_id: str, action_id: str, statuses: tuple[str, ...], **changes: Any
    ) -> ActionRecord | None:
        """Write ``changes`` to the action if its status is one of ``statuses``: the action
        as it now is, or None (gone, or in another status)."""
        result = await self.conn.execute(
            update(linkedin_actions)
            .where(_A.id == action_id, _A.account_id == account_id, _A.status.in_(statuses))
            .values(**changes)
            .returning(*_ACTION)
        )
        row = result.mappings().first()
        return None if row is None else _action(row)

    async def times_from(
        self, account_id: str, since: datetime, *, excluding: str | None = None
    ) -> list[datetime]:
        """When each action that holds a time runs (or ran) from ``since`` on, in order."""
        conditions = [_A.account_id == account_id, _A.scheduled_for >= since, _HOLDS_A_TIME]
        if excluding is not None:
            conditions.append(_A.id != excluding)
        rows = await self.conn.execute(
            select(_A.scheduled_for).where(*conditions).order_by(_A.scheduled_for)
        )
        return [row[0] for row in rows.all()]

    async def started_from(
        self, account_id: str, since: datetime, *, excluding: str | None = None
    ) -> list[datetime]:
        """When each action that started from ``since`` on first started, in order."""
        conditions = [_A.account_id == account_id, _A.started_at >= since]
        if excluding is not None:
            conditions.append(_A.id != excluding)
        rows = await self.conn.execute(
            select(_A.started_at).where(*conditions).order_by(_A.started_at)
        )
        return [row[0] for row in rows.all()]

    async def count_started(self, account_id: str, since: datetime, until: datetime) -> int:
        result = await self.conn.execute(
            select(func.count()).where(
                _A.account_id == account_id, _A.started_at >= since, _A.started_at < until
            )
        )
        return int(result.scalar_one())

    async def last_started(self, account_id: str) -> datetime | None:
        result = await self.conn.execute(
            select(func.max(_A.started_at)).where(_A.account_id == account_id)
        )
        found: datetime | None = result.scalar_one_or_none()
        return found

    async def cancel_scheduled(self, account_id: str, error: dict[str, Any], at: datetime) -> int:
        """Cancel every scheduled action of the account; how many."""
        result = await self.conn.execute(
            update(linkedin_actions)
            .where(_A.account_id == account_id, _A.status == "scheduled")
            .values(
                status="canceled",
                error=error,
                connection_key=None,
                job_id=None,
                finished_at=at,
                updated_at=at,
            )
        )
        return int(result.rowcount)

    async def release_connection(self, account_id: str, profile_id: str, at: datetime) -> None:
        """A withdrawal completed: the profile may be invited again."""
        await self.conn.execute(
            update(linkedin_actions)
            .where(_A.account_id == account_id, _A.connection_key == profile_id)
            .values(connection_key=None, updated_at=at)
        )

    async def find_page(
        self, account_id: str, query: ActionQuery
    ) -> tuple[list[ActionRecord], int]:
        """One page of the account's actions by ``scheduled_for`` (then id), and how many
        the filters select."""
        conditions = self._filters(account_id, query)
        if query.order == "asc":
            ordering = (_A.scheduled_for.asc(), _A.id.asc())
        else:
            ordering = (_A.scheduled_for.desc(), _A.id.desc())
        rows = await self.conn.execute(
            select(*_ACTION)
            .where(*conditions)
            .order_by(*ordering)
            .limit(query.limit)
            .offset(query.offset)
        )
        total = await self.conn.execute(
            select(func.count()).select_from(linkedin_actions).where(*conditions)
        )
        return [_action(row) for row in rows.mappings()], int(total.scalar_one())

    async def latest_of_lead(
        self, account_id: str, lead_id: str, limit: int
    ) -> tuple[list[ActionRecord], int]:
        """The lead's ``limit`` latest actions, by ``LATEST_AT`` then id, newest first (through
        the index on account, lead and creation), and how many it has."""
        of_lead = (_A.account_id == account_id, _A.lead_id == lead_id)
        rows = await self.conn.execute(
            select(*_ACTION).where(*of_lead).order_by(LATEST_AT.desc(), _A.id.desc()).limit(limit)
        )
        total = await self.conn.execute(
            select(func.count()).select_from(linkedin_actions).where(*of_lead)
        )
        return [_action(row) for row in rows.mappings()], int(total.scalar_one())

    @staticmethod
    def _filters(account_id: str, query: ActionQuery) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = [_A.account_id == account_id]
        if query.status is not None:
            conditions.append(_A.status == query.status)
        if query.action_type is not None:
            conditions.append(_A.action_type == query.action_type)
        if query.lead_id is not None:
            conditions.append(_A.lead_id == query.lead_id)
        if query.scheduled_after is not None:
            conditions.append(_A.scheduled_for > query.scheduled_after)
        if query.scheduled_before is not None:
            conditions.append(_A.scheduled_for < query.scheduled_before)
        return [and_(*conditions)]
