"""UTCDateTime: what SQLite hands back comes out as the aware UTC datetime that went in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import DateTime
from sqlalchemy.dialects import sqlite

from buena_server.tables import UTCDateTime

from backends import SQLITE_PASS_ONLY

pytestmark = SQLITE_PASS_ONLY

DIALECT = sqlite.dialect()
# What the driver uses (driver.StatementCompiler): the type's processors for this dialect.
BIND = UTCDateTime().dialect_impl(DIALECT).bind_processor(DIALECT)
RESULT = UTCDateTime().dialect_impl(DIALECT).result_processor(DIALECT, None)


@given(st.datetimes(timezones=st.just(UTC)))
def test_what_is_stored_reads_back_equal_and_aware(moment: datetime) -> None:
    assert BIND is not None
    assert RESULT is not None
    stored = BIND(moment)  # SQLAlchemy's SQLite text: "YYYY-MM-DD HH:MM:SS.ffffff", naive UTC
    assert isinstance(stored, str)
    read = RESULT(stored)
    assert read == moment
    assert read.utcoffset() == timedelta(0)


@given(st.datetimes(timezones=st.timezones() | st.just(UTC)))
def test_values_are_stored_as_sqlalchemy_stores_them(moment: datetime) -> None:
    # SQLAlchemy's own processors: the type's process_bind_param, then SQLite's DateTime.
    naive = UTCDateTime().process_bind_param(moment, DIALECT)
    sqlalchemys = DateTime().dialect_impl(DIALECT).bind_processor(DIALECT)
    assert BIND is not None
    assert sqlalchemys is not None
    assert BIND(moment) == sqlalchemys(naive)


def test_naive_values_are_refused() -> None:
    assert BIND is not None
    with pytest.raises(ValueError, match="naive"):
        BIND(datetime(2026, 1, 1))
    assert BIND(None) is None


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ("2026-11-28 23:05:44.372682", datetime(2026, 11, 28, 23, 5, 44, 372682, UTC)),
        ("2026-11-28 23:05:44", datetime(2026, 11, 28, 23, 5, 44, tzinfo=UTC)),
        # Written by something else, with an offset of its own: converted, not refused.
        ("2026-11-29T01:05:44+02:00", datetime(2026, 11, 28, 23, 5, 44, tzinfo=UTC)),
        ("2026-11-28T23:05:44Z", datetime(2026, 11, 28, 23, 5, 44, tzinfo=UTC)),
        (datetime(2026, 11, 28, 23, 5, 44), datetime(2026, 11, 28, 23, 5, 44, tzinfo=UTC)),
        (
            datetime(2026, 11, 29, 1, 5, 44, tzinfo=timezone(timedelta(hours=2))),
            datetime(2026, 11, 28, 23, 5, 44, tzinfo=UTC),
        ),
        (None, None),
    ],
)
def test_other_forms_are_read_as_utc(stored: object, expected: datetime | None) -> None:
    assert RESULT is not None
    read = RESULT(stored)
    assert read == expected
    if read is not None:
        assert read.utcoffset() == timedelta(0)
