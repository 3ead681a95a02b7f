"""Iterate over every lead (or API key) without handling offsets.

``for lead in paginate_leads(api, company="Example Corp"): ...`` fetches pages of
``page_size`` as it goes; ``async for lead in apaginate_leads(api): ...`` is the async form;
``paginate_api_keys`` / ``apaginate_api_keys`` do the same for ``list_api_keys``.

Pages advance by the ``limit`` the server applied (it caps page_size at 100) and stop at the
first short or empty page, or once ``offset`` reaches ``total``. Each lead is yielded at most
once even if leads created meanwhile shift later pages (ids already seen are skipped); a lead
deleted meanwhile can shift another past the page boundary, as with any offset pagination.
"""

from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Optional, Protocol, TypeVar

from buena_sdk.api.default_api import DefaultApi
from buena_sdk.models import ApiKey, Lead

__all__ = ["apaginate_api_keys", "apaginate_leads", "paginate_api_keys", "paginate_leads"]


class _Item(Protocol):
    @property
    def id(self) -> str: ...


_T = TypeVar("_T", bound=_Item)
_T_co = TypeVar("_T_co", bound=_Item, covariant=True)


class _Page(Protocol[_T_co]):
    @property
    def data(self) -> Sequence[_T_co]: ...
    @property
    def total(self) -> int: ...
    @property
    def limit(self) -> Optional[int]: ...
    @property
    def offset(self) -> Optional[int]: ...


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


def paginate_api_keys(api: DefaultApi, page_size: int = 50) -> Iterator[ApiKey]:
    """Every API key of the account, newest first, page by page."""
    _check_page_size(page_size)
    seen: set[str] = set()
    offset = 0
    while True:
        page = api.list_api_keys(page_size, offset)
        yield from _unseen(page, seen)
        next_offset = _next_offset(page)
        if next_offset is None:
            return
        offset = next_offset


async def apaginate_api_keys(api: DefaultApi, page_size: int = 50) -> AsyncIterator[ApiKey]:
    """The async form of :func:`paginate_api_keys`, for ``async for``."""
    _check_page_size(page_size)
    seen: set[str] = set()
    offset = 0
    while True:
        page = await api.list_api_keys_async(page_size, offset)
        for key in _unseen(page, seen):
            yield key
        next_offset = _next_offset(page)
        if next_offset is None:
            return
        offset = next_offset


def _check_page_size(page_size: int) -> None:
    if page_size < 1:
        raise ValueError("page_size must be >= 1")


def _unseen(page: _Page[_T], seen: set[str]) -> list[_T]:
    fresh = [item for item in page.data if item.id not in seen]
    seen.update(item.id for item in fresh)
    return fresh


def _next_offset(page: _Page[_T]) -> Optional[int]:
    """Where the next page starts, or None when this page was the last (or the server, not
    paging, sent everything at once: no ``limit`` or ``offset`` in its answer)."""
    if page.limit is None or page.offset is None:
        return None
    if page.limit < 1 or len(page.data) < page.limit:
        return None
    next_offset = page.offset + page.limit
    return next_offset if next_offset < page.total else None
