"""``buena events list / get``."""

from datetime import datetime
from typing import Optional

import click

from buena_sdk.cli import output
from buena_sdk.cli.app import ISO_DATETIME, Cli, cli, pass_cli
from buena_sdk.models import EVENT_TYPES

EVENT_COLUMNS = ("id", "type", "created_at")


@cli.group()
def events() -> None:
    """Events: what happened in the account."""


@events.command("list")
@click.option("--type", "event_type", type=click.Choice(EVENT_TYPES))
@click.option("--created-after", type=ISO_DATETIME)
@click.option("--created-before", type=ISO_DATETIME)
@click.option("--limit", type=click.IntRange(1, 100), default=50, show_default=True)
@click.option("--offset", type=click.IntRange(min=0), default=0)
@click.option("--json", "as_json", is_flag=True)
@pass_cli
def list_events(state: Cli, /, event_type: Optional[str], created_after: Optional[datetime],
                created_before: Optional[datetime], limit: int, offset: int,
                as_json: bool) -> None:  # fmt: skip
    """A page of events, newest first."""
    page = state.api().list_events(limit, offset, event_type, created_after, created_before)
    output.page(page, EVENT_COLUMNS, "events", as_json)


@events.command("get")
@click.argument("event_id")
@pass_cli
def get_event(state: Cli, /, event_id: str) -> None:
    """One event, as JSON (its data is the object as it was)."""
    output.print_json(state.api().get_event(event_id))
