"""POST /leads/batch: up to 1000 creates or upserts in one transaction, each item's outcome
its own. Every item goes through the single-write paths' own validation (``validate``) and
PATCH semantics (``LeadService.checked_update`` and ``planned_update``, as PATCH applies
them); the writes go together: the new leads by one insert, the leads whose email exists
read (and, to upsert, locked) by one query, and their changes written with their
lead.updated events by one statement. On SQLite, for the whole batch; on PostgreSQL, for
each part of the items in email order, the database's statements for one part running
while the server validates the next and applies the one before (``_run_in_parts``)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Container, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

import msgspec

from buena_server.errors import ApiError, InvalidRequest, LeadEmailExists, LeadNotFound
from buena_server.events.repository import NewEvent
from buena_server.kit.body_errors import structural_errors
from buena_server.kit.validation import validate
from buena_server.leads.repository import DuplicateEmail, insert_rows, updates_of
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


T = TypeVar("T")


@dataclass(slots=True)
class _Part:
    """Items of a batch taken together (all of them on SQLite; on PostgreSQL, a part of
    ~``PART`` in email order, an email's items all in one)."""

    first: dict[str, _Item] = field(default_factory=dict)  # each email's first valid item
    later: list[_Item] = field(default_factory=list)  # the email's other items
    new: list[_Item] = field(default_factory=list)  # first items an insert is tried for
    ids: dict[str, str] = field(default_factory=dict)  # the lead of each email, once known
    events: list[tuple[str, NewEvent]] = field(default_factory=list)  # of its changes


class _Lane:
    """PostgreSQL: statements of one transaction run one after another (its connection
    runs one at a time) while the server goes on: each submitted piece of work starts once
    the one before has ended (and fails if it failed)."""

    def __init__(self) -> None:
        self._last: asyncio.Task[Any] | None = None

    def submit(self, work: Callable[[], Awaitable[T]]) -> asyncio.Task[T]:
        before = self._last

        async def in_turn() -> T:
            if before is not None:
                await before
            return await work()

        task = asyncio.create_task(in_turn())
        self._last = task
        return task

    async def drain(self) -> None:
        """Wait until every submitted statement has run."""
        if self._last is not None:
            await self._last

    async def settle(self) -> None:
        """After a failure: wait for the statements in flight, their outcome retrieved."""
        await _settled(self._last)


# PostgreSQL: items a part (``LeadBatch._run_in_parts``); the server lets the statements in
# flight go on every this many items.
PART = 125
_YIELD_EVERY = 32


class LeadBatch:
    def __init__(self, service: LeadService, account_id: str) -> None:
        self.service = service
        self.account_id = account_id
        self.results: dict[int, BatchItemResult] = {}
        # Leads this batch inserted or locked, by id: as read, and as the items leave them
        # (written with their part's changes, with the events of those changes).
        self.read: dict[str, Lead] = {}
        self.current: dict[str, Lead] = {}

    async def run(self, request: BatchLeadsRequest) -> BatchLeadsResponse:
        upsert = request.mode == "upsert"
        if self.service.repository.conn.dialect.name == "postgresql":
            await self._run_in_parts(request.leads, upsert)
        else:
            await self._run_at_once(request.leads, upsert)
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

    async def _run_at_once(self, leads: list[Any], upsert: bool) -> None:
        """SQLite (in-process: nothing to overlap): every item validated, the new leads
        inserted together, the leads of the taken emails read, the items applied, and the
        changed leads written together."""
        part = _Part()
        for index, raw in enumerate(leads):
            item = self._parse(index, raw)
            if item is not None:
                self._sort(item, part)
        repository = self.service.repository
        held: set[str] = set()
        if upsert:
            # The emails leads hold already: their items go straight to the read of the
            # taken leads instead of through an insert that finds them taken. Read under
            # the write lock (BEGIN IMMEDIATE), it is still true at the insert, which so
            # reads nothing again.
            held = await repository.held_emails(self.account_id, list(part.first))
        part.new = [item for item in part.first.values() if item.email_key not in held]
        inserted = await repository.insert_many(
            self.account_id, [self._new(item) for item in part.new], held=held if upsert else None
        )
        taken = self._created(part, inserted)
        found = await repository.find_by_emails(self.account_id, taken, for_update=upsert)
        await self._apply(part, found, upsert, None)
        await repository.update_many(self.account_id, *self._changes_of(part))

    async def _run_in_parts(self, leads: list[Any], upsert: bool) -> None:
        """PostgreSQL: the items taken a part (~``PART``) at a time in email order, the
        server's work on one part beside the database's on another. The statements go one
        after another on the transaction's connection (``_Lane``): the read of the emails
        held already, then for each part its new leads inserted with the leads of its taken
        emails read (and, to upsert, locked), and, once the server has applied the part's
        items to those leads, their changes written. Meanwhile the server validates the
        next part and applies the items of the part before, so the statements queue as:
        read, part 1's insert and read, part 2's, part 1's changes, part 3's insert and
        read, part 2's changes... The parts follow the emails' order (an email's items
        all in one part), a part's new emails inserted before its taken ones are locked:
        batches of the same emails never wait for each other in opposite orders (two whose
        parts split differently can: docs/decisions/batch-writes.md); the counters move
        once, at the end, in status order."""
        repository = self.service.repository
        keys = [_email_key(raw) for raw in leads]
        order = sorted(range(len(leads)), key=lambda index: (keys[index], index))
        lane = _Lane()
        reading = (
            lane.submit(lambda: repository.held_emails(self.account_id, sorted(set(keys) - {""})))
            if upsert
            else None
        )
        held: set[str] = set()
        counted: Counter[str] = Counter()
        writes: list[asyncio.Task[dict[str, int]]] = []
        waiting: tuple[_Part, asyncio.Task[dict[str, Lead]]] | None = None
        try:
            for indexes in _parts(order, keys, PART):
                part = _Part()
                for step, index in enumerate(indexes):
                    item = self._parse(index, leads[index])
                    if item is not None:
                        self._sort(item, part)
                    if step % _YIELD_EVERY == _YIELD_EVERY - 1:
                        await asyncio.sleep(0)  # the statements in flight go on
                if reading is not None:
                    held = await reading
                    reading = None
                part.new = [item for item in part.first.values() if item.email_key not in held]
                given = (
                    insert_rows(self.account_id, [self._new(item) for item in part.new])
                    if part.new
                    else None
                )
                reads = lane.submit(partial(self._insert_and_read, part, given, upsert, counted))
                if waiting is not None:
                    writes.append(await self._applied(*waiting, upsert, lane))
                waiting = (part, reads)
            if waiting is not None:
                writes.append(await self._applied(*waiting, upsert, lane))
                waiting = None
            for write in writes:
                counted.update(await write)
        finally:
            # Something failed meanwhile: the statements in flight end first.
            await lane.settle()
        await repository.move_counts(self.account_id, counted)

    async def _insert_and_read(
        self, part: _Part, given: dict[str, Any] | None, upsert: bool, counted: Counter[str]
    ) -> dict[str, Lead]:
        """PostgreSQL (in the lane): the part's new leads inserted uncounted (their statuses
        added to ``counted``), then the leads of its taken emails read (locked to upsert)."""
        repository = self.service.repository
        inserted = await repository.insert_uncounted(given) if given is not None else {}
        counted.update(inserted.values())
        taken = self._created(part, inserted)
        return await repository.find_by_emails(self.account_id, taken, for_update=upsert)

    async def _applied(
        self,
        part: _Part,
        reads: asyncio.Task[dict[str, Lead]],
        upsert: bool,
        lane: _Lane,
    ) -> asyncio.Task[dict[str, int]]:
        """PostgreSQL: the part's items applied to the leads its read found, and the write of
        their changes put in the lane (uncounted: it returns the statuses' moves)."""
        found = await reads
        await self._apply(part, found, upsert, lane)
        # The statement's values made now, not when its turn comes: the connection does
        # not wait for them.
        updates = updates_of(self.account_id, *self._changes_of(part))
        return lane.submit(partial(self.service.repository.write_updates, updates))

    async def _apply(
        self, part: _Part, found: dict[str, Lead], upsert: bool, lane: _Lane | None
    ) -> None:
        """Apply the part's items to the leads of their taken emails (``found``, by email):
        each first item of a taken email, in email order, then the later items of each
        email in input order. A lead gone since its email was found taken, or a later item
        whose first failed, goes one at a time (after the statements in ``lane``)."""
        for step, key in enumerate(sorted(part.first)):
            item = part.first[key]
            if key in part.ids:
                continue  # created
            existing = found.get(key)
            if existing is None:  # gone since the insert found it: one at a time
                if lane is not None:
                    await lane.drain()
                lead_id = await self._existing_or_created(item, upsert)
            elif upsert:
                self.read[existing.id] = self.current[existing.id] = existing
                lead_id = self._plan(item, existing.id, part)
            else:
                lead_id = existing.id
                self._fail(item.index, email_exists(item.request.email, lead_id))
            if lead_id is not None:
                part.ids[key] = lead_id
            if lane is not None and step % _YIELD_EVERY == _YIELD_EVERY - 1:
                await asyncio.sleep(0)  # the statements in flight go on
        for item in sorted(part.later, key=lambda later: later.index):
            lead_id = part.ids.get(item.email_key)
            if lead_id is not None and not upsert:
                self._fail(item.index, email_exists(item.request.email, lead_id))
            elif lead_id is not None and lead_id in self.current:
                self._plan(item, lead_id, part)
            else:
                # Its first item failed (a merged custom_fields too large...): this one may
                # not; or its lead was updated one at a time.
                if lane is not None:
                    await lane.drain()
                if lead_id is None:
                    found_id = await self._existing_or_created(item, upsert)
                    if found_id is not None:
                        part.ids[item.email_key] = found_id
                else:
                    await self._update(item, lead_id)

    def _changes_of(
        self, part: _Part
    ) -> tuple[list[tuple[Lead, Lead]], list[tuple[str, NewEvent]]]:
        """The part's changed leads (each with the lead as read) and their events."""
        changed = [
            (self.current[lead_id], self.read[lead_id])
            for lead_id in dict.fromkeys(part.ids.values())
            if lead_id in self.current and self.current[lead_id] is not self.read[lead_id]
        ]
        return changed, part.events

    @staticmethod
    def _sort(item: _Item, part: _Part) -> None:
        """File a valid item as the first of its email or a later one."""
        if item.email_key in part.first:
            part.later.append(item)
        else:
            part.first[item.email_key] = item

    def _created(self, part: _Part, inserted: Container[str]) -> list[str]:
        """Report the part's items whose lead was inserted; the emails of the others (taken:
        held already, or found taken by the insert), in email order."""
        for item in part.new:
            lead, _event = self._new(item)
            if lead.id in inserted:
                part.ids[item.email_key] = lead.id
                self._done(item.index, "created", lead.id)
                self.read[lead.id] = self.current[lead.id] = lead
        return [key for key in sorted(part.first) if key not in part.ids]

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

    def _plan(self, item: _Item, lead_id: str, part: _Part) -> str:
        """Apply the item, as PATCH would, to the lead as this batch holds it (written with
        the part's changes); the lead's id."""
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
            part.events.append((lead_id, event))
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
    what ``_run_in_parts`` orders the items by before any is validated; '' for none."""
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
