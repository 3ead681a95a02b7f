"""Reading the rows of an import file (CSV, a JSON array, NDJSON) with their line numbers,
and writing the failed ones back in the same format, ready to fix and import again."""

import csv
import io
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from buena_sdk.cli.mapping import ERROR_COLUMN, LINE_COLUMN

FORMATS = {".csv": "csv", ".json": "json", ".ndjson": "ndjson", ".jsonl": "ndjson"}


class SourceError(ValueError):
    """The file cannot be read as its format says."""


@dataclass(frozen=True)
class Row:
    """One record of the file: where it starts (the line for CSV and NDJSON, the item's
    position for a JSON array) and its values as read."""

    line: int
    values: dict[str, Any]


def format_of(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise SourceError(f"{path}: unknown file type (use .csv, .json, .ndjson or .jsonl)")
    return fmt


class Source:
    """The rows of one file. ``columns`` is the CSV header (or, for JSON, the keys of the
    first object), known once iteration has started."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.format = format_of(path)
        self.columns: list[str] = []

    def rows(self) -> Iterator[Row]:
        if self.format == "csv":
            return self._csv_rows()
        if self.format == "ndjson":
            return self._ndjson_rows()
        return self._json_rows()

    def count(self) -> int:
        """How many rows there are (a quick pass, for the progress bar's total)."""
        if self.format == "csv":
            with self.path.open(newline="", encoding="utf-8-sig") as file:
                return max(sum(1 for cells in csv.reader(file) if cells) - 1, 0)
        if self.format == "ndjson":
            with self.path.open("rb") as file:
                return sum(1 for line in file if line.strip())
        return len(self._json_items())

    def _csv_rows(self) -> Iterator[Row]:
        with self.path.open(newline="", encoding="utf-8-sig") as file:
            reader = csv.reader(file)
            try:
                self.columns = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise SourceError(f"{self.path}: {exc}") from exc
            start = reader.line_num + 1
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    raise SourceError(f"{self.path}, line {start}: {exc}") from exc
                if cells:
                    yield Row(start, dict(zip(self.columns, cells)))
                start = reader.line_num + 1

    def _ndjson_rows(self) -> Iterator[Row]:
        with self.path.open(encoding="utf-8-sig") as file:
            for number, text in enumerate(file, start=1):
                if not text.strip():
                    continue
                try:
                    value = json.loads(text)
                except ValueError as exc:
                    raise SourceError(f"{self.path}, line {number}: not JSON ({exc})") from exc
                yield Row(number, self._object(value, f"line {number}"))

    def _json_rows(self) -> Iterator[Row]:
        for number, value in enumerate(self._json_items(), start=1):
            yield Row(number, self._object(value, f"item {number}"))

    def _json_items(self) -> list[Any]:
        try:
            with self.path.open(encoding="utf-8-sig") as file:
                document = json.load(file)
        except ValueError as exc:
            raise SourceError(f"{self.path}: not JSON ({exc})") from exc
        if isinstance(document, dict):
            # An API answer ({"data": [...]}) or {"leads": [...]} works too.
            document = document.get("leads", document.get("data"))
        if not isinstance(document, list):
            raise SourceError(f"{self.path}: expected a JSON array of lead objects")
        return document

    def _object(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise SourceError(f"{self.path}, {where}: expected a JSON object")
        if not self.columns:
            self.columns = list(value)
        return value


@dataclass(frozen=True)
class FailedRow:
    line: int
    values: dict[str, Any]
    reason: str


def default_failed_path(path: Path) -> Path:
    """``leads.csv`` → ``leads.failed.csv``, beside the input."""
    return path.with_name(f"{path.stem}.failed{path.suffix}")


def write_failed(path: Path, fmt: str, columns: Sequence[str], failed: Sequence[FailedRow]) -> None:
    """The failed rows, in line order, in the input's format with ``_line`` and ``_error``
    added (columns the import skips, so the file imports as it is once fixed)."""
    ordered = sorted(failed, key=lambda row: row.line)
    buffer = io.StringIO()
    if fmt == "csv":
        names = [c for c in columns if c not in (LINE_COLUMN, ERROR_COLUMN)]
        for row in ordered:
            names.extend(k for k in row.values if k not in names and k not in _META)
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([*names, LINE_COLUMN, ERROR_COLUMN])
        for row in ordered:
            cells = [_cell(row.values.get(name)) for name in names]
            writer.writerow([*cells, row.line, row.reason])
    else:
        items = [{**_without_meta(r.values), LINE_COLUMN: r.line, ERROR_COLUMN: r.reason}
                 for r in ordered]  # fmt: skip
        if fmt == "json":
            json.dump(items, buffer, indent=2, ensure_ascii=False)
            buffer.write("\n")
        else:
            for item in items:
                buffer.write(json.dumps(item, ensure_ascii=False) + "\n")
    partial = path.with_name(path.name + ".part")
    partial.write_text(buffer.getvalue(), encoding="utf-8")
    os.replace(partial, path)


_META = (LINE_COLUMN, ERROR_COLUMN)


def _without_meta(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k not in _META}


def _cell(value: Optional[Any]) -> str:
    return "" if value is None else str(value)
