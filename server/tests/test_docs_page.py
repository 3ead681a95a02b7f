"""The API docs pages render every operation in a real headless browser with no network.

Debian's Chromium (package ``chromium``; .ci/run installs it) loads the pages from a live
server with every host name but 127.0.0.1 unresolvable, as on a machine offline: a script or
style still fetched from a CDN would leave the page blank. Without Chromium the tests skip
locally and fail under CI.
"""

from __future__ import annotations

import html
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from backends import fresh_database
from live_server import LiveServer, live_server

# Under pytest-xdist, in one worker: the module's live server starts once.
pytestmark = pytest.mark.xdist_group("docs-page")

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


@pytest.fixture(scope="module")
def chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; CI must render the docs pages (.ci/run)")
        pytest.skip("chromium is not installed (apt-get install -y chromium; CI requires it)")
    return found


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("docs")
    with fresh_database(str(tmp / "docs.db")) as url, live_server(url, tmp) as live:
        yield live


@pytest.fixture(scope="module")
def operations(server: LiveServer) -> list[dict[str, Any]]:
    document = httpx.get(f"{server.base_url}/openapi.json").json()
    found = [
        operation
        for path_item in document["paths"].values()
        for method, operation in path_item.items()
        if method in METHODS
    ]
    assert len(found) >= 20  # every operation of the API, not a page of them
    return found


def rendered(chromium: str, url: str, profile: Path) -> str:
    """The page's DOM once its scripts have run (virtual time: no waiting on the clock)."""
    result = subprocess.run(
        [
            chromium,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--virtual-time-budget=10000",
            # Offline: no name but this machine's resolves (a CDN request fails at once).
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
            f"--user-data-dir={profile}",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_swagger_ui_renders_every_operation_offline(
    chromium: str, server: LiveServer, operations: list[dict[str, Any]], tmp_path: Path
) -> None:
    dom = rendered(chromium, f"{server.base_url}/docs", tmp_path / "profile")
    assert "Unable to render this definition" not in dom
    for operation in operations:
        # Swagger UI's id for an operation: operations-<tag, spaces as _>-<operationId>.
        tag = operation["tags"][0].replace(" ", "_")
        assert f'id="operations-{tag}-{operation["operationId"]}"' in dom, operation
        assert html.escape(operation["summary"], quote=False) in dom, operation


def test_redoc_renders_every_operation_offline(
    chromium: str, server: LiveServer, operations: list[dict[str, Any]], tmp_path: Path
) -> None:
    dom = rendered(chromium, f"{server.base_url}/docs/redoc", tmp_path / "profile")
    for operation in operations:
        tag = operation["tags"][0].replace(" ", "-")
        assert f'id="tag/{tag}/operation/{operation["operationId"]}"' in dom, operation
        assert html.escape(operation["summary"], quote=False) in dom, operation
