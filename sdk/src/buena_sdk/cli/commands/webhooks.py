"""``buena webhooks list / get / create / update / delete / rotate-secret / deliveries /
redeliver``."""

from typing import Any, Optional, get_args

import click

from buena_sdk.cli import output
from buena_sdk.cli.app import Cli, cli, fail, pass_cli
from buena_sdk.models import (
    CreateWebhookRequest,
    RotateWebhookSecretRequest,
    UpdateWebhookRequest,
)
from buena_sdk.models.literals import DeliveryStatus
from buena_sdk.pagination import paginate_webhooks

WEBHOOK_COLUMNS = ("id", "url", "events", "is_active", "disabled_reason", "created_at")
DELIVERY_COLUMNS = ("id", "event_type", "status", "attempts", "last_status_code",
                    "next_attempt_at", "delivered_at")  # fmt: skip
JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


@cli.group()
def webhooks() -> None:
    """Webhooks: endpoints that receive the account's events."""


@webhooks.command("list")
@JSON_OPTION
@pass_cli
def list_webhooks(state: Cli, /, as_json: bool) -> None:
    """Every webhook of the account."""
    found = list(paginate_webhooks(state.api(), 100))
    if as_json:
        output.print_json(found)
    else:
        output.table(found, WEBHOOK_COLUMNS)


@webhooks.command("get")
@click.argument("webhook_id")
@JSON_OPTION
@pass_cli
def get_webhook(state: Cli, /, webhook_id: str, as_json: bool) -> None:
    """One webhook (without its secret)."""
    output.show(state.api().get_webhook(webhook_id), as_json)


@webhooks.command("create")
@click.option("--url", required=True, help="Absolute https URL to POST events to.")
@click.option("--event", "events", multiple=True, required=True,
              help="An event type, or * for all (repeat for more).")  # fmt: skip
@click.option("--description")
@click.option("--inactive", is_flag=True, help="Create it disabled.")
@JSON_OPTION
@pass_cli
def create_webhook(state: Cli, /, url: str, events: tuple[str, ...], description: Optional[str],
                   inactive: bool, as_json: bool) -> None:  # fmt: skip
    """Create a webhook; its signing secret is printed this once only."""
    request = CreateWebhookRequest(url=url, events=list(events), description=description)
    if inactive:
        request.is_active = False
    created = state.api().create_webhook(request)
    output.show(created, as_json)
    if not as_json:
        output.note("Save the secret now: it is not shown again.")


@webhooks.command("update")
@click.argument("webhook_id")
@click.option("--url")
@click.option("--event", "events", multiple=True, help="Replaces the event list (repeat).")
@click.option("--description")
@click.option("--active/--inactive", default=None, help="Enable or disable it.")
@JSON_OPTION
@pass_cli
def update_webhook(state: Cli, /, webhook_id: str, url: Optional[str], events: tuple[str, ...],
                   description: Optional[str], active: Optional[bool],
                   as_json: bool) -> None:  # fmt: skip
    """Change the given fields of a webhook."""
    fields: dict[str, Any] = {"url": url, "description": description, "is_active": active}
    fields = {name: value for name, value in fields.items() if value is not None}
    if events:
        fields["events"] = list(events)
    if not fields:
        fail("nothing to update: give --url, --event, --description or --active/--inactive")
    output.show(state.api().update_webhook(webhook_id, UpdateWebhookRequest(**fields)), as_json)


@webhooks.command("delete")
@click.argument("webhook_id")
@pass_cli
def delete_webhook(state: Cli, /, webhook_id: str) -> None:
    """Delete a webhook (its pending deliveries are dropped)."""
    state.api().delete_webhook(webhook_id)
    output.note(f"Deleted {webhook_id}")


@webhooks.command("rotate-secret")
@click.argument("webhook_id")
@click.option("--overlap-seconds", type=click.IntRange(0, 604800),
              help="How long the previous secret stays valid.")  # fmt: skip
@JSON_OPTION
@pass_cli
def rotate_secret(state: Cli, /, webhook_id: str, overlap_seconds: Optional[int],
                  as_json: bool) -> None:  # fmt: skip
    """A new signing secret (printed this once only)."""
    request = RotateWebhookSecretRequest()
    if overlap_seconds is not None:
        request.overlap_seconds = overlap_seconds
    output.show(state.api().rotate_webhook_secret(webhook_id, request), as_json)


@webhooks.command("deliveries")
@click.argument("webhook_id")
@click.option("--status", type=click.Choice(get_args(DeliveryStatus)))
@click.option("--limit", type=click.IntRange(1, 100), default=50, show_default=True)
@click.option("--offset", type=click.IntRange(min=0), default=0)
@JSON_OPTION
@pass_cli
def deliveries(state: Cli, /, webhook_id: str, status: Optional[DeliveryStatus], limit: int,
               offset: int, as_json: bool) -> None:  # fmt: skip
    """A page of a webhook's deliveries, newest first."""
    page = state.api().list_webhook_deliveries(webhook_id, limit, offset, status)
    output.page(page, DELIVERY_COLUMNS, "deliveries", as_json)


@webhooks.command("redeliver")
@click.argument("webhook_id")
@click.argument("delivery_id")
@JSON_OPTION
@pass_cli
def redeliver(state: Cli, /, webhook_id: str, delivery_id: str, as_json: bool) -> None:
    """Send a delivery again (a new attempt now)."""
    output.show(state.api().redeliver_webhook_delivery(webhook_id, delivery_id), as_json)
