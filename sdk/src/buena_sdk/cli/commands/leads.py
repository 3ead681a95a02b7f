"""``buena leads list / get / create / update / delete``."""

from collections.abc import Sequence
from typing import Any, Optional, get_args

import click

from buena_sdk.cli import output
from buena_sdk.cli.app import ISO_DATETIME, Cli, cli, fail, pass_cli
from buena_sdk.cli.mapping import custom_value
from buena_sdk.models import CreateLeadRequest, UpdateLeadRequest
from buena_sdk.models.literals import LeadSort, LeadStatus, SortOrder
from buena_sdk.pagination import paginate_leads

LEAD_COLUMNS = ("id", "first_name", "last_name", "email", "company", "status", "created_at")
SORTS = get_args(LeadSort)
STATUSES = get_args(LeadStatus)
TEXT_FIELDS = ("first_name", "last_name", "email", "company", "phone", "linkedin_url",
               "job_title", "location", "notes")  # fmt: skip


@cli.group()
def leads() -> None:
    """Leads: list, get, create, update, delete, import, export."""


def filter_options(function: Any) -> Any:
    """The list filters, shared by `leads list` and `leads export`."""
    options = [
        click.option("--search", help="Name or email contains this."),
        click.option("--company", help="Company contains this."),
        click.option(
            "--status", type=click.Choice(STATUSES), help="Status (server default: active)."
        ),
        click.option("--tags", help="Any of these tags (comma-separated)."),
        click.option("--created-after", type=ISO_DATETIME),
        click.option("--created-before", type=ISO_DATETIME),
        click.option("--updated-after", type=ISO_DATETIME),
        click.option("--updated-before", type=ISO_DATETIME),
        click.option(
            "--has-email/--no-email", default=None, help="Only leads with (without) an email."
        ),
        click.option("--sort", type=click.Choice(SORTS)),
        click.option("--order", type=click.Choice(get_args(SortOrder))),
    ]
    for option in reversed(options):
        function = option(function)
    return function


@leads.command("list")
@filter_options
@click.option("--limit", type=click.IntRange(1, 100), default=50, show_default=True)
@click.option("--cursor", help="The next_cursor of a previous page.")
@click.option("--all", "every", is_flag=True, help="Every matching lead, page after page.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_cli
def list_leads(state: Cli, /, limit: int, cursor: Optional[str], every: bool, as_json: bool,
               **filters: Any) -> None:  # fmt: skip
    """A page of leads (or --all of them) as a table or JSON."""
    api = state.api()
    if every:
        found = list(paginate_leads(api, 100, **filters))
        if as_json:
            output.print_json(found)
        else:
            output.table(found, LEAD_COLUMNS)
            output.note(f"{len(found)} leads")
        return
    page = api.list_leads(
        limit, None, filters["sort"], filters["order"], filters["search"], filters["company"],
        filters["status"], cursor, filters["tags"], filters["created_after"],
        filters["created_before"], filters["updated_after"], filters["updated_before"],
        filters["has_email"],
    )  # fmt: skip
    if as_json:
        output.print_json(page)
        return
    output.table(page.data, LEAD_COLUMNS)
    more = f"; next page: --cursor {page.next_cursor}" if page.next_cursor else ""
    output.note(f"{len(page.data)} of {page.total} leads{more}")


@leads.command("get")
@click.argument("lead_id")
@click.option("--json", "as_json", is_flag=True)
@pass_cli
def get_lead(state: Cli, /, lead_id: str, as_json: bool) -> None:
    """One lead by id."""
    output.show(state.api().get_lead(lead_id), as_json)


def lead_options(function: Any) -> Any:
    """The lead's fields as options, shared by `create` and `update`."""
    options = [click.option(f"--{name.replace('_', '-')}", name) for name in TEXT_FIELDS]
    options += [
        click.option("--status", type=click.Choice(STATUSES)),
        click.option("--tag", "tags", multiple=True, help="A tag (repeat for more)."),
        click.option(
            "--custom",
            "custom",
            multiple=True,
            metavar="KEY=VALUE",
            help="A custom field (repeat for more; VALUE read as JSON when it is).",
        ),
        click.option("--json", "as_json", is_flag=True, help="Print the lead as JSON."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _custom_fields(pairs: Sequence[str]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            fail(f"--custom {pair!r}: expected KEY=VALUE")
        fields[key] = custom_value(value)
    return fields


def _fields(values: dict[str, Any]) -> dict[str, Any]:
    fields = {name: values[name] for name in (*TEXT_FIELDS, "status") if values[name] is not None}
    if values["tags"]:
        fields["tags"] = list(values["tags"])
    if values["custom"]:
        fields["custom_fields"] = _custom_fields(values["custom"])
    return fields


@leads.command("create")
@lead_options
@pass_cli
def create_lead(state: Cli, /, as_json: bool, **values: Any) -> None:
    """Create a lead (--first-name, --last-name and --email are required)."""
    fields = _fields(values)
    missing = [f"--{n.replace('_', '-')}" for n in ("first_name", "last_name", "email")
               if n not in fields]  # fmt: skip
    if missing:
        fail(f"missing {', '.join(missing)}")
    lead = state.api().create_lead(CreateLeadRequest(**fields))
    output.show(lead, as_json)


@leads.command("update")
@click.argument("lead_id")
@lead_options
@click.option("--clear", multiple=True, metavar="FIELD", help="Clear this field (repeat).")
@pass_cli
def update_lead(state: Cli, /, lead_id: str, as_json: bool, clear: Sequence[str],
                **values: Any) -> None:  # fmt: skip
    """Change the given fields of a lead; the others stay as they are."""
    fields: dict[str, Any] = _fields(values)
    for name in clear:
        if name not in UpdateLeadRequest.model_fields:
            fail(f"--clear {name!r}: not a lead field")
        fields[name] = None
    if not fields:
        fail("nothing to update: give at least one field option")
    lead = state.api().update_lead(lead_id, UpdateLeadRequest(**fields))
    output.show(lead, as_json)


@leads.command("delete")
@click.argument("lead_id")
@pass_cli
def delete_lead(state: Cli, /, lead_id: str) -> None:
    """Delete a lead for good."""
    answer = state.api().delete_lead(lead_id)
    output.note(f"Deleted {answer.get('deleted_id', lead_id)}")
