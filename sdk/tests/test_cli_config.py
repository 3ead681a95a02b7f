"""Where the CLI takes its URL and key from, and the stored file's mode."""

import os
import stat
import sys
from pathlib import Path

import pytest

from buena_sdk.cli import config

URL = "http://api.test/api/v2"


def test_options_beat_environment_beat_stored() -> None:
    stored = {"api_url": "http://stored.test", "api_key": "bna_stored"}
    environ = {"BUENA_API_URL": "http://env.test", "BUENA_API_KEY": "bna_env"}
    both = config.resolve(URL, "bna_opt", environ, stored)
    assert (both.api_url, both.api_key, both.url_source) == (URL, "bna_opt", "--api-url")
    from_env = config.resolve(None, None, environ, stored)
    assert (from_env.api_url, from_env.api_key) == ("http://env.test", "bna_env")
    assert from_env.key_source == "BUENA_API_KEY"
    from_store = config.resolve(None, None, {}, stored)
    assert (from_store.api_url, from_store.api_key) == ("http://stored.test", "bna_stored")
    assert from_store.url_source == "buena login"
    nothing = config.resolve(None, None, {"BUENA_API_KEY": "  "}, {})
    assert (nothing.api_url, nothing.api_key, nothing.key_source) == (None, None, "default")


def test_a_url_without_scheme_is_refused() -> None:
    with pytest.raises(config.ConfigError, match="BUENA_API_URL"):
        config.resolve(None, None, {"BUENA_API_URL": "api.test"}, {})


def test_login_file_lives_in_the_xdg_config_dir_with_mode_0600(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if sys.platform.startswith("linux"):
        monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
        assert config.config_path() == tmp_path / "xdg" / "buena" / "config.json"
    path = tmp_path / "cfg" / "config.json"
    path.parent.mkdir()
    path.write_text("{}")
    os.chmod(path, 0o644)  # an older file readable by others is tightened
    config.store(URL, "bna_secret", path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert config.load_stored(path) == {"api_url": URL, "api_key": "bna_secret"}
    assert config.forget(path)
    assert config.load_stored(path) == {}
    path.write_text("[1]")
    with pytest.raises(config.ConfigError, match="not a JSON object"):
        config.load_stored(path)
