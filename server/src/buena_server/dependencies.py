"""Dependencies shared by every domain controller."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import State

from buena_server.auth.guards import principal_of
from buena_server.auth.principal import Principal
from buena_server.config import Settings
from buena_server.validation import Context


def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    return principal_of(request)


def provide_validation_context(state: State) -> Context:
    settings: Settings = state.settings
    return Context(default_phone_region=settings.default_phone_region)
