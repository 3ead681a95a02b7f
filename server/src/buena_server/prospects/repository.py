"""Every query on prospect_lists and prospects, and the read of the leads prospects match."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, or_, select

from buena_server.kit.driver import Connection
from buena_server.tables import leads, prospect_lists, prospects

_L = prospect_lists.c
_P = prospects.c
_LIST = (_L.id, _L.name, _L.prospect_count, _L.created_at)
_PROSPECT = (
    _P.id, _P.position, _P.first_name, _P.last_name, _P.email, _P.company, _P.job_title,
    _P.linkedin_url,
)  # fmt: skip
# Leads matched by LinkedIn URL are read this many prospects at a time.
MATCH_CHUNK = 500


@dataclass(frozen=True, slots=True)
class ListRecord:
    id: str
    name: str
    prospect_count: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ProspectRecord:
    id: str
    position: int
    first_name: str | None
    last_name: str | None
    email: str | None
    company: str | None
    job_title: str | None
    linkedin_url: str | None


@dataclass(frozen=True, slots=True)
class LeadKeys:
    """The leads that hold some of the given emails or LinkedIn URLs: lead id by lowercased
    email, and by LinkedIn URL as stored."""

    by_email: dict[str, str]
    by_url: dict[str, str]


def url_spellings(canonical: str) -> list[str]:
    """The plain spellings of a canonical profile URL a lead may hold: http or https, with
    or without www., with or without the trailing slash."""
    identifier = canonical.removeprefix("https://www.linkedin.com/in/").rstrip("/")
    return [
        f"{scheme}://{host}linkedin.com/in/{identifier}{slash}"
        for scheme in ("https", "http")
        for host in ("www.", "")
        for slash in ("/", "")
    ]


class ProspectRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def insert(
        self, account_id: str, record: ListRecord, rows: Sequence[dict[str, Any]]
    ) -> None:
        """The list and its prospects (each row: the prospect's columns but the account's
        and the list's)."""
        await self.conn.execute(
            insert(prospect_lists).values(
                id=record.id, account_id=account_id, name=record.name,
                prospect_count=record.prospect_count, created_at=record.created_at,
            )
        )  # fmt: skip
        if not rows:
            return
        await self.conn.execute_many(
            insert(prospects),
            [{**row, "account_id": account_id, "list_id": record.id} for row in rows],
        )

    async def get(self, account_id: str, list_id: str) -> ListRecord | None:
        row = (
            await self.conn.execute(
                select(*_LIST).where(_L.account_id == account_id, _L.id == list_id)
            )
        ).first()
        return None if row is None else ListRecord(*row)

    async def find_page(
        self, account_id: str, limit: int, offset: int
    ) -> tuple[list[ListRecord], int]:
        """The account's lists, newest first."""
        rows = await self.conn.execute(
            select(*_LIST)
            .where(_L.account_id == account_id)
            .order_by(_L.created_at.desc(), _L.id.desc())
            .limit(limit)
            .offset(offset)
        )
        total = await self.conn.execute(
            select(func.count()).select_from(prospect_lists).where(_L.account_id == account_id)
        )
        return [ListRecord(*row) for row in rows.all()], int(total.scalar_one())

    async def prospects(
        self, list_id: str, limit: int | None = None, offset: int = 0
    ) -> list[ProspectRecord]:
        """The list's prospects in their order (from ``offset``; all when no ``limit``)."""
        statement = select(*_PROSPECT).where(_P.list_id == list_id).order_by(_P.position)
        if limit is not None:
            statement = statement.limit(limit).offset(offset)
        return [ProspectRecord(*row) for row in (await self.conn.execute(statement)).all()]

    async def lead_keys(
        self, account_id: str, emails: Sequence[str], urls: Sequence[str]
    ) -> LeadKeys:
        """The account's leads holding any of ``emails`` (lowercased; the unique email
        index) or any plain spelling of the canonical ``urls`` (no index on leads' URLs:
        the account's leads with one are read, ``MATCH_CHUNK`` URLs at a time)."""
        by_email: dict[str, str] = {}
        by_url: dict[str, str] = {}
        email_list = sorted(set(emails))
        url_list = sorted(set(urls))
        for start in range(0, max(len(email_list), len(url_list)), MATCH_CHUNK):
            some_emails = email_list[start : start + MATCH_CHUNK]
            some_urls = [s for u in url_list[start : start + MATCH_CHUNK] for s in url_spellings(u)]
            conditions = []
            if some_emails:
                conditions.append(leads.c.email_lower.in_(some_emails))
            if some_urls:
                conditions.append(leads.c.linkedin_url.in_(some_urls))
            rows = await self.conn.execute(
                select(leads.c.id, leads.c.email_lower, leads.c.linkedin_url).where(
                    leads.c.account_id == account_id, or_(*conditions)
                )
            )
            for lead_id, email_lower, linkedin_url in rows.all():
                by_email.setdefault(email_lower, lead_id)
                if linkedin_url is not None:
                    by_url.setdefault(linkedin_url, lead_id)
        return LeadKeys(by_email, by_url)
