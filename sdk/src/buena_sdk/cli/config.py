"""Where the CLI finds the API and its key, first found wins:

1. ``--api-url`` / ``--api-key``;
2. ``BUENA_API_URL`` / ``BUENA_API_KEY``;
3. what ``buena login`` stored in the user's config directory (``config.json`` in
   ``click.get_app_dir("buena")``: ``$XDG_CONFIG_HOME/buena`` or ``~/.config/buena`` on
   Linux, ``~/Library/Application Support/buena`` on macOS, ``%APPDATA%\\buena`` on
   Windows), written with mode 0600 since it holds a secret;
4. for the URL only, the SDK's own default (``BUENA_HOST``, else the hosted API).
"""

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import click

ENV_URL = "BUENA_API_URL"
ENV_KEY = "BUENA_API_KEY"
APP_NAME = "buena"
CONFIG_FILE = "config.json"


class ConfigError(click.ClickException):
    """A configuration the CLI cannot use: one line, exit code 2 as for usage errors."""

    exit_code = 2


@dataclass(frozen=True)
class Settings:
    api_url: Optional[str]
    api_key: Optional[str]
    # Where each came from, for `buena config` and error messages.
    url_source: str
    key_source: str


def config_path() -> Path:
    return Path(click.get_app_dir(APP_NAME)) / CONFIG_FILE


def load_stored(path: Optional[Path] = None) -> dict[str, str]:
    """What ``buena login`` stored, or {} when nothing was."""
    path = path or config_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path} is not a JSON object")
    return {k: v for k, v in data.items() if isinstance(v, str) and v}


def store(api_url: Optional[str], api_key: Optional[str], path: Optional[Path] = None) -> Path:
    """Save the URL and key for later runs, readable by the user alone (0600)."""
    path = path or config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    data = {name: value for name, value in (("api_url", api_url), ("api_key", api_key)) if value}
    # Created 0600 (never readable by others, even for an instant), and set to 0600 should
    # an older file have other bits.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        if hasattr(os, "fchmod"):
            os.fchmod(file.fileno(), 0o600)
        json.dump(data, file, indent=2)
        file.write("\n")
    return path


def forget(path: Optional[Path] = None) -> bool:
    path = path or config_path()
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def resolve(
    api_url: Optional[str],
    api_key: Optional[str],
    environ: Optional[Mapping[str, str]] = None,
    stored: Optional[Mapping[str, str]] = None,
) -> Settings:
    """The settings by precedence: options, then environment, then stored."""
    environ = os.environ if environ is None else environ
    stored = load_stored() if stored is None else stored
    url, url_source = _first(
        (api_url, "--api-url"),
        (environ.get(ENV_URL), ENV_URL),
        (stored.get("api_url"), "buena login"),
    )
    key, key_source = _first(
        (api_key, "--api-key"),
        (environ.get(ENV_KEY), ENV_KEY),
        (stored.get("api_key"), "buena login"),
    )
    if url is not None and not url.startswith(("http://", "https://")):
        raise ConfigError(f"the API URL from {url_source} must start with http:// or https://")
    return Settings(url, key, url_source, key_source)


def _first(*candidates: tuple[Optional[str], str]) -> tuple[Optional[str], str]:
    for value, source in candidates:
        if value and value.strip():
            return value.strip(), source
    return None, "default"
