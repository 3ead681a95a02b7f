"""The app keeps what it builds in one typed object (services.py), not in State attributes."""

from __future__ import annotations

from buena_server.app import create_app
from buena_server.auth.tokens import key_digest
from buena_server.config import Settings
from buena_server.services import SERVICES_KEY, Services, services_of

from server_testing import API, Account, InProcessClient


def test_the_state_holds_the_services_alone(settings: Settings) -> None:
    app = create_app(settings)
    assert list(app.state.keys()) == [SERVICES_KEY]
    services = services_of(app)
    assert isinstance(services, Services)
    assert services_of(app.state) is services
    assert services.auth.key_cache is services.key_cache


async def test_the_router_middleware_uses_the_apps_services(
    client: InProcessClient, account: Account
) -> None:
    """Litestar deep-copies routers; the authentication middleware must not authenticate
    with copies of the services (a key cache of its own, a second pool)."""
    cache = services_of(client.app).key_cache
    cache.forget(account.key_id)
    assert (await client.get(f"{API}/keys", headers=account.headers())).status_code == 200
    assert cache.get(key_digest(account.key)) is not None


def test_the_openapi_document_is_encoded_once(settings: Settings) -> None:
    app = create_app(settings)
    document = services_of(app).openapi_json
    assert document.of(app) is document.of(app)
