"""Iterate over every lead (or API key, webhook, delivery, event) without handling offsets.

``for lead in paginate_leads(api, company="Example Corp"): ...`` fetches pages of
``page_size`` as it goes; ``async for lead in apaginate_leads(api): ...`` is the async form;
``paginate_api_keys``, ``paginate_webhooks``, ``paginate_webhook_deliveries`` and
``paginate_events`` (each with its ``a...`` twin) do the same for the other lists.

Leads and API keys are walked by cursor: each page's ``next_cursor`` asks for the next, so
leads created or deleted meanwhile never shift a lead past a page boundary, and a page deep
into a large account costs what the first does. The walk ends on the page whose
``next_cursor`` is null.

Where the server gives no ``next_cursor`` (the other lists, or a server without cursor
paging) pages advance by offset, by the ``limit`` the server applied (it caps page_size at
100), and stop at the first short or empty page, or once ``offset`` reaches ``total``. Each
item is yielded at most once even if items created meanwhile shift later pages (ids already
seen are skipped); one deleted meanwhile can shift another past the page boundary, as with
any offset pagination.
"""

from collections.abc import AsyncIterator, Awaitable, Iterator, Sequence
from datetime import datetime
from typing import Callable, Optional, Protocol, TypeVar

from buena_sdk.api.bulk_leads_api import Tags
from buena_sdk.api.default_api import DefaultApi
from buena_sdk.api.events_api import EventsApi
from buena_sdk.api.webhooks_api import WebhooksApi
from buena_sdk.models import ApiKey, Event, Lead, Webhook, WebhookDelivery
from buena_sdk.models.literals import DeliveryStatus, LeadSort, LeadStatus, SortOrder

__all__ = [
    "apaginate_api_keys",
    "apaginate_events",
    "apaginate_leads",
    "apaginate_webhook_deliveries",
    "apaginate_webhooks",
    "paginate_api_keys",
    "paginate_events",
    "paginate_leads",
    "paginate_webhook_deliveries",
    "paginate_webhooks",
]


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
    sort: Optional[LeadSort] = None,
    order: Optional[SortOrder] = None,
    search: Optional[str] = None,
    company: Optional[str] = None,
    status: Optional[LeadStatus] = None,
    tags: Tags = None,
    created_after: Optional[datetime] = None,
    created_before: Optional[datetime] = None,
    updated_after: Optional[datetime] = None,
    updated_before: Optional[datetime] = None,
    has_email: Optional[bool] = None,
) -> Iterator[Lead]:
    """Every lead matching the filters, page by page (the same filters as ``list_leads``)."""
    return _every(
        lambda offset, cursor: api.list_leads(
            page_size,
            offset,
            sort,
            order,
            search,
            company,
            status,
            cursor,
            tags,
            created_after,
            created_before,
            updated_after,
            updated_before,
            has_email,
        ),
        page_size,
    )


def apaginate_leads(
    api: DefaultApi,
    page_size: int = 50,
    *,
    sort: Optional[LeadSort] = None,
    order: Optional[SortOrder] = None,
    search: Optional[str] = None,
    company: Optional[str] = None,
    status: Optional[LeadStatus] = None,
    tags: Tags = None,
    created_after: Optional[datetime] = None,
    created_before: Optional[datetime] = None,
    updated_after: Optional[datetime] = None,
    updated_before: Optional[datetime] = None,
    has_email: Optional[bool] = None,
) -> AsyncIterator[Lead]:
    """The async form of :func:`paginate_leads`, for ``async for``."""
    return _aevery(
        lambda offset, cursor: api.list_leads_async(
            page_size,
            offset,
            sort,
            order,
            search,
            company,
            status,
            cursor,
            tags,
            created_after,
            created_before,
            updated_after,
            updated_before,
            has_email,
        ),
        page_size,
    )


def paginate_api_keys(api: DefaultApi, page_size: int = 50) -> Iterator[ApiKey]:
    """Every API key of the account, newest first, page by page."""
    return _every(lambda offset, cursor: api.list_api_keys(page_size, offset, cursor), page_size)


def apaginate_api_keys(api: DefaultApi, page_size: int = 50) -> AsyncIterator[ApiKey]:
    """The async form of :func:`paginate_api_keys`, for ``async for``."""
    return _aevery(
        lambda offset, cursor: api.list_api_keys_async(page_size, offset, cursor), page_size
    )


def paginate_webhooks(api: WebhooksApi, page_size: int = 50) -> Iterator[Webhook]:
    """Every webhook of the account, newest first, page by page."""
    return _every(lambda offset, _: api.list_webhooks(page_size, offset), page_size)


def apaginate_webhooks(api: WebhooksApi, page_size: int = 50) -> AsyncIterator[Webhook]:
    """The async form of :func:`paginate_webhooks`, for ``async for``."""
    return _aevery(lambda offset, _: api.list_webhooks_async(page_size, offset), page_size)


def paginate_webhook_deliveries(
    api: WebhooksApi,
    webhook_id: str,
    page_size: int = 50,
    *,
    status: Optional[DeliveryStatus] = None,
) -> Iterator[WebhookDelivery]:
    """Every delivery of a webhook (of one ``status`` if given), newest first."""
    return _every(
        lambda offset, _: api.list_webhook_deliveries(webhook_id, page_size, offset, status),
        page_size,
    )


def apaginate_webhook_deliveries(
    api: WebhooksApi,
    webhook_id: str,
    page_size: int = 50,
    *,
    status: Optional[DeliveryStatus] = None,
) -> AsyncIterator[WebhookDelivery]:
    """The async form of :func:`paginate_webhook_deliveries`, for ``async for``."""
    return _aevery(
        lambda offset, _: api.list_webhook_deliveries_async(webhook_id, page_size, offset, status),
        page_size,
    )


def paginate_events(
    api: EventsApi,
    page_size: int = 50,
    *,
    type: Optional[str] = None,
    created_after: Optional[datetime] = None,
    created_before: Optional[datetime] = None,
) -> Iterator[Event]:
    """Every event matching the filters (those of ``list_events``), newest first. To catch
    up after downtime, pass ``created_after`` = the time of the last event handled."""
    return _every(
        lambda offset, _: api.list_events(page_size, offset, type, created_after, created_before),
        page_size,
    )


def apaginate_events(
    api: EventsApi,
    page_size: int = 50,
    *,
    type: Optional[str] = None,
    created_after: Optional[datetime] = None,
    created_before: Optional[datetime] = None,
) -> AsyncIterator[Event]:
    """The async form of :func:`paginate_events`, for ``async for``."""
    return _aevery(
        lambda offset, _: api.list_events_async(
            page_size, offset, type, created_after, created_before
        ),
        page_size,
    )


# Where a page starts: an offset, or the cursor the previous page handed over.
_Fetch = Callable[[Optional[int], Optional[str]], _Page[_T]]
_AFetch = Callable[[Optional[int], Optional[str]], Awaitable[_Page[_T]]]


def _every(fetch: "_Fetch[_T]", page_size: int) -> Iterator[_T]:
    """Every item of the pages ``fetch(offset, cursor)`` returns, each once, from the
    start."""
    _check_page_size(page_size)
    seen: set[str] = set()
    position: Optional[tuple[Optional[int], Optional[str]]] = (0, None)
    while position is not None:
        page = fetch(*position)
        yield from _unseen(page, seen)
        position = _next_position(page, position)


async def _aevery(fetch: "_AFetch[_T]", page_size: int) -> AsyncIterator[_T]:
    """The async form of :func:`_every`."""
    _check_page_size(page_size)
    seen: set[str] = set()
    position: Optional[tuple[Optional[int], Optional[str]]] = (0, None)
    while position is not None:
        page = await fetch(*position)
        for item in _unseen(page, seen):
            yield item
        position = _next_position(page, position)


def _next_position(
    page: _Page[_T], position: tuple[Optional[int], Optional[str]]
) -> Optional[tuple[Optional[int], Optional[str]]]:
    """Where the next page starts, or None after the last page. A page that names
    ``next_cursor`` (even as null) decides; otherwise offsets do."""
    if "next_cursor" in getattr(page, "model_fields_set", ()):
        cursor: Optional[str] = getattr(page, "next_cursor", None)
        # The same cursor again would fetch the same page forever: a broken server.
        return None if cursor is None or cursor == position[1] else (None, cursor)
    offset = _next_offset(page)
    return None if offset is None else (offset, None)


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
