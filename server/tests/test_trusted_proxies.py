"""X-Forwarded-For is believed only from BUENA_TRUSTED_PROXIES, by the real server: the
address it names reaches neither the access log nor the failed-authentication limit unless
the peer is a trusted proxy."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from backends import fresh_database
from live_server import live_server


@pytest.mark.parametrize(
    ("trusted", "believed"),
    [("", False), ("127.0.0.0/8, 10.1.2.3", True)],
    ids=["none", "loopback-cidr"],
)
def test_forwarded_for_only_from_trusted_proxies(
    tmp_path: Path, trusted: str, believed: bool
) -> None:
    env = {"BUENA_AUTH_FAILURE_LIMIT": "2/minute", "BUENA_TRUSTED_PROXIES": trusted}
    with (
        fresh_database(str(tmp_path / "proxies.db")) as url,
        live_server(url, tmp_path, env, quiet=False) as server,
    ):

        def attempt(forwarded_for: str) -> int:
            response = httpx.get(
                f"{server.base_url}/leads", headers={"x-forwarded-for": forwarded_for}
            )
            return response.status_code

        statuses = [attempt(f"192.0.2.{index}") for index in range(3)]
        if believed:
            # Three clients, one failure each; then one of them uses up its own two.
            assert statuses == [401, 401, 401]
            assert [attempt("192.0.2.0"), attempt("192.0.2.0")] == [401, 429]
        else:
            # The one peer, whatever the header claims.
            assert statuses == [401, 401, 429]
        log = server.output()
    # Access-log lines read 'client:port - "METHOD path HTTP/1.1" status ...'.
    clients = {
        match.group(1)
        for line in log.splitlines()
        if "/leads " in line and (match := re.search(r'(\S+):\d+ - "', line))
    }
    assert clients == ({"192.0.2.0", "192.0.2.1", "192.0.2.2"} if believed else {"127.0.0.1"}), log
