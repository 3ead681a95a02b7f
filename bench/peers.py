"""Target 8: peers serving the same leads on the same machine under the same load.

json-server (the npm package developers use to fake a REST API) is installed on first use
into bench/.peers with the machine's npm. Directus is not measured yet (see BENCHMARKS.md).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench import datagen
from bench.load import free_port, process
from buena_server.leads.schemas import Lead

PEERS = Path(__file__).resolve().parent / ".peers"
JSON_SERVER = "json-server@0.17.4"


def ensure_json_server() -> Path:
    binary = PEERS / "node_modules" / ".bin" / "json-server"
    if not binary.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("npm is required to install json-server for target 8")
        PEERS.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [npm, "install", "--prefix", str(PEERS), "--no-audit", "--no-fund", JSON_SERVER],
            check=True,
            capture_output=True,
        )
    return binary


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
