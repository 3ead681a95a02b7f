"""Prospect lists: stored as uploaded (each prospect checked with the lead's rules), matched
to the account's leads when read, converted into leads through POST /leads/batch's
machinery (``LeadBatch``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from msgspec import UNSET

from buena_server.errors import ProspectListNotFound
from buena_server.kit import clock
from buena_server.kit.driver import Connection
from buena_server.kit.ids import is_plausible_id, new_id
from buena_server.kit.paging import Page
from buena_server.kit.validation import Context, validate
from buena_server.leads.batch import LeadBatch
from buena_server.leads.repository import LeadRepository
from buena_server.leads.schemas import MAX_BATCH, BatchLeadsRequest
from buena_server.leads.service import LeadService
from buena_server.linkedin.service import nested
from buena_server.prospects.repository import (
    LeadKeys,
    ListRecord,
    ProspectRecord,
    ProspectRepository,
    url_spellings,
)
from buena_server.prospects.schemas import (
    ConvertItem,
    ConvertProspectListResponse,
    CreateProspectListRequest,
    ListProspectListsResponse,
    ListProspectsResponse,
    Prospect,
    ProspectInput,
    ProspectList,
)

_FIELDS = ProspectInput.__struct_fields__


def list_not_found(list_id: str) -> ProspectListNotFound:
    return ProspectListNotFound(
        f"Prospect list {list_id!r} not found", details={"prospect_list_id": list_id}
    )


def _public(record: ListRecord) -> ProspectList:
    return ProspectList(
        id=record.id, name=record.name, prospect_count=record.prospect_count,
        created_at=record.created_at,
    )  # fmt: skip


def matched(record: ProspectRecord, keys: LeadKeys) -> Prospect:
    """The prospect with the lead it matches: by email first, then by LinkedIn URL."""
    lead_id = keys.by_email.get(record.email.lower()) if record.email else None
    by = "email" if lead_id else None
    if lead_id is None and record.linkedin_url is not None:
        for spelling in url_spellings(record.linkedin_url):
            lead_id = keys.by_url.get(spelling)
            if lead_id is not None:
                by = "linkedin_url"
                break
    return Prospect(
        id=record.id, position=record.position,
        **{name: getattr(record, name) for name in _FIELDS},
        match="new" if lead_id is None else "lead", lead_id=lead_id,
        matched_by=by,  # type: ignore[arg-type]  # one of the Literal's
    )  # fmt: skip


class ProspectService:
    def __init__(self, conn: Connection, context: Context) -> None:
        self.repository = ProspectRepository(conn)
        self.context = context

    async def create(self, account_id: str, request: CreateProspectListRequest) -> ProspectList:
        checked = [
            nested(prospect, f"prospects[{index}]", self.context)
            for index, prospect in enumerate(request.prospects)
        ]
        name = validate(request, self.context).name
        record = ListRecord(new_id("pl"), name, len(checked), clock.utcnow())
        rows = [
            {"id": new_id("pr"), "position": index,
             **{field: _known(getattr(prospect, field)) for field in _FIELDS}}
            for index, prospect in enumerate(checked)
        ]  # fmt: skip
        await self.repository.insert(account_id, record, rows)
        return _public(record)

    async def list(self, account_id: str, page: Page) -> ListProspectListsResponse:
        records, total = await self.repository.find_page(account_id, page.limit, page.offset)
        return ListProspectListsResponse(
            data=[_public(r) for r in records], total=total, limit=page.limit, offset=page.offset
        )

    async def get(self, account_id: str, list_id: str) -> ProspectList:
        return _public(await self.find(account_id, list_id))

    async def prospects(self, account_id: str, list_id: str, page: Page) -> ListProspectsResponse:
        found = await self.find(account_id, list_id)
        records = await self.repository.prospects(found.id, page.limit, page.offset)
        keys = await self.keys(account_id, records)
        return ListProspectsResponse(
            data=[matched(r, keys) for r in records],
            total=found.prospect_count, limit=page.limit, offset=page.offset,
        )  # fmt: skip

    async def convert(self, account_id: str, list_id: str) -> ConvertProspectListResponse:
        """Each new prospect becomes a lead, as POST /leads/batch (mode create) makes one;
        a prospect that matches a lead is reported ``existing`` and left alone."""
        found = await self.find(account_id, list_id)
        records = await self.repository.prospects(found.id)
        keys = await self.keys(account_id, records)
        results: list[ConvertItem] = []
        new: list[ProspectRecord] = []
        for record in records:
            prospect = matched(record, keys)
            if prospect.lead_id is None:
                new.append(record)
            else:
                results.append(ConvertItem(
                    prospect_id=record.id, position=record.position, outcome="existing",
                    lead_id=prospect.lead_id,
                ))  # fmt: skip
        leads = LeadService(LeadRepository(self.repository.conn), self.context)
        for start in range(0, len(new), MAX_BATCH):
            chunk = new[start : start + MAX_BATCH]
            batch = await LeadBatch(leads, account_id).run(
                BatchLeadsRequest(leads=[_lead_fields(r) for r in chunk], mode="create")
            )
            for record, item in zip(chunk, batch.results, strict=True):
                results.append(ConvertItem(
                    prospect_id=record.id, position=record.position,
                    outcome="error" if item.outcome == "error" else "created",
                    lead_id=item.id, error=item.error,
                ))  # fmt: skip
        results.sort(key=lambda result: result.position)
        counts = {"created": 0, "existing": 0, "error": 0}
        for result in results:
            counts[result.outcome] += 1
        return ConvertProspectListResponse(
            results=results, created=counts["created"], existing=counts["existing"],
            errors=counts["error"],
        )  # fmt: skip

    async def find(self, account_id: str, list_id: str) -> ListRecord:
        found = await self.repository.get(account_id, list_id) if is_plausible_id(list_id) else None
        if found is None:
            raise list_not_found(list_id)
        return found

    async def keys(self, account_id: str, records: Sequence[ProspectRecord]) -> LeadKeys:
        return await self.repository.lead_keys(
            account_id,
            [r.email.lower() for r in records if r.email],
            [r.linkedin_url for r in records if r.linkedin_url],
        )


def _known(value: Any) -> Any:
    """A prospect's field as stored: None when it was left out."""
    return None if value is UNSET else value


def _lead_fields(record: ProspectRecord) -> dict[str, Any]:
    """The prospect as a POST /leads body: its fields that are set."""
    return {name: value for name in _FIELDS if (value := getattr(record, name)) is not None}
