"""What every domain controller needs besides its own service.

Handlers read the caller from ``request.user`` (set by the authentication middleware, checked
by the route's guards) and services get their validation context from the settings, so a
request resolves one chain of dependencies (connection, then service): Litestar resolves
dependencies of the same depth concurrently, in a task group per request, which costs more
than the work they do.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from litestar import Request
from litestar.datastructures import State

from buena_server.auth.principal import Principal
from buena_server.config import Settings
from buena_server.idempotency.layer import keep_answer_before_commit
from buena_server.kit.driver import Connection
from buena_server.kit.validation import Context
from buena_server.services import services_of

AuthenticatedRequest = Request[Principal, Principal, State]
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def validation_context(settings: Settings) -> Context:
    return Context(default_phone_region=settings.default_phone_region)


async def provide_connection(
    state: State, request: Request[Any, Any, Any]
) -> AsyncGenerator[Connection, None]:
    """One transaction per request: committed when the handler succeeds, rolled back otherwise.

    Litestar runs this cleanup after the handler has produced its response object but before
    anything is sent, so a failed commit becomes an error response, never a lie. Requests
    with a safe method promise to read only (see ``Database.transaction``).
    """
    database = services_of(state).database
    async with database.transaction(write=request.method not in _SAFE_METHODS) as conn:
        yield conn
        # An Idempotency-Key's answer commits with the change it reports.
        await keep_answer_before_commit(conn)
