"""The import's column mapping, row conversion, files and failed-rows file (no server)."""

import csv
import json
from pathlib import Path

import pytest

from buena_sdk.cli.mapping import (
    ColumnMapping,
    MappingError,
    auto_target,
    custom_value,
    parse_overrides,
    split_tags,
)
from buena_sdk.cli.sources import FailedRow, Source, SourceError, default_failed_path, write_failed


@pytest.mark.parametrize(
    ("column", "target"),
    [
        ("First Name", "first_name"),
        ("first_name", "first_name"),
        ("Given name", "first_name"),
        ("Surname", "last_name"),
        ("E-mail", "email"),
        ("Email Address", "email"),
        ("Job Title", "job_title"),
        ("LinkedIn URL", "linkedin_url"),
        ("Phone Number", "phone"),
        ("Company Name", "company"),
        ("Tags", "tags"),
        ("custom_fields.score", "custom_fields.score"),
        ("Favourite Colour", "custom_fields.Favourite Colour"),
        ("id", "-"),
        ("created_at", "-"),
        ("_line", "-"),
        ("_error", "-"),
    ],
)
def test_headers_map_where_obvious(column: str, target: str) -> None:
    assert auto_target(column) == target


def test_overrides_win_and_are_checked() -> None:
    mapping = ColumnMapping(parse_overrides(["Mail=email", "Title=custom_fields.title", "X=-"]))
    lead = mapping.to_lead(
        {"Mail": "a@x.io", "Title": "Dr", "X": "skip me", "Name": "Ann"}, from_text=True
    )
    assert lead == {"email": "a@x.io", "custom_fields": {"title": "Dr", "Name": "Ann"}}
    with pytest.raises(MappingError, match="not a lead field"):
        parse_overrides(["Mail=e_mail"])
    with pytest.raises(MappingError, match="COLUMN=FIELD"):
        parse_overrides(["Mail"])


def test_a_csv_row_becomes_a_lead() -> None:
    mapping = ColumnMapping({})
    row = {
        "First Name": " Ann ",
        "Last Name": "Lee",
        "Email": "ann@x.io",
        "Phone": "",
        "Tags": "vip | 2024",
        "custom_fields.budget": "50000",
        "custom_fields.zip": "02134",
        "custom_fields.flags": '{"a": true}',
        "Notes about": "met at fair",
    }
    assert mapping.to_lead(row, from_text=True) == {
        "first_name": "Ann",
        "last_name": "Lee",
        "email": "ann@x.io",
        "tags": ["vip", "2024"],
        "custom_fields": {
            "budget": 50000,
            "zip": "02134",
            "flags": {"a": True},
            # An unknown column is a custom field, and stays text.
            "Notes about": "met at fair",
        },
    }


def test_a_json_record_keeps_its_types() -> None:
    record = {
        "id": "lead_1",
        "first_name": "Ann",
        "tags": ["a", "b"],
        "custom_fields": {"n": 1},
        "phone": None,
        "created_at": "2026-01-01T00:00:00Z",
    }
    lead = ColumnMapping({}).to_lead(record, from_text=False)
    assert lead == {"first_name": "Ann", "tags": ["a", "b"], "custom_fields": {"n": 1}}


def test_tags_split_on_bars_else_commas() -> None:
    assert split_tags("a|b, c") == ["a", "b, c"]
    assert split_tags("a, b,,c") == ["a", "b", "c"]
    assert custom_value("true") is True
    assert custom_value("12.5") == 12.5
    assert custom_value("[1") == "[1"
    assert custom_value("hello") == "hello"
    assert custom_value('"42"') == "42"


def test_csv_rows_carry_their_starting_line(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text('a,b\n1,"two\nlines"\n\n3,4\n', encoding="utf-8")
    source = Source(path)
    rows = list(source.rows())
    assert [(r.line, r.values) for r in rows] == [
        (2, {"a": "1", "b": "two\nlines"}),
        (5, {"a": "3", "b": "4"}),
    ]
    assert source.columns == ["a", "b"]
    assert source.count() == 2


def test_json_and_ndjson_rows(tmp_path: Path) -> None:
    array = tmp_path / "in.json"
    array.write_text(json.dumps({"data": [{"a": 1}, {"a": 2}]}))
    assert [(r.line, r.values) for r in Source(array).rows()] == [(1, {"a": 1}), (2, {"a": 2})]
    lines = tmp_path / "in.ndjson"
    lines.write_text('{"a": 1}\n\n{"a": 2}\n')
    assert [r.line for r in Source(lines).rows()] == [1, 3]
    lines.write_text('{"a": 1}\nnope\n')
    with pytest.raises(SourceError, match="line 2"):
        list(Source(lines).rows())
    with pytest.raises(SourceError, match="unknown file type"):
        Source(tmp_path / "in.xlsx")


def test_failed_rows_file_imports_as_it_is(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    failed_path = default_failed_path(source)
    assert failed_path.name == "in.failed.csv"
    failed = [
        FailedRow(9, {"Email": "bad", "Name": "B"}, "VALIDATION_ERROR (email): bad"),
        FailedRow(3, {"Email": "x@y.io", "Name": "A"}, "LEAD_EMAIL_EXISTS (email): exists"),
    ]
    write_failed(failed_path, "csv", ["Email", "Name"], failed)
    with failed_path.open(newline="") as file:
        rows = list(csv.DictReader(file))
    assert [(r["_line"], r["Email"]) for r in rows] == [("3", "x@y.io"), ("9", "bad")]
    # Read back for a second import, the added columns are skipped by the mapping.
    again = list(Source(failed_path).rows())
    assert ColumnMapping({}).to_lead(again[0].values, from_text=True) == {
        "email": "x@y.io",
        "custom_fields": {"Name": "A"},
    }
    ndjson = tmp_path / "in.failed.ndjson"
    write_failed(ndjson, "ndjson", [], failed)
    first = json.loads(ndjson.read_text().splitlines()[0])
    assert first == {"Email": "x@y.io", "Name": "A", "_line": 3, "_error": failed[1].reason}
