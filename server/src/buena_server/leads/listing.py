"""The statements of lead lists and exports: filters, sorts, keyset positions.

A list's statements depend on which filters it has, how it sorts and whether it starts after
a position (a few hundred shapes at most), never on the values, which travel as named
parameters: each shape is built once, and a request only binds its values (building the
statement and its cache key cost more than the query on a page of 50).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    JSON,
    ColumnElement,
    Select,
    Text,
    bindparam,
    false,
    func,
    literal_column,
    or_,
    select,
    text,
    true,
    tuple_,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.sql.elements import BindParameter

from buena_server.kit.cursor import Position
from buena_server.kit.db import encode_json_text
from buena_server.kit.driver import HEAVY_OPTION, PLAN_PER_VALUE_OPTION
from buena_server.leads.encoded import LEAD_JSON
from buena_server.leads.schemas import Lead
from buena_server.tables import UTCDateTime, lead_counts, leads

LEAD_COLUMNS = tuple(leads.c[name] for name in Lead.__struct_fields__)
# Names sort case-insensitively, through their lower-cased copies.
SORT_COLUMNS = {"first_name": "first_name_lower", "last_name": "last_name_lower"}


@dataclass(frozen=True, slots=True)
class LeadFilters:
    """Which leads a list or an export holds."""

    search: str | None = None
    company: str | None = None
    status: str | None = None
    tags: tuple[str, ...] = ()  # any of
    created_after: datetime | None = None
    created_before: datetime | None = None
    updated_after: datetime | None = None
    updated_before: datetime | None = None
    has_email: bool | None = None

    def bound(self) -> dict[str, Any]:
        """The filters as plain values (what a cursor is bound to)."""
        plain: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, datetime):
                value = value.isoformat()
            elif isinstance(value, tuple):
                value = sorted(value) or None
            plain[f.name] = value
        return plain


@dataclass(frozen=True, slots=True)
class LeadQuery:
    filters: LeadFilters = LeadFilters()
    sort: str = "created_at"
    order: str = "desc"
    limit: int = 50
    offset: int = 0
    after: Position | None = None  # keyset: start after this (sort value, id)


class Shape(NamedTuple):
    """Which filters a list has (each a condition of its statements)."""

    status: bool
    company: bool
    search: bool
    tags: bool
    created_after: bool
    created_before: bool
    updated_after: bool
    updated_before: bool
    has_email: bool | None


def shape_of(filters: LeadFilters) -> Shape:
    return Shape(
        bool(filters.status),
        bool(filters.company),
        bool(filters.search),
        bool(filters.tags),
        filters.created_after is not None,
        filters.created_before is not None,
        filters.updated_after is not None,
        filters.updated_before is not None,
        filters.has_email,
    )


def _contains(term: str) -> str:
    """A LIKE pattern matching ``term`` anywhere, case-folded, wildcards escaped."""
    escaped = term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# Any of the given tags (a JSON array of strings, bound as text) among the lead's tags.
_TAGS_ANY = {
    "postgresql": text(
        "EXISTS (SELECT 1 FROM json_array_elements_text(leads.tags) AS held(tag) "
        "WHERE held.tag IN (SELECT json_array_elements_text(CAST(:tags_any AS JSON))))"
    ),
    "sqlite": text(
        "EXISTS (SELECT 1 FROM json_each(leads.tags) AS held "
        "WHERE held.value IN (SELECT value FROM json_each(:tags_any)))"
    ),
}


@cache
def conditions(shape: Shape, dialect: str) -> tuple[ColumnElement[bool], ...]:
    found: list[ColumnElement[bool]] = [leads.c.account_id == bindparam("account_id")]
    if shape.status:
        found.append(leads.c.status == bindparam("status"))
    if shape.company:
        found.append(leads.c.company_lower.like(bindparam("company_pattern"), "\\"))
    if shape.search:
        # "first last" contains the first name and the last name, so one column serves all
        # three; the email has its own.
        pattern: BindParameter[str] = bindparam("search_pattern")
        found.append(
            or_(
                leads.c.full_name_lower.like(pattern, "\\"), leads.c.email_lower.like(pattern, "\\")
            )
        )
    if shape.tags:
        found.append(cast(ColumnElement[bool], _TAGS_ANY[dialect]))
    for name, column, later in (
        ("created_after", leads.c.created_at, True),
        ("created_before", leads.c.created_at, False),
        ("updated_after", leads.c.updated_at, True),
        ("updated_before", leads.c.updated_at, False),
    ):
        if getattr(shape, name):
            bound = bindparam(name, type_=column.type)
            found.append(column > bound if later else column < bound)
    if shape.has_email is not None:
        # Every lead has an email (it is required): true keeps all, false none.
        found.append(true() if shape.has_email else false())
    return tuple(found)


def _list_options(pattern: bool) -> dict[str, bool]:
    """A page or count may read many rows; with a pattern, its plan depends on the pattern."""
    return {HEAVY_OPTION: True, PLAN_PER_VALUE_OPTION: pattern}


@cache
def page_statement(
    shape: Shape, dialect: str, sort: str, ascending: bool, after: bool, offset: bool
) -> Select[Any]:
    statement = _ordered(LEAD_COLUMNS, shape, dialect, sort, ascending, after)
    if offset:
        statement = statement.offset(bindparam("offset"))
    return statement.execution_options(**_list_options(shape.company or shape.search))


# PostgreSQL: a page's columns for an export, the JSON ones as the text they are stored as
# (leads/encoded.py says why that text is the API's encoding), the times as UTC text with a
# "T" ("2024-01-02T03:04:05.12"; the connections' DateStyle is ISO, kit/db.py) which
# ``reads.exported_time`` completes into the API's form: asyncpg builds a datetime in Python
# code (~0.45 us each, two a lead: the largest part of the server's cost per exported lead),
# PostgreSQL writes the text for ~0.4 (docs/design.md).
def _export_column(column: ColumnElement[Any]) -> ColumnElement[Any]:
    if isinstance(column.type, JSON):
        return cast(ColumnElement[Any], sql_cast(column, Text()))
    if isinstance(column.type, UTCDateTime):
        utc = sql_cast(func.timezone(literal_column("'UTC'"), column), Text())
        return func.replace(utc, literal_column("' '"), literal_column("'T'")).label(column.name)
    return column


_EXPORT_COLUMNS = tuple(_export_column(column) for column in LEAD_COLUMNS)


@cache
def export_statement(
    shape: Shape, dialect: str, sort: str, ascending: bool, after: bool
) -> Select[Any]:
    """The leads of a page as ``page_statement`` selects them, for an export: on SQLite each
    as its JSON (``leads/encoded.py``), on PostgreSQL with the JSON columns as text."""
    columns = _EXPORT_COLUMNS if dialect == "postgresql" else (LEAD_JSON,)
    statement = _ordered(columns, shape, dialect, sort, ascending, after)
    return statement.execution_options(**_list_options(shape.company or shape.search))


def _ordered(
    columns: tuple[ColumnElement[Any], ...],
    shape: Shape,
    dialect: str,
    sort: str,
    ascending: bool,
    after: bool,
) -> Select[Any]:
    column: ColumnElement[Any] = leads.c[SORT_COLUMNS.get(sort, sort)]
    where = list(conditions(shape, dialect))
    if after:
        # Keyset: rows strictly past the last one seen, in (sort value, id) order, which the
        # (account_id, <sort column>, id) indexes serve directly at any depth.
        position = tuple_(column, leads.c.id)
        start = tuple_(bindparam("after_value", type_=column.type), bindparam("after_id"))
        where.append(position > start if ascending else position < start)
    # The id breaks ties so that consecutive pages never overlap or skip a lead.
    ordering = (column.asc(), leads.c.id.asc()) if ascending else (column.desc(), leads.c.id.desc())
    statement = select(*columns).select_from(leads).where(*where).order_by(*ordering)
    return statement.limit(bindparam("limit"))


_COUNTED_SHAPE = Shape(True, False, False, False, False, False, False, False, None)


@cache
def total_statement(shape: Shape, dialect: str) -> Select[Any]:
    if shape._replace(status=True) != _COUNTED_SHAPE:
        return (
            select(func.count())
            .select_from(leads)
            .where(*conditions(shape, dialect))
            .execution_options(**_list_options(True))
        )
    # Unfiltered or status-only: the maintained counters are exact.
    return select(func.coalesce(func.sum(lead_counts.c.count), 0)).where(
        lead_counts.c.account_id == bindparam("account_id"),
        *([lead_counts.c.status == bindparam("status")] if shape.status else []),
    )


@cache
def custom_keys_statement(shape: Shape, dialect: str) -> Select[Any]:
    """The custom field keys found among the leads a list holds, sorted."""
    if dialect == "postgresql":  # a set of text, named here
        found = func.json_object_keys(leads.c.custom_fields).table_valued("key").render_derived()
    else:  # a table with a column "key" (SQLite names no columns of an alias)
        found = func.json_each(leads.c.custom_fields).table_valued("key")
    return (
        select(found.c.key)
        .select_from(leads)
        .join(found, true())
        .where(*conditions(shape, dialect))
        .distinct()
        .order_by(found.c.key)
        .execution_options(**_list_options(True))
    )


def list_values(account_id: str, filters: LeadFilters) -> dict[str, Any]:
    """The values of a list's conditions (its page adds ``limit``, ``offset``, ``after_*``)."""
    values: dict[str, Any] = {"account_id": account_id}
    if filters.status:
        values["status"] = filters.status
    if filters.company:
        values["company_pattern"] = _contains(filters.company)
    if filters.search:
        values["search_pattern"] = _contains(filters.search)
    if filters.tags:
        values["tags_any"] = encode_json_text(list(filters.tags))
    for name in ("created_after", "created_before", "updated_after", "updated_before"):
        if getattr(filters, name) is not None:
            values[name] = getattr(filters, name)
    return values


def sort_value(lead: Lead, sort: str) -> Any:
    """The value a lead sorts by, as its sort column holds it (names lower-cased)."""
    value = getattr(lead, sort)
    return value.lower() if sort in SORT_COLUMNS else value
