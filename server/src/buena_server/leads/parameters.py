"""The query parameters of lead lists and exports: declared once, checked once (422 for each
bad value), turned into a ``LeadQuery``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar.openapi.spec import OpenAPIType
from litestar.params import Parameter

from buena_server.errors import ValidationFailed, summary_of
from buena_server.kit.cursor import (
    Position,
    binding,
    decode_cursor,
    encode_cursor,
    malformed_cursor,
)
from buena_server.kit.openapi_docs import query_schema
from buena_server.kit.paging import page, page_errors, refuse_cursor_with_offset, timestamp_param
from buena_server.kit.validation import NO_NUL
from buena_server.leads.listing import LeadFilters, LeadQuery, sort_value
from buena_server.leads.schemas import (
    LEAD_STATUSES,
    MAX_FILTER_LENGTH,
    SORT_FIELDS,
    SORT_ORDERS,
    Lead,
)

MAX_TAGS_LENGTH = 2550  # 50 tags of 50 characters, comma-separated
_TIME_FILTER = query_schema(OpenAPIType.STRING, format="date-time")


def _time(description: str) -> Any:
    return Annotated[str | None, Parameter(description=description, schema_extra=_TIME_FILTER)]


Sort = Annotated[
    str | None,
    Parameter(
        description="Sort field (default created_at)",
        schema_extra=query_schema(OpenAPIType.STRING, enum=list(SORT_FIELDS), default="created_at"),
    ),
]
Order = Annotated[
    str | None,
    Parameter(
        description="Sort order (default desc)",
        schema_extra=query_schema(OpenAPIType.STRING, enum=list(SORT_ORDERS), default="desc"),
    ),
]
Search = Annotated[
    str | None,
    Parameter(
        description="Case-insensitive substring of first name, last name, 'first last' or email",
        schema_extra=query_schema(OpenAPIType.STRING, max_length=MAX_FILTER_LENGTH, pattern=NO_NUL),
    ),
]
Company = Annotated[
    str | None,
    Parameter(
        description="Case-insensitive substring of the company name",
        schema_extra=query_schema(OpenAPIType.STRING, max_length=MAX_FILTER_LENGTH, pattern=NO_NUL),
    ),
]
Status = Annotated[
    str | None,
    Parameter(
        description="Only leads with this status (default: every status)",
        schema_extra=query_schema(OpenAPIType.STRING, enum=list(LEAD_STATUSES)),
    ),
]
Tags = Annotated[
    str | None,
    Parameter(
        description="Comma-separated tags: leads holding any of them (each compared "
        "exactly, surrounding spaces ignored)",
        schema_extra=query_schema(
            OpenAPIType.STRING, max_length=MAX_TAGS_LENGTH, pattern=NO_NUL, examples=["vip,2026"]
        ),
    ),
]
CreatedAfter = _time("Only leads created strictly after this RFC 3339 date-time (with offset)")
CreatedBefore = _time("Only leads created strictly before this RFC 3339 date-time (with offset)")
UpdatedAfter = _time("Only leads updated strictly after this RFC 3339 date-time (with offset)")
UpdatedBefore = _time("Only leads updated strictly before this RFC 3339 date-time (with offset)")
HasEmail = Annotated[
    str | None,
    Parameter(
        description="true: leads with an email; false: leads without one. Every lead has "
        "an email here (it is required), so false selects none",
        schema_extra=query_schema(OpenAPIType.STRING, enum=["true", "false"]),
    ),
]


def lead_filters(
    errors: list[dict[str, str]],
    search: str | None = None,
    company: str | None = None,
    status: str | None = None,
    tags: str | None = None,
    created_after: str | None = None,
    created_before: str | None = None,
    updated_after: str | None = None,
    updated_before: str | None = None,
    has_email: str | None = None,
) -> LeadFilters:
    """The filters a list or export was given; each bad value appended to ``errors``."""
    if status is not None and status not in LEAD_STATUSES:
        errors.append(
            {"field": "status", "message": f"status must be one of: {', '.join(LEAD_STATUSES)}"}
        )
    for name, value in (("search", search), ("company", company)):
        if value is not None and len(value) > MAX_FILTER_LENGTH:
            errors.append(
                {"field": name, "message": f"{name} must be at most {MAX_FILTER_LENGTH} characters"}
            )
        elif value is not None and "\x00" in value:
            errors.append({"field": name, "message": f"{name} must not contain NUL characters"})
    wanted: tuple[str, ...] = ()
    if tags is not None:
        wanted = tuple(dict.fromkeys(t.strip() for t in tags.split(",") if t.strip()))
        if len(tags) > MAX_TAGS_LENGTH or "\x00" in tags:
            errors.append(
                {
                    "field": "tags",
                    "message": f"tags must be at most {MAX_TAGS_LENGTH} characters, without NUL",
                }
            )
    if has_email is not None and has_email not in ("true", "false"):
        errors.append({"field": "has_email", "message": "has_email must be true or false"})
    return LeadFilters(
        search=search.strip() or None if search else None,
        company=company.strip() or None if company else None,
        status=status,
        tags=wanted,
        created_after=timestamp_param("created_after", created_after, errors),
        created_before=timestamp_param("created_before", created_before, errors),
        updated_after=timestamp_param("updated_after", updated_after, errors),
        updated_before=timestamp_param("updated_before", updated_before, errors),
        has_email=None if has_email is None else has_email == "true",
    )


def sort_errors(sort: str | None, order: str | None) -> list[dict[str, str]]:
    errors = []
    for name, value, allowed in (("sort", sort, SORT_FIELDS), ("order", order, SORT_ORDERS)):
        if value is not None and value not in allowed:
            errors.append(
                {"field": name, "message": f"{name} must be one of: {', '.join(allowed)}"}
            )
    return errors


def raise_errors(errors: list[dict[str, str]]) -> None:
    if errors:
        raise ValidationFailed(summary_of(errors), details={"errors": errors})


def lead_query(
    limit: int | None,
    offset: int | None,
    cursor: str | None,
    sort: str | None,
    order: str | None,
    filters: LeadFilters,
    errors: list[dict[str, str]],
) -> LeadQuery:
    """The list asked for: parameters checked (422), defaults applied, the cursor decoded
    against the sort, order and filters it must have been made with."""
    refuse_cursor_with_offset(cursor, offset)
    errors = errors + page_errors(limit, offset) + sort_errors(sort, order)
    raise_errors(errors)
    applied = page(limit, offset)
    query = LeadQuery(
        filters=filters,
        sort=sort or "created_at",
        order=order or "desc",
        limit=applied.limit,
        offset=applied.offset,
    )
    if cursor is not None:
        after = decode_cursor(cursor, query_binding(query))
        query = LeadQuery(
            filters=filters,
            sort=query.sort,
            order=query.order,
            limit=query.limit,
            after=_typed(after, query.sort),
        )
    return query


def _typed(position: Position, sort: str) -> Position:
    """A cursor's value must be of its sort's kind (a time for times, text for names)."""
    if isinstance(position.value, datetime) != (sort in ("created_at", "updated_at")):
        raise malformed_cursor()
    return position


def query_binding(query: LeadQuery) -> str:
    return binding("leads", {"sort": query.sort, "order": query.order, **query.filters.bound()})


def next_cursor(query: LeadQuery, last: Lead | None, more: bool) -> str | None:
    if last is None or not more:
        return None
    return encode_cursor(query_binding(query), Position(sort_value(last, query.sort), last.id))
