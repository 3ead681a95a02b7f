"""``buena keys list / create / revoke``."""

from datetime import datetime
from typing import Optional

import click

from buena_sdk.cli import output
from buena_sdk.cli.app import ISO_DATETIME, Cli, cli, pass_cli
from buena_sdk.models import PERMISSIONS, CreateApiKeyRequest
from buena_sdk.pagination import paginate_api_keys

KEY_COLUMNS = ("id", "name", "key_preview", "permissions", "is_active", "last_used", "expires_at")


@cli.group()
def keys() -> None:
    """API keys: list, create, revoke."""


@keys.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_cli
def list_keys(state: Cli, /, as_json: bool) -> None:
    """Every API key of the account (never the secrets)."""
    found = list(paginate_api_keys(state.api(), 100))
    if as_json:
        output.print_json(found)
    else:
        output.table(found, KEY_COLUMNS)


@keys.command("create")
@click.option("--name", required=True)
@click.option(
    "--permission", "permissions", multiple=True, required=True,
    type=click.Choice(PERMISSIONS), help="A permission (repeat for more).",
)  # fmt: skip
@click.option("--description")
@click.option("--expires-at", type=ISO_DATETIME)
@click.option("--json", "as_json", is_flag=True)
@pass_cli
def create_key(state: Cli, /, name: str, permissions: tuple[str, ...], description: Optional[str],
               expires_at: Optional[datetime], as_json: bool) -> None:  # fmt: skip
    """Create a key; its secret is printed this once only."""
    fields = {"name": name, "permissions": list(permissions)}
    request = CreateApiKeyRequest(**fields, description=description, expires_at=expires_at)
    key = state.api().create_api_key(request)
    if as_json:
        output.print_json(key)
        return
    output.record(key)
    output.note("Save the key now: it is not shown again.")


@keys.command("revoke")
@click.argument("key_id")
@pass_cli
def revoke_key(state: Cli, /, key_id: str) -> None:
    """Revoke a key at once."""
    answer = state.api().revoke_api_key(key_id)
    output.note(f"Revoked {answer.get('revoked_id', key_id)}")
