"""Decisions about leads: validation beyond types, PATCH semantics, uniqueness conflicts."""

from __future__ import annotations

from typing import Any

import msgspec

from buena_server.errors import LeadEmailExists, LeadNotFound
from buena_server.events.catalogue import LEAD_CREATED, LEAD_DELETED, LEAD_UPDATED
from buena_server.events.service import new_event, record_event
from buena_server.kit.clock import utcnow
from buena_server.kit.ids import is_plausible_id, new_id
from buena_server.kit.validation import Context, Invalid, raise_invalid, validate
from buena_server.leads.repository import DuplicateEmail, LeadQuery, LeadRepository
from buena_server.leads.schemas import (
    CUSTOM_FIELDS_RULE,
    CreateLeadRequest,
    DeleteLeadResponse,
    Lead,
    ListLeads200Response,
    UpdateLeadRequest,
)

# Fields PATCH may change but never clear.
_NOT_NULLABLE = frozenset({"first_name", "last_name", "email", "status"})
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
        data, total = await self.repository.find_page(account_id, query)
        return ListLeads200Response(
            data=list(data), total=total, limit=query.limit, offset=query.offset
        )

    async def get(self, account_id: str, lead_id: str) -> Lead:
        lead = await self.repository.get(account_id, lead_id) if is_plausible_id(lead_id) else None
        if lead is None:
            raise _not_found(lead_id)
        return lead

    async def create(self, account_id: str, request: CreateLeadRequest) -> Lead:
        request = validate(request, self.context)
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
        event = new_event(account_id, LEAD_CREATED, {"object": _plain(lead)}, at=now)
        try:
            await self.repository.insert(account_id, lead, event)
        except DuplicateEmail as exc:
            raise _email_exists(lead.email, exc.existing_id) from None
        return lead

    async def update(self, account_id: str, lead_id: str, request: UpdateLeadRequest) -> Lead:
        cleared = [
            {"field": name, "message": f"{name} cannot be null"}
            for name in sorted(_NOT_NULLABLE)
            if getattr(request, name) is None
        ]
        request = validate(request, self.context, cleared)
        current = None
        if is_plausible_id(lead_id):
            current = await self.repository.get(account_id, lead_id, for_update=True)
        if current is None:
            raise _not_found(lead_id)
        changes = self._changes(current, request)
        if not changes:
            return current
        updated = msgspec.structs.replace(current, **changes, updated_at=utcnow())
        try:
            await self.repository.update(account_id, updated, previous_status=current.status)
        except DuplicateEmail as exc:
            raise _email_exists(updated.email, exc.existing_id) from None
        previous = _plain(current)
        await record_event(
            self.repository.conn,
            account_id,
            LEAD_UPDATED,
            {
                "object": _plain(updated),
                "previous_attributes": {name: previous[name] for name in (*changes, "updated_at")},
            },
        )
        return updated

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
            raise _not_found(lead_id)
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


def _not_found(lead_id: str) -> LeadNotFound:
    return LeadNotFound(f"Lead {lead_id!r} not found", details={"lead_id": lead_id})


def _email_exists(email: str, existing_id: str) -> LeadEmailExists:
    return LeadEmailExists(
        f"A lead with email {email} already exists",
        details={"existing_id": existing_id, "email": email},
    )
