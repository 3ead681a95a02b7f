"""``buena health``, ``buena login`` / ``logout`` and ``buena config``."""

from typing import Optional

import click

from buena_sdk.cli import config, output
from buena_sdk.cli.app import EXIT_FAILURE, EXIT_OK, Cli, cli, pass_cli


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
@pass_cli
def health(state: Cli, as_json: bool) -> int:
    """The API's status (no key needed); exit 1 unless healthy."""
    answer = state.api(authenticated=False).health_check()
    if as_json:
        output.print_json(answer)
    else:
        output.stdout.print(
            f"{answer.status} (version {answer.version}, {answer.response_time} ms)",
            highlight=False,
        )
        for service, status in answer.services.items():
            output.stdout.print(f"  {service}: {status}", highlight=False)
    return EXIT_OK if answer.status == "healthy" else EXIT_FAILURE


@cli.command()
@click.option("--api-url", "url", metavar="URL", help="API base URL to store.")
@click.option("--api-key", "key", metavar="KEY", help="API key to store (asked for if not given).")
@pass_cli
def login(state: Cli, url: Optional[str], key: Optional[str]) -> None:
    """Store the API URL and key in your config directory (mode 0600) for later runs.

    Options of the group and BUENA_API_URL / BUENA_API_KEY still take precedence."""
    url = url or (state.settings.api_url if state.settings.url_source == "--api-url" else None)
    key = key or (state.settings.api_key if state.settings.key_source == "--api-key" else None)
    if not key:
        key = click.prompt("API key", hide_input=True)
    if url is not None and not url.startswith(("http://", "https://")):
        raise config.ConfigError("--api-url must start with http:// or https://")
    path = config.store(url, key)
    output.note(f"Saved to {path}")


@cli.command()
def logout() -> None:
    """Forget what `buena login` stored."""
    path = config.config_path()
    output.note(f"Removed {path}" if config.forget(path) else "Nothing stored")


@cli.command("config")
@pass_cli
def show_config(state: Cli) -> None:
    """Which API URL and key would be used, and where each comes from."""
    settings = state.settings
    key = settings.api_key
    preview = f"{key[:8]}..." if key else "(none)"
    url = settings.api_url or state.client(authenticated=False).configuration.host
    output.stdout.print(f"api_url: {url} (from {settings.url_source})", highlight=False)
    output.stdout.print(f"api_key: {preview} (from {settings.key_source})", highlight=False)
    output.stdout.print(f"config file: {config.config_path()}", highlight=False)
