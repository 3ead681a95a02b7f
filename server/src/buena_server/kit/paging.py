"""Offset paging of list routes: ``limit`` default 50, values above 100 applied as 100,
below 1 refused (422); ``offset`` from 0. The response says what was applied."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, NamedTuple

from litestar.openapi.spec import OpenAPIType
from litestar.params import Parameter

from buena_server.errors import InvalidRequest, ValidationFailed, summary_of
from buena_server.kit.cursor import MAX_CURSOR_LENGTH
from buena_server.kit.openapi_docs import query_schema

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
MAX_OFFSET = 2**31 - 1

Limit = Annotated[
    int | None,
    Parameter(
        description=f"Page size: default {DEFAULT_PAGE_SIZE}; values above {MAX_PAGE_SIZE} "
        f"are applied as {MAX_PAGE_SIZE}",
        schema_extra=query_schema(OpenAPIType.INTEGER, minimum=1, default=DEFAULT_PAGE_SIZE),
    ),
]
Offset = Annotated[
    int | None,
    Parameter(
        description="Items to skip (default 0)",
        schema_extra=query_schema(OpenAPIType.INTEGER, minimum=0, maximum=MAX_OFFSET, default=0),
    ),
]

Cursor = Annotated[
    str | None,
    Parameter(
        description="Start after the page this came from: `next_cursor` of the previous "
        "answer, with the same sort, order and filters (if any); not with `offset`",
        schema_extra=query_schema(OpenAPIType.STRING, max_length=MAX_CURSOR_LENGTH),
    ),
]


class Page(NamedTuple):
    limit: int
    offset: int


def page_errors(limit: int | None, offset: int | None) -> list[dict[str, str]]:
    errors: list[dict[str, str]] = []
    if limit is not None and limit < 1:
        errors.append({"field": "limit", "message": "limit must be at least 1"})
    if offset is not None and not 0 <= offset <= MAX_OFFSET:
        errors.append({"field": "offset", "message": f"offset must be 0 to {MAX_OFFSET}"})
    return errors


def choice_errors(name: str, value: str | None, allowed: Sequence[str]) -> list[dict[str, str]]:
    """The 422 error of a query parameter whose value must be one of ``allowed``, if any."""
    if value is None or value in allowed:
        return []
    return [{"field": name, "message": f"{name} must be one of: {', '.join(allowed)}"}]


def length_errors(name: str, value: str | None, max_length: int) -> list[dict[str, str]]:
    """The 422 error of a text query parameter longer than ``max_length``, if any."""
    if value is None or len(value) <= max_length:
        return []
    return [{"field": name, "message": f"{name} must be at most {max_length} characters"}]


def page(limit: int | None, offset: int | None) -> Page:
    """The page to apply; raises ValidationFailed (422) for values out of range."""
    errors = page_errors(limit, offset)
    if errors:
        raise ValidationFailed(summary_of(errors), details={"errors": errors})
    return Page(min(limit or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE), offset or 0)


def timestamp_param(name: str, value: str | None, errors: list[dict[str, str]]) -> datetime | None:
    """A query parameter's RFC 3339 date-time (with an offset) in UTC; a 422 error in
    ``errors`` otherwise."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        errors.append(
            {"field": name, "message": f"{name} must be an RFC 3339 date-time with an offset"}
        )
        return None
    return parsed.astimezone(UTC)


def refuse_cursor_with_offset(cursor: str | None, offset: int | None) -> None:
    """A cursor says where the page starts; so does an offset: both is a contradiction (400)."""
    if cursor is not None and offset is not None:
        message = "cursor and offset cannot be used together: pass one of them"
        raise InvalidRequest(
            message,
            details={
                "errors": [
                    {"field": "cursor", "message": message, "source": "query"},
                    {"field": "offset", "message": message, "source": "query"},
                ]
            },
        )
