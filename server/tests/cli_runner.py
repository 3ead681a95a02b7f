"""Running the installed ``buena`` console script against a live server (end-to-end CLI
tests), each test in an account of its own."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from live_server import clean_environment

# The console script pip installed beside this interpreter (.venv/bin/buena).
BUENA = Path(sys.executable).parent / "buena"


@dataclass
class Account:
    host: str
    key: str
    config_home: Path

    def env(self, **extra: str) -> dict[str, str]:
        """A clean environment: no BUENA_* of the developer's, no stored login."""
        return clean_environment(XDG_CONFIG_HOME=str(self.config_home), **extra)

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """``buena --api-url HOST --api-key KEY ARGS...``, its output captured."""
        return subprocess.run(
            [str(BUENA), "--api-url", self.host, "--api-key", self.key, *args],
            capture_output=True,
            text=True,
            env=self.env(),
            timeout=timeout,
            check=False,
        )

    def json(self, *args: str) -> Any:
        done = self.run(*args, "--json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def get(self, path: str, **query: Any) -> Any:
        """GET with the standard library, so that what a test asserts about the server's
        state does not depend on the code under test."""
        url = f"{self.host}{path}?{urllib.parse.urlencode(query)}"
        request = urllib.request.Request(url, headers={"x-api-key": self.key})  # noqa: S310
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            return json.loads(answer.read())

    def count(self) -> int:
        """How many leads the account has, whatever their status."""
        return sum(
            self.get("/leads", limit=1, status=status)["total"]
            for status in ("active", "inactive", "contacted")
        )

    def leads(self) -> dict[str, dict[str, Any]]:
        """Every lead of the account, by email."""
        found: dict[str, dict[str, Any]] = {}
        for status in ("active", "inactive", "contacted"):
            offset = 0
            while True:
                page = self.get("/leads", limit=100, offset=offset, status=status)
                found.update((lead["email"], lead) for lead in page["data"])
                offset += page["limit"]
                if offset >= page["total"]:
                    break
        return found


def new_account(database_url: str, host: str, config_home: Path) -> Account:
    """A fresh account (and its admin key), made by ``buena-server accounts create``."""
    done = subprocess.run(
        [sys.executable, "-m", "buena_server.cli", "accounts", "create", "--name", "cli test"],
        capture_output=True,
        text=True,
        env=clean_environment(BUENA_DATABASE_URL=database_url),
        timeout=60,
        check=True,
    )
    match = re.search(r"KEY=(bna_[0-9a-f]{64})", done.stdout)
    assert match, done.stdout + done.stderr
    config_home.mkdir(parents=True, exist_ok=True)
    return Account(host, match.group(1), config_home)
