"""The ``buena`` command: the group, its configuration options, and ``main`` (exit codes
and one-line errors)."""

import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, NoReturn, Optional

import click

from buena_sdk._version import __version__
from buena_sdk.api.default_api import DefaultApi
from buena_sdk.api_client import ApiClient
from buena_sdk.cli import config, output
from buena_sdk.configuration import API_KEY_AUTH, Configuration
from buena_sdk.exceptions import ApiConnectionError, ApiException, BuenaError

# Exit codes: success, failure (a call failed, or some rows of an import did), usage.
EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


@dataclass
class Cli:
    """What the commands share: the settings, and one client built on first use."""

    settings: config.Settings
    timeout: float = 30.0
    _client: Optional[ApiClient] = field(default=None, repr=False)

    def client(self, *, authenticated: bool = True, retries: int = 2) -> ApiClient:
        if authenticated and not self.settings.api_key:
            raise config.ConfigError(
                "no API key: pass --api-key, set BUENA_API_KEY, or run `buena login`"
            )
        if self._client is None:
            api_key = {API_KEY_AUTH: self.settings.api_key} if self.settings.api_key else {}
            configuration = Configuration(
                host=self.settings.api_url,
                api_key=api_key,
                timeout=self.timeout,
                retries=retries,
                user_agent=f"buena-cli/{__version__}",
            )
            self._client = ApiClient(configuration)
        return self._client

    def api(self, *, authenticated: bool = True, retries: int = 2) -> DefaultApi:
        return DefaultApi(self.client(authenticated=authenticated, retries=retries))

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


pass_cli = click.make_pass_decorator(Cli)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--api-url", metavar="URL", help="API base URL (env BUENA_API_URL).")
@click.option("--api-key", metavar="KEY", help="API key (env BUENA_API_KEY).")
@click.option(
    "--timeout", type=click.FloatRange(min=0.1), default=30.0, show_default=True,
    help="Seconds allowed for each request.",
)  # fmt: skip
@click.version_option(__version__, prog_name="buena")
@click.pass_context
def cli(ctx: click.Context, api_url: Optional[str], api_key: Optional[str], timeout: float) -> None:
    """Buena from the command line: leads (with import and export), API keys, webhooks,
    events. Exit codes: 0 success, 1 failure (or some rows failed), 2 usage error."""
    settings = config.resolve(api_url, api_key)
    state = Cli(settings, timeout)
    ctx.obj = state
    ctx.call_on_close(state.close)


class IsoDateTime(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.2
    """An RFC 3339 time (``2026-01-31T12:00:00Z``, or a date); zone-less means UTC."""

    name = "datetime"

    def convert(self, value: Any, param: Optional[click.Parameter], ctx: Any) -> datetime:
        if isinstance(value, datetime):
            return value
        text = str(value).strip()
        try:
            parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
        except ValueError:
            self.fail(f"{value!r} is not an RFC 3339 time such as 2026-01-31T12:00:00Z", param)
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


ISO_DATETIME = IsoDateTime()


def main(argv: Optional[list[str]] = None) -> NoReturn:
    """The console script: never a traceback, always one of the documented exit codes."""
    from buena_sdk.cli import commands  # noqa: F401  (registers the subcommands)

    try:
        result = cli.main(args=argv, prog_name="buena", standalone_mode=False)
    except click.exceptions.Abort:
        output.error_line("interrupted")
        sys.exit(EXIT_INTERRUPTED)
    except KeyboardInterrupt:
        output.error_line("interrupted")
        sys.exit(EXIT_INTERRUPTED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except ApiConnectionError as exc:
        output.error_line(f"cannot reach the API: {exc}")
        sys.exit(EXIT_FAILURE)
    except ApiException as exc:
        output.error_line(describe_api_error(exc))
        sys.exit(EXIT_FAILURE)
    except (BuenaError, OSError) as exc:
        output.error_line(str(exc))
        sys.exit(EXIT_FAILURE)
    except Exception as exc:  # the promise: one line, never a traceback
        output.error_line(f"unexpected {type(exc).__name__}: {exc}")
        sys.exit(EXIT_FAILURE)
    sys.exit(result if isinstance(result, int) else EXIT_OK)


def describe_api_error(exc: ApiException) -> str:
    """``404 LEAD_NOT_FOUND: Lead lead_x not found (request req_...)``."""
    head = f"{exc.status} {exc.code}" if exc.code else f"HTTP {exc.status}"
    text = f"{head}: {exc.message or exc.reason or 'request failed'}"
    if exc.status == 403 and exc.details:
        required = exc.details.get("required_permissions") or exc.details.get("required")
        if required:
            text += f" (needs {required})"
    if exc.request_id:
        text += f" (request {exc.request_id})"
    return text


def fail(message: str) -> NoReturn:
    """Stop with a usage error (exit 2)."""
    raise click.UsageError(message)
