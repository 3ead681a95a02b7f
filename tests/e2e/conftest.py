"""A real buena-server process for the end-to-end tests.

One server per test session (a fresh database of the backend under test, rate limits off,
a bootstrap admin key generated here; server/tests/live_server.py starts the process).
Before each test every lead of the account is deleted, so tests do not see each other's
leads. ``Server.get`` reads state with the
standard library rather than the SDK, so the assertions about the server do not depend on
the code under test.
"""

import json
import secrets
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from backends import fresh_database
from cli_runner import Account, new_account
from live_server import live_server

STATUSES = ("active", "inactive", "contacted")


@dataclass
class Server:
    host: str  # base URL, e.g. http://127.0.0.1:PORT/api/v2
    key: str  # admin key holding every permission
    database_url: str = ""  # the server's database (to make accounts of other tests' own)

    def call(
        self, method: str, path: str, body: Any = None, *, key: str | None = None
    ) -> "tuple[int, Any]":
        """(status, parsed JSON) of one request, errors included."""
        data = None if body is None else json.dumps(body).encode()
        url = self.host + path  # always the http:// URL of the server started below
        request = urllib.request.Request(url, data=data, method=method)  # noqa: S310
        request.add_header("x-api-key", key or self.key)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            with error:
                return error.code, json.loads(error.read())

    def get(self, path: str, **query: Any) -> Any:
        if query:
            path += "?" + urllib.parse.urlencode(query)
        status, body = self.call("GET", path)
        assert status == 200, (path, status, body)
        return body

    def lead_status(self, lead_id: str) -> int:
        return self.call("GET", f"/leads/{lead_id}")[0]

    def create_lead(self, **fields: Any) -> "dict[str, Any]":
        status, body = self.call("POST", "/leads", fields)
        assert status == 201, body
        return dict(body)

    def all_leads(self, **filters: Any) -> "list[dict[str, Any]]":
        """Every lead, status by status (so the status filter is exercised too)."""
        leads: list[dict[str, Any]] = []
        for status in STATUSES:
            offset = 0
            while True:
                page = self.get("/leads", limit=100, offset=offset, status=status, **filters)
                leads.extend(page["data"])
                offset += page["limit"]
                if offset >= page["total"]:
                    break
        return leads

    def delete_all_leads(self) -> None:
        for lead in self.all_leads():
            status, body = self.call("DELETE", f"/leads/{lead['id']}")
            assert status == 200, body


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A real server process on the backend under test (see server/tests/backends.py)."""
    directory = tmp_path_factory.mktemp("e2e")
    key = "bna_" + secrets.token_hex(32)
    with (
        fresh_database(str(directory / "e2e.db")) as url,
        live_server(
            url,
            directory,
            # Voice samples and previews in the session's own directory, not var/blobs.
            {"BUENA_BOOTSTRAP_KEY": key, "BUENA_STORAGE_URL": f"file://{directory / 'blobs'}"},
        ) as live,
    ):
        yield Server(host=live.base_url, key=key, database_url=url)


@pytest.fixture(autouse=True)
def _no_leads(server: Server) -> None:
    server.delete_all_leads()


@pytest.fixture
def account(server: Server, tmp_path: Path) -> Account:
    """An account of the test's own, and ``buena`` (the installed script) to drive it."""
    return new_account(server.database_url, server.host, tmp_path / "config")
