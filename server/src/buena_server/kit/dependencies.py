"""What every domain controller needs besides its own service.

Handlers read the caller from ``request.user`` (set by the authentication middleware, checked
by the route's guards) and services get their validation context from the app state, so a
request resolves one chain of dependencies (connection, then service): Litestar resolves
dependencies of the same depth concurrently, in a task group per request, which costs more
than the work they do.
"""

from __future__ import annotations

from litestar import Request
from litestar.datastructures import State

from buena_server.auth.principal import Principal
from buena_server.config import Settings
from buena_server.kit.validation import Context

AuthenticatedRequest = Request[Principal, Principal, State]


def validation_context(state: State) -> Context:
    settings: Settings = state.settings
    return Context(default_phone_region=settings.default_phone_region)
