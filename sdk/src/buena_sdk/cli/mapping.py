"""From a spreadsheet's columns to lead fields: the automatic header mapping, ``--map``
overrides, and the conversion of one row into the body of one lead.

A column maps to a lead field when its name, compared without case, spaces or punctuation,
is one of the field's usual names ("First Name", "first_name", "Given name" →
``first_name``; "E-mail", "Email Address" → ``email``). ``custom_fields.<key>`` (the export's
columns) maps to that custom field; ``id``, ``created_at`` and ``updated_at`` (also the
export's) are the server's and are skipped; ``_line`` and ``_error`` (the failed-rows file's)
are skipped; every other column becomes a custom field under its own name.
"""

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from buena_sdk.models import CreateLeadRequest

# The fields a row may set, in the order of the API's CreateLeadRequest.
LEAD_FIELDS = tuple(name for name in CreateLeadRequest.model_fields if name != "custom_fields")
CUSTOM_PREFIX = "custom_fields."
# The columns the failed-rows file adds: where the row was, and why it failed.
LINE_COLUMN = "_line"
ERROR_COLUMN = "_error"
SKIP = "-"
_SKIPPED_BY_DEFAULT = {"id", "created_at", "updated_at", LINE_COLUMN, ERROR_COLUMN}

# Every spelling is compared after _normalise (lower case, runs of non-alphanumerics gone).
_ALIASES = {
    "first_name": ("firstname", "first", "givenname", "forename", "fname"),
    "last_name": ("lastname", "last", "surname", "familyname", "lname"),
    "email": ("email", "emailaddress", "mail", "workemail", "businessemail"),
    "company": ("company", "companyname", "organization", "organisation", "employer"),
    "phone": ("phone", "phonenumber", "telephone", "tel", "mobile", "mobilephone"),
    "linkedin_url": ("linkedinurl", "linkedin", "linkedinprofile", "linkedinprofileurl"),
    "job_title": ("jobtitle", "title", "position", "role"),
    "location": ("location", "city", "address"),
    "notes": ("notes", "note", "comments", "comment"),
    "tags": ("tags", "tag", "labels"),
    "status": ("status", "leadstatus"),
}
_BY_ALIAS = {alias: field for field, aliases in _ALIASES.items() for alias in aliases}


def _normalise(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", name.lower())


def auto_target(column: str) -> str:
    """Where a column goes by default: a lead field, ``custom_fields.<key>``, or ``-``."""
    name = column.strip()
    if name == "custom_fields":  # a JSON record's whole object
        return name
    if name.startswith(CUSTOM_PREFIX) and len(name) > len(CUSTOM_PREFIX):
        return name
    if name.lower() in _SKIPPED_BY_DEFAULT:
        return SKIP
    field = _BY_ALIAS.get(_normalise(name))
    if field is not None:
        return field
    return CUSTOM_PREFIX + name if name else SKIP


class MappingError(ValueError):
    """A ``--map`` that names no field."""


def parse_overrides(pairs: Iterable[str]) -> dict[str, str]:
    """``--map column=field`` options as a dict; field is a lead field,
    ``custom_fields.<key>``, or ``-`` to skip the column."""
    overrides: dict[str, str] = {}
    for pair in pairs:
        column, sep, target = pair.partition("=")
        column, target = column.strip(), target.strip()
        if not sep or not column or not target:
            raise MappingError(f"--map {pair!r}: expected COLUMN=FIELD")
        if target not in LEAD_FIELDS and target != SKIP and not target.startswith(CUSTOM_PREFIX):
            fields = ", ".join(LEAD_FIELDS)
            raise MappingError(
                f"--map {pair!r}: {target!r} is not a lead field ({fields}), "
                f"custom_fields.<key> or '-'"
            )
        overrides[column] = target
    return overrides


# What a column's cells become (decided once per column, not once per cell).
_FIELD, _SKIP, _TAGS, _CUSTOM, _CUSTOM_JSON, _CUSTOM_OBJECT = range(6)


@dataclass
class ColumnMapping:
    """The target of each column seen so far (JSON objects may each bring new keys)."""

    overrides: Mapping[str, str]

    def __post_init__(self) -> None:
        self._plans: dict[str, tuple[int, str]] = {}

    def target(self, column: str) -> str:
        return self.overrides.get(column) or auto_target(column)

    def describe(self, columns: Sequence[str]) -> list[tuple[str, str]]:
        return [(column, self.target(column)) for column in columns]

    def _plan(self, column: str) -> tuple[int, str]:
        target = self.target(column)
        if target == SKIP:
            plan = (_SKIP, "")
        elif target == "custom_fields":
            plan = (_CUSTOM_OBJECT, "")
        elif target.startswith(CUSTOM_PREFIX):
            # The export's own columns hold JSON for values that are not strings.
            explicit = column.strip().startswith(CUSTOM_PREFIX)
            plan = (_CUSTOM_JSON if explicit else _CUSTOM, target[len(CUSTOM_PREFIX) :])
        elif target == "tags":
            plan = (_TAGS, target)
        else:
            plan = (_FIELD, target)
        self._plans[column] = plan
        return plan

    def to_lead(self, record: Mapping[str, Any], *, from_text: bool) -> dict[str, Any]:
        """The lead fields of ``record``. Empty cells are left out (so an upsert leaves
        those fields as they are). ``from_text``: the values are a CSV's strings."""
        lead: dict[str, Any] = {}
        custom: dict[str, Any] = {}
        plans = self._plans
        for column, value in record.items():
            if value is None or value == "":
                continue
            kind, name = plans.get(column) or self._plan(column)
            if kind == _FIELD:
                lead[name] = value.strip() if isinstance(value, str) else value
            elif kind == _SKIP:
                continue
            elif kind == _CUSTOM:
                custom[name] = value
            elif kind == _CUSTOM_JSON:
                custom[name] = custom_value(value) if from_text else value
            elif kind == _TAGS:
                lead["tags"] = split_tags(value) if isinstance(value, str) else value
            elif isinstance(value, dict):
                custom = {**value, **custom}
        if custom:
            lead["custom_fields"] = custom
        return lead


def split_tags(value: str) -> list[str]:
    """Tags from one cell: split on ``|`` (the export's separator), else on commas."""
    separator = "|" if "|" in value else ","
    return [tag.strip() for tag in value.split(separator) if tag.strip()]


def custom_value(text: str) -> Any:
    """A ``custom_fields.<key>`` cell: the export writes values that are not strings as
    JSON (numbers, true/false, lists, objects), so those are read back as JSON, as is a
    JSON string in quotes (how a string that would read as a number can be written);
    anything else is the string itself. A CSV cannot tell the string "42" written bare from
    the number 42: NDJSON keeps every type exactly."""
    stripped = text.strip()
    if (
        stripped[:1] in '[{"'
        or stripped in ("true", "false", "null")
        or _NUMBER.fullmatch(stripped)
    ):
        try:
            return json.loads(stripped)
        except ValueError:
            return text
    return text


# A JSON number, without leading zeros (so "02134", a zip code, stays a string).
_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
