"""Target 8: peers serving the same leads on the same machine under the same load.

json-server (the npm package developers use to fake a REST API) is installed on first use
into bench/.peers with the machine's npm; so is Directus (a self-hosted data platform with
REST, tokens and permissions; 725 MB of node modules, so only the full profile measures it),
which runs on PostgreSQL, holds a ``leads`` collection with the same fields and is called with
its admin token (which skips its permission checks: the fastest path it has).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from bench import datagen
from bench.load import free_port, process
from buena_server.leads.schemas import Lead

PEERS = Path(__file__).resolve().parent / ".peers"
JSON_SERVER = "json-server@0.17.4"


def npm_installed(prefix: Path, package: str, command: str) -> Path:
    """``command`` of npm ``package`` installed below ``prefix`` (installed now if missing)."""
    binary = prefix / "node_modules" / ".bin" / command
    if not binary.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError(f"npm is required to install {package} for target 8")
        prefix.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund", package],
            check=True,
            capture_output=True,
        )
    return binary


def ensure_json_server() -> Path:
    return npm_installed(PEERS, JSON_SERVER, "json-server")


def write_json_server_db(path: Path, account_id: str, count: int) -> str:
    """The leads Buena serves, as json-server's db.json; returns one lead's id."""
    public = Lead.__struct_fields__
    rows: list[dict[str, Any]] = []
    for row in datagen.leads(account_id, count):
        lead = {name: row[name] for name in public}
        for stamp in ("created_at", "updated_at"):
            lead[stamp] = row[stamp].isoformat().replace("+00:00", "Z")
        rows.append(lead)
    path.write_text(json.dumps({"leads": rows}))
    return str(rows[0]["id"])


@contextmanager
def json_server(db: Path, lead_id: str, log: Path) -> Iterator[str]:
    """json-server on ``db``, pinned like Buena; yields its base URL."""
    binary = ensure_json_server()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    node = shutil.which("node") or "node"
    with process(
        [str(binary), str(db), "--port", str(port), "--quiet"],
        {},
        f"{base}/leads/{lead_id}",
        log,
        program=[node],
    ):
        yield base


# -- Directus -------------------------------------------------------------------------------

DIRECTUS = "directus@12.4.0"  # 12.4.1 needs @directus/app@18.0.1, which the registry lacks
DIRECTUS_DIR = PEERS / "directus"
DIRECTUS_TOKEN = "bench-admin-token"  # noqa: S105 (a throwaway local instance)
_STRING_FIELDS = ("first_name", "last_name", "email", "company", "phone", "linkedin_url")
_MORE_STRING_FIELDS = ("job_title", "location", "status")


def ensure_directus() -> Path:
    return npm_installed(DIRECTUS_DIR, DIRECTUS, "directus")


def _directus_fields() -> list[dict[str, Any]]:
    fields: list[dict[str, Any]] = [
        {
            "field": "id",
            "type": "string",
            "schema": {"is_primary_key": True, "length": 40, "is_nullable": False},
            "meta": {},
        }
    ]
    for name in (*_STRING_FIELDS, *_MORE_STRING_FIELDS):
        fields.append({"field": name, "type": "string", "schema": {}, "meta": {}})
    fields.append({"field": "notes", "type": "text", "schema": {}, "meta": {}})
    for name in ("tags", "custom_fields"):
        fields.append({"field": name, "type": "json", "schema": {}, "meta": {}})
    for name in ("created_at", "updated_at"):
        fields.append({"field": name, "type": "timestamp", "schema": {}, "meta": {}})
    return fields


@contextmanager
def directus(database: str, db_json: Path, lead_id: str, log: Path) -> Iterator[str]:
    """Directus on PostgreSQL ``database`` (created empty by the caller), with a ``leads``
    collection holding db.json's leads; yields its base URL (admin token DIRECTUS_TOKEN)."""
    binary = ensure_directus()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        "DB_CLIENT": "pg",
        "DB_HOST": "127.0.0.1",
        "DB_PORT": "5432",
        "DB_DATABASE": database,
        "DB_USER": "postgres",
        "KEY": "bench-key",
        "SECRET": "bench-secret-" + "0" * 32,
        "ADMIN_EMAIL": "admin@example.com",
        "ADMIN_PASSWORD": "bench-password",
        "ADMIN_TOKEN": DIRECTUS_TOKEN,
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "PUBLIC_URL": base,
        "LOG_LEVEL": "warn",
        "TELEMETRY": "false",
        "RATE_LIMITER_ENABLED": "false",
        "CACHE_ENABLED": "false",
        "STORAGE_LOCAL_ROOT": str(DIRECTUS_DIR / "uploads"),
        "EXTENSIONS_PATH": str(DIRECTUS_DIR / "extensions"),
    }
    node = shutil.which("node") or "node"
    with log.open("ab") as output:
        subprocess.run(
            [node, str(binary), "bootstrap"],
            env={**os.environ, **env},
            check=True,
            stdout=output,
            stderr=subprocess.STDOUT,
            timeout=300,
            cwd=DIRECTUS_DIR,  # Directus writes node_modules/.directus below its directory
        )
    with process(
        [str(binary), "start"], env, f"{base}/server/ping", log, program=[node], cwd=DIRECTUS_DIR
    ):
        auth = {"Authorization": f"Bearer {DIRECTUS_TOKEN}"}
        with httpx.Client(base_url=base, headers=auth, timeout=120) as client:
            client.post(
                "/collections",
                json={
                    "collection": "leads",
                    "schema": {},
                    "meta": {},
                    "fields": _directus_fields(),
                },
            ).raise_for_status()
            rows = json.loads(db_json.read_text())["leads"]
            for start in range(0, len(rows), 1000):
                client.post("/items/leads", json=rows[start : start + 1000]).raise_for_status()
            client.get(f"/items/leads/{lead_id}").raise_for_status()
        yield base
