"""Permissions declared next to each route: ``guards=[requires(Permission.LEADS_READ)]``."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Guard

from buena_server.auth.permissions import Permission
from buena_server.auth.principal import Principal
from buena_server.errors import PermissionDenied, Unauthorized

REQUIRED_PERMISSION_OPT = "required_permission"


def principal_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    principal = connection.scope.get("auth")
    if not isinstance(principal, Principal):
        raise Unauthorized("Missing API key", details={"reason": "missing"})
    return principal


def requires(permission: Permission) -> Guard:
    # A coroutine function: Litestar runs a plain function guard in a worker thread.
    async def guard(
        connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler
    ) -> None:
        principal = principal_of(connection)
        if permission not in principal.permissions:
            raise PermissionDenied(
                f"This API key lacks the '{permission}' permission",
                details={
                    "required": [permission.value],
                    "granted": sorted(principal.permissions),
                },
            )

    guard.__name__ = f"requires_{permission.value.replace(':', '_')}"
    return guard
