"""The real server process: CLI bootstrap, concurrency over real sockets, restarts."""

from __future__ import annotations

import asyncio
import re
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from buena_server.auth.tokens import generate_key

from backends import fresh_database
from live_server import clean_environment, live_server

KEY_PATTERN = re.compile(r"bna_[0-9a-f]{64}")


def lead_count(base_url: str, key: str) -> int:
    response = httpx.get(f"{base_url}/leads", params={"limit": 1}, headers={"x-api-key": key})
    assert response.status_code == 200, response.text
    total: int = response.json()["total"]
    return total


def test_first_start_prints_an_admin_key_once(tmp_path: Path) -> None:
    with fresh_database(str(tmp_path / "fresh.db")) as url, live_server(url, tmp_path) as server:
        keys = KEY_PATTERN.findall(server.output())
        assert len(keys) == 1  # printed once: the curl line refers to it as $KEY
        key = keys[0]
        assert f"KEY={key}" in server.output()
        assert 'curl -H "x-api-key: $KEY"' in server.output()
        response = httpx.get(f"{server.base_url}/leads", headers={"x-api-key": key})
        assert response.status_code == 200
        # A restart on the same database neither creates another account nor prints a key.
        server.process.terminate()
        server.process.wait(timeout=10)
        with live_server(url, tmp_path) as restarted:
            assert not KEY_PATTERN.search(restarted.output())
            response = httpx.get(f"{restarted.base_url}/leads", headers={"x-api-key": key})
            assert response.status_code == 200


def test_bootstrap_key_is_used_and_not_printed(tmp_path: Path) -> None:
    key = generate_key()
    with fresh_database(str(tmp_path / "boot.db")) as url:
        for _ in range(2):  # the second start finds the key already there
            with live_server(url, tmp_path, {"BUENA_BOOTSTRAP_KEY": key}) as server:
                assert key not in server.output()
                response = httpx.get(f"{server.base_url}/keys", headers={"x-api-key": key})
                assert response.status_code == 200
                assert response.json()["total"] == 1


def test_invalid_configuration_is_refused_readably(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "buena_server.cli", "serve"],
        env=clean_environment(BUENA_BOOTSTRAP_KEY="secret"),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 2
    assert "BUENA_BOOTSTRAP_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_port_in_use_is_refused_readably(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "buena_server.cli", "serve", "--port", str(port), "--quiet"],
            env=clean_environment(BUENA_DATABASE_URL=f"sqlite:///{tmp_path / 'taken.db'}"),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 3, result.stderr
    assert "address already in use" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_creates_accounts_and_keys(tmp_path: Path) -> None:
    with fresh_database(str(tmp_path / "cli.db")) as url:
        _check_cli(url)


def _check_cli(url: str) -> None:
    env = clean_environment(BUENA_DATABASE_URL=url)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "buena_server.cli", *args],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    assert cli("migrate").returncode == 0
    created = cli("accounts", "create", "--name", "Acme")
    assert created.returncode == 0, created.stderr
    assert len(KEY_PATTERN.findall(created.stdout)) >= 1
    key = cli(
        "keys",
        "create",
        "--name",
        "reader",
        "--permissions",
        "leads:read",
        "--expires-in-days",
        "30",
    )
    assert key.returncode == 0, key.stderr
    assert KEY_PATTERN.fullmatch(key.stdout.strip())
    bad = cli("keys", "create", "--name", "x", "--permissions", "leads:fly")
    assert bad.returncode == 2
    assert "leads:fly" in bad.stderr
    for days in ("0", "-5"):
        never = cli(
            "keys",
            "create",
            "--name",
            "x",
            "--permissions",
            "leads:read",
            "--expires-in-days",
            days,
        )
        assert never.returncode == 2
        assert "at least 1 day" in never.stderr
    not_a_number = cli(
        "keys", "create", "--name", "x", "--permissions", "leads:read", "--expires-in-days", "a"
    )
    assert not_a_number.returncode == 2
    assert "not a whole number of days: 'a'" in not_a_number.stderr
    second = cli("accounts", "create", "--name", "Second")
    assert second.returncode == 0
    ambiguous = cli("keys", "create", "--name", "x", "--permissions", "leads:read")
    assert ambiguous.returncode == 2
    assert "--account" in ambiguous.stderr
    match = re.search(r"Created account (acct_\w+)", second.stdout)
    assert match, second.stdout
    named = cli(
        "keys", "create", "--name", "x", "--permissions", "leads:read", "--account", match[1]
    )
    assert named.returncode == 0, named.stderr
    assert KEY_PATTERN.fullmatch(named.stdout.strip())
    unknown = cli(
        "keys", "create", "--name", "x", "--permissions", "leads:read", "--account", "acct_0"
    )
    assert unknown.returncode == 2
    assert "no account acct_0" in unknown.stderr


def test_concurrent_creates_of_one_email_give_one_lead(tmp_path: Path) -> None:
    key = generate_key()
    with (
        fresh_database(str(tmp_path / "race.db")) as url,
        live_server(url, tmp_path, {"BUENA_BOOTSTRAP_KEY": key}) as server,
    ):

        async def race() -> list[httpx.Response]:
            limits = httpx.Limits(max_connections=50)
            async with httpx.AsyncClient(limits=limits, timeout=30) as client:
                body = {"first_name": "Race", "last_name": "Condition", "email": "race@x.io"}
                return await asyncio.gather(
                    *(
                        client.post(
                            f"{server.base_url}/leads", json=body, headers={"x-api-key": key}
                        )
                        for _ in range(30)
                    )
                )

        responses = asyncio.run(race())
        stored = lead_count(server.base_url, key)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 29
    winner = next(r.json()["id"] for r in responses if r.status_code == 201)
    assert {r.json()["details"]["existing_id"] for r in responses if r.status_code == 409} == {
        winner
    }
    assert stored == 1


@pytest.mark.parametrize("writes", [40])
def test_concurrent_writes_all_succeed(tmp_path: Path, writes: int) -> None:
    """Concurrent writes all land (on SQLite they queue for its one write lock)."""
    key = generate_key()
    with (
        fresh_database(str(tmp_path / "writes.db")) as url,
        live_server(url, tmp_path, {"BUENA_BOOTSTRAP_KEY": key}) as server,
    ):

        async def write_many() -> list[httpx.Response]:
            async with httpx.AsyncClient(timeout=30) as client:
                headers = {"x-api-key": key}

                async def create_then_update(i: int) -> httpx.Response:
                    created = await client.post(
                        f"{server.base_url}/leads",
                        json={"first_name": "W", "last_name": str(i), "email": f"w{i}@x.io"},
                        headers=headers,
                    )
                    assert created.status_code == 201, created.text
                    return await client.patch(
                        f"{server.base_url}/leads/{created.json()['id']}",
                        json={"custom_fields": {"n": i}},
                        headers=headers,
                    )

                return await asyncio.gather(*(create_then_update(i) for i in range(writes)))

        responses = asyncio.run(write_many())
        stored = lead_count(server.base_url, key)
    assert [r.status_code for r in responses] == [200] * writes
    assert stored == writes
