"""Decisions about leads: validation beyond types, PATCH semantics, uniqueness conflicts."""

from __future__ import annotations

from typing import Any

import msgspec

from buena_server.errors import LeadEmailExists, LeadNotFound
from buena_server.events.catalogue import LEAD_CREATED, LEAD_DELETED, LEAD_UPDATED
from buena_server.events.repository import EventRepository, NewEvent
from buena_server.events.service import new_event, record_event
from buena_server.kit.clock import utcnow
from buena_server.kit.ids import is_plausible_id, new_id
from buena_server.kit.validation import Context, Invalid, raise_invalid, validate
from buena_server.leads.listing import LeadQuery
from buena_server.leads.parameters import next_cursor
from buena_server.leads.repository import DuplicateEmail, LeadRepository
from buena_server.leads.schemas import (
    CUSTOM_FIELDS_RULE,
    CreateLeadRequest,
    DeleteLeadResponse,
    Lead,
    ListLeads200Response,
    UpdateLeadRequest,
)

# Fields PATCH may change but never clear.
NOT_NULLABLE = frozenset({"first_name", "last_name", "email", "status"})
# Fields whose null means "empty" rather than "absent".
_EMPTY_WHEN_NULL: dict[str, Any] = {"tags": [], "custom_fields": {}}


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON Merge Patch: objects merge key by key, null removes a key."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


class LeadService:
    def __init__(self, repository: LeadRepository, context: Context) -> None:
        self.repository = repository
        self.context = context

    async def list(self, account_id: str, query: LeadQuery) -> ListLeads200Response:
        data, total, more = await self.repository.find_page(account_id, query)
        return ListLeads200Response(
            data=list(data),
            total=total or 0,
            limit=query.limit,
            offset=query.offset,
            next_cursor=next_cursor(query, data[-1] if data else None, more),
        )

    async def get(self, account_id: str, lead_id: str) -> Lead:
        lead = await self.repository.get(account_id, lead_id) if is_plausible_id(lead_id) else None
        if lead is None:
            raise lead_not_found(lead_id)
        return lead

    async def create(self, account_id: str, request: CreateLeadRequest) -> Lead:
        lead, event = self.new_lead(account_id, validate(request, self.context))
        try:
            await self.repository.insert(account_id, lead, event)
        except DuplicateEmail as exc:
            raise email_exists(lead.email, exc.existing_id) from None
        return lead

    def new_lead(self, account_id: str, request: CreateLeadRequest) -> tuple[Lead, NewEvent]:
        """The lead a validated create request makes, and its lead.created event."""
        now = utcnow()
        lead = Lead(
            id=new_id("lead"),
            first_name=request.first_name,
            last_name=request.last_name,
            email=request.email,
            company=request.company,
            phone=request.phone,
            linkedin_url=request.linkedin_url,
            job_title=request.job_title,
            location=request.location,
            notes=request.notes,
            tags=request.tags or [],
            custom_fields=request.custom_fields or {},
            status=request.status or "active",  # type: ignore[arg-type]  # validated by OneOf
            created_at=now,
            updated_at=now,
        )
        # Written with the lead, by the same statement where it runs as one (repository).
        # The lead itself goes in the data: encoded as ``_plain(lead)`` would be, without
        # making that dict first.
        return lead, new_event(account_id, LEAD_CREATED, {"object": lead}, at=now)

    async def update(self, account_id: str, lead_id: str, request: UpdateLeadRequest) -> Lead:
        lead, _changed = await self.apply_update(account_id, lead_id, request)
        return lead

    async def apply_update(
        self, account_id: str, lead_id: str, request: UpdateLeadRequest
    ) -> tuple[Lead, bool]:
        """PATCH the lead: the lead as it is now, and whether anything changed."""
        request = self.checked_update(request)
        current = None
        if is_plausible_id(lead_id):
            current = await self.repository.get(account_id, lead_id, for_update=True)
        if current is None:
            raise lead_not_found(lead_id)
        planned = self.planned_update(account_id, current, request)
        if planned is None:
            return current, False
        updated, event = planned
        try:
            await self.repository.update(account_id, updated, previous=current)
        except DuplicateEmail as exc:
            raise email_exists(updated.email, exc.existing_id) from None
        await EventRepository(self.repository.conn).insert(event)
        return updated, True

    def checked_update(self, request: UpdateLeadRequest) -> UpdateLeadRequest:
        """The PATCH request validated (beyond types): a field that may not be cleared, or
        a value the rules refuse, raises InvalidRequest."""
        cleared = [
            {"field": name, "message": f"{name} cannot be null"}
            for name in sorted(NOT_NULLABLE)
            if getattr(request, name) is None
        ]
        return validate(request, self.context, cleared)

    def planned_update(
        self, account_id: str, current: Lead, request: UpdateLeadRequest
    ) -> tuple[Lead, NewEvent] | None:
        """What a checked PATCH makes of ``current``: the lead and its lead.updated event,
        or None when nothing changes. Raises InvalidRequest when merged custom fields break
        their limits."""
        changes = self._changes(current, request)
        if not changes:
            return None
        updated = msgspec.structs.replace(current, **changes, updated_at=utcnow())
        # Values msgspec encodes as their ``_plain`` forms (the lead, its times).
        data = {
            "object": updated,
            "previous_attributes": {
                name: getattr(current, name) for name in (*changes, "updated_at")
            },
        }
        return updated, new_event(account_id, LEAD_UPDATED, data, at=updated.updated_at)

    def _changes(self, current: Lead, request: UpdateLeadRequest) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        errors: list[dict[str, str]] = []
        for name in request.__struct_fields__:
            value = getattr(request, name)
            if value is msgspec.UNSET:
                continue
            if value is None:
                value = _EMPTY_WHEN_NULL.get(name)
            elif name == "custom_fields":
                value = merge_patch(current.custom_fields, value)
                try:
                    CUSTOM_FIELDS_RULE.apply(value, self.context)
                except Invalid as exc:
                    errors.append({"field": name, "message": f"{name} after merging {exc}"})
                    continue
            if value != getattr(current, name):
                changes[name] = value
        if errors:
            raise_invalid(errors)
        return changes

    async def delete(self, account_id: str, lead_id: str) -> DeleteLeadResponse:
        deleted = (
            await self.repository.delete(account_id, lead_id) if is_plausible_id(lead_id) else None
        )
        if deleted is None:
            raise lead_not_found(lead_id)
        await record_event(
            self.repository.conn, account_id, LEAD_DELETED, {"object": _plain(deleted)}
        )
        return DeleteLeadResponse(
            success=True, message=f"Lead {lead_id} deleted", deleted_id=lead_id
        )


def _plain(lead: Lead) -> dict[str, Any]:
    """The lead as its JSON answer holds it (timestamps as RFC 3339 strings)."""
    plain: dict[str, Any] = msgspec.to_builtins(lead)
    return plain


def lead_not_found(lead_id: str) -> LeadNotFound:
    return LeadNotFound(f"Lead {lead_id!r} not found", details={"lead_id": lead_id})


def email_exists(email: str, existing_id: str) -> LeadEmailExists:
    return LeadEmailExists(
        f"A lead with email {email} already exists",
        details={"existing_id": existing_id, "email": email},
    )
