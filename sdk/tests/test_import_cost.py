"""What ``import buena_sdk`` loads: its names come on first use, aiohttp only with async.

Each probe runs in a fresh interpreter, since this one has long imported everything.
"""

import subprocess
import sys

import pytest

import buena_sdk

HEAVY = ("aiohttp", "asyncio", "pydantic", "urllib3")

LOADED = f"import sys; print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))"


def probe(code: str) -> str:
    answer = subprocess.run(
        [sys.executable, "-c", f"{code}\n{LOADED}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert answer.returncode == 0, answer.stderr
    return answer.stdout.strip().splitlines()[-1]


def test_the_bare_import_loads_no_model_nor_http_library() -> None:
    assert probe("import buena_sdk") == "[]"


def test_a_sync_client_and_call_load_no_aiohttp(refused_host: str) -> None:
    code = f"""
import buena_sdk
from buena_sdk.api.default_api import DefaultApi
configuration = buena_sdk.Configuration(host={refused_host!r}, retries=0)
with buena_sdk.ApiClient(configuration) as client:
    try:
        DefaultApi(client).health_check()
    except buena_sdk.ApiConnectionError as error:
        assert error.request_sent is False
"""
    # Nor asyncio: the sync path has no use for an event loop.
    assert probe(code) == "['pydantic', 'urllib3']"


def test_the_first_async_call_loads_aiohttp(refused_host: str) -> None:
    code = f"""
import asyncio
import buena_sdk
from buena_sdk.api.default_api import DefaultApi

async def main() -> None:
    configuration = buena_sdk.Configuration(host={refused_host!r}, retries=0)
    async with buena_sdk.ApiClient(configuration) as client:
        try:
            await DefaultApi(client).health_check_async()
        except buena_sdk.ApiConnectionError as error:
            assert error.request_sent is False

asyncio.run(main())
"""
    assert probe(code) == "['aiohttp', 'asyncio', 'pydantic', 'urllib3']"


def test_every_name_resolves_through_a_star_import() -> None:
    code = "from buena_sdk import *\nassert DefaultApi.__name__ == 'DefaultApi'"
    # Every public name, the async paginators included, and still no event loop library.
    assert probe(code) == "['pydantic', 'urllib3']"


def test_submodules_are_attributes_and_typos_are_attribute_errors() -> None:
    assert buena_sdk.webhooks.construct_event.__name__ == "construct_event"
    assert "Lead" in dir(buena_sdk)
    with pytest.raises(AttributeError, match="Configuraton"):
        buena_sdk.Configuraton  # type: ignore[attr-defined]  # noqa: B018
