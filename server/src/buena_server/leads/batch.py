"""POST /leads/batch: up to 1000 creates or upserts in one transaction, each item's outcome
its own. Every item goes through the single-write paths' own validation (``validate``) and
PATCH semantics (``LeadService.checked_update`` and ``planned_update``, as PATCH applies
them); the writes go together: the new leads by one insert (on PostgreSQL, one a part of
the items in email order, each running while the next part is validated), the leads whose
email exists read (and, to upsert, locked) by one query, and their changes, in input order,
written with their lead.updated events by one statement (on PostgreSQL) at the end."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import msgspec

from buena_server.errors import ApiError, InvalidRequest, LeadEmailExists, LeadNotFound
from buena_server.events.repository import NewEvent
from buena_server.kit.body_errors import structural_errors
from buena_server.kit.validation import validate
from buena_server.leads.repository import DuplicateEmail, insert_rows
from buena_server.leads.schemas import (
    BatchItemError,
    BatchItemResult,
    BatchLeadsRequest,
    BatchLeadsResponse,
    CreateLeadRequest,
    Lead,
    UpdateLeadRequest,
)
from buena_server.leads.service import NOT_NULLABLE, LeadService, email_exists


@dataclass(slots=True)
class _Item:
    index: int
    raw: dict[str, Any]
    request: CreateLeadRequest  # validated
    email_key: str  # its email lower-cased
    # The lead it would create and its lead.created event, made when an insert is tried
    # (``LeadBatch._new``): an upsert of an existing lead needs neither.
    new: tuple[Lead, NewEvent] | None = None


# PostgreSQL: items a part (``LeadBatch._insert_in_parts``).
PART = 250


class LeadBatch:
    def __init__(self, service: LeadService, account_id: str) -> None:
        self.service = service
        self.account_id = account_id
        self.results: dict[int, BatchItemResult] = {}
        # Leads this batch inserted or locked, by id: as read, and as the items leave them
        # (written by one ``update_many`` at the end, with the events of their changes).
        self.read: dict[str, Lead] = {}
        self.current: dict[str, Lead] = {}
        self.events: list[tuple[str, NewEvent]] = []

    async def run(self, request: BatchLeadsRequest) -> BatchLeadsResponse:
        upsert = request.mode == "upsert"
        if self.service.repository.conn.dialect.name == "postgresql":
            first, later, ids = await self._insert_in_parts(request.leads, upsert)
        else:
            first, later, ids = await self._insert_at_once(request.leads, upsert)
        # Those whose email was taken, in email order (as the inserts took their rows).
        taken = [first[key] for key in sorted(first) if key not in ids]
        found = await self.service.repository.find_by_emails(
            self.account_id, [item.email_key for item in taken], for_update=upsert
        )
        for item in taken:
            existing = found.get(item.email_key)
            if existing is None:  # gone since the insert found it: one at a time
                lead_id = await self._existing_or_created(item, upsert)
            elif upsert:
                self.read[existing.id] = self.current[existing.id] = existing
                lead_id = self._plan(item, existing.id)
            else:
                lead_id = existing.id
                self._fail(item.index, email_exists(item.request.email, lead_id))
            if lead_id is not None:
                ids[item.email_key] = lead_id
        for item in later:
            lead_id = ids.get(item.email_key)
            if lead_id is None:
                # Its first item failed (a merged custom_fields too large...): this one may not.
                found_id = await self._existing_or_created(item, upsert)
                if found_id is not None:
                    ids[item.email_key] = found_id
            elif not upsert:
                self._fail(item.index, email_exists(item.request.email, lead_id))
            elif lead_id in self.current:
                self._plan(item, lead_id)
            else:
                await self._update(item, lead_id)
        await self.service.repository.update_many(
            self.account_id,
            [
                (lead, self.read[lead_id])
                for lead_id, lead in self.current.items()
                if lead is not self.read[lead_id]
            ],
            self.events,
        )
        results = [self.results[index] for index in range(len(request.leads))]
        counts = {outcome: 0 for outcome in ("created", "updated", "unchanged", "error")}
        for result in results:
            counts[result.outcome] += 1
        return BatchLeadsResponse(
            results=results,
            created=counts["created"],
            updated=counts["updated"],
            unchanged=counts["unchanged"],
            errors=counts["error"],
        )

    async def _insert_at_once(
        self, leads: list[Any], upsert: bool
    ) -> tuple[dict[str, _Item], list[_Item], dict[str, str]]:
        """SQLite (in-process: nothing to overlap): every item validated, then the new leads
        inserted together. The first valid item of each email (by email), the later items of
        an email in input order, and the ids of the leads made (by email)."""
        first: dict[str, _Item] = {}
        later: list[_Item] = []
        for index, raw in enumerate(leads):
            item = self._parse(index, raw)
            if item is not None:
                self._sort(item, first, later)
        new = list(first.values())
        if upsert:
            # The emails leads hold already, read without locking: their items go straight to
            # the read for update (``run``) instead of through an insert that finds them
            # taken. An email taken since is found taken by the insert, one freed since is
            # found gone by the read, and either way the item takes that path as before.
            held = await self.service.repository.held_emails(self.account_id, list(first))
            new = [item for item in new if item.email_key not in held]
        inserted = await self.service.repository.insert_many(
            self.account_id, [self._new(item) for item in new]
        )
        ids: dict[str, str] = {}
        self._created(new, inserted, ids)
        return first, later, ids

    async def _insert_in_parts(
        self, leads: list[Any], upsert: bool
    ) -> tuple[dict[str, _Item], list[_Item], dict[str, str]]:
        """PostgreSQL: as ``_insert_at_once``, but the items taken a part at a time in email
        order, each part's new leads inserted while the next part is validated (the server's
        work and the database's side by side), and counted once all are in. The parts follow
        the emails' order, so every lead still goes in in email order (two batches never
        wait for each other's emails in opposite orders), and the items of an email are all
        in one part."""
        repository = self.service.repository
        keys = [_email_key(raw) for raw in leads]
        order = sorted(range(len(leads)), key=lambda index: (keys[index], index))
        # As in ``_insert_at_once``, for every email given, read while the first part is
        # validated.
        held: set[str] = set()
        reading = (
            asyncio.create_task(repository.held_emails(self.account_id, sorted(set(keys) - {""})))
            if upsert
            else None
        )
        first: dict[str, _Item] = {}
        later: list[_Item] = []
        ids: dict[str, str] = {}
        created: Counter[str] = Counter()
        writing: tuple[asyncio.Task[dict[str, str]], list[_Item]] | None = None
        try:
            if reading is not None:
                await asyncio.sleep(0)  # the task sends its query
            for part in _parts(order, keys, PART):
                firsts = []
                for index in part:
                    item = self._parse(index, leads[index])
                    if item is not None and self._sort(item, first, later):
                        firsts.append(item)
                if reading is not None:
                    held = await reading
                    reading = None
                new = [item for item in firsts if item.email_key not in held]
                # Encoded while the part before is still being inserted.
                given = (
                    insert_rows(self.account_id, [self._new(item) for item in new]) if new else None
                )
                if writing is not None:
                    created.update(await self._written(*writing, ids))
                    writing = None
                if given is not None:
                    writing = (asyncio.create_task(repository.insert_uncounted(given)), new)
                    await asyncio.sleep(0)  # the task sends its statement
            if writing is not None:
                created.update(await self._written(*writing, ids))
                writing = None
        finally:
            # Something failed meanwhile: the statement in flight ends first.
            await _settled(reading)
            await _settled(writing[0] if writing is not None else None)
        await repository.move_counts(self.account_id, created)
        later.sort(key=lambda item: item.index)
        return first, later, ids

    async def _written(
        self, task: asyncio.Task[dict[str, str]], new: list[_Item], ids: dict[str, str]
    ) -> Iterable[str]:
        """The leads of a part's insert: each one made reported; their statuses."""
        inserted = await task
        self._created(new, inserted, ids)
        return inserted.values()

    @staticmethod
    def _sort(item: _Item, first: dict[str, _Item], later: list[_Item]) -> bool:
        """File a valid item as the first of its email or a later one; whether first."""
        if item.email_key in first:
            later.append(item)
            return False
        first[item.email_key] = item
        return True

    def _created(self, new: list[_Item], inserted: Container[str], ids: dict[str, str]) -> None:
        """Report the items whose lead was inserted (those the insert found taken go on)."""
        for item in new:
            lead, _event = self._new(item)
            if lead.id in inserted:
                ids[item.email_key] = lead.id
                self._done(item.index, "created", lead.id)
                self.read[lead.id] = self.current[lead.id] = lead

    def _parse(self, index: int, raw: Any) -> _Item | None:
        """The item's create request, validated as POST /leads validates; None (and the
        item's error) when it is not one."""
        if not isinstance(raw, dict):
            self._fail(index, InvalidRequest("Each lead must be a JSON object"))
            return None
        try:
            parsed = msgspec.convert(raw, CreateLeadRequest, strict=True)
        except msgspec.ValidationError as exc:
            errors = structural_errors(CreateLeadRequest, raw, strict=True) or [
                {"field": "", "message": str(exc)}
            ]
            self._fail(index, InvalidRequest(errors[0]["message"], details={"errors": errors}))
            return None
        try:
            request = validate(parsed, self.service.context)
        except ApiError as exc:
            self._fail(index, exc)
            return None
        return _Item(index, raw, request, request.email.lower())

    def _new(self, item: _Item) -> tuple[Lead, NewEvent]:
        """The lead the item creates, with its lead.created event (made once)."""
        if item.new is None:
            item.new = self.service.new_lead(self.account_id, item.request)
        return item.new

    async def _existing_or_created(self, item: _Item, upsert: bool) -> str | None:
        """An item whose email another lead holds: updated (upsert) or refused (create),
        or inserted after all if that lead has gone since; its lead's id, if any."""
        for _attempt in range(3):
            existing = await self.service.repository.find_id_by_email(
                self.account_id, item.email_key
            )
            if existing is None:
                lead, event = self._new(item)
                try:
                    await self.service.repository.insert(self.account_id, lead, event)
                except DuplicateEmail:  # taken again meanwhile
                    continue
                self._done(item.index, "created", lead.id)
                return lead.id
            if not upsert:
                self._fail(item.index, email_exists(item.request.email, existing))
                return existing
            if await self._update(item, existing):
                return existing
        self._fail(item.index, LeadNotFound("The lead kept changing: try again"))
        return None

    def _plan(self, item: _Item, lead_id: str) -> str:
        """Apply the item, as PATCH would, to the lead as this batch holds it (written at the
        end); the lead's id."""
        try:
            planned = self.service.planned_update(
                self.account_id, self.current[lead_id], self._patch(item)
            )
        except ApiError as exc:
            self._fail(item.index, exc)
            return lead_id
        if planned is None:
            self._done(item.index, "unchanged", lead_id)
        else:
            self.current[lead_id], event = planned
            self.events.append((lead_id, event))
            self._done(item.index, "updated", lead_id)
        return lead_id

    @staticmethod
    def _patch(item: _Item) -> UpdateLeadRequest:
        """The item as a checked PATCH: the fields it gives, as its create validated them
        (a PATCH's fields have the same rules, ``rules_of``; the item's nulls are of
        fields PATCH may clear, or of status, which on create means the default and on an
        existing lead, unchanged)."""
        given = {
            name: getattr(item.request, name)
            for name, value in item.raw.items()
            if not (value is None and name in NOT_NULLABLE)
        }
        return UpdateLeadRequest(**given)

    async def _update(self, item: _Item, lead_id: str) -> bool:
        """Apply the item to the lead as PATCH would; False when the lead has gone."""
        try:
            lead, changed = await self.service.apply_update(
                self.account_id, lead_id, self._patch(item)
            )
        except LeadNotFound:
            return False
        except ApiError as exc:
            self._fail(item.index, exc)
            return True
        self._done(item.index, "updated" if changed else "unchanged", lead.id)
        return True

    def _done(self, index: int, outcome: str, lead_id: str) -> None:
        self.results[index] = BatchItemResult(
            index=index,
            outcome=outcome,  # type: ignore[arg-type]  # one of the Literal's
            id=lead_id,
        )

    def _fail(self, index: int, exc: ApiError) -> None:
        self.results[index] = BatchItemResult(index=index, outcome="error", error=item_error(exc))


def item_error(exc: ApiError) -> BatchItemError:
    """An item's error as a batch reports it: status, code, message and the field at fault
    (the first one named; ``email`` for a duplicate)."""
    errors = exc.details.get("errors") if isinstance(exc.details, dict) else None
    field = errors[0].get("field") or None if errors else None
    if isinstance(exc, LeadEmailExists):
        field = "email"
    return BatchItemError(status=exc.status_code, code=exc.code, message=exc.message, field=field)


def _email_key(raw: Any) -> str:
    """The key an item's email has once validated (``Email`` strips it; keys are lower-cased):
    what ``_insert_in_parts`` orders the items by before any is validated; '' for none."""
    email = raw.get("email") if isinstance(raw, dict) else None
    return email.strip().lower() if isinstance(email, str) else ""


def _parts(order: list[int], keys: list[str], size: int) -> Iterator[list[int]]:
    """The items (indexes, in ``order``) in parts of about ``size``, an email's all in one."""
    part: list[int] = []
    for index in order:
        if len(part) >= size and keys[index] != keys[part[-1]]:
            yield part
            part = []
        part.append(index)
    if part:
        yield part


async def _settled(task: asyncio.Task[Any] | None) -> None:
    """Wait for a query left in flight by a failure (the connection runs one at a time);
    its own outcome retrieved, as the failure is what is raised."""
    if task is not None:
        await asyncio.wait([task])
        if not task.cancelled():
            task.exception()
