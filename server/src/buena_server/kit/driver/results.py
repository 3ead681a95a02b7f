"""Statement results: the part of SQLAlchemy's ``Result`` the repositories use."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import exc as sa_exc


class Result:
    """The rows (already converted) and row count of one statement."""

    __slots__ = ("_all_by_start", "_by_start", "_keys", "_rows", "rowcount")

    def __init__(self, keys: Sequence[str], rows: list[tuple[Any, ...]], rowcount: int) -> None:
        self._keys = tuple(keys)
        self._rows = rows
        self.rowcount = rowcount
        # By how many leading columns: each row by their values (``row_starting``).
        self._by_start: dict[int, dict[tuple[Any, ...], tuple[Any, ...]]] | None = None
        # The same, every row with those values (``rows_starting``).
        self._all_by_start: dict[int, dict[tuple[Any, ...], list[tuple[Any, ...]]]] | None = None

    def row_starting(self, *values: Any) -> tuple[Any, ...] | None:
        """The first row whose leading columns are ``values``, or None. The blocks of a
        statement group share one result and each looks up its own row: indexed once, a
        group of n rows costs n lookups rather than n scans of n rows."""
        width = len(values)
        if self._by_start is None:
            self._by_start = {}
        index = self._by_start.get(width)
        if index is None:
            index = self._by_start[width] = {}
            for row in self._rows:
                index.setdefault(tuple(row[:width]), row)
        return index.get(values)

    def rows_starting(self, *values: Any) -> list[tuple[Any, ...]]:
        """Every row whose leading columns are ``values``, in result order (the blocks of a
        group whose statement returns several rows each; indexed once, as ``row_starting``)."""
        width = len(values)
        if self._all_by_start is None:
            self._all_by_start = {}
        index = self._all_by_start.get(width)
        if index is None:
            index = self._all_by_start[width] = {}
            for row in self._rows:
                index.setdefault(tuple(row[:width]), []).append(row)
        return index.get(values, [])

    def all(self) -> list[tuple[Any, ...]]:
        return self._rows

    def first(self) -> tuple[Any, ...] | None:
        return self._rows[0] if self._rows else None

    def mappings(self) -> Mappings:
        return Mappings(self._keys, self._rows)

    def scalars(self) -> Scalars:
        return Scalars([row[0] for row in self._rows])

    def scalar(self) -> Any:
        return self._rows[0][0] if self._rows else None

    def scalar_one(self) -> Any:
        if len(self._rows) != 1:
            raise (sa_exc.NoResultFound if not self._rows else sa_exc.MultipleResultsFound)(
                f"expected exactly one row, got {len(self._rows)}"
            )
        return self._rows[0][0]

    def scalar_one_or_none(self) -> Any:
        if len(self._rows) > 1:
            raise sa_exc.MultipleResultsFound(f"expected at most one row, got {len(self._rows)}")
        return self._rows[0][0] if self._rows else None


class Mappings:
    __slots__ = ("_keys", "_rows")

    def __init__(self, keys: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        self._keys = keys
        self._rows = rows

    def __iter__(self) -> Iterator[dict[str, Any]]:
        keys = self._keys
        return (dict(zip(keys, row, strict=True)) for row in self._rows)

    def all(self) -> list[dict[str, Any]]:
        return list(self)

    def first(self) -> dict[str, Any] | None:
        return dict(zip(self._keys, self._rows[0], strict=True)) if self._rows else None


class Scalars:
    __slots__ = ("_values",)

    def __init__(self, values: list[Any]) -> None:
        self._values = values

    def all(self) -> list[Any]:
        return self._values

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)
