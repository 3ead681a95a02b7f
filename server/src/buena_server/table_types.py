"""What every table of the schema shares: the metadata (its naming convention) and the
column type of every time (aware UTC datetimes on both databases)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect, MetaData, TypeDecorator

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every dialect (SQLite has no time zone type)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def bind_processor(self, dialect: Dialect) -> Any:
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        def process(value: datetime | None) -> str | None:
            return None if value is None else sqlite_time_text(value)

        return process

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        if dialect.name != "sqlite":
            if self.impl_instance.result_processor(dialect, coltype) is not None:
                return super().result_processor(dialect, coltype)

            # The driver's own aware datetimes (asyncpg's are UTC already): returned as they
            # are rather than converted again, 50 times per page of leads.
            def process_aware(value: datetime | None) -> datetime | None:
                if value is None or value.tzinfo is UTC:
                    return value
                return _as_utc(value)

            return process_aware

        # SQLAlchemy's SQLite format ("2026-11-28 23:05:44.372682", naive UTC) read by the C
        # ISO parser instead of SQLAlchemy's regular expression (~3 µs less per value), with
        # its offset appended so that it comes out aware: a sixth of the cost of parsing it
        # naive and replacing its tzinfo (0.15 against 0.9 µs). Anything else (a string with
        # an offset of its own) is parsed as it is and converted.
        def process(value: str | datetime | None) -> datetime | None:
            if value is None:
                return None
            if isinstance(value, str):
                try:
                    return datetime.fromisoformat(value + "+00:00")
                except ValueError:
                    value = datetime.fromisoformat(value)
            return _as_utc(value)

        return process

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else _as_utc(value)


def sqlite_time_text(value: datetime) -> str:
    """A time as SQLite stores it (the bind processor's text, and what the batch's rows,
    bound as they are, hold): SQLAlchemy's SQLite text ("2026-11-28 23:05:44.372682": naive
    UTC, microseconds always written), its fields formatted from a tuple: ~0.9 µs a value,
    against ~2 for making it naive and writing it by isoformat, and ~2 for SQLAlchemy's
    formatting from a dict of the fields. test_tables.py holds the two equal."""
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the database")
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return _SQLITE_TIME % (
        value.year, value.month, value.day, value.hour, value.minute, value.second,
        value.microsecond,
    )  # fmt: skip


_SQLITE_TIME = "%04d-%02d-%02d %02d:%02d:%02d.%06d"


def _as_utc(value: datetime) -> datetime:
    """A stored datetime as an aware UTC one (naive ones are stored in UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
