"""Iterate over every lead without handling offsets.

``for lead in paginate_leads(api, company="Example Corp"): ...`` fetches pages of
``page_size`` as it goes; ``async for lead in apaginate_leads(api): ...`` is the async form.

Pages advance by the ``limit`` the server applied (it caps page_size at 100) and stop at the
first short or empty page, or once ``offset`` reaches ``total``. Each lead is yielded at most
once even if leads created meanwhile shift later pages (ids already seen are skipped); a lead
deleted meanwhile can shift another past the page boundary, as with any offset pagination.
"""

from collections.abc import AsyncIterator, Iterator
from typing import Optional

from buena_sdk.api.default_api import DefaultApi
from buena_sdk.models import Lead, ListLeads200Response

__all__ = ["apaginate_leads", "paginate_leads"]


def paginate_leads(
    api: DefaultApi,
    page_size: int = 50,
    *,
    sort: Optional[str] = None,
    order: Optional[str] = None,
    search: Optional[str] = None,
    company: Optional[str] = None,
    status: Optional[str] = None,
) -> Iterator[Lead]:
    """Every lead matching the filters, page by page (the same filters as ``list_leads``)."""
    _check_page_size(page_size)
    seen: set[str] = set()
    offset = 0
    while True:
        page = api.list_leads(page_size, offset, sort, order, search, company, status)
        yield from _unseen(page, seen)
        next_offset = _next_offset(page)
        if next_offset is None:
            return
        offset = next_offset


async def apaginate_leads(
    api: DefaultApi,
    page_size: int = 50,
    *,
    sort: Optional[str] = None,
    order: Optional[str] = None,
    search: Optional[str] = None,
    company: Optional[str] = None,
    status: Optional[str] = None,
) -> AsyncIterator[Lead]:
    """The async form of :func:`paginate_leads`, for ``async for``."""
    _check_page_size(page_size)
    seen: set[str] = set()
    offset = 0
    while True:
        page = await api.list_leads_async(page_size, offset, sort, order, search, company, status)
        for lead in _unseen(page, seen):
            yield lead
        next_offset = _next_offset(page)
        if next_offset is None:
            return
        offset = next_offset


def _check_page_size(page_size: int) -> None:
    if page_size < 1:
        raise ValueError("page_size must be >= 1")


def _unseen(page: ListLeads200Response, seen: set[str]) -> list[Lead]:
    fresh = [lead for lead in page.data if lead.id not in seen]
    seen.update(lead.id for lead in fresh)
    return fresh


def _next_offset(page: ListLeads200Response) -> Optional[int]:
    """Where the next page starts, or None when this page was the last."""
    if page.limit < 1 or len(page.data) < page.limit:
        return None
    next_offset = page.offset + page.limit
    return next_offset if next_offset < page.total else None
