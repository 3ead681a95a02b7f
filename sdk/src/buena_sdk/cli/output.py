"""What the commands print: rich tables for people, ``--json`` for programs, and the
one-line errors."""

import json
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Optional, Union

from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

# Tables go to stdout; progress, notes and errors to stderr, so stdout stays clean for pipes.
stdout = Console(soft_wrap=True)
stderr = Console(stderr=True, soft_wrap=True)

Item = Union[BaseModel, dict[str, Any]]


def as_data(item: Any) -> Any:
    if isinstance(item, BaseModel):
        return item.model_dump(mode="json")
    if isinstance(item, (list, tuple)):
        return [as_data(value) for value in item]
    return item


def print_json(item: Any) -> None:
    """JSON on stdout, exactly (not through rich, which would wrap long lines)."""
    sys.stdout.write(json.dumps(as_data(item), indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def table(items: Sequence[BaseModel], columns: Sequence[str], title: Optional[str] = None) -> None:
    grid = Table(title=title, show_lines=False, header_style="bold")
    for column in columns:
        # Ids stay whole, to be copied; other cells fold to fit the terminal.
        grid.add_column(column, overflow="fold", no_wrap=column == "id")
    for item in items:
        grid.add_row(*(cell(getattr(item, column, None)) for column in columns))
    stdout.print(grid)


def record(item: Item) -> None:
    """One object as a two-column table of its fields."""
    data = item.model_dump() if isinstance(item, BaseModel) else item
    grid = Table(show_header=False, box=None, padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")
    for name, value in data.items():
        grid.add_row(name, cell(value))
    stdout.print(grid)


def show(item: Item, as_json: bool) -> None:
    if as_json:
        print_json(item)
    else:
        record(item)


def note(text: str) -> None:
    """A remark for the person at the terminal (stderr)."""
    stderr.print(text, highlight=False, markup=False)


def error_line(text: str) -> None:
    sys.stderr.write(f"Error: {text}\n")
    sys.stderr.flush()


def page(found: Any, columns: Sequence[str], noun: str, as_json: bool) -> None:
    """One page of a list: JSON, or a table and "N of TOTAL <noun>" on stderr."""
    if as_json:
        print_json(found)
        return
    table(found.data, columns)
    note(f"{len(found.data)} of {found.total} {noun}")
